"""Benchmark of the person list and search at scale (issue 13), through the real app over HTTP.

Run by hand (never in tests), on a database loaded with the 943k synthetic set:

    DATABASE_URL=mysql+pymysql://root@127.0.0.1:3306/archives_lists943k ARCHIVES_VAR_DIR=/work/var-lists943k \\
    PYTHONPATH=$PWD .venv/bin/python bench/bench_search.py --truth /work/bench-data/truth --agency 52000001

It creates (once) a clerk of `--agency` (档案经办人, TOTP relaxed for that role as the test fixtures do),
starts gunicorn on 127.0.0.1 at a free port, logs in `--sessions` sessions, and for every kind — exact
身份证 / 档案编号 / 姓名, 姓名 prefix, 拼音首字母, list pages 1, 50 and the last — sends requests with 1
and 20 concurrent sessions: p50/p95/p99 (ms), requests/s, and the CPU seconds of gunicorn's process tree
and of the MariaDB server during each phase. Results: bench/results/search-<date>.md and .json.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import machine  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
USER, PASSWORD = "bench_search", "Bench#Search2026x"  # the password in use is PASSWORD + "1"
KINDS = ("id_number", "archive_no", "name", "prefix", "initials", "page1", "page50", "last")
GOAL_MS = {"id_number": 50, "archive_no": 50, "name": 50, "prefix": 100, "initials": 100,
           "page1": 50, "page50": 50, "last": 50}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_cpu_seconds(root: int) -> float:
    """user + system CPU seconds of a process and its descendants (alive ones)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for pid, _name, fields in machine._processes():
        children.setdefault(int(fields[1]), []).append(pid)
        cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += cpu.get(pid, 0.0)
        stack.extend(children.get(pid, []))
    return total


def ensure_users(agency: str, n: int) -> None:
    """`n` bench clerks (one session per user is enforced), past the first-login password change, TOTP relaxed
    for 档案经办人."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from archives_domain.accounts import grants
    from archives_domain.accounts.users import create_user
    from archives_domain.config import Settings
    from archives_domain.db import make_engine
    from archives_domain.models import Role, User
    from archives_domain.pii.store import codec_from_settings

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    keyring = codec_from_settings(settings).keyring
    from archives_domain.accounts.users import set_password

    with Session(engine) as s:
        for i in range(n):
            name = f"{USER}{i:02d}"
            user = s.scalar(select(User).where(User.username == name))
            if user is None:
                user = create_user(s, username=name, password=PASSWORD, role_names=["档案经办人"],
                                   agency_code=agency, first_name="基准测试")
                set_password(s, user, PASSWORD + "1", must_change=False)  # past the first-login change
            user.fail_login_count = 0
        role = s.scalar(select(Role).where(Role.name == "档案经办人"))
        grants.set_role_policy(s, grants.seal_key(keyring), role, totp_required=False, by="bench_search")
        s.commit()
    engine.dispose()


def login(base: str, i: int) -> requests.Session:
    c = requests.Session()
    token = CSRF.search(c.get(base + "/login/").text).group(1)
    r = c.post(base + "/login/", data={"username": f"{USER}{i:02d}", "password": PASSWORD + "1", "csrf_token": token},
               allow_redirects=False)
    assert r.status_code == 302 and not r.headers.get("Location", "").endswith("/password/"), r.text[:500]
    return c


def samples(truth: Path, agency: str, n: int) -> dict[str, list[str]]:
    """Search texts of persons of `agency` (IDs and names from the truth, as a clerk would type them)."""
    import pyarrow.parquet as pq

    from archives_domain.pinyin import name_initials
    t = pq.read_table(truth / "persons.parquet", columns=["agency_code", "档案编号", "姓名", "公民身份号码"],
                      filters=[("agency_code", "=", agency)]).to_pandas().sample(n, random_state=20261207)
    names = t["姓名"].dropna().tolist()
    return {"id_number": t["公民身份号码"].dropna().tolist(), "archive_no": t["档案编号"].tolist(),
            "name": names, "prefix": [x[:2] for x in names if len(x) >= 3] or names,
            "initials": [name_initials(x)[:2] for x in names if name_initials(x)]}


def urls_for(kind: str, values: dict, page50: str) -> list[str]:
    if kind in ("id_number", "archive_no", "name", "prefix", "initials"):
        field = {"name": "name"}.get(kind, "q")
        return [f"/person/?{field}={requests.utils.quote(v)}" for v in values[kind]]
    return {"page1": ["/person/"], "page50": [page50], "last": ["/person/?last=1"]}[kind]


def walk_to_page(base: str, c: requests.Session, n: int) -> str:
    """The URL of page `n` reached by 下一页 links (keyset cursors), as a clerk would."""
    url = "/person/"
    for _ in range(n - 1):
        m = re.search(r'id="pager-top-next" href="\?([^"]*)"', c.get(base + url).text)
        url = "/person/?" + m.group(1).replace("&amp;", "&")
    return url


def phase(base: str, sessions: list[requests.Session], urls: list[str], requests_n: int, app_pid: int) -> dict:
    lat: list[float] = []
    errors = 0

    def one(i: int) -> tuple[float, int]:
        c = sessions[i % len(sessions)]
        t = time.perf_counter()
        r = c.get(base + urls[i % len(urls)])
        return (time.perf_counter() - t) * 1000, r.status_code

    app0, db0, t0 = tree_cpu_seconds(app_pid), machine.server_cpu_seconds(), time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        for ms, status in pool.map(one, range(requests_n)):
            lat.append(ms)
            errors += status != 200
    wall = time.perf_counter() - t0
    app1, db1 = tree_cpu_seconds(app_pid), machine.server_cpu_seconds()
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {"requests": requests_n, "errors": errors, "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1),
            "p99_ms": round(q[98], 1), "rps": round(requests_n / wall, 1), "wall_s": round(wall, 2),
            "app_cpu_s": round(app1 - app0, 2),
            "db_cpu_s": None if db0 is None or db1 is None else round(db1 - db0, 2)}


def start_app(port: int, workers: int) -> subprocess.Popen:
    # the bench's sessions all log in from 127.0.0.1: lift the per-address login limit (it measures search)
    env = {**os.environ, "ARCHIVES_INSECURE_COOKIES": "1", "ARCHIVES_LOGIN_RATE_LIMIT": "10000 per minute"}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
                             str(workers), "ops_app.app:create_app()"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(120):
        try:
            requests.get(f"http://127.0.0.1:{port}/login/", timeout=10)
            return proc
        except requests.RequestException:
            time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not start")


def report(result: dict, out: Path) -> None:
    lines = [f"# Person list and search at 943k — {result['date']}", "",
             f"Machine: {result['machine']}", f"Load average at start / end: {result['load_start']} / "
             f"{result['load_end']}",
             f"App: gunicorn, {result['workers']} workers, {result['database']}; clerk of agency "
             f"{result['agency']} ({result['agency_persons']:,} persons)", "",
             "| kind | sessions | requests | errors | p50 ms | p95 ms | p99 ms | req/s | app CPU s | DB CPU s | "
             "goal p95 (1 session) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in result["phases"]:
        goal = f"≤ {GOAL_MS[row['kind']]} ms" + (" ✓" if row["p95_ms"] <= GOAL_MS[row["kind"]] else " ✗") \
            if row["sessions"] == 1 else ""
        lines.append(f"| {row['kind']} | {row['sessions']} | {row['requests']} | {row['errors']} | {row['p50_ms']} | "
                     f"{row['p95_ms']} | {row['p99_ms']} | {row['rps']} | {row['app_cpu_s']} | {row['db_cpu_s']} | "
                     f"{goal} |")
    lines += ["", "Kinds: id_number = the search box with a whole 身份证 (blind index); archive_no = 档案编号; "
              "name = the exact 姓名 field; prefix = the first two characters of a name; initials = the first two "
              "pinyin initials; page1 / page50 / last = the unfiltered list (page 50 reached by 下一页 cursors).", ""]
    out.with_suffix(".md").write_text("\n".join(lines), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--truth", type=Path, default=Path("/work/bench-data/truth"))
    ap.add_argument("--agency", default="52000001")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--requests", type=int, default=200, help="requests per phase with one session")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--out", type=Path, default=Path("bench/results") / f"search-{dt.date.today().isoformat()}")
    args = ap.parse_args()
    ensure_users(args.agency, args.sessions)
    port = free_port()
    app = start_app(port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        sessions = [login(base, i) for i in range(args.sessions)]
        values = samples(args.truth, args.agency, 400)
        page50 = walk_to_page(base, sessions[0], 50)
        for c in sessions:  # warm every worker's caches and pools the same way
            c.get(base + "/person/")
        result = {"date": dt.date.today().isoformat(), "machine": machine.describe(), "agency": args.agency,
                  "database": os.environ.get("DATABASE_URL", "").split("@")[-1], "workers": args.workers,
                  "load_start": os.getloadavg(), "phases": []}
        for kind in KINDS:
            urls = urls_for(kind, values, page50)
            for conc in (1, args.sessions):
                n = args.requests if conc == 1 else args.requests * 2
                row = {"kind": kind, "sessions": conc, **phase(base, sessions[:conc], urls, n, app.pid)}
                print(json.dumps(row, ensure_ascii=False), flush=True)
                result["phases"].append(row)
        result["load_end"] = os.getloadavg()
        result["agency_persons"] = agency_persons(args.agency)
        report(result, args.out)
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=30)


def agency_persons(agency: str) -> int:
    import sqlalchemy as sa

    from archives_domain.config import Settings
    from archives_domain.db import make_engine
    engine = make_engine(Settings.from_env().database_url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("select count(*) from person where agency_code = :a"), {"a": agency}).scalar()
    engine.dispose()
    return int(n)


if __name__ == "__main__":
    main()
