"""The workbench's five panels as queries over the operational tables.

Scope of 业务经办统计: `ops_app.scope` (the user's agency, or its subtree for
the roles that see downwards). Times in the database are UTC; periods
(今日/本月/本年) are Beijing calendar periods.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from archives_domain.models import AuditLog, Todo, UserShortcut
from archives_domain.models.base import now_utc
from archives_domain.models.security import Group, User, user_group
from archives_domain.statistics import kinds

from ..i18n import N_

BEIJING = dt.timedelta(hours=8)
# 业务经办统计: each kind of business, by the table that records it and the date it is done on — the domain's
# list (archives_domain.statistics.kinds, shared with 综合统计); the labels marked here for the catalogue.
BUSINESS_KINDS = tuple((k.label, k.model, k.column) for k in kinds.WORKBENCH)
KIND_LABELS = (N_("档案转入"), N_("档案转出"), N_("档案借阅"), N_("档案归还"), N_("出具证明"), N_("集体户口迁入"),
               N_("集体户口迁出"), N_("户籍卡借阅"), N_("户籍卡归还"), N_("材料收集"), N_("材料鉴别"), N_("材料归档"),
               N_("待核实处理"), N_("档案查阅"), N_("材料利用"), N_("党费交纳"))
# 已办业务: the user's successful entries of the audit log, except signing in and out, reading and the
# security events — whatever verb a business module records (接收, 转出, 归还, 出具, 鉴别, 采纳 …) counts.
NOT_DONE_ACTIONS = ("登录", "登出", "登录失败", "登录限流", "锁定", "访问拒绝", "告警", "查看", "查看完整信息",
                    "查看明文", "启用动态口令", "修改口令", "退出")
# The deadline clock's to-do types (archives_domain.deadlines.RULES), shown translated on the workbench.
DEADLINE_TYPES = (N_("转出超期"), N_("回执超期"), N_("上架超期"), N_("借阅逾期"))
# 待办事项 open the record they are about (the URL contract of issue 14); inventory marks have no page yet.
TODO_LINKS = {"archive_transfer_out": "/transfer/out/{id}", "archive_transfer_in": "/transfer/in/{id}",
              "archive_loan": "/transfer/loan/{id}", "dq_review_item": "/review/{id}"}


def todo_link(source_table: str | None, source_id: int | None) -> str | None:
    pattern = TODO_LINKS.get(source_table or "")
    return pattern.format(id=source_id) if pattern and source_id is not None else None


def beijing_today() -> dt.date:
    return (now_utc() + BEIJING).date()


def group_ids(s: Session, user_id: int) -> list[int]:
    return list(s.scalars(select(user_group.c.group_id).where(user_group.c.user_id == user_id)))


def shortcuts(s: Session, user_id: int) -> list[UserShortcut]:
    return list(s.scalars(select(UserShortcut).where(UserShortcut.user_id == user_id)
                          .order_by(UserShortcut.sort_order, UserShortcut.id)))


def done_business(s: Session, username: str, limit: int = 10) -> list[AuditLog]:
    return list(s.scalars(select(AuditLog).where(AuditLog.username == username, AuditLog.result == "成功",
                                                 AuditLog.action.not_in(NOT_DONE_ACTIONS))
                          .order_by(AuditLog.ts.desc(), AuditLog.id.desc()).limit(limit)))


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
    """Each kind of business done today, this month and this year (Beijing periods) in the agencies `scope`."""
    starts_utc = period_starts_utc(today)
    starts_day = (today, today.replace(day=1), today.replace(month=1, day=1))
    codes = sorted(scope)
    rows = []
    for label, model, column in BUSINESS_KINDS:
        if not codes:
            rows.append(BusinessCount(label, 0, 0, 0))
            continue
        on = getattr(model, column)
        is_date = not isinstance(on.type, sa.DateTime)
        day, month, year = starts_day if is_date else starts_utc
        until = on <= today if is_date else on < starts_utc[0] + dt.timedelta(days=1)
        counts = s.execute(select(func.sum(case((on >= day, 1), else_=0)), func.sum(case((on >= month, 1), else_=0)),
                                  func.count())
                           .where(model.agency_code.in_(codes), on >= year, until)).one()
        rows.append(BusinessCount(label, *(int(c or 0) for c in counts)))
    return rows


@dataclass
class TodoRow:
    todo: Todo
    assignee: str | None
    mine: bool
    link: str | None = None


def todos(s: Session, user_id: int, agency_code: str | None, today: dt.date, limit: int = 30) -> list[TodoRow]:
    """The agency's open to-dos due by today, and those finished today; mine first."""
    if not agency_code:
        return []
    groups = group_ids(s, user_id)
    day_start = dt.datetime.combine(today, dt.time()) - BEIJING
    rows = s.scalars(select(Todo).where(Todo.agency_code == agency_code, Todo.due_on <= today,
                                        or_(Todo.status != "已办结", Todo.done_at >= day_start))
                     .order_by(Todo.status == "已办结", Todo.due_on, Todo.id).limit(limit)).all()
    named = {t.assignee_group_id for t in rows if t.assignee_group_id}
    names_g = dict(s.execute(select(Group.id, func.coalesce(Group.label, Group.name))
                             .where(Group.id.in_(named))).all()) if named else {}
    users = {t.assignee_user_id for t in rows if t.assignee_user_id}
    names_u = dict(s.execute(select(User.id, User.first_name).where(User.id.in_(users))).all()) if users else {}
    out = []
    for t in rows:
        who = (f"用户组 {names_g.get(t.assignee_group_id, t.assignee_group_id)}" if t.assignee_group_id
               else names_u.get(t.assignee_user_id) if t.assignee_user_id else None)
        mine = t.assignee_user_id == user_id or (t.assignee_group_id in groups if t.assignee_group_id else False)
        out.append(TodoRow(t, who, mine, todo_link(t.source_table, t.source_id)))
    out.sort(key=lambda r: (r.todo.status == "已办结", not r.mine))
    return out


def is_assignee(s: Session, todo: Todo, user_id: int) -> bool:
    return todo.assignee_user_id == user_id or (
        todo.assignee_group_id is not None and todo.assignee_group_id in group_ids(s, user_id))
