"""The deadline clock (期限提醒) of 《流动人员人事档案管理服务规定》（人社部发〔2021〕112号）, as data.

Each `DeadlineRule` says: in which business table a deadline runs, from which date
column it starts, what ends it (the record's state once the work is done), how long it
runs in calendar months, and how the to-do reads. `overdue(session, agency, day)` yields
one `Overdue` per record of the agency whose deadline has passed by `day` and that is
still not done; `archives_domain.todos` turns them into the agency's to-dos.

* 转出超期 — a transfer requested (调档函, `archive_transfer_out.request_date`) is sent within
  2 months: not sent (no `out_date`, status not 已寄出/已回执) after that is overdue;
* 回执超期 — a sent archive's 回执 comes back within 1 month of `out_date`;
* 上架超期 — a received archive (`archive_transfer_in.in_date`) is shelved (`shelved_date`) within
  2 months;
* 借阅逾期 — a loan is back (`return_date`) by its `due_date` (0 months: the due date itself).

A deadline is kept on its last day: start + N months is still in time, the next day is
overdue. Months are calendar months, clamped at the month's end (2026-01-31 + 1 month =
2026-02-28), as `dateutil.relativedelta` counts them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterator

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from .models import ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut, Person

REGULATION = "《流动人员人事档案管理服务规定》（人社部发〔2021〕112号）"
SENT = ("已寄出", "已回执")


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months, clamped at the end of the month: 2026-01-31 + 1 = 2026-02-28."""
    return day + relativedelta(months=months)


@dataclass(frozen=True)
class DeadlineRule:
    business_type: str  # 待办类型 (≤ 16 characters: todo.business_type)
    source: type  # the business table the deadline runs in
    start: str  # the date column the deadline starts from
    months: int  # how long it runs, in calendar months
    pending: Callable[[type], ColumnElement]  # the record is still not done (the end condition, negated)
    title: str  # the to-do's title: {who} the person, {start} and {due} the dates, {unit} the other party
    unit: str | None = None  # the column naming the other party, for the title


RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule("转出超期", ArchiveTransferOut, "request_date", 2,
                 lambda m: and_(m.out_date.is_(None), m.status.not_in((*SENT, "已撤销"))),
                 "催办转出：{who}（调档函 {start}，应于 {due} 前转出，转往 {unit}）", "to_unit"),
    DeadlineRule("回执超期", ArchiveTransferOut, "out_date", 1,
                 lambda m: and_(m.receipt_returned.is_(False), m.status != "已撤销"),
                 "催收转出回执：{who}（{start} 转往 {unit}，回执应于 {due} 前收回）", "to_unit"),
    DeadlineRule("上架超期", ArchiveTransferIn, "in_date", 2,
                 lambda m: and_(m.shelved_date.is_(None), m.status != "已退回"),
                 "催办上架：{who}（{start} 接收自 {unit}，应于 {due} 前入库上架）", "from_unit"),
    DeadlineRule("借阅逾期", ArchiveLoan, "due_date", 0,
                 lambda m: m.return_date.is_(None),
                 "催还借阅档案：{who}（{unit}，应还 {due}）", "borrower_unit"),
)


@dataclass(frozen=True)
class Overdue:
    rule: DeadlineRule
    source_id: int
    title: str
    detail: str
    due: dt.date


def _latest_start(day: dt.date, months: int) -> dt.date:
    """A start date after this one cannot be overdue on `day` (the SQL pre-filter; exact check in Python)."""
    return add_months(day, -months)


def overdue(s: Session, agency_code: str, day: dt.date, rules=RULES) -> Iterator[Overdue]:
    """The agency's records whose deadline passed before `day` and that are not done."""
    for rule in rules:
        m = rule.source
        start = getattr(m, rule.start)
        unit = getattr(m, rule.unit) if rule.unit else None
        q = (select(m.id, start.label("start"), (unit if unit is not None else start).label("unit"),
                    Person.archive_no, Person.name)
             .join(Person, Person.id == m.person_id)
             .where(m.agency_code == agency_code, start.is_not(None), start <= _latest_start(day, rule.months),
                    rule.pending(m))
             .order_by(start, m.id))
        for r in s.execute(q):
            due = add_months(r.start, rule.months)
            if due >= day:  # the last day of the deadline is still in time
                continue
            who = f"{r.archive_no or '—'} {r.name or ''}".strip()
            title = rule.title.format(who=who, start=r.start, due=due, unit=(r.unit if unit is not None else None)
                                      or "—")
            period = f"{rule.months} 个月" if rule.months else "应还日期"
            detail = f"期限：{period}，截止 {due}（{REGULATION}）"
            yield Overdue(rule, r.id, title, detail, due)
