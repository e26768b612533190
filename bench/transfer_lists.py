"""Benchmark of the 档案转递 list queries on MariaDB: ~100k 转出 and 借阅 rows in one agency (and 100k persons),
p50/p95 of a list page (first page, next page, date range, 姓名 prefix, 身份证, 机要编号), incl. the bounded count.

    PYTHONPATH=. python bench/transfer_lists.py [mysql+pymysql://root@127.0.0.1:3306] [rows]
Creates and drops its own database."""
from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain import migrate, paging
from archives_domain.business import transfer_search as ts
from archives_domain.business.base import Actor, Context
from archives_domain.db import make_engine
from archives_domain.models import Agency
from archives_domain.paging import PageRequest
from archives_domain.pii.codec import PiiCodec
from archives_domain.pii.keyring import generate_keyring

AGENCY = "52010201"


def main(server: str, n: int) -> None:
    if os.environ.get("DB"):  # measure a database kept by an earlier run (KEEP=1)
        engine = make_engine(f"{server}/{os.environ['DB']}")
        _measure(engine, PiiCodec(generate_keyring()))
        return
    name = f"archives_bench_{uuid.uuid4().hex[:8]}"
    root = sa.create_engine(server + "/?charset=utf8mb4", isolation_level="AUTOCOMMIT")
    with root.connect() as c:
        c.execute(sa.text(f"create database {name} character set utf8mb4 collate utf8mb4_unicode_ci"))
    try:
        engine = make_engine(f"{server}/{name}")
        migrate.upgrade(engine)
        codec = PiiCodec(generate_keyring())
        _load(engine, codec, n)
        _measure(engine, codec)
        engine.dispose()
    finally:
        if os.environ.get("KEEP"):
            print("kept database", name)
        else:
            with root.connect() as c:
                c.execute(sa.text(f"drop database if exists {name}"))


def _load(engine, codec, n: int) -> None:
    with Session(engine) as s:
        s.add(Agency(code=AGENCY, name="南明区", level="县级", region_code="520102", active=True))
        s.commit()
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
    t0 = time.time()
    with engine.begin() as c:
        for start in range(0, n, 5000):
            persons, outs, loans_ = [], [], []
            for i in range(start, min(start + 5000, n)):
                pid = i + 1
                number = f"5201021990{i:08d}"  # distinct (the blind index does not check digits)
                persons.append({"id": pid, "agency_code": AGENCY, "archive_no": f"A{i:07d}",
                                "name": surnames[i % 20] + f"某{i % 97}", "archive_status": "已转出",
                                "id_number_bidx": codec.blind_index("id_number", number), "data_source": "业务",
                                "version": 1})
                day = dt.date(2020, 1, 1) + dt.timedelta(days=i % 2500)
                outs.append({"agency_code": AGENCY, "person_id": pid, "out_date": day, "to_unit": "某单位",
                             "confidential_no": f"J{i}", "notice_no": f"ZD-{AGENCY}-{day.year}-{i:06d}",
                             "status": "已寄出", "receipt_returned": False, "cross_province": False, "version": 1})
                loans_.append({"agency_code": AGENCY, "person_id": pid, "loan_date": day, "borrower_unit": "某单位",
                               "status": "已归还", "version": 1})
            c.execute(sa.text("insert into person (id, agency_code, archive_no, name, archive_status, id_number_bidx,"
                              " data_source, version) values (:id, :agency_code, :archive_no, :name, :archive_status,"
                              " :id_number_bidx, :data_source, :version)"), persons)
            c.execute(sa.text("insert into archive_transfer_out (agency_code, person_id, out_date, to_unit,"
                              " confidential_no, notice_no, status, receipt_returned, cross_province, version) values"
                              " (:agency_code, :person_id, :out_date, :to_unit, :confidential_no, :notice_no, :status,"
                              " :receipt_returned, :cross_province, :version)"), outs)
            c.execute(sa.text("insert into archive_loan (agency_code, person_id, loan_date, borrower_unit, status,"
                              " version) values (:agency_code, :person_id, :loan_date, :borrower_unit, :status,"
                              " :version)"), loans_)
        for t in ("person", "archive_transfer_out", "archive_loan"):
            c.execute(sa.text(f"analyze table {t}"))
    print(f"loaded {n} persons, 转出, 借阅 in {time.time() - t0:.0f} s")


def _measure(engine, codec) -> None:
    cases = [("转出 first page", ts.OUT, {}),
             ("转出 date range", ts.OUT, {"date_from": "2023-01-01", "date_to": "2023-12-31"}),
             ("转出 one day", ts.OUT, {"date_from": "2024-05-05"}), ("转出 姓名 prefix", ts.OUT, {"name": "王某1"}),
             ("转出 身份证", ts.OUT, {"id_number": "520102199000004242"}), ("转出 机要编号", ts.OUT, {"confidential_no": "J4242"}),
             ("转出 档案编号", ts.OUT, {"archive_no": "A0004242"}), ("借阅 first page", ts.LOAN, {}),
             ("借阅 date range", ts.LOAN, {"date_from": "2022-01-01", "date_to": "2022-06-30"}),
             ("转递通知单 list", ts.OUT, {"notices": True})]
    print(f"{'case':<18} {'p50 ms':>7} {'p95 ms':>7}  (page + next page + bounded count)")
    with Session(engine) as s:
        ctx = Context(s, Actor("bench", AGENCY, frozenset({AGENCY})), b"k" * 32, codec)
        for label, kind, raw in cases:
            notices = raw.pop("notices", False) if isinstance(raw, dict) else False
            times = []
            for _ in range(30):
                t = time.perf_counter()
                q, order = ts.query(ctx, kind, ts.criteria(raw, kind), notices_only=notices)
                page = ts.fetch_desc(s, q, order, PageRequest(size=20))
                paging.bounded_count(s, q)
                if page.has_next:
                    ts.fetch_desc(s, q, order, PageRequest(size=20, after=tuple(
                        v.isoformat() if isinstance(v, dt.date) else v for v in page.last_key)))
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            print(f"{label:<18} {statistics.median(times):7.1f} {times[int(len(times) * 0.95) - 1]:7.1f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "mysql+pymysql://root@127.0.0.1:3306",
         int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
