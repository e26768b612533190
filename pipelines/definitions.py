"""The Dagster code location of the archive pipelines (`workspace.yaml` → this module).

Assets per stage (`pipelines.assets`), resources from the environment
(`PipelineSettings.from_env`, Parquet layers under ``ARCHIVES_WORK_DIR``), the
landing sensor and the nightly schedule.  Instance storage: `pipelines.instance`.
"""
from __future__ import annotations

import dagster as dg

from pipelines.assets import ASSET_CHECKS, ASSETS
from pipelines.resources import PipelineSettings, build_resources
from pipelines.schedules import migrate_job, nightly_job, nightly_schedule
from pipelines.sensors import landing_sensor


def make_definitions(settings: PipelineSettings | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=ASSET_CHECKS,
        jobs=[migrate_job, nightly_job],
        sensors=[landing_sensor],
        schedules=[nightly_schedule],
        resources=build_resources(settings),
    )


defs = make_definitions()
