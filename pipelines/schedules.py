"""Jobs, the nightly schedule (每晚 02:00 北京时间) and the analytics rebuild after it.

* ``migrate`` — the stage assets of one agency partition (the sensor and `archives ingest`);
Partitioning (AGENCY_PARTITIONS) is inferred from the selected assets.

* ``nightly`` — every agency partition again, so the records are re-checked against the
  refreshed feeds, and the analytics schema (the non-partitioned ``analytics`` assets) rebuilt.
  The schedule requests one run per agency with only the partitioned assets selected (the
  analytics must not be rebuilt 103 times, concurrently); ``analytics_after_nightly`` then
  requests one run of the analytics assets once every run of that night has finished
  (succeeded or not: the schema shows what the operational tables hold), run key
  ``nightly:<day>:analytics`` so it happens once a night.
"""

import dagster as dg

from pipelines.assets import ANALYTICS_ASSETS, ASSETS
from pipelines.partitions import AGENCY_PARTITIONS

NIGHTLY_TAG = "archives/trigger"
NIGHTLY_DAY_TAG = "archives/nightly_day"

migrate_job = dg.define_asset_job("migrate", selection=dg.AssetSelection.assets(*ASSETS),
                                  description="read → standardise → merge → repair for agency partitions")
nightly_job = dg.define_asset_job("nightly", selection=dg.AssetSelection.assets(*ASSETS, *ANALYTICS_ASSETS),
                                  description="nightly re-check of every agency against refreshed feeds, "
                                              "then the analytics schema rebuilt")

PARTITIONED_KEYS = [k for a in ASSETS for k in a.keys]
ANALYTICS_KEYS = [k for a in ANALYTICS_ASSETS for k in a.keys]


@dg.schedule(job=nightly_job, cron_schedule="0 2 * * *", execution_timezone="Asia/Shanghai",
             default_status=dg.DefaultScheduleStatus.STOPPED)
def nightly_schedule(context: dg.ScheduleEvaluationContext):
    try:
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    except Exception:  # evaluated by hand, without a tick time
        day = "manual"
    for code in AGENCY_PARTITIONS.get_partition_keys():
        yield dg.RunRequest(run_key=f"nightly:{day}:{code}", partition_key=code, asset_selection=PARTITIONED_KEYS,
                            tags={NIGHTLY_TAG: "nightly", NIGHTLY_DAY_TAG: day})


FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def analytics_request(instance: dg.DagsterInstance) -> "dg.RunRequest | dg.SkipReason":
    """The analytics run of the latest night whose agency runs have all finished."""
    latest = instance.get_runs(filters=dg.RunsFilter(tags={NIGHTLY_TAG: "nightly"}), limit=1)
    if not latest:
        return dg.SkipReason("尚无夜间运行")
    day = latest[0].tags.get(NIGHTLY_DAY_TAG)
    if not day:
        return dg.SkipReason("最近的夜间运行没有日期标签")
    runs = instance.get_runs(filters=dg.RunsFilter(tags={NIGHTLY_TAG: "nightly", NIGHTLY_DAY_TAG: day}))
    pending = [r for r in runs if r.status not in FINISHED]
    if pending:
        return dg.SkipReason(f"{day} 的夜间运行尚有 {len(pending)} 个未结束")
    return dg.RunRequest(run_key=f"nightly:{day}:analytics", asset_selection=ANALYTICS_KEYS,
                         tags={NIGHTLY_TAG: "nightly-analytics", NIGHTLY_DAY_TAG: day})


@dg.sensor(job=nightly_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED,
           description="rebuilds the analytics schema once every agency run of the night has finished")
def analytics_after_nightly(context: dg.SensorEvaluationContext):
    return analytics_request(context.instance)
