"""Benchmark: the full migration of the synthetic data set on MariaDB — read through analytics schema.

Budget (issue 6): at most 5 minutes wall and 8 GB peak memory on the 2-core machine; each stage's time; the
ratio of the whole to the floor (a bare LOAD DATA of the same final tables, measured in the same run);
a second run with nothing new under 15 s writing no rows; one agency's new batch runs only its partition;
then `archives export` and `archives synth score` against the truth.

Run by hand:
  .venv/bin/archives synth --persons 943000 --seed 20211231 --out /work/bench-data --quiet
  .venv/bin/python bench/bench_migration.py --data /work/bench-data
Writes bench/results/migration-<date>.json and .md with the machine noted. Peak memory is the PSS of the
ingest's process tree (the MariaDB server is a separate service and is not counted).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from machine import LAST_CPU, describe, run_measured  # noqa: E402

RESULTS = HERE / "results"
SERVER = os.environ.get("BENCH_MYSQL_SERVER", "mysql+pymysql://root@127.0.0.1:3306")
FINAL_TABLES = ("person", "person_study", "person_work", "dq_review_item", "dq_repair_log", "dq_quarantine")


def _archives() -> str:
    return str(Path(sys.executable).with_name("archives"))


def _fresh_database(name: str) -> str:
    import sqlalchemy as sa

    server = sa.create_engine(SERVER + "/?charset=utf8mb4", isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f"drop database if exists {name}"))
        conn.execute(sa.text(f"drop database if exists {name}_dw"))
        conn.execute(sa.text(f"create database {name} character set utf8mb4 collate utf8mb4_unicode_ci"))
    server.dispose()
    return f"{SERVER}/{name}"


SERVER_SETTINGS = {
    # MariaDB's defaults (128 MB buffer pool, 96 MB redo log) are sized for a laptop; a production server
    # for 943k archives with their indexes keeps them in memory. Set at run time (both are dynamic on
    # MariaDB 10.11 / MySQL 8) and recorded in the results.
    "innodb_buffer_pool_size": 4 * 2**30,
    "innodb_log_file_size": 1 * 2**30,
}


def tune_server() -> dict:
    import sqlalchemy as sa

    server = sa.create_engine(SERVER + "/?charset=utf8mb4", isolation_level="AUTOCOMMIT")
    out = {}
    with server.connect() as conn:
        for name, value in SERVER_SETTINGS.items():
            try:
                conn.execute(sa.text(f"SET GLOBAL {name} = {int(value)}"))
            except sa.exc.DBAPIError as exc:
                out[f"{name}_error"] = str(exc.orig)[:200]
        time.sleep(2)  # the buffer pool resizes in the background
        for name in (*SERVER_SETTINGS, "innodb_flush_log_at_trx_commit", "version"):
            out[name] = conn.execute(sa.text(f"select @@{name}")).scalar()
    server.dispose()
    return {k: (str(v) if not isinstance(v, int) else v) for k, v in out.items()}


def _counts(url: str) -> dict[str, int]:
    import sqlalchemy as sa

    from archives_domain.db import make_engine

    e = make_engine(url)
    with e.connect() as conn:
        out = {t: conn.execute(sa.text(f"select count(*) from {t}")).scalar()
               for t in (*FINAL_TABLES, "dq_run_stat", "dq_load_state")}
        out["max_updated_at"] = str(conn.execute(sa.text("select max(updated_at) from person")).scalar())
    e.dispose()
    return out


def floor_load(url: str, work: Path) -> dict:
    """The floor: a bare LOAD DATA LOCAL INFILE of the same final tables' rows into empty copies."""
    import pandas as pd
    import sqlalchemy as sa

    from pipelines.load import bulk

    e = bulk.loader_engine(url)
    out = {}
    with e.connect() as conn:
        for t in FINAL_TABLES:
            cols = [r[0] for r in conn.execute(sa.text(f"show columns from {t}")).all()]
            frame = pd.read_sql(sa.text(f"select * from {t}"), conn)
            rows = {c: frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in cols}
            del frame
            path = bulk._write_file(cols, rows)
            try:
                conn.exec_driver_sql(f"drop table if exists floor_{t}")
                conn.exec_driver_sql(f"create table floor_{t} like {t}")
                conn.commit()
                t0 = time.perf_counter()
                conn.exec_driver_sql(bulk.load_data_sql(path, f"floor_{t}", cols))
                conn.commit()
                out[t] = {"rows": len(rows[cols[0]]), "seconds": round(time.perf_counter() - t0, 3)}
                conn.exec_driver_sql(f"drop table floor_{t}")
                conn.commit()
            finally:
                os.unlink(path)
    e.dispose()
    out["total_seconds"] = round(sum(v["seconds"] for v in out.values()), 3)
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("/work/bench-data"))
    ap.add_argument("--var", type=Path, default=Path("/work/bench-var"))
    ap.add_argument("--database", default="archives_bench")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--name", default=None, help="results file stem (default migration-<date>)")
    ap.add_argument("--first-only", action="store_true",
                    help="only the first run, printed, nothing written to results (for working on the speed)")
    args = ap.parse_args(argv)
    shutil.rmtree(args.var, ignore_errors=True)
    args.var.mkdir(parents=True)
    server_settings = tune_server()
    url = _fresh_database(args.database)
    env = {**os.environ, "DATABASE_URL": url, "ARCHIVES_VAR_DIR": str(args.var)}
    for cmd in (["db", "upgrade"], ["db", "seed"]):
        subprocess.run([_archives(), *cmd], env=env, check=True, capture_output=True)
    summary_file = args.var / "ingest-1.json"
    ingest = [_archives(), "ingest", "--landing", str(args.data / "landing"), "--feeds", str(args.data / "feeds"),
              "--workers", str(args.workers), "--json", str(summary_file)]
    os.environ.update(env)
    res, wall, peak = _run(ingest, env)
    cpu_1 = dict(LAST_CPU)
    first = json.loads(summary_file.read_text(encoding="utf-8"))
    counts_1 = _counts(url)
    if args.first_only:
        print(json.dumps({"wall_seconds": round(wall, 1), "peak_pss_gib": round(peak / 2**30, 2), "cpu_seconds": cpu_1,
                          "summary": {k: v for k, v in first.items() if k not in ("unchanged",)},
                          "counts": counts_1}, ensure_ascii=False, indent=1, default=str))
        return {}
    floor = floor_load(url, args.var)
    # second run, nothing new
    summary_2 = args.var / "ingest-2.json"
    res2, wall2, peak2 = _run([*ingest[:-1], str(summary_2)], env)
    second = json.loads(summary_2.read_text(encoding="utf-8"))
    counts_2 = _counts(url)
    # one agency's new batch: a copy of its first batch under a later name with one changed 备注
    agency = sorted(p.name for p in (args.data / "landing").iterdir() if p.is_dir())[-1]
    new_batch = _new_batch(args.data / "landing" / agency)
    summary_3 = args.var / "ingest-3.json"
    try:
        res3, wall3, peak3 = _run([*ingest[:-1], str(summary_3)], env)
        third = json.loads(summary_3.read_text(encoding="utf-8"))
    finally:
        new_batch.unlink()
    # export + score
    export_dir = args.var / "export"
    t0 = time.perf_counter()
    subprocess.run([_archives(), "export", "--out", str(export_dir)], env=env, check=True, capture_output=True)
    export_s = round(time.perf_counter() - t0, 1)
    score_file = args.var / "score.json"
    t0 = time.perf_counter()
    sc = subprocess.run([_archives(), "synth", "score", "--truth", str(args.data / "truth"), "--export", str(export_dir),
                         "--json"], env=env, capture_output=True, text=True)
    score_s = round(time.perf_counter() - t0, 1)
    score_file.write_text(sc.stdout, encoding="utf-8")
    score = json.loads(sc.stdout) if sc.returncode == 0 and sc.stdout.strip().startswith("{") else {"error": sc.stderr[-2000:]}
    out = {
        "date": dt.date.today().isoformat(), "machine": describe(), "workers": args.workers,
        "server": server_settings,
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                 cwd=ROOT).stdout.strip(),
        "first_run": {"wall_seconds": round(wall, 1), "peak_pss_gib": round(peak / 2**30, 2), "returncode": res.returncode,
                      "cpu_seconds": cpu_1,
                      "summary": first, "counts": counts_1},
        "floor_load_data": floor,
        "ratio_to_floor": round(wall / floor["total_seconds"], 1) if floor["total_seconds"] else None,
        "second_run": {"wall_seconds": round(wall2, 1), "peak_pss_gib": round(peak2 / 2**30, 2),
                       "agencies_run": second["agencies"], "rows_written": second["persons_written"],
                       "counts_unchanged": counts_1 == counts_2},
        "one_new_batch": {"agency": agency, "wall_seconds": round(wall3, 1), "agencies_run": third["agencies"],
                          "persons_written": third["persons_written"], "returncode": res3.returncode},
        "export_seconds": export_s, "score_seconds": score_s, "score": score,
    }
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / (args.name or f"migration-{out['date']}")
    stem.with_suffix(".json").write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    stem.with_suffix(".md").write_text(_markdown(out), encoding="utf-8")
    print(_markdown(out))
    return out


def rewrite_markdown(json_path: Path) -> None:
    """The .md of a results .json again (after a change of the table's layout)."""
    out = json.loads(json_path.read_text(encoding="utf-8"))
    json_path.with_suffix(".md").write_text(_markdown(out), encoding="utf-8")


def _run(cmd, env):
    res, wall, peak = run_measured(cmd)
    if res.returncode != 0:
        print(res.stdout[-3000:], res.stderr[-3000:], file=sys.stderr)
    return res, wall, peak


def _new_batch(folder: Path) -> Path:
    """A later batch of the agency: its first 基本信息 rows again with a changed 备注 (CSV, UTF-8)."""
    import pandas as pd

    from pipelines.cleaning import read_agency

    rr = read_agency(folder.parent, folder.name)
    person = rr.frames["基本信息"]
    cols = [c for c in person.columns if not c.startswith("_")]
    sample = person[cols].head(5).copy()
    sample["备注"] = "第二批补充"
    path = folder / "zz-bench.基本信息.csv"
    sample.to_csv(path, index=False, encoding="utf-8")
    return path


def _markdown(out: dict) -> str:
    f = out["first_run"]
    s = f["summary"]
    lines = [f"# Migration benchmark {out['date']}", "",
             f"Machine: {out['machine']}", f"Workers: {out['workers']}", f"MariaDB: {out.get('server')}", "",
             f"Commit: {out.get('commit', '')}", "",
             "| stage | rows | stage's own seconds | step seconds (with its checks and layer IO) |",
             "|---|---:|---:|---:|"]
    steps = s.get("seconds_steps", {})
    for stage, secs in s["seconds"].items():
        lines.append(f"| {stage} | {s['rows'].get(stage, '')} | {secs} | {steps.get(stage, '')} |")
    lines.append("(sums over the 103 agencies and both workers)")
    lines += ["", f"- agencies loop wall: {s.get('seconds_agencies')} s (initial load with deferred person indexes: "
              f"{s.get('initial_load')}; dropping and rebuilding them: {s.get('seconds_indexes')} s, the rebuild "
              f"beside the reports and analytics); after the agencies: {s.get('seconds_after_agencies')} s wall; "
              f"一人多档 sweep: {s.get('seconds_sweep')} s; reports: {s.get('reports', {}).get('seconds')} s; "
              f"analytics: {(s.get('analytics') or {}).get('seconds')} s",
              f"- **first run wall: {f['wall_seconds']} s, peak PSS {f['peak_pss_gib']} GiB** (budget 300 s, 8 GB); "
              f"CPU seconds: {f.get('cpu_seconds')}",
              f"- floor (bare LOAD DATA of the final tables): {out['floor_load_data']['total_seconds']} s "
              f"→ ratio whole/floor **{out['ratio_to_floor']}×**",
              f"- floor per table: " + ", ".join(f"{k} {v['rows']} rows {v['seconds']} s"
                                                 for k, v in out['floor_load_data'].items() if isinstance(v, dict)),
              f"- second run (nothing new): {out['second_run']['wall_seconds']} s, agencies run "
              f"{out['second_run']['agencies_run']}, rows written {out['second_run']['rows_written']}, "
              f"table counts unchanged: {out['second_run']['counts_unchanged']}",
              f"- one agency's new batch ({out['one_new_batch']['agency']}): {out['one_new_batch']['wall_seconds']} s, "
              f"agencies run {out['one_new_batch']['agencies_run']}, persons written {out['one_new_batch']['persons_written']}",
              f"- counts after first run: {f['counts']}",
              f"- export {out['export_seconds']} s, score {out['score_seconds']} s"]
    sc = out.get("score") or {}
    if "categories" in sc:
        lines += ["", "| category | injected | resolvable | repaired right | to review | changed wrong | left wrong |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for cat, c in sc["categories"].items():
            lines.append(f"| {cat} | {c.get('injected')} | {c.get('resolvable')} | {c.get('repaired_right')} | "
                         f"{c.get('sent_to_review')} | {c.get('changed_wrong')} | {c.get('left_wrong')} |")
        lines += ["", f"auto_precision {sc.get('auto_precision')}, resolvable_recall {sc.get('resolvable_recall')}, "
                      f"false_repairs {sc.get('false_repairs')}, multi_archive {sc.get('multi_archive')}, "
                      f"quarantine {sc.get('quarantine')}, duplicates {sc.get('duplicates')}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
