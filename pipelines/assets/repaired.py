"""Stage *repair*: records checked and repaired against the outside feeds
(`pipelines.cleaning.repair.repair`).  Confident changes applied; the rest to the
review queue; every proposal in the repair log.  A missing or malformed feed skips
only the steps that need it (reported in metadata and by the check below)."""

import json
import time

import dagster as dg

from pipelines.feeds import shared_feeds
from pipelines.partitions import AGENCY_PARTITIONS
from pipelines.resources import PipelineSettings


@dg.asset(
    partitions_def=AGENCY_PARTITIONS,
    group_name="migration",
    kinds={"pandas", "arrow"},
    description="外部数据核对修复: records repaired against 公安/工商/社保/教育 feeds; repair log + review queue.",
    check_specs=[dg.AssetCheckSpec("feeds_available", asset="repaired",
                                   description="no repair step skipped for a missing or malformed feed (WARN)")],
)
def repaired(context: dg.AssetExecutionContext, settings: PipelineSettings, records: dict):
    from pipelines.cleaning.repair import repair

    t0 = time.perf_counter()
    res = repair(records["persons"], records.get("study"), records.get("work"), shared_feeds(settings.feeds_dir), workers=1)
    seconds = round(time.perf_counter() - t0, 3)
    frames = {"records": res.records, "log": res.log, "review": res.review, "status": res.status}
    if res.study is not None:
        frames["study"] = res.study
    if res.work is not None:
        frames["work"] = res.work
    if res.hukou is not None:
        frames["hukou"] = res.hukou
    applied = int(res.proposals["applied"].sum()) if "applied" in res.proposals else 0
    meta = {
        "records": dg.MetadataValue.int(len(res.records)),
        "repaired": dg.MetadataValue.int(applied),
        "review": dg.MetadataValue.int(len(res.review)),
        "log_rows": dg.MetadataValue.int(len(res.log)),
        "skipped": dg.MetadataValue.json(res.skipped),
        "step_seconds": dg.MetadataValue.json(res.timings),
        "seconds": dg.MetadataValue.float(seconds),
    }
    yield dg.Output(frames, metadata=meta)
    yield dg.AssetCheckResult(check_name="feeds_available", passed=not res.skipped,
                              severity=dg.AssetCheckSeverity.WARN,
                              metadata={"skipped": json.dumps(res.skipped, ensure_ascii=False)})


CHECKS: list = []
