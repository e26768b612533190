"""The analytics schema (分析库) as assets: one non-partitioned asset per model of
`warehouse_models` (group ``analytics``), built by `pipelines.analytics.build_model` into the
analytics schema beside the operational database (``settings.database_url``).

The models that read only the operational tables depend on ``loaded`` (the per-agency load
into the operational database); the others on their upstream models. Each asset reports its
checks beside it: ``has_rows`` (ERROR for dim_agency/dim_date, WARN where a business may have
no data yet), ``agency_code_not_null`` (row-level security in Superset filters by it) and, for
``dim_person``, ``no_plain_pii`` (no ID number, mobile number or full name).
"""
import dagster as dg

import warehouse_models
from warehouse_models import Model
from pipelines.resources import PipelineSettings

LOADED = dg.AssetKey("loaded")
GROUP = "analytics"


def _check_specs(model: Model) -> list[dg.AssetCheckSpec]:
    specs = [dg.AssetCheckSpec("has_rows", asset=model.name,
                               description="表中有数据" + ("" if model.must_have_rows else "（WARN：业务尚无数据）"))]
    if model.has_agency:
        specs.append(dg.AssetCheckSpec("agency_code_not_null", asset=model.name,
                                       description="每行都有 agency_code（Superset 行级权限）"))
    if model.pii_scan:
        specs.append(dg.AssetCheckSpec("no_plain_pii", asset=model.name,
                                       description="无身份证号、手机号、全名"))
    return specs


def _make_asset(model: Model) -> dg.AssetsDefinition:
    deps = [dg.AssetKey(d) for d in model.deps] or [LOADED]

    @dg.asset(
        name=model.name,
        group_name=GROUP,
        deps=deps,
        kinds={"sql"},
        description=f"{model.description}\n\n粒度（grain）：{model.grain}\n构建方式：{model.mode}",
        check_specs=_check_specs(model),
        metadata={"grain": model.grain, "mode": model.mode, "sql_file": f"warehouse_models/{model.name}.sql"},
    )
    def _asset(context: dg.AssetExecutionContext, settings: PipelineSettings):
        from archives_domain.db import make_engine
        from pipelines import analytics

        engine = make_engine(settings.database_url)
        try:
            result = analytics.build_model(engine, model.name)
            checks = analytics.check_model(engine, model.name)
        finally:
            engine.dispose()
        metadata = {"rows": dg.MetadataValue.int(result.rows), "seconds": dg.MetadataValue.float(result.seconds),
                    "mode": result.mode}
        if result.snapshot_date:
            metadata["snapshot_date"] = result.snapshot_date
        return dg.MaterializeResult(
            metadata=metadata,
            check_results=[dg.AssetCheckResult(
                check_name=c.name, passed=c.passed,
                severity=dg.AssetCheckSeverity.ERROR if c.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
                description=c.description,
                metadata={k: (dg.MetadataValue.json(v) if isinstance(v, (list, dict)) else v)
                          for k, v in c.detail.items()}) for c in checks],
        )

    return _asset


ANALYTICS_ASSETS = [_make_asset(m) for m in warehouse_models.MODELS]
ANALYTICS_KEYS = [a.key for a in ANALYTICS_ASSETS]
CHECKS: list = []  # the checks are reported by the assets themselves (check_specs)
