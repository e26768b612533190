"""The Dagster code location of the archive pipelines (`workspace.yaml` → this module).

Assets per stage and the analytics models (`pipelines.assets`), resources from the environment
(`PipelineSettings.from_env`, the layers (Parquet, Arrow IPC) under ``ARCHIVES_WORK_DIR``), the
landing sensor, the nightly schedule and the analytics rebuild after it.  Instance storage: `pipelines.instance`.
"""
from __future__ import annotations

import dagster as dg

from pipelines.assets import ALL_ASSETS, ASSET_CHECKS
from pipelines.resources import PipelineSettings, build_resources
from pipelines.schedules import analytics_after_nightly, migrate_job, nightly_job, nightly_schedule
from pipelines.sensors import landing_sensor


def make_definitions(settings: PipelineSettings | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=ASSET_CHECKS,
        jobs=[migrate_job, nightly_job],
        sensors=[landing_sensor, analytics_after_nightly],
        schedules=[nightly_schedule],
        resources=build_resources(settings),
    )


defs = make_definitions()
