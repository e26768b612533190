"""通知公告: templates, notices, recipients (user groups or users), received notices and read markers."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from archives_domain.models import Notice, NoticeRead, NoticeRecipient
from archives_domain.models.base import now_utc
from archives_domain.models.security import Group, User, user_group

from .i18n import _

NOTICE_TYPES = ("通知", "提示", "关注", "政策")
MODULE = ("系统管理", "通知公告")


def group_ids_of(s: Session, user_id: int) -> list[int]:
    return list(s.scalars(select(user_group.c.group_id).where(user_group.c.user_id == user_id)))


def addressed_to(user_id: int, group_ids: list[int]):
    """Where-clause on NoticeRecipient: the row addresses this user directly or one of their groups."""
    return or_(NoticeRecipient.user_id == user_id,
               NoticeRecipient.group_id.in_(group_ids) if group_ids else False)


def is_recipient(s: Session, notice_id: int, user_id: int) -> bool:
    groups = group_ids_of(s, user_id)
    return bool(s.scalar(select(exists().where(NoticeRecipient.notice_id == notice_id,
                                               addressed_to(user_id, groups)))))


@dataclass
class Received:
    notice: Notice
    read: bool
    publisher: str


def received(s: Session, user_id: int, limit: int = 10) -> list[Received]:
    groups = group_ids_of(s, user_id)
    to_me = select(NoticeRecipient.notice_id).where(addressed_to(user_id, groups))
    read = select(NoticeRead.notice_id).where(NoticeRead.user_id == user_id)
    rows = s.execute(select(Notice, Notice.id.in_(read).label("is_read"), User.first_name)
                     .outerjoin(User, User.id == Notice.publisher_id)
                     .where(Notice.status == "已发布", Notice.id.in_(to_me))
                     .order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)).all()
    return [Received(n, bool(r), p or "—") for n, r, p in rows]


def unread_count(s: Session, user_id: int) -> int:
    return sum(1 for r in received(s, user_id, limit=200) if not r.read)


def mark_read(s: Session, notice_id: int, user_id: int) -> bool:
    """Remember that the user read it; False if the notice is not addressed to them. Caller commits."""
    if not is_recipient(s, notice_id, user_id):
        return False
    if s.scalar(select(NoticeRead.id).where(NoticeRead.notice_id == notice_id, NoticeRead.user_id == user_id)) is None:
        s.add(NoticeRead(notice_id=notice_id, user_id=user_id, read_at=now_utc()))
        s.flush()
    return True


def set_recipients(s: Session, notice: Notice, group_ids: list[int], user_ids: list[int]) -> None:
    s.execute(delete(NoticeRecipient).where(NoticeRecipient.notice_id == notice.id))
    s.add_all([NoticeRecipient(notice_id=notice.id, group_id=g) for g in sorted(set(group_ids))]
              + [NoticeRecipient(notice_id=notice.id, user_id=u) for u in sorted(set(user_ids))])
    s.flush()


def recipients(s: Session, notice_id: int, *, localized: bool = False) -> tuple[list[str], list[str]]:
    """Groups and users a notice is published to (Chinese for the audit log; `localized` for a page)."""
    groups = [g.label or g.name for g in s.scalars(
        select(Group).join(NoticeRecipient, NoticeRecipient.group_id == Group.id)
        .where(NoticeRecipient.notice_id == notice_id).order_by(Group.name))]
    users = [(_("%(name)s（%(user)s）", name=u.first_name, user=u.username) if localized
              else f"{u.first_name}（{u.username}）") for u in s.scalars(
        select(User).join(NoticeRecipient, NoticeRecipient.user_id == User.id)
        .where(NoticeRecipient.notice_id == notice_id).order_by(User.username))]
    return groups, users


def publish(s: Session, notice: Notice, group_ids: list[int], user_ids: list[int], by: str) -> None:
    set_recipients(s, notice, group_ids, user_ids)
    notice.status = "已发布"
    notice.published_at = now_utc()
    notice.updated_by = by
    s.flush()


def group_choices(s: Session) -> list[tuple[int, str]]:
    return [(g.id, g.label or g.name) for g in s.scalars(select(Group).order_by(Group.name))]


def user_choices(s: Session) -> list[tuple[int, str]]:
    return [(u.id, _("%(name)s（%(user)s，%(agency)s）", name=u.first_name, user=u.username, agency=u.agency_code or "—"))
            for u in s.scalars(select(User).where(User.active.is_(True)).order_by(User.agency_code, User.username))]
