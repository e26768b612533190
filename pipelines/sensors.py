"""Landing sensor (落地目录监视): start the partitions of agencies whose folder changed.

Cursor: JSON ``{agency: fingerprint}``, the fingerprint a hash of the folder's
batch files (name, size, mtime).  New or modified (or removed) batch files →
one RunRequest for that agency's partition; a folder that is not an agency
code (or a stray file at the top level) is reported in the sensor's log and
tick, never a crash and never a run.
"""

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines.partitions import AGENCY_PARTITIONS
from pipelines.resources import PipelineSettings

MIGRATE_JOB = "migrate"


def folder_fingerprint(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file() and not f.name.startswith((".", "~$")):
            st = f.stat()
            h.update(f"{f.relative_to(folder).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def scan(landing: Path) -> tuple[dict, list]:
    """({agency: fingerprint} of known agency folders, problems of other entries)."""
    known = set(AGENCY_PARTITIONS.get_partition_keys())
    prints, problems = {}, []
    if not landing.is_dir():
        return {}, [f"落地目录不存在：{landing}"]
    for p in sorted(landing.iterdir()):
        if p.name.startswith("."):
            continue
        if not p.is_dir():
            problems.append(f"落地目录顶层的文件“{p.name}”不属于任何机构目录，未读取")
        elif p.name not in known:
            problems.append(f"目录名“{p.name}”不是已知的档案机构代码，该目录未读取")
        else:
            prints[p.name] = folder_fingerprint(p)
    return prints, problems


def changed_agencies(previous: dict, current: dict) -> list:
    return sorted(a for a, fp in current.items() if previous.get(a) != fp)


@dg.sensor(job_name=MIGRATE_JOB, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="starts the migration of an agency partition when its landing folder changes")
def landing_sensor(context: dg.SensorEvaluationContext, settings: PipelineSettings):
    previous = json.loads(context.cursor) if context.cursor else {}
    current, problems = scan(settings.landing)
    for msg in problems:
        context.log.warning(msg)
    changed = changed_agencies(previous, current)
    requests = [dg.RunRequest(run_key=f"{a}:{current[a]}", partition_key=a,
                              tags={"archives/trigger": "landing_sensor"}) for a in changed]
    cursor = json.dumps(current, sort_keys=True)
    if not requests:
        reason = "落地目录无变化" + (f"；{len(problems)} 个问题：" + "；".join(problems[:5]) if problems else "")
        return dg.SensorResult(skip_reason=dg.SkipReason(reason), cursor=cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)
