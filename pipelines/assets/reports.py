"""Data-quality reports (数据质量报告) after the load: per agency partition, the GX Data Docs of the run
(`reports.data_docs`: the merged 基本信息 records validated with the suites of `dq_rules.gx_suites`
in the file context under ``<reports dir>/gx``) and the agency's scorecard from the ``dq_*`` tables
(`reports.scorecard`), then the index of all agencies.  Written under ``PipelineSettings.reports``
(``ARCHIVES_REPORTS_DIR``, default ``var/reports``)."""

import time

import dagster as dg

from pipelines.partitions import AGENCY_PARTITIONS
from pipelines.resources import PipelineSettings


@dg.asset(
    partitions_def=AGENCY_PARTITIONS,
    group_name="reports",
    kinds={"html"},
    deps=[dg.AssetKey("loaded")],
    description="数据质量报告: GX Data Docs of the run and the agency's scorecard (完整率, 有效率, 修复, 待核实积压, 隔离, 趋势).",
)
def dq_scorecard(context: dg.AssetExecutionContext, settings: PipelineSettings, records: dict):
    from archives_domain.db import make_engine
    from reports.data_docs import build_data_docs
    from reports.scorecard import render_index, render_scorecard

    agency = context.partition_key
    out = settings.reports
    t0 = time.perf_counter()
    # a run of one agency (sensor, UI) updates the site at once; `archives ingest` skips this asset and
    # builds the reports once after all agencies (archives_cli.ingest._build_reports)
    docs = build_data_docs(records, agency, context.run.run_id, out)
    engine = make_engine(settings.database_url)
    try:
        page = render_scorecard(engine, agency, out, data_docs=docs.index)
        index = render_index(engine, out, data_docs=docs.index)
    finally:
        engine.dispose()
    return dg.MaterializeResult(metadata={
        "scorecard": dg.MetadataValue.path(str(page)),
        "index": dg.MetadataValue.path(str(index)),
        "data_docs": dg.MetadataValue.path(str(docs.index)),
        "gx_success": dg.MetadataValue.bool(docs.success),
        "gx_results": dg.MetadataValue.json(docs.results),
        "seconds": dg.MetadataValue.float(round(time.perf_counter() - t0, 3)),
    })


CHECKS: list = []

__all__ = ["dq_scorecard"]
