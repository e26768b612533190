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

import contextlib
import logging
import os
import time
from pathlib import Path

import click

STAGES = ("raw", "std", "records", "repaired", "final", "loaded")
STAGE_LABEL = {"raw": "读取 raw", "std": "标准化 std", "records": "合并 records", "repaired": "修复 repaired",
               "final": "定稿 final", "loaded": "装载 loaded"}


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

    from archives_domain.private_files import private_dir, write_private

    private_dir(work)
    write_private(work / STATE_FILE, json.dumps(state, sort_keys=True, ensure_ascii=False))


def _private_folders(settings, use_instance: bool) -> list[Path]:
    """What an ingest writes under the var dir, folder by folder: the work dir (layers, state), the reports,
    the Dagster instance's storage (with ``--instance``)."""
    folders = [settings.work, settings.reports]
    if use_instance:
        from pipelines.instance import dagster_home

        folders.append(dagster_home())
    return folders


def _sqlite_files(settings) -> list[Path]:
    """The operational and analytics SQLite databases the ingest writes (with their journals), if SQLite."""
    import sqlalchemy as sa

    from pipelines.analytics import target_for

    url = sa.engine.make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return []
    bases = [Path(url.database), Path(target_for(sa.create_engine(url), None).dw_name)]
    return [Path(f"{b}{tail}") for b in bases for tail in ("", "-wal", "-shm", "-journal")]


def _make_private(settings, use_instance: bool, *, after: bool) -> None:
    """Before the run: the folders exist as 0700 (what third-party code writes into them during the run is
    out of other accounts' reach whatever the umask). After: every file in them 0600, every folder 0700,
    the SQLite databases 0600 — set explicitly, never left to the umask (issue 13)."""
    from archives_domain.private_files import private_dir, tighten

    for folder in _private_folders(settings, use_instance):
        if after:
            tighten(folder)
        else:
            private_dir(folder)
    if after:
        for f in _sqlite_files(settings):
            tighten(f)


def _loaded_agencies(database_url: str) -> set[str]:
    """Agencies with a load recorded in the database (dq_load_state); empty if the table is not there yet."""
    import sqlalchemy as sa

    from archives_domain.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(sa.text("select agency_code from dq_load_state")).scalars())
    except sa.exc.DBAPIError:
        return set()
    finally:
        engine.dispose()


def _materialize_one(code: str, settings_values: dict, use_instance: bool) -> dict:
    """Materialise the partitioned assets of one agency (in this process); a picklable digest of the run."""
    import dagster as dg

    from pipelines.assets import partitioned_assets
    from pipelines.io import consumer_counts, drop_handed_over
    from pipelines.redact import redact
    from pipelines.resources import PipelineSettings, build_resources

    global _WORKER_INSTANCE
    logging.getLogger("dagster").setLevel(logging.WARNING)
    if _WORKER_INSTANCE is None:
        _die_with_parent()
        if use_instance:
            from pipelines.instance import get_instance
            _WORKER_INSTANCE = get_instance()
        else:
            _WORKER_INSTANCE = dg.DagsterInstance.ephemeral()
    # the reports are built once after all agencies (`_build_reports`), not per agency
    assets = [a for a in partitioned_assets() if a.key.to_user_string() != "dq_scorecard"]
    resources = build_resources(PipelineSettings(**settings_values), release_frames=True,
                                hand_over=consumer_counts(assets))
    t_run = time.perf_counter()
    try:
        result = dg.materialize(assets, partition_key=code, resources=resources,
                                instance=_WORKER_INSTANCE, raise_on_error=False,
                                tags={"archives/trigger": "archives ingest"}, run_config=QUIET)
    finally:
        drop_handed_over()
    run_seconds = round(time.perf_counter() - t_run, 3)
    steps = _step_seconds(_WORKER_INSTANCE, result.run_id)
    stages = {}
    for ev in result.get_asset_materialization_events():
        md = ev.materialization.metadata
        stages[ev.asset_key.to_user_string()] = {k: _plain(v.value) for k, v in md.items()}
    failed_checks = [f"{code} {ev.asset_key.to_user_string()}.{ev.check_name}"
                     for ev in result.get_asset_check_evaluations() if not ev.passed]
    errors = []
    result_success = result.success
    if not result.success:
        for ev in result.all_events:
            if ev.is_step_failure:
                err = ev.step_failure_data.error
                # masked: an exception's message may quote a value (the summary is printed and kept as JSON)
                errors.append(redact(f"{ev.step_key}: {err.message.strip() if err else ''}")[:500])
    del result
    _give_back_memory()
    return {"code": code, "success": result_success, "stages": stages, "failed_checks": failed_checks,
            "errors": errors, "run_seconds": run_seconds, "step_seconds": steps}


def _step_seconds(instance, run_id: str) -> dict[str, float]:
    """Wall seconds of each step of a run (the stage's own work plus its checks and the IO manager)."""
    starts, out = {}, {}
    for entry in instance.all_logs(run_id):
        ev = entry.dagster_event
        if ev is None or not ev.step_key:
            continue
        if ev.event_type_value == "STEP_START":
            starts[ev.step_key] = entry.timestamp
        elif ev.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and ev.step_key in starts:
            out[ev.step_key] = round(entry.timestamp - starts[ev.step_key], 3)
    return out


def _give_back_memory() -> None:
    """Between agencies: collect, and hand freed heap and Arrow pool pages back to the system, so that a
    worker does not stay at the high-water mark of the largest agency it ran.

    After the first agency the survivors (modules, the feeds and their indexes: 1.5 M objects) are moved out
    of the collector's sight (`gc.freeze`): each full collection walked them all, 0.5 s a time, between
    agencies and inside every stage."""
    import ctypes
    import gc

    import pyarrow as pa

    global _FROZEN
    gc.collect()
    if not _FROZEN:
        gc.freeze()
        _FROZEN = True
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


_WORKER_INSTANCE = None
_FROZEN = False


def _die_with_parent() -> None:
    """A worker ends when `archives ingest` is killed (Linux PR_SET_PDEATHSIG), instead of loading on alone:
    its agency's transaction then rolls back like the parent's would."""
    import multiprocessing as mp
    import signal
    import sys

    if not sys.platform.startswith("linux") or mp.parent_process() is None:
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _plain(v):
    return v if isinstance(v, (int, float, str, bool, type(None), dict, list)) else str(v)


def _add(summary: dict, digest: dict) -> None:
    for stage, md in digest["stages"].items():
        get = md.get
        summary["seconds"][stage] = summary["seconds"].get(stage, 0.0) + float(get("seconds") or 0.0)
        if stage == "raw":
            summary["rows"]["raw"] += int(get("rows_in") or 0)
            summary["read_errors"] += int(get("read_errors") or 0)
            if get("errors"):
                summary.setdefault("read_error_details", []).extend(
                    line.lstrip("- ").strip() for line in str(get("errors")).splitlines() if line.strip())
        elif stage == "std":
            summary["rows"]["std"] += int(get("rows") or 0)
        elif stage == "records":
            summary["rows"]["records"] += int(get("records") or 0)
            for k in ("rows_in", "loaded", "quarantined", "duplicate", "correction", "records"):
                summary[k] += int(get(k) or 0)
        elif stage == "repaired":
            summary["rows"]["repaired"] += int(get("records") or 0)
            summary["repaired"] += int(get("repaired") or 0)
        elif stage == "final":
            summary["rows"]["final"] += int(get("persons") or 0)
            summary["review"] += int(get("review") or 0)
            summary["final_quarantined"] += int(get("quarantine") or 0)
        elif stage == "loaded":
            written = int(get("persons_inserted") or 0) + int(get("persons_updated") or 0)
            summary["rows"]["loaded"] += written
            summary["persons_written"] += written
            summary["persons_same"] += int(get("persons_same") or 0)
            summary["load_unchanged"] += bool(get("unchanged"))
    summary["checks_failed"] += digest["failed_checks"]
    summary["seconds_runs"] = round(summary.get("seconds_runs", 0.0) + float(digest.get("run_seconds") or 0.0), 3)
    steps = summary.setdefault("seconds_steps", {})
    for step, secs in (digest.get("step_seconds") or {}).items():
        steps[step] = round(steps.get(step, 0.0) + secs, 3)


def run_ingest(landing, feeds, agencies=None, *, work=None, use_instance=False, console=None,
               progress=True, force=False, workers: int | None = None, analytics: bool = True) -> dict:
    """Run the migration; return the summary dict (also used by tests).

    `workers` processes run agencies side by side (default: 2 on a machine with 2+ cores, the largest
    agencies first); each keeps one copy of the feeds and their indexes (`pipelines.feeds.shared_feeds`).
    After the agencies, when any was loaded, the analytics schema is rebuilt once (`analytics`)."""

    from pipelines.resources import PipelineSettings
    from pipelines.sensors import folder_fingerprint, scan

    settings = PipelineSettings.from_env(landing_dir=landing, feeds_dir=feeds, work_dir=work)
    _make_private(settings, use_instance, after=False)
    from pipelines.io import seal_plain_layers

    # layers written before sealing are sealed now (an unchanged agency's layers are not rewritten otherwise)
    seal_plain_layers(settings.work / "layers", settings.sealer())
    prints, problems = scan(Path(settings.landing_dir))
    todo = sorted(prints) if not agencies else sorted(set(agencies))
    missing = [a for a in todo if a not in prints]
    todo = [a for a in todo if a in prints]
    # an agency whose landing folder (fingerprint as the sensor's) and feeds folder are unchanged since
    # its last successful ingest into this work dir is skipped, unless forced
    feeds_print = folder_fingerprint(Path(settings.feeds_dir)) if Path(settings.feeds_dir).is_dir() else ""
    state = _load_state(settings.work)
    loaded_before = _loaded_agencies(settings.database_url) if not force else set()
    # (an agency counts as unchanged only if the database still holds its load: a new database reloads all)
    unchanged = [] if force else [a for a in todo if state.get(a) == f"{prints[a]}:{feeds_print}"
                                  and a in loaded_before]
    todo = [a for a in todo if a not in unchanged]
    # largest landing folders first, so that two workers finish together
    size = {a: sum(f.stat().st_size for f in (Path(settings.landing_dir) / a).rglob("*") if f.is_file()) for a in todo}
    todo.sort(key=lambda a: -size[a])
    if workers is None:
        workers = 2 if (os.cpu_count() or 1) >= 2 and len(todo) > 1 else 1
    logging.getLogger("dagster").setLevel(logging.WARNING)

    summary = {
        "agencies": 0, "failed": [], "errors": {}, "problems": problems + [f"机构 {a} 无落地目录" for a in missing],
        "rows": {s: 0 for s in STAGES}, "seconds": {s: 0.0 for s in STAGES},
        "rows_in": 0, "loaded": 0, "quarantined": 0, "duplicate": 0, "correction": 0,
        "records": 0, "repaired": 0, "review": 0, "read_errors": 0, "checks_failed": [],
        "persons_written": 0, "persons_same": 0, "load_unchanged": 0, "final_quarantined": 0,
        "unchanged": unchanged, "analytics": None, "workers": workers,
    }

    values = {k: getattr(settings, k) for k in ("database_url", "landing_dir", "feeds_dir", "work_dir", "feeds_url",
                                                 "reports_dir", "pii_key_file", "pii_key_explicit")
              if hasattr(settings, k)}

    def done(digest):
        code = digest["code"]
        if not digest["success"]:
            summary["failed"].append(code)
            summary["errors"][code] = digest["errors"]
            state.pop(code, None)
        else:
            state[code] = f"{prints[code]}:{feeds_print}"
            _save_state(settings.work, state)
        summary["agencies"] += 1
        _add(summary, digest)

    # the initial migration (empty person table, MySQL) loads with the non-unique indexes deferred and sweeps
    # 一人多档 once at the end; otherwise indexes a killed initial migration left missing are rebuilt first
    t_all = time.perf_counter()
    bulk_load = bool(todo) and _begin_bulk_load(settings)
    summary["initial_load"] = bulk_load
    if not bulk_load:
        summary["indexes_restored"] = _restore_indexes(settings)
    values["defer_multi_archive"] = bulk_load
    summary["seconds_indexes"] = round(time.perf_counter() - t_all, 3)
    finished = False
    try:
        _run_agencies(todo, values, use_instance, workers, progress, console, done)
        finished = True
    finally:
        if bulk_load and not finished:  # interrupted: the indexes are back before anyone queries
            t_ix = time.perf_counter()
            summary["indexes_restored"] = _restore_indexes(settings)
            summary["seconds_indexes"] += round(time.perf_counter() - t_ix, 3)
    summary["seconds_agencies"] = round(time.perf_counter() - t_all, 3)
    loaded_ok = [a for a in todo if a not in summary["failed"]]
    # After the agencies: the 一人多档 sweep (on the ID's blind index, kept through the load), then side by side the
    # deferred indexes' rebuild (one server thread), the reports (Python: GX, scorecards) and the analytics
    # rebuild (the server's other work) — the rebuild alone left a core idle for 14 s.
    from concurrent.futures import ThreadPoolExecutor

    t_after = time.perf_counter()
    rebuild = None
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="after-agencies") as side:
        try:
            if (workers > 1 or bulk_load) and summary["agencies"] > len(summary["failed"]):
                t_sw = time.perf_counter()
                summary["multi_archive_swept"] = _sweep_multi_archive(settings)
                summary["seconds_sweep"] = round(time.perf_counter() - t_sw, 3)
        finally:
            if bulk_load:  # also when the sweep failed
                rebuild = side.submit(_timed, _restore_indexes, settings)
        reports = side.submit(_build_reports, settings, loaded_ok) if loaded_ok else None
        if analytics and summary["agencies"] > len(summary["failed"]):
            summary["analytics"] = _build_analytics(settings, use_instance)
        if reports is not None:
            summary["reports"] = reports.result()
        if rebuild is not None:
            summary["indexes_restored"], seconds = rebuild.result()
            summary["seconds_indexes"] += seconds
    _make_private(settings, use_instance, after=True)
    summary["seconds_after_agencies"] = round(time.perf_counter() - t_after, 3)
    summary["seconds_total"] = round(time.perf_counter() - t_all, 3)
    summary["seconds"] = {k: round(v, 3) for k, v in summary["seconds"].items()}
    return summary


# The workers' C heap on transparent huge pages (glibc ≥ 2.35; ignored elsewhere): the stages sweep
# arrays of hundreds of MB (fewer TLB misses and page faults). Measured on the full migration, one A/B
# pair: user CPU 331 s against 342 s, wall 248 s against 255 s (bench/results, session 5). A
# GLIBC_TUNABLES the operator already set is kept.
WORKER_ENV = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}


@contextlib.contextmanager
def _worker_environment():
    """`WORKER_ENV` in the environment while the worker processes start (they copy it), then as before."""
    added = [k for k in WORKER_ENV if k not in os.environ]
    os.environ.update({k: WORKER_ENV[k] for k in added})
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


def _timed(fn, *args):
    t0 = time.perf_counter()
    return fn(*args), round(time.perf_counter() - t0, 3)


def _run_agencies(todo, values, use_instance, workers, progress, console, done) -> None:
    """The agencies' runs, in this process or in `workers` spawn processes (largest first); `done(digest)`
    after each."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]迁移[/bold] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=not progress, transient=False) as bar:
        task = bar.add_task("", total=len(todo))
        if workers <= 1:
            for code in todo:
                bar.update(task, description=code)
                done(_materialize_one(code, values, use_instance))
                bar.advance(task)
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool, \
                    _worker_environment():
                futures = {pool.submit(_materialize_one, code, values, use_instance): code for code in todo}
                for fut in as_completed(futures):
                    code = futures[fut]
                    try:
                        digest = fut.result()
                    except Exception as exc:  # a worker died (e.g. killed): that agency failed, the others go on
                        digest = {"code": code, "success": False, "stages": {}, "failed_checks": [],
                                  "errors": [f"{type(exc).__name__}: {exc}"]}
                    bar.update(task, description=code)
                    done(digest)
                    bar.advance(task)


def _begin_bulk_load(settings) -> bool:
    from pipelines.load.indexes import begin_bulk_load

    return _on_loader_engine(settings, begin_bulk_load, False)


def _restore_indexes(settings) -> list[str]:
    from pipelines.load.indexes import restore_indexes

    return _on_loader_engine(settings, restore_indexes, [])


def _on_loader_engine(settings, fn, without_schema):
    """`fn(engine)` on a loader engine disposed afterwards; `without_schema` for a database not migrated yet
    (the load itself then says so)."""
    import sqlalchemy as sa

    engine = settings.engine()
    try:
        return fn(engine)
    except (sa.exc.NoSuchTableError, sa.exc.OperationalError, sa.exc.ProgrammingError):
        return without_schema
    finally:
        engine.dispose()


def _sweep_multi_archive(settings) -> int:
    """一人多档 across agencies that were loaded side by side (`pipelines.load.sweep_multi_archive`)."""
    from pipelines.load import sweep_multi_archive

    engine = settings.engine()
    try:
        return sweep_multi_archive(engine, settings.codec(), time.strftime("ingest-%Y%m%dT%H%M%S"))
    finally:
        engine.dispose()


def _build_reports(settings, agencies: list[str]) -> dict:
    """Data-quality reports once after the agencies' runs: the scorecard of each agency loaded, one GX
    validation of this run's merged records (all those agencies together) into the Data Docs site, and the
    index page. (The Dagster asset `dq_scorecard` does the same for one agency in the UI's runs.)"""
    import pandas as pd

    from archives_domain.db import make_engine
    from pipelines.io import read_layer_columns
    from reports.data_docs import build_data_docs
    from reports.scorecard import render_index, render_scorecard

    t0 = time.perf_counter()
    from dq_rules.gx_suites import SUITES

    # only the columns the suites look at: the run's records of 943k persons would cost gigabytes whole
    wanted = sorted({kw["column"] for items in SUITES.values() for _cls, kw in items if "column" in kw})
    frames = []
    for code in agencies:
        frame = read_layer_columns(settings.work / "layers" / "records" / code, "persons", wanted,
                                   sealer=settings.sealer())
        if frame is not None:
            frames.append(frame)
    persons = pd.concat(frames, ignore_index=True) if frames else None
    if persons is not None and "_agency" in persons.columns and "档案编号" in persons.columns:
        # 档案编号 is unique within its agency: over the whole run the key is agency/档案编号
        persons["档案编号"] = persons["_agency"].astype(str) + "/" + persons["档案编号"].astype(str)
    run_name = time.strftime("ingest-%Y%m%dT%H%M%S")
    docs = build_data_docs({"persons": persons}, "all" if len(agencies) > 1 else agencies[0], run_name,
                           settings.reports) if persons is not None else None
    engine = make_engine(settings.database_url)
    try:
        for code in agencies:
            render_scorecard(engine, code, settings.reports, data_docs=docs.index if docs else None)
        index = render_index(engine, settings.reports, data_docs=docs.index if docs else None)
    finally:
        engine.dispose()
    return {"index": str(index), "data_docs": str(docs.index) if docs else "", "gx_success": bool(docs and docs.success),
            "seconds": round(time.perf_counter() - t0, 3)}


def _build_analytics(settings, use_instance: bool) -> dict:
    """The analytics models once over all agencies (non-partitioned assets)."""
    import dagster as dg

    from pipelines.assets import unpartitioned_assets
    from pipelines.resources import build_resources

    assets = unpartitioned_assets()
    if not assets:
        return {"models": 0, "seconds": 0.0, "success": True}
    t0 = time.perf_counter()
    if use_instance:
        from pipelines.instance import get_instance
        instance = get_instance()
    else:
        instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(assets, resources=build_resources(settings), instance=instance, raise_on_error=False,
                            tags={"archives/trigger": "archives ingest"}, run_config=QUIET)
    return {"models": len(result.get_asset_materialization_events()), "success": result.success,
            "seconds": round(time.perf_counter() - t0, 3)}


def print_summary(summary: dict, console) -> None:
    from rich.table import Table

    t = Table(title=f"迁移汇总 ({summary['agencies']} 个机构, {summary.get('workers', 1)} 个进程, "
                    f"{summary['seconds_total']:.1f} s)")
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
                     ("记录 records", "records"), ("修复 repaired", "repaired"), ("待核实 review", "review"),
                     ("隔离 (含孤立子表行) quarantined in 隔离", "final_quarantined"),
                     ("写入人员 persons written", "persons_written"), ("未变人员 persons unchanged", "persons_same")):
        u.add_row(label, str(summary[k]))
    console.print(u)
    if summary["read_errors"]:
        console.print(f"[yellow]读取错误 read errors: {summary['read_errors']}（文件、工作表、行、列如下；全部见各机构 raw 的元数据）[/yellow]")
        for line in summary.get("read_error_details", [])[:50]:
            console.print(f"[yellow]  {line}[/yellow]")
    if summary["unchanged"]:
        console.print(f"未变化、跳过 unchanged, skipped: {len(summary['unchanged'])} 个机构 (--force 重跑)")
    for p in summary["problems"]:
        console.print(f"[yellow]{p}[/yellow]")
    for c in summary["checks_failed"]:
        console.print(f"[red]检查未通过 check failed: {c}[/red]")
    if summary.get("reports"):
        console.print(f"数据质量报告 reports: {summary['reports']['index']}（GX Data Docs: {summary['reports']['data_docs']}）")
    if summary.get("analytics"):
        a = summary["analytics"]
        mark = "" if a["success"] else "[red]（失败 failed）[/red]"
        console.print(f"分析库 analytics: {a['models']} 个模型, {a['seconds']:.1f} s{mark}")
    if summary["failed"]:
        console.print(f"[red]失败的机构 failed agencies: {', '.join(summary['failed'])}[/red]")
        for code, errs in list(summary.get("errors", {}).items())[:10]:
            for e in errs[:3]:
                console.print(f"[red]  {code} {e}[/red]")


@click.command("ingest")
@click.option("--landing", required=True, type=click.Path(exists=True, file_okay=False), help="落地目录 <landing>/<agency>/<batch>.*")
@click.option("--feeds", required=True, type=click.Path(file_okay=False), help="外部数据目录 (bulk feeds)")
@click.option("--agency", "agencies", multiple=True, help="only these agency codes (repeatable)")
@click.option("--work", type=click.Path(file_okay=False), default=None, help="the stages' layers (default ARCHIVES_WORK_DIR)")
@click.option("--instance/--ephemeral", "use_instance", default=False,
              help="record runs on the configured Dagster instance (DAGSTER_HOME) instead of an ephemeral one")
@click.option("--force", is_flag=True, help="also agencies whose landing and feeds are unchanged since their last ingest")
@click.option("--workers", type=int, default=None, help="processes running agencies side by side (default 2 on 2+ cores)")
@click.option("--no-analytics", is_flag=True, help="skip the rebuild of the analytics schema after the agencies")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None, help="also write the summary as JSON")
def ingest(landing, feeds, agencies, work, use_instance, force, workers, no_analytics, json_out):
    """Run the migration headless, in process: read → standardise → merge → repair → final → load per agency."""
    import sys

    from rich.console import Console

    console = Console()
    summary = run_ingest(landing, feeds, list(agencies) or None, work=work, use_instance=use_instance,
                         console=console, progress=console.is_terminal, force=force, workers=workers,
                         analytics=not no_analytics)
    print_summary(summary, console)
    if json_out:
        import json

        from archives_domain.private_files import write_private

        write_private(json_out, json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    if summary["failed"]:
        sys.exit(1)
