"""`archives ingest`: the migration, headless and in process (数据迁移).

Runs the stage assets of `pipelines.assets` for each agency partition with
`dagster.materialize` (one run per agency, so one agency's failure never stops
the others; an agency whose landing folder and feeds are unchanged since its
last successful ingest into the same work dir is skipped unless ``--force``),
shows a progress bar (rich) and closes with a summary: rows per
stage, loaded, quarantined, duplicates, corrections, repaired, sent to review,
seconds per stage, and the read errors.

By default runs are recorded on an ephemeral instance; ``--instance`` records
them on the configured instance (`pipelines.instance`: SQLite under
var/dagster, or MySQL with ARCHIVES_DAGSTER_MYSQL_URL) so they show in `dagster dev`.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import click

STAGES = ("raw", "std", "records", "repaired")
STAGE_LABEL = {"raw": "读取 raw", "std": "标准化 std", "records": "合并 records", "repaired": "修复 repaired"}


# Dagster's console logger at WARNING: the progress bar and summary are the display
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _value(md, key, default=0):
    v = md.get(key)
    return default if v is None else v.value


STATE_FILE = "ingest_state.json"


def _load_state(work: Path) -> dict:
    import json

    try:
        return json.loads((work / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _save_state(work: Path, state: dict) -> None:
    import json
    import os

    work.mkdir(parents=True, exist_ok=True)
    tmp = work / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, work / STATE_FILE)


def run_ingest(landing, feeds, agencies=None, *, work=None, use_instance=False, console=None,
               progress=True, force=False) -> dict:
    """Run the migration; return the summary dict (also used by tests)."""
    import dagster as dg

    from pipelines.assets import ASSETS
    from pipelines.resources import PipelineSettings, build_resources
    from pipelines.sensors import scan

    settings = PipelineSettings.from_env(landing_dir=landing, feeds_dir=feeds, work_dir=work)
    resources = build_resources(settings)
    prints, problems = scan(Path(settings.landing_dir))
    todo = sorted(prints) if not agencies else sorted(set(agencies))
    missing = [a for a in todo if a not in prints]
    todo = [a for a in todo if a in prints]
    # an agency whose landing folder (fingerprint as the sensor's) and feeds folder are unchanged since
    # its last successful ingest into this work dir is skipped, unless forced
    from pipelines.sensors import folder_fingerprint

    feeds_print = folder_fingerprint(Path(settings.feeds_dir)) if Path(settings.feeds_dir).is_dir() else ""
    state = _load_state(settings.work)
    unchanged = [] if force else [a for a in todo if state.get(a) == f"{prints[a]}:{feeds_print}"]
    todo = [a for a in todo if a not in unchanged]
    if use_instance:
        from pipelines.instance import get_instance
        instance = get_instance()
    else:
        instance = dg.DagsterInstance.ephemeral()
    logging.getLogger("dagster").setLevel(logging.WARNING)

    summary = {
        "agencies": 0, "failed": [], "problems": problems + [f"机构 {a} 无落地目录" for a in missing],
        "rows": {s: 0 for s in STAGES}, "seconds": {s: 0.0 for s in STAGES},
        "rows_in": 0, "loaded": 0, "quarantined": 0, "duplicate": 0, "correction": 0,
        "records": 0, "repaired": 0, "review": 0, "read_errors": 0, "checks_failed": [],
        "unchanged": unchanged,
    }
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    t_all = time.perf_counter()
    with Progress(TextColumn("[bold]迁移[/bold] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=not progress, transient=False) as bar:
        task = bar.add_task("", total=len(todo))
        for code in todo:
            bar.update(task, description=code)
            result = dg.materialize(ASSETS, partition_key=code, resources=resources, instance=instance,
                                    raise_on_error=False, tags={"archives/trigger": "archives ingest"},
                                    run_config=QUIET)
            if not result.success:
                summary["failed"].append(code)
                state.pop(code, None)
            else:
                state[code] = f"{prints[code]}:{feeds_print}"
                _save_state(settings.work, state)
            summary["agencies"] += 1
            for ev in result.get_asset_materialization_events():
                stage = ev.asset_key.to_user_string()
                md = ev.materialization.metadata
                summary["seconds"][stage] = summary["seconds"].get(stage, 0.0) + float(_value(md, "seconds", 0.0))
                if stage == "raw":
                    summary["rows"]["raw"] += int(_value(md, "rows_in"))
                    summary["read_errors"] += int(_value(md, "read_errors"))
                elif stage == "std":
                    summary["rows"]["std"] += int(_value(md, "rows"))
                elif stage == "records":
                    summary["rows"]["records"] += int(_value(md, "records"))
                    for k in ("rows_in", "loaded", "quarantined", "duplicate", "correction", "records"):
                        summary[k] += int(_value(md, k))
                elif stage == "repaired":
                    summary["rows"]["repaired"] += int(_value(md, "records"))
                    summary["repaired"] += int(_value(md, "repaired"))
                    summary["review"] += int(_value(md, "review"))
            for ev in result.get_asset_check_evaluations():
                if not ev.passed:
                    summary["checks_failed"].append(f"{code} {ev.asset_key.to_user_string()}.{ev.check_name}")
            bar.advance(task)
    summary["seconds_total"] = round(time.perf_counter() - t_all, 3)
    summary["seconds"] = {k: round(v, 3) for k, v in summary["seconds"].items()}
    return summary


def print_summary(summary: dict, console) -> None:
    from rich.table import Table

    t = Table(title=f"迁移汇总 ({summary['agencies']} 个机构, {summary['seconds_total']:.1f} s)")
    t.add_column("阶段 stage")
    t.add_column("行数 rows", justify="right")
    t.add_column("秒 seconds", justify="right")
    for s in STAGES:
        t.add_row(STAGE_LABEL[s], str(summary["rows"][s]), f"{summary['seconds'].get(s, 0.0):.2f}")
    console.print(t)
    u = Table(title="输入行去向 (every input row)")
    u.add_column("去向 bucket")
    u.add_column("行数 rows", justify="right")
    for label, k in (("输入 rows_in", "rows_in"), ("入库 loaded", "loaded"), ("隔离 quarantined", "quarantined"),
                     ("重复 duplicates", "duplicate"), ("更正 corrections", "correction"),
                     ("记录 records", "records"), ("修复 repaired", "repaired"), ("待核实 review", "review")):
        u.add_row(label, str(summary[k]))
    console.print(u)
    if summary["read_errors"]:
        console.print(f"[yellow]读取错误 read errors: {summary['read_errors']}（详见各机构 raw 的元数据）[/yellow]")
    if summary["unchanged"]:
        console.print(f"未变化、跳过 unchanged, skipped: {len(summary['unchanged'])} 个机构 (--force 重跑)")
    for p in summary["problems"]:
        console.print(f"[yellow]{p}[/yellow]")
    for c in summary["checks_failed"]:
        console.print(f"[red]检查未通过 check failed: {c}[/red]")
    if summary["failed"]:
        console.print(f"[red]失败的机构 failed agencies: {', '.join(summary['failed'])}[/red]")


@click.command("ingest")
@click.option("--landing", required=True, type=click.Path(exists=True, file_okay=False), help="落地目录 <landing>/<agency>/<batch>.*")
@click.option("--feeds", required=True, type=click.Path(file_okay=False), help="外部数据目录 (bulk feeds)")
@click.option("--agency", "agencies", multiple=True, help="only these agency codes (repeatable)")
@click.option("--work", type=click.Path(file_okay=False), default=None, help="Parquet layers (default ARCHIVES_WORK_DIR)")
@click.option("--instance/--ephemeral", "use_instance", default=False,
              help="record runs on the configured Dagster instance (DAGSTER_HOME) instead of an ephemeral one")
@click.option("--force", is_flag=True, help="also agencies whose landing and feeds are unchanged since their last ingest")
def ingest(landing, feeds, agencies, work, use_instance, force):
    """Run the migration headless, in process: read → standardise → merge → repair per agency."""
    import sys

    from rich.console import Console

    console = Console()
    summary = run_ingest(landing, feeds, list(agencies) or None, work=work, use_instance=use_instance,
                         console=console, progress=console.is_terminal, force=force)
    print_summary(summary, console)
    if summary["failed"]:
        sys.exit(1)
