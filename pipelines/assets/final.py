"""Stage *final* (定稿): what the load will write for one agency (`pipelines.load.final`).

Checks beside it: every merged record is in ``persons`` once; every review item names a record of the
agency; 隔离 rows carry a reason.
"""

import time

import dagster as dg

from pipelines.load import final_frames
from pipelines.partitions import AGENCY_PARTITIONS


@dg.asset(
    partitions_def=AGENCY_PARTITIONS,
    group_name="migration",
    kinds={"pandas", "arrow"},
    description="定稿: persons, child rows, 待核实 items, repair log and 隔离 rows as the load writes them.",
    check_specs=[dg.AssetCheckSpec("final_consistent", asset="final",
                                   description="one row per 档案编号; review items and child rows name loaded persons; 隔离 rows have a reason")],
)
def final(context: dg.AssetExecutionContext, raw: dict, records: dict, repaired: dict):
    t0 = time.perf_counter()
    frames = final_frames(records, repaired, raw)
    seconds = round(time.perf_counter() - t0, 3)
    check = consistency_check(frames)  # before the output: the IO manager may empty `frames` once written
    yield dg.Output(frames, metadata={
        "persons": dg.MetadataValue.int(len(frames["persons"])),
        "study": dg.MetadataValue.int(len(frames["study"])),
        "work": dg.MetadataValue.int(len(frames["work"])),
        "review": dg.MetadataValue.int(len(frames["review"])),
        "quarantine": dg.MetadataValue.int(len(frames["quarantine"])),
        "seconds": dg.MetadataValue.float(seconds),
    })
    yield check


def consistency_check(frames: dict) -> dg.AssetCheckResult:
    persons = frames["persons"]
    keys = set(persons["档案编号"])
    problems = {
        "duplicate_keys": int(persons["档案编号"].duplicated().sum()),
        "review_without_person": int((~frames["review"]["档案编号"].isin(keys)).sum()) if len(frames["review"]) else 0,
        "children_without_person": sum(int((~frames[s]["档案编号"].isin(keys)).sum()) for s in ("study", "work")),
        "quarantine_without_reason": int(frames["quarantine"]["原因"].isna().sum()) if len(frames["quarantine"]) else 0,
    }
    return dg.AssetCheckResult(check_name="final_consistent", passed=not any(problems.values()), metadata=problems)


CHECKS: list = []
