"""The workbench's five panels as queries over the operational tables (scope: the user's agency and below)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from archives_domain.models import (Agency, ArchiveConsultation, ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut,
                                    AuditLog, Certificate, MaterialUse, Notice, NoticeRecipient, PartyDuesPayment,
                                    Todo, UserShortcut)
from archives_domain.models.security import user_group

# 业务经办统计: the business types a clerk handles, by the table that records them.
BUSINESS_TYPES = (("档案转入", ArchiveTransferIn), ("档案转出", ArchiveTransferOut), ("档案借阅", ArchiveLoan),
                  ("档案查阅", ArchiveConsultation), ("材料利用", MaterialUse), ("出具证明", Certificate),
                  ("党费交纳", PartyDuesPayment))
# 已办业务: audit actions that are business done (not logins).
DONE_ACTIONS = ("新增", "修改", "删除", "导出", "打印", "上传")


def agency_scope(s: Session, code: str | None) -> list[str]:
    """The agency and every agency below it (省 ⊃ 市州 ⊃ 县区)."""
    if not code:
        return []
    child, grandchild = aliased(Agency), aliased(Agency)
    codes = {code}
    codes |= set(s.scalars(select(child.code).where(child.parent_code == code)))
    codes |= set(s.scalars(select(grandchild.code).join(child, grandchild.parent_code == child.code)
                           .where(child.parent_code == code)))
    return sorted(codes)


def _group_ids(s: Session, user_id: int) -> list[int]:
    return list(s.scalars(select(user_group.c.group_id).where(user_group.c.user_id == user_id)))


def shortcuts(s: Session, user_id: int) -> list[str]:
    return list(s.scalars(select(UserShortcut.menu_key).where(UserShortcut.user_id == user_id)
                          .order_by(UserShortcut.sort_order, UserShortcut.id)))


def done_business(s: Session, username: str, limit: int = 10) -> list[AuditLog]:
    return list(s.scalars(select(AuditLog).where(AuditLog.username == username, AuditLog.action.in_(DONE_ACTIONS))
                          .order_by(AuditLog.id.desc()).limit(limit)))


def received_notices(s: Session, user_id: int, limit: int = 10) -> list[Notice]:
    groups = _group_ids(s, user_id)
    to_me = or_(NoticeRecipient.user_id == user_id, NoticeRecipient.group_id.in_(groups) if groups else False)
    return list(s.scalars(select(Notice).join(NoticeRecipient, NoticeRecipient.notice_id == Notice.id)
                          .where(Notice.status == "已发布", to_me).distinct()
                          .order_by(Notice.published_at.desc()).limit(limit)))


@dataclass
class BusinessCount:
    business_type: str
    today: int
    month: int
    year: int


def business_counts(s: Session, scope: list[str], today: dt.date) -> list[BusinessCount]:
    starts = (dt.datetime.combine(today, dt.time()), dt.datetime(today.year, today.month, 1),
              dt.datetime(today.year, 1, 1))
    rows = []
    for label, model in BUSINESS_TYPES:
        counts = [s.scalar(select(func.count()).select_from(model).where(model.agency_code.in_(scope),
                                                                       model.created_at >= start)) or 0
                  for start in starts] if scope else [0, 0, 0]
        rows.append(BusinessCount(label, *counts))
    return rows


def todos(s: Session, user_id: int, agency_code: str | None, today: dt.date, limit: int = 20) -> list[Todo]:
    """The agency's open to-dos due by today: assigned to me or my groups, or not yet assigned."""
    if not agency_code:
        return []
    groups = _group_ids(s, user_id)
    mine = or_(Todo.assignee_user_id == user_id,
               Todo.assignee_group_id.in_(groups) if groups else False,
               (Todo.assignee_user_id.is_(None)) & (Todo.assignee_group_id.is_(None)))
    return list(s.scalars(select(Todo).where(Todo.agency_code == agency_code, Todo.status != "已办结",
                                             Todo.due_on <= today, mine)
                          .order_by(Todo.due_on, Todo.id).limit(limit)))
