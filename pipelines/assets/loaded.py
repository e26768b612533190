"""Stage *load* (装载): one agency's final frames into the operational tables (`pipelines.load.writer`):
one transaction per agency, nothing written when the content is unchanged, PII through the SM4 codec.

Check beside it: the database holds exactly the final frames' persons of the agency (by 档案编号; plus any
created in the application) and its 隔离 rows.
"""

import time

import dagster as dg
import sqlalchemy as sa

from pipelines.load import load_agency
from pipelines.load.quality import quality_stats
from pipelines.partitions import AGENCY_PARTITIONS
from pipelines.resources import PipelineSettings


@dg.asset(
    partitions_def=AGENCY_PARTITIONS,
    group_name="migration",
    kinds={"mysql", "sqlite"},
    description="装载: persons, 学习经历, 工作经历, 待核实 items, repair log, 隔离 rows into the operational database.",
    # of the merged records only the row accounting (the statistics' rows in and duplicates)
    ins={"records": dg.AssetIn(metadata={"frames": ["row_status"]})},
    check_specs=[dg.AssetCheckSpec("loaded_matches_final", asset="loaded",
                                   description="the agency's persons and 隔离 rows in the database are those of the final frames")],
)
def loaded(context: dg.AssetExecutionContext, settings: PipelineSettings, final: dict, records: dict):
    from archives_domain.models import Person, QuarantineRow
    from archives_domain.pii.store import verify_keys

    agency = context.partition_key
    codec = settings.codec()
    engine = settings.loader_engine()
    try:
        verify_keys(engine, codec)
        stats = quality_stats(final, records)
        t0 = time.perf_counter()
        res = load_agency(engine, codec, agency, final, run_id=context.run.run_id, stats=stats,
                          flag_multi=not settings.defer_multi_archive)
        seconds = round(time.perf_counter() - t0, 3)
        P, Q = Person.__table__, QuarantineRow.__table__
        with engine.connect() as conn:
            in_db = set(conn.execute(sa.select(P.c.archive_no).where(P.c.agency_code == agency,
                                                                       P.c.data_source == "采集表")).scalars())
            q_db = conn.execute(sa.select(sa.func.count()).select_from(Q).where(Q.c.agency_code == agency)).scalar()
    finally:
        if engine.dialect.name != "mysql":  # (the MySQL engine is the process's, kept for the next agency)
            engine.dispose()
    want = set(final["persons"]["档案编号"])
    q_want = len(final["quarantine"].drop_duplicates(["来源文件", "工作表", "行号"])) if len(final["quarantine"]) else 0
    meta = {
        "unchanged": res.unchanged, "persons_inserted": res.persons_inserted, "persons_updated": res.persons_updated,
        "persons_same": res.persons_same, "child_rows": res.child_rows, "review_items": res.review_items,
        "multi_archive_items": res.multi_archive_items, "hukou": dg.MetadataValue.json(res.hukou), "log_rows": res.log_rows, "quarantined": q_want,
        "completeness": stats.get("completeness"), "validity": stats.get("validity"),
        "step_seconds": dg.MetadataValue.json(res.seconds), "seconds": dg.MetadataValue.float(seconds),
    }
    missing = len(want - in_db)
    yield dg.Output(None, metadata=meta)
    yield dg.AssetCheckResult(check_name="loaded_matches_final", passed=missing == 0 and q_db == q_want,
                              metadata={"missing_persons": missing, "quarantine_in_db": int(q_db),
                                        "quarantine_final": q_want})


CHECKS: list = []
