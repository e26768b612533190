"""待办事项: the day's to-dos of an agency, produced from the state of its business.

`generate_todos(session, agency_code, day)` looks at the business tables and
upserts one `todo` row per item that needs someone today:

* the deadline clock of 《流动人员人事档案管理服务规定》（人社部发〔2021〕112号） — 转出超期, 回执超期,
  上架超期, 借阅逾期: the rules are data in `archives_domain.deadlines`;
* 库存搁置 — an `inventory_mark` on 搁置;
* 数据核实 — a `dq_review_item` of the pipelines still 待处理.

Idempotent: the unique key `uq_todo_source_day` (agency, type, source table,
source id, day) makes a second run on the same day insert nothing, and a
source that already has an open to-do from an earlier day is not raised again
(the open one is carried over, with its assignment). When the business state no
longer calls for a to-do (receipt returned, loan given back, mark changed,
review decided), the open to-do is closed by the system.

Nothing here depends on the web app: the workbench calls it for the user's
agency, and `archives todos generate` (cron) for every agency.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.orm import Session

from . import deadlines
from .models import InventoryMark, Person, Todo
from .models.base import now_utc
from .models.quality import ReviewItem

SYSTEM = "系统"
OPEN = ("待分配", "待办理")
DONE = "已办结"


@dataclass(frozen=True)
class Candidate:
    business_type: str
    source_table: str
    source_id: int
    title: str
    detail: str | None = None


def candidates(s: Session, agency_code: str, day: dt.date) -> list[Candidate]:
    """Everything of the agency's business that needs handling on `day`."""
    found = [Candidate(o.rule.business_type, o.rule.source.__tablename__, o.source_id, o.title, o.detail)
             for o in deadlines.overdue(s, agency_code, day)]
    person = select(Person.id, Person.archive_no, Person.name).subquery()

    def who(row) -> str:
        return f"{row.archive_no or '—'} {row.name or ''}".strip()

    q = (select(InventoryMark.id, InventoryMark.business_type, InventoryMark.note, person.c.archive_no, person.c.name)
         .join(person, person.c.id == InventoryMark.person_id)
         .where(InventoryMark.agency_code == agency_code, InventoryMark.mark == "搁置"))
    for r in s.execute(q):
        found.append(Candidate("库存搁置", "inventory_mark", r.id, f"处理搁置的{r.business_type}：{who(r)}", r.note))
    q = (select(ReviewItem.id, ReviewItem.archive_no, ReviewItem.field, ReviewItem.reason, ReviewItem.category)
         .where(ReviewItem.agency_code == agency_code, ReviewItem.status == "待处理"))
    for r in s.execute(q):
        found.append(Candidate("数据核实", "dq_review_item", r.id,
                               f"核实数据：档案 {r.archive_no or '—'} 的{r.field}（{r.category or '待核实'}）",
                               r.reason))
    return found


def _insert_ignoring_duplicates(s: Session, rows: list[dict]) -> int:
    if not rows:
        return 0
    table = Todo.__table__
    dialect = s.get_bind().dialect.name
    if dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    elif dialect in ("mysql", "mariadb"):
        stmt = mysql.insert(table).on_duplicate_key_update(id=table.c.id)  # id = id: the existing row stays
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(dialect)
    return s.execute(stmt, rows).rowcount or 0


def generate_todos(s: Session, agency_code: str, day: dt.date) -> int:
    """Upsert the agency's to-dos for `day`; close the ones whose reason is gone. Returns the new to-dos.

    The caller commits.
    """
    wanted = {(c.business_type, c.source_table, c.source_id): c
              for c in candidates(s, agency_code, day)}
    open_rows = s.execute(select(Todo.id, Todo.business_type, Todo.source_table, Todo.source_id, Todo.due_on)
                          .where(Todo.agency_code == agency_code, Todo.status.in_(OPEN),
                                 Todo.source_table.is_not(None))).all()
    carried = {(r.business_type, r.source_table, r.source_id) for r in open_rows if r.due_on < day}
    carried |= set(s.execute(select(Todo.business_type, Todo.source_table, Todo.source_id)
                             .where(Todo.agency_code == agency_code, Todo.due_on == day)).tuples())
    gone = [r.id for r in open_rows if (r.business_type, r.source_table, r.source_id) not in wanted]
    now = now_utc()
    if gone:
        s.execute(update(Todo).where(Todo.id.in_(gone), Todo.status.in_(OPEN))
                  .values(status=DONE, done_by=SYSTEM, done_at=now, updated_at=now, updated_by=SYSTEM,
                          version=Todo.version + 1)
                  .execution_options(synchronize_session=False))
    rows = [dict(agency_code=agency_code, business_type=c.business_type, source_table=c.source_table,
                 source_id=c.source_id, title=c.title[:255], detail=c.detail, due_on=day, status="待分配",
                 version=1, created_at=now, created_by=SYSTEM, updated_at=now, updated_by=SYSTEM)
            for key, c in wanted.items() if key not in carried]
    _insert_ignoring_duplicates(s, rows)  # a concurrent run may have inserted some of them: those are kept
    return len(rows)
