"""Stage *merge*: std sheets → records (one per agency + 档案编号), child rows, quarantine.

Checks beside it: pandera on the merged records (`unexplained(records=True)`),
row accounting (every input row is loaded / quarantined / duplicate /
correction: `MergeResult.check()`), and the Great Expectations suite ``records_person`` (`dq_rules.gx_suites`) on the merged 基本信息 records.
"""

import json
import time

import dagster as dg

from pipelines.cleaning import merge_batches
from pipelines.partitions import AGENCY_PARTITIONS

from .raw import sheets_of
from .std import pandera_result

COUNT_KEYS = ("rows_in", "loaded", "quarantined", "duplicate", "correction")


def gx_result(frame) -> dg.AssetCheckResult:
    from dq_rules.gx_suites import validate

    ok, rows = validate(frame, "records_person")
    failed = [r for r in rows if not r["success"]]
    return dg.AssetCheckResult(
        check_name="gx_records_person", passed=ok,
        metadata={"expectations": len(rows), "failed": len(failed),
                  "results": json.dumps(rows, ensure_ascii=False, default=str)})


@dg.asset(
    partitions_def=AGENCY_PARTITIONS,
    group_name="migration",
    kinds={"pandas", "arrow"},
    description="合并批次: records, child rows, quarantine (隔离), orphans and every input row's bucket.",
    check_specs=[
        dg.AssetCheckSpec("row_accounting", asset="records",
                          description="every input row is loaded, quarantined, duplicate or correction"),
        dg.AssetCheckSpec("pandera_records_schema", asset="records",
                          description="merged 基本信息 records: no failing cell without an issue (pandera, records=True)"),
        dg.AssetCheckSpec("gx_records_person", asset="records",
                          description="GX suite records_person: 档案编号 unique, not null; ID format ≥ 99 %"),
    ],
)
def records(context: dg.AssetExecutionContext, raw: dict, std: dict):
    t0 = time.perf_counter()
    merged = merge_batches(std, sheets_of(raw), raw.get("_rejected"))
    seconds = round(time.perf_counter() - t0, 3)
    totals = merged.totals()
    frames = {"persons": merged.persons, "study": merged.study, "work": merged.work,
              "quarantine": merged.quarantine, "orphans": merged.orphans, "row_status": merged.row_status}
    meta = {k: dg.MetadataValue.int(int(totals[k])) for k in COUNT_KEYS}
    meta["records"] = dg.MetadataValue.int(len(merged.persons))
    meta["orphans"] = dg.MetadataValue.int(len(merged.orphans))
    meta["counts"] = dg.MetadataValue.json(merged.counts)
    meta["seconds"] = dg.MetadataValue.float(seconds)
    yield dg.Output(frames, metadata=meta)
    try:
        merged.check()
        yield dg.AssetCheckResult(check_name="row_accounting", passed=True, metadata=dict(totals))
    except AssertionError as exc:
        yield dg.AssetCheckResult(check_name="row_accounting", passed=False,
                                  metadata={**totals, "error": str(exc)})
    yield pandera_result(merged.persons, records=True, check_name="pandera_records_schema")
    yield gx_result(merged.persons)


CHECKS: list = []
__all__ = ["records"]
