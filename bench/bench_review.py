"""Benchmark of the 待核实 queue's database work (issue 14 item 8) on MariaDB, at the size of the 943k set.

    PYTHONPATH=$PWD /work/main/.venv/bin/python bench/bench_review.py [--items 58139] [--agency-items 20000]

Builds its own database `archives_bench_review` (dropped and re-created): migrated, `--items` review items
(`--agency-items` of them at one agency — the 132k-person agency holds ≈8k at 943k; 20k is pessimistic),
one person per item. Then times, through `archives_domain.business.review` as the page calls it, every query
of a queue page: the page (first, 50th by cursor, with a category filter), the bounded total, the bounded
counts per category, the names of the page's persons — p50/p95 over `--repeat` runs. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SERVER = "mysql+pymysql://root@127.0.0.1:3306"
DB = "archives_bench_review"
AGENCY = "52000001"
CATEGORIES = ("单位名称待核实", "身份证号待核实", "日期只有年月", "毕业时间待核实", "单位与社保不一致", "一人多档",
              "代码值无法识别", "电话格式错误")


def build(n_items: int, n_agency: int):
    from archives_domain import migrate
    from archives_domain.db import make_engine
    from archives_domain.models import Person
    from archives_domain.models.quality import ReviewItem
    from seeds.loader import load_reference_data

    server = sa.create_engine(SERVER + "/?charset=utf8mb4", isolation_level="AUTOCOMMIT")
    with server.connect() as c:
        c.execute(sa.text(f"DROP DATABASE IF EXISTS {DB}"))
        c.execute(sa.text(f"CREATE DATABASE {DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    server.dispose()
    engine = make_engine(f"{SERVER}/{DB}?charset=utf8mb4")
    migrate.upgrade(engine)
    load_reference_data(engine)
    with engine.connect() as c:
        agencies = [a for (a,) in c.execute(sa.text("select code from agency where code <> :a order by code"),
                                             {"a": AGENCY})]
    now = dt.datetime(2026, 12, 1)
    P, R = Person.__table__, ReviewItem.__table__
    with engine.begin() as c:
        for start in range(0, n_items, 5000):
            rows = []
            for i in range(start, min(start + 5000, n_items)):
                agency = AGENCY if i < n_agency else agencies[i % len(agencies)]
                rows.append({"agency_code": agency, "archive_no": f"B{i:07d}", "name": "张三", "data_source": "采集表",
                             "version": 1, "created_at": now, "updated_at": now})
            c.execute(P.insert(), rows)
        ids = [(i, a, n) for i, a, n in c.execute(sa.select(P.c.id, P.c.agency_code, P.c.archive_no).order_by(P.c.id))]
        for start in range(0, len(ids), 5000):
            c.execute(R.insert(), [{"agency_code": a, "person_id": pid, "archive_no": no, "sheet": "基本信息",
                                    "field": "工作单位", "category": CATEGORIES[pid % len(CATEGORIES)],
                                    "reason": "基准测试", "rule": "bench", "status": "待处理" if pid % 10 else "已采纳",
                                    "version": 1, "created_at": now, "updated_at": now, "created_by": "流水线"}
                                   for pid, a, no in ids[start:start + 5000]])
    return engine


def timed(fn, repeat: int) -> tuple[float, float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.95) - 1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=58139)
    ap.add_argument("--agency-items", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    from archives_domain import paging
    from archives_domain.business import review
    from archives_domain.business.base import Actor, Context

    engine = build(args.items, args.agency_items)
    s = Session(engine)
    ctx = Context(s, Actor("bench", AGENCY, frozenset({AGENCY})), b"", None)
    f, cat = review.Filters(), review.Filters(category="日期只有年月")
    page1 = review.queue(ctx, f, paging.PageRequest(size=20))
    cursor = page1.last_key
    for _ in range(49):
        cursor = review.queue(ctx, f, paging.PageRequest(size=20, after=cursor)).last_key
    cases = {
        "page 1": lambda: review.queue(ctx, f, paging.PageRequest(size=20)),
        "page 50 (cursor)": lambda: review.queue(ctx, f, paging.PageRequest(size=20, after=cursor)),
        "last page": lambda: review.queue(ctx, f, paging.PageRequest(size=20, last=True)),
        "category filter, page 1": lambda: review.queue(ctx, cat, paging.PageRequest(size=20)),
        "bounded total": lambda: paging.bounded_count(s, review.filtered(ctx, f)),
        "counts per category": lambda: review.category_counts(ctx),
        "names of a page": lambda: review.names_of(s, [r.person_id for r in page1.rows]),
    }
    total = []
    print(f"| query ({args.agency_items:,} items at {AGENCY}, {args.items:,} in all) | p50 ms | p95 ms |")
    print("|---|---|---|")
    for name, fn in cases.items():
        p50, p95 = timed(fn, args.repeat)
        total.append(p95)
        print(f"| {name} | {p50:.1f} | {p95:.1f} |")
    print(f"| a whole page (page 1 + total + counts + names), sum of p95 | | {sum(total[i] for i in (0, 4, 5, 6)):.1f} |")
    s.close()
    engine.dispose()


if __name__ == "__main__":
    main()
