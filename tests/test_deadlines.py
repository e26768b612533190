"""The deadline clock (《流动人员人事档案管理服务规定》, 人社部发〔2021〕112号) on SQLite and MariaDB: each rule's
last day in time and first day overdue (month ends, a leap year), the to-do it raises (title naming the person
and the deadline), closing it once the work is done, and the to-dos' links to their records on the workbench."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain.deadlines import RULES, add_months
from archives_domain.models import ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut, Todo
from archives_domain.todos import generate_todos
from biz_seed import add_person
from conftest import COUNTY, seed_agencies_and_users

D = dt.date


@pytest.mark.parametrize("start, months, due", [
    (D(2026, 1, 31), 1, D(2026, 2, 28)), (D(2028, 1, 31), 1, D(2028, 2, 29)), (D(2026, 3, 31), 2, D(2026, 5, 31)),
    (D(2025, 12, 31), 2, D(2026, 2, 28)), (D(2026, 1, 15), 2, D(2026, 3, 15)), (D(2026, 11, 30), 2, D(2027, 1, 30)),
    (D(2026, 4, 30), 0, D(2026, 4, 30))])
def test_calendar_months_are_clamped_at_the_month_end(start, months, due):
    assert add_months(start, months) == due


def test_the_rules_are_the_regulations_four():
    assert [(r.business_type, r.source.__tablename__, r.start, r.months) for r in RULES] == [
        ("转出超期", "archive_transfer_out", "request_date", 2), ("回执超期", "archive_transfer_out", "out_date", 1),
        ("上架超期", "archive_transfer_in", "in_date", 2), ("借阅逾期", "archive_loan", "due_date", 0)]


@pytest.fixture
def person(engine, codec):
    seed_agencies_and_users(engine, {})
    with Session(engine) as s:
        p = add_person(s, codec, COUNTY, "NM2026001", "张三", "520102199001011237")
        s.commit()
        return p.id


def _done_transfer(row):
    row.out_date, row.status = D(2026, 3, 20), "已寄出"


def _returned(row):
    row.receipt_returned, row.status, row.receipt_date = True, "已回执", D(2026, 2, 20)


def _shelved(row):
    row.shelved_date = D(2026, 6, 1)


def _given_back(row):
    row.return_date, row.status = D(2026, 3, 2), "已归还"


# (to-do type, the record, its last day in time, what ends it, a word of the title)
CASES = [
    ("转出超期", lambda p: ArchiveTransferOut(agency_code=COUNTY, person_id=p, request_date=D(2026, 1, 31),
                                           status="已审核", to_unit="重庆市人才交流中心"),
     D(2026, 3, 31), _done_transfer, "应于 2026-03-31 前转出"),
    ("转出超期", lambda p: ArchiveTransferOut(agency_code=COUNTY, person_id=p, request_date=D(2025, 12, 31),
                                           to_unit="成都"),
     D(2026, 2, 28), _done_transfer, "应于 2026-02-28 前转出"),
    ("回执超期", lambda p: ArchiveTransferOut(agency_code=COUNTY, person_id=p, out_date=D(2026, 1, 31),
                                           status="已寄出", to_unit="昆明"),
     D(2026, 2, 28), _returned, "回执应于 2026-02-28 前收回"),
    ("回执超期", lambda p: ArchiveTransferOut(agency_code=COUNTY, person_id=p, out_date=D(2028, 1, 31),
                                           status="已寄出", to_unit="昆明"),
     D(2028, 2, 29), _returned, "回执应于 2028-02-29 前收回"),
    ("上架超期", lambda p: ArchiveTransferIn(agency_code=COUNTY, person_id=p, in_date=D(2026, 3, 31), from_unit="遵义"),
     D(2026, 5, 31), _shelved, "应于 2026-05-31 前入库上架"),
    ("借阅逾期", lambda p: ArchiveLoan(agency_code=COUNTY, person_id=p, loan_date=D(2026, 1, 5),
                                    due_date=D(2026, 2, 28), borrower_unit="贵州大学"),
     D(2026, 2, 28), _given_back, "应还 2026-02-28"),
]


@pytest.mark.parametrize("kind, make, last_day, finish, words", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_a_deadline_becomes_a_todo_the_day_after_its_last_day_and_closes_when_done(engine, person, kind, make,
                                                                                  last_day, finish, words):
    with Session(engine) as s:
        row = make(person)
        s.add(row)
        s.commit()
        assert generate_todos(s, COUNTY, last_day) == 0  # the last day is still in time
        s.commit()
        day = last_day + dt.timedelta(days=1)
        assert generate_todos(s, COUNTY, day) == 1
        s.commit()
        todo = s.scalar(sa.select(Todo))
        assert (todo.business_type, todo.source_table, todo.source_id, todo.status) == (
            kind, row.__tablename__, row.id, "待分配")
        assert "NM2026001 张三" in todo.title and words in todo.title, todo.title
        assert "人社部发〔2021〕112号" in todo.detail
        assert generate_todos(s, COUNTY, day + dt.timedelta(days=3)) == 0  # carried over, not raised again
        s.commit()
        finish(s.get(type(row), row.id))
        s.commit()
        generate_todos(s, COUNTY, day + dt.timedelta(days=4))
        s.commit()
        s.refresh(todo)
        assert (todo.status, todo.done_by) == ("已办结", "系统")
        assert s.scalar(sa.select(sa.func.count()).select_from(Todo)) == 1


def test_records_that_never_run_late(engine, person):
    """Cancelled, returned-to-sender, already-sent requests and loans with no due date raise nothing."""
    day = D(2027, 1, 1)
    with Session(engine) as s:
        s.add_all([
            ArchiveTransferOut(agency_code=COUNTY, person_id=person, request_date=D(2026, 1, 1), status="已撤销"),
            ArchiveTransferOut(agency_code=COUNTY, person_id=person, request_date=D(2026, 1, 1), status="已寄出",
                               out_date=D(2026, 1, 5), receipt_returned=True),
            ArchiveTransferOut(agency_code=COUNTY, person_id=person, request_date=None, status="待审核"),
            ArchiveTransferIn(agency_code=COUNTY, person_id=person, in_date=D(2026, 1, 1), status="已退回"),
            ArchiveTransferIn(agency_code=COUNTY, person_id=person, in_date=D(2026, 1, 1),
                              shelved_date=D(2026, 1, 2)),
            ArchiveLoan(agency_code=COUNTY, person_id=person, loan_date=D(2026, 1, 1), due_date=None),
        ])
        s.commit()
        assert generate_todos(s, COUNTY, day) == 0


def test_a_transfer_requested_sent_late_and_never_receipted_is_two_todos_in_turn(engine, person):
    with Session(engine) as s:
        t = ArchiveTransferOut(agency_code=COUNTY, person_id=person, request_date=D(2026, 1, 10), status="已审核")
        s.add(t)
        s.commit()
        generate_todos(s, COUNTY, D(2026, 3, 11))
        s.commit()
        t.out_date, t.status = D(2026, 3, 12), "已寄出"
        s.commit()
        generate_todos(s, COUNTY, D(2026, 4, 13))  # 转出超期 closed; the 回执 is a month late now
        s.commit()
        rows = {r.business_type: r.status for r in s.scalars(sa.select(Todo))}
        assert rows == {"转出超期": "已办结", "回执超期": "待分配"}


def test_todos_on_the_workbench_link_to_their_records(ops_app, engine, codec):
    from biz_seed import seed_persons, seed_todo_sources, seed_tree_and_users
    from ops_app.views.workbench_queries import todo_link
    from test_ops_business import client_for
    assert todo_link("archive_transfer_out", 7) == "/transfer/out/7"
    assert todo_link("archive_transfer_in", 8) == "/transfer/in/8"
    assert todo_link("archive_loan", 9) == "/transfer/loan/9"
    assert todo_link("dq_review_item", 10) == "/review/10"
    assert todo_link("inventory_mark", 11) is None
    seed_tree_and_users(engine, codec)
    persons = seed_persons(engine, codec)
    today = (dt.datetime.utcnow() + dt.timedelta(hours=8)).date()
    src = seed_todo_sources(engine, persons, today)
    page = client_for(ops_app, "leader").get("/").get_data(as_text=True)
    assert f'href="/transfer/out/{src["late"]}"' in page and f'href="/transfer/loan/{src["overdue"]}"' in page
    assert f'href="/review/{src["review"]}"' in page
