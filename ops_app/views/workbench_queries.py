"""The workbench's five panels as queries over the operational tables.

Scope of 业务经办统计: `ops_app.scope` (the user's agency, or its subtree for
the roles that see downwards). Times in the database are UTC; periods
(今日/本月/本年) are Beijing calendar periods.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from archives_domain.models import (ArchiveConsultation, ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut,
                                    AuditLog, Certificate, MaterialUse, PartyDuesPayment, Todo, UserShortcut)
from archives_domain.models.base import now_utc
from archives_domain.models.security import Group, User, user_group

BEIJING = dt.timedelta(hours=8)
# 业务经办统计: the business types a clerk handles, by the table that records them.
BUSINESS_TYPES = (("档案转入", ArchiveTransferIn), ("档案转出", ArchiveTransferOut), ("档案借阅", ArchiveLoan),
                  ("档案查阅", ArchiveConsultation), ("材料利用", MaterialUse), ("出具证明", Certificate),
                  ("党费交纳", PartyDuesPayment))
# 已办业务: audit actions that are business done (not logins).
DONE_ACTIONS = ("新增", "修改", "删除", "导出", "打印", "上传", "发布", "分配", "办结")


def beijing_today() -> dt.date:
    return (now_utc() + BEIJING).date()


def group_ids(s: Session, user_id: int) -> list[int]:
    return list(s.scalars(select(user_group.c.group_id).where(user_group.c.user_id == user_id)))


def shortcuts(s: Session, user_id: int) -> list[UserShortcut]:
    return list(s.scalars(select(UserShortcut).where(UserShortcut.user_id == user_id)
                          .order_by(UserShortcut.sort_order, UserShortcut.id)))


def done_business(s: Session, username: str, limit: int = 10) -> list[AuditLog]:
    return list(s.scalars(select(AuditLog).where(AuditLog.username == username, AuditLog.action.in_(DONE_ACTIONS))
                          .order_by(AuditLog.id.desc()).limit(limit)))


@dataclass
class BusinessCount:
    business_type: str
    today: int
    month: int
    year: int


def period_starts_utc(today: dt.date) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """Beijing midnight of today, the 1st of the month and 1 January, in UTC (as stored)."""
    return tuple(dt.datetime.combine(d, dt.time()) - BEIJING
                 for d in (today, today.replace(day=1), today.replace(month=1, day=1)))


def business_counts(s: Session, scope, today: dt.date) -> list[BusinessCount]:
    day, month, year = period_starts_utc(today)
    codes = sorted(scope)
    rows = []
    for label, model in BUSINESS_TYPES:
        if not codes:
            rows.append(BusinessCount(label, 0, 0, 0))
            continue
        counts = s.execute(select(func.sum(case((model.created_at >= day, 1), else_=0)),
                                  func.sum(case((model.created_at >= month, 1), else_=0)),
                                  func.count())
                           .where(model.agency_code.in_(codes), model.created_at >= year)).one()
        rows.append(BusinessCount(label, *(int(c or 0) for c in counts)))
    return rows


@dataclass
class TodoRow:
    todo: Todo
    assignee: str | None
    mine: bool


def todos(s: Session, user_id: int, agency_code: str | None, today: dt.date, limit: int = 30) -> list[TodoRow]:
    """The agency's open to-dos due by today, and those finished today; mine first."""
    if not agency_code:
        return []
    groups = group_ids(s, user_id)
    day_start = dt.datetime.combine(today, dt.time()) - BEIJING
    rows = s.scalars(select(Todo).where(Todo.agency_code == agency_code, Todo.due_on <= today,
                                        or_(Todo.status != "已办结", Todo.done_at >= day_start))
                     .order_by(Todo.status == "已办结", Todo.due_on, Todo.id).limit(limit)).all()
    names_g = dict(s.execute(select(Group.id, func.coalesce(Group.label, Group.name))).all())
    users = {t.assignee_user_id for t in rows if t.assignee_user_id}
    names_u = dict(s.execute(select(User.id, User.first_name).where(User.id.in_(users))).all()) if users else {}
    out = []
    for t in rows:
        who = (f"用户组 {names_g.get(t.assignee_group_id, t.assignee_group_id)}" if t.assignee_group_id
               else names_u.get(t.assignee_user_id) if t.assignee_user_id else None)
        mine = t.assignee_user_id == user_id or (t.assignee_group_id in groups if t.assignee_group_id else False)
        out.append(TodoRow(t, who, mine))
    out.sort(key=lambda r: (r.todo.status == "已办结", not r.mine))
    return out


def is_assignee(s: Session, todo: Todo, user_id: int) -> bool:
    return todo.assignee_user_id == user_id or (
        todo.assignee_group_id is not None and todo.assignee_group_id in group_ids(s, user_id))
