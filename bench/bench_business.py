"""Benchmark of the business pages of issue 14 through the real app over HTTP, on the 943k set (MariaDB).

Run by hand (never in tests), after the 943k load, `archives db upgrade` and the business history
(`archives synth history`, which replaced issue 14's bench/seed_business.py; 家庭成员 rows it no longer makes):

    DATABASE_URL=mysql+pymysql://root@127.0.0.1:3306/archives_b14 ARCHIVES_VAR_DIR=/work/var-b14 \\
    PYTHONPATH=$PWD .venv/bin/python bench/bench_business.py --agency 52000001

Gunicorn (4 workers) on a free port, `--sessions` clerks of `--agency` (档案经办人, the bench users of
bench_search.py), then for each kind 1 and 20 concurrent sessions: p50/p95/p99, requests/s, CPU seconds of the
app and of MariaDB. Kinds: the person page (default tab and every tab, random persons of the agency), each
business list (page 1, a search, page 20 by 下一页 cursors), the review queue, a certificate PDF (issued by the
bench before timing). Goals (issue 14): person page p95 ≤ 100 ms, business list ≤ 50 ms, certificate PDF
≤ 300 ms, review queue ≤ 100 ms. Results: bench/results/business-<date>.md and .json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import bench_search as bs  # noqa: E402
from bench import machine  # noqa: E402

TABS = ("basic", "study", "work", "title", "family", "hukou", "materials", "history")
LISTS = {  # kind → (list path, search parameter, a column of person to search by)
    "list_transfer_out": "/transfer/out/", "list_transfer_in": "/transfer/in/", "list_loan": "/transfer/loan/",
    "list_certificates": "/certificates/", "list_hukou": "/hukou/", "list_materials": "/materials/",
}
GOAL_MS = {"person": 100, "review": 100, "pdf": 300}


def goal(kind: str) -> int:
    if kind.startswith("person"):
        return GOAL_MS["person"]
    if kind.startswith("review"):
        return GOAL_MS["review"]
    if kind.startswith("pdf"):
        return GOAL_MS["pdf"]
    return 50


def agency_sample(agency: str, n: int) -> dict:
    import sqlalchemy as sa

    from archives_domain.config import Settings
    from archives_domain.db import make_engine
    engine = make_engine(Settings.from_env().database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select id, archive_no, name from person where agency_code = :a and "
                                    "archive_status = '在库' and id % 97 = 3 limit :n"), {"a": agency, "n": n}).all()
    engine.dispose()
    return {"ids": [r.id for r in rows], "archive_nos": [r.archive_no for r in rows],
            "names": [r.name for r in rows if r.name]}


def issue_certificates(agency: str, person_ids: list[int], n: int) -> list[int]:
    """Certificates issued through the domain command (as a clerk would), for the PDF timing."""
    from sqlalchemy.orm import Session

    from archives_domain.audit import audit_key
    from archives_domain.business import certificates
    from archives_domain.business.base import Actor, Context
    from archives_domain.config import Settings
    from archives_domain.db import make_engine
    from archives_domain.pii.store import codec_from_settings
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    codec = codec_from_settings(settings)
    out = []
    with Session(engine) as s:
        ctx = Context(s, Actor(f"{bs.USER}00", agency, frozenset({agency})), audit_key(codec.keyring, settings),
                      codec, settings.var_dir)
        for pid in person_ids[:n]:
            cert = certificates.issue(ctx, pid, "存档证明", "基准测试", "某单位")
            out.append(cert.id)
    engine.dispose()
    return out


def walk(base, c, path: str, n: int) -> str:
    url = path
    for _ in range(n - 1):
        m = re.search(r'id="pager-top-next" href="\?([^"]*)"', c.get(base + url).text)
        if not m:
            break
        url = path + "?" + m.group(1).replace("&amp;", "&")
    return url


def kinds(base, c, sample: dict, cert_ids: list[int]) -> dict[str, list[str]]:
    ids = sample["ids"]
    out = {"person_page": [f"/person/{i}" for i in ids]}
    for tab in TABS:
        out[f"person_tab_{tab}"] = [f"/person/{i}?tab={tab}" for i in ids]
    for kind, path in LISTS.items():
        out[kind] = [path]
        out[kind + "_search"] = [f"{path}?q={a}" for a in sample["archive_nos"]]
        out[kind + "_page20"] = [walk(base, c, path, 20)]
    out["review_queue"] = ["/review/"]
    out["review_queue_page20"] = [walk(base, c, "/review/", 20)]
    out["pdf_certificate"] = [f"/certificates/{i}/pdf" for i in cert_ids]
    return out


def report(result: dict, out: Path) -> None:
    lines = [f"# Business pages at 943k (issue 14) — {result['date']}", "", f"Machine: {result['machine']}",
             f"Load average at start / end: {result['load_start']} / {result['load_end']}",
             f"App: gunicorn, {result['workers']} workers, {result['database']}; clerks of agency {result['agency']}",
             "", "| kind | sessions | requests | errors | p50 ms | p95 ms | p99 ms | req/s | app CPU s | DB CPU s | "
             "goal p95 (1 session) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["phases"]:
        g = goal(r["kind"])
        mark = (f"≤ {g} ms " + ("✓" if r["p95_ms"] <= g else "✗")) if r["sessions"] == 1 else ""
        lines.append(f"| {r['kind']} | {r['sessions']} | {r['requests']} | {r['errors']} | {r['p50_ms']} | "
                     f"{r['p95_ms']} | {r['p99_ms']} | {r['rps']} | {r['app_cpu_s']} | {r['db_cpu_s']} | {mark} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agency", default="52000001")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--requests", type=int, default=100, help="requests per phase with one session")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--only", default="", help="comma-separated kinds (prefixes) to run")
    ap.add_argument("--out", type=Path, default=Path("bench/results") / f"business-{dt.date.today().isoformat()}")
    args = ap.parse_args()
    bs.ensure_users(args.agency, args.sessions)
    sample = agency_sample(args.agency, 300)
    cert_ids = issue_certificates(args.agency, sample["ids"], 40)
    port = bs.free_port()
    app = bs.start_app(port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        sessions = [bs.login(base, i) for i in range(args.sessions)]
        plan = kinds(base, sessions[0], sample, cert_ids)
        for c in sessions:  # warm every worker the same way
            for urls in plan.values():
                c.get(base + urls[0])
        result = {"date": dt.date.today().isoformat(), "machine": machine.describe(), "agency": args.agency,
                  "database": os.environ.get("DATABASE_URL", "").split("@")[-1], "workers": args.workers,
                  "load_start": os.getloadavg(), "phases": []}
        only = [k for k in args.only.split(",") if k]
        for kind, urls in plan.items():
            if only and not any(kind.startswith(k) for k in only):
                continue
            random.Random(7).shuffle(urls)
            for conc in (1, args.sessions):
                n = args.requests if conc == 1 else args.requests * 2
                row = {"kind": kind, "sessions": conc, **bs.phase(base, sessions[:conc], urls, n, app.pid)}
                print(json.dumps(row, ensure_ascii=False), flush=True)
                result["phases"].append(row)
        result["load_end"] = os.getloadavg()
        report(result, args.out)
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=30)


if __name__ == "__main__":
    main()
