"""Benchmark of 综合统计 (issue 15): the domain functions behind /stats, on a loaded database (MariaDB at 943k).

Run by hand (never in tests), after the load, `archives db upgrade` (0017) and `archives synth history`:

    DATABASE_URL=mysql+pymysql://root@127.0.0.1:3306/archives_b15 ARCHIVES_VAR_DIR=/work/var-b15 \\
    PYTHONPATH=$PWD .venv/bin/python bench/bench_statistics.py --agency 52000001 --rounds 5

What it times, each with 1 and 10 concurrent users (separate processes, one connection each, the way gunicorn
workers run): a typical 自定义查询 (3 items, 2 filters, grouped by the 3 items: 性别/最高学历/政治面貌 of persons
在库 born 1980–1999) — goal ≤ 2 s; a 10,000-row xlsx download (档案编号, 姓名, 身份证 decrypted and masked,
性别, 出生日期, 工作单位 of persons 在库: query + decrypt + openpyxl) — goal ≤ 3 s; and, for information, the
档案信息统计 table (18 kinds by month over the year) and the three reports. The scope is `--agency` with its
subtree (the province: every agency). Before timing it prints EXPLAIN of the custom query and of a
counting query on MySQL, so the indexes used are on record. Results: bench/results/statistics-<date>.md/.json.
The HTTP layer adds a few milliseconds to each (the page is one domain call plus a template).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TYPICAL = {"items": ["person.sex", "person.education_level", "person.political_status"],
           "filters": [{"item": "person.archive_status", "op": "eq", "value": "在库"},
                       {"item": "person.birth_date", "op": "range", "value": ["1980-01-01", "1999-12-31"]}],
           "group_by": ["person.sex", "person.education_level", "person.political_status"]}
DOWNLOAD = {"items": ["person.archive_no", "person.name", "person.id_number", "person.sex", "person.birth_date",
                      "person.employer_name"],
            "filters": [{"item": "person.archive_status", "op": "eq", "value": "在库"}], "group_by": []}
GOALS_S = {"custom_query": 2.0, "xlsx_10000": 3.0}


def _setup(agency: str):
    from sqlalchemy.orm import Session

    from archives_domain.business.base import Actor
    from archives_domain.config import Settings
    from archives_domain.db import make_engine
    from archives_domain.pii.store import codec_from_settings
    from archives_domain.statistics.scope import chosen_codes
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    codec = codec_from_settings(settings)
    s = Session(engine)
    from archives_domain.models import Agency
    import sqlalchemy as sa
    everything = frozenset(s.scalars(sa.select(Agency.code)))
    codes = chosen_codes(s, Actor("bench", agency, everything), agency, True)  # no agency: every agency
    return engine, s, codec, codes


def op_custom_query(s, codec, codes, today):
    from archives_domain.statistics import custom_query as CQ
    res = CQ.run(s, CQ.parse(TYPICAL), codes, codec)
    return len(res.rows)


def op_xlsx_10000(s, codec, codes, today):
    from archives_domain.statistics import custom_query as CQ, export
    d = CQ.parse(DOWNLOAD)
    res = CQ.run(s, d, codes, codec, limit=CQ.DOWNLOAD_MAX)
    data = export.xlsx("自定义查询结果", CQ.describe(d), res.headers, res.rows)
    return len(res.rows) if data else 0


def op_archive_counts(s, codec, codes, today):
    from archives_domain.statistics import archive_counts as AC
    from archives_domain.statistics.periods import Period
    t = AC.count_table(s, codes, Period(today.replace(month=1, day=1), today, "month"))
    return sum(t.total(k.key) for k in AC.K.KINDS)


def _report(key):
    def op(s, codec, codes, today):
        from archives_domain.statistics import reports
        return len(reports.run_report(s, key, codes, {}, today).rows)
    op.__name__ = f"op_report_{key}"
    return op


OPS = {"custom_query": op_custom_query, "xlsx_10000": op_xlsx_10000, "archive_counts": op_archive_counts,
       "report_stock": _report("stock"), "report_volume": _report("volume"), "report_transfer": _report("transfer")}


def worker(args) -> list[float]:
    name, agency, rounds = args
    engine, s, codec, codes = _setup(agency)
    today = dt.date.today()
    OPS[name](s, codec, codes, today)  # warm: imports, fonts, connection
    s.rollback()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        OPS[name](s, codec, codes, today)
        times.append(time.perf_counter() - t0)
        s.rollback()
    s.close()
    engine.dispose()
    return times


def explain(agency: str) -> list[str]:
    from archives_domain.statistics import archive_counts as AC, custom_query as CQ
    engine, s, codec, codes = _setup(agency)
    out = []
    if engine.dialect.name != "mysql":
        return ["(EXPLAIN on MySQL/MariaDB only)"]
    kind = AC.K.BY_KEY["transfer_out"]
    today = dt.date.today()
    from archives_domain.statistics.periods import beijing_day, day_bounds
    import sqlalchemy as sa
    day = beijing_day(kind.date_col, "mysql")
    count_q = (sa.select(day, sa.func.count()).select_from(kind.model)
               .where(kind.model.agency_code.in_(codes), *day_bounds(kind.date_col, today.replace(month=1, day=1),
                                                                      today)).group_by(day))
    for label, q in (("custom query", CQ.build(CQ.parse(TYPICAL), codes, codec, CQ.PREVIEW)),
                     ("download", CQ.build(CQ.parse(DOWNLOAD), codes, codec, CQ.DOWNLOAD_MAX)),
                     ("count transfer_out by day", count_q)):
        sql = str(q.compile(engine, compile_kwargs={"literal_binds": True}))
        rows = s.execute(sa.text("EXPLAIN " + sql)).mappings().all()
        out.append(f"{label}: " + "; ".join(f"{r['table']} key={r['key']} rows={r['rows']} {r['Extra'] or ''}"
                                            for r in rows))
    s.close()
    engine.dispose()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agency", default=None, help="the scope: this agency and its subtree (default: every agency)")
    ap.add_argument("--rounds", type=int, default=5, help="timed runs per user")
    ap.add_argument("--users", default="1,10", help="concurrency levels")
    ap.add_argument("--ops", default=",".join(OPS), help="which operations")
    ap.add_argument("--out", default=str(Path(__file__).with_name("results")))
    a = ap.parse_args(argv)
    plans = [p for p in explain(a.agency)]
    for line in plans:
        print(line, flush=True)
    results = []
    for name in a.ops.split(","):
        for users in (int(u) for u in a.users.split(",")):
            t0 = time.perf_counter()
            with ProcessPoolExecutor(max_workers=users) as pool:
                runs = list(pool.map(worker, [(name, a.agency, a.rounds)] * users))
            wall = time.perf_counter() - t0
            times = sorted(t for r in runs for t in r)
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            row = {"op": name, "users": users, "n": len(times), "median_s": round(statistics.median(times), 3),
                   "p95_s": round(p95, 3), "max_s": round(times[-1], 3), "wall_s": round(wall, 1),
                   "goal_s": GOALS_S.get(name), "ok": (p95 <= GOALS_S[name]) if name in GOALS_S else None}
            results.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"statistics-{stamp}.json").write_text(json.dumps({"plans": plans, "results": results},
                                                             ensure_ascii=False, indent=1), encoding="utf-8")
    lines = ["# 综合统计 benchmark", "", f"scope: {a.agency or 'every agency'} (and subtree); rounds {a.rounds}", "",
             "```", *plans, "```",
             "", "| op | users | n | median s | p95 s | max s | goal s | ok |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['op']} | {r['users']} | {r['n']} | {r['median_s']} | {r['p95_s']} | {r['max_s']} | "
              f"{r['goal_s'] or ''} | {'' if r['ok'] is None else ('yes' if r['ok'] else 'NO')} |" for r in results]
    (out / f"statistics-{stamp}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if all(r["ok"] is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
