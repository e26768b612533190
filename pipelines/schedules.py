"""Jobs and the nightly schedule (每晚 02:00 北京时间).

* ``migrate`` — the stage assets of one agency partition (the sensor and `archives ingest`);
Partitioning (AGENCY_PARTITIONS) is inferred from the selected assets.

* ``nightly`` — every agency partition again, so the records are re-checked against the
  refreshed feeds (analytics models join this selection when they exist).
"""

import dagster as dg

from pipelines.assets import ASSETS
from pipelines.partitions import AGENCY_PARTITIONS

migrate_job = dg.define_asset_job("migrate", selection=dg.AssetSelection.assets(*ASSETS),
                                  description="read → standardise → merge → repair for agency partitions")
nightly_job = dg.define_asset_job("nightly", selection=dg.AssetSelection.assets(*ASSETS),
                                  description="nightly re-check of every agency against refreshed feeds")


@dg.schedule(job=nightly_job, cron_schedule="0 2 * * *", execution_timezone="Asia/Shanghai",
             default_status=dg.DefaultScheduleStatus.STOPPED)
def nightly_schedule(context: dg.ScheduleEvaluationContext):
    try:
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    except Exception:  # evaluated by hand, without a tick time
        day = "manual"
    for code in AGENCY_PARTITIONS.get_partition_keys():
        yield dg.RunRequest(run_key=f"nightly:{day}:{code}", partition_key=code, tags={"archives/trigger": "nightly"})
