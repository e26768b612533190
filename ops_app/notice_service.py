"""通知公告: templates, notices, recipients (user groups or users), received notices and read markers.

Scope (issue 13, defect 2): notices and their 文字模板 belong to the publishing agency. A manager
sees, edits and republishes those of its data scope (`ops_app.scope`: a 业务负责人 its agency and
the agencies below); a 系统管理员, who holds 发布通知公告 but sees no business data, its own
agency's. Another agency's notice is a 404. The 发布者 and the addressed users are users of
that scope; the 发布者 must hold 发布通知公告.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g
from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from archives_domain.accounts import grants
from archives_domain.models import Notice, NoticeRead, NoticeRecipient
from archives_domain.models.base import now_utc
from archives_domain.accounts.roles import ADMIN_ROLES
from archives_domain.models.security import Group, Role, User, user_group, user_role

from .access import CAPABILITIES, can
from .i18n import _
from .scope import in_scope, visible_agency_codes
from .security import permissions as P

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


def group_choices(s: Session, user=None) -> list[tuple[int, str]]:
    """The 用户组 a notice or a to-do may go to: those of the user's own agency (issue 14)."""
    user = user if user is not None else g.user
    agency = getattr(user, "agency_code", None)
    if not agency:
        return []
    return [(grp.id, grp.label or grp.name)
            for grp in s.scalars(select(Group).where(Group.agency_code == agency).order_by(Group.name))]


def scope_codes(s: Session, user=None) -> frozenset[str]:
    """The agencies whose notices the user manages (see the module docstring)."""
    user = user if user is not None else g.user
    codes = visible_agency_codes(s, user)
    if not codes and user.agency_code and can(user, "notice.publish"):
        return frozenset({user.agency_code})
    return codes


def get_in_scope(s: Session, model, pk: int | None):
    """A notice or 文字模板 of the user's scope, else 404 (another agency's looks like none)."""
    row = s.scalar(select(model).where(model.id == pk, in_scope(model, scope_codes(s)))) if pk else None
    if row is None:
        abort(404)
    return row


def _scope_users(s: Session) -> list[User]:
    codes = sorted(scope_codes(s))
    return list(s.scalars(select(User).where(User.active.is_(True), User.agency_code.in_(codes))
                          .order_by(User.agency_code, User.username))) if codes else []


def _label(u: User) -> str:
    return _("%(name)s（%(user)s，%(agency)s）", name=u.first_name, user=u.username, agency=u.agency_code or "—")


def user_choices(s: Session) -> list[tuple[int, str]]:
    """Users a notice may be addressed to: the active users of the publisher's scope."""
    return [(u.id, _label(u)) for u in _scope_users(s)]


def publisher_choices(s: Session) -> list[tuple[int, str]]:
    """Who may be named 发布者: an active user of the scope who holds 发布通知公告, and of the editor's kind —
    a business user's notice is never attributed to an administrator (三员分立), nor the reverse.

    `access.can` answers for a signed-in user; these are plain rows, so their sealed grants are read here."""
    target, key = CAPABILITIES["notice.publish"], P.seal_key()
    editor_admin = bool({r.name for r in g.user.roles} & set(ADMIN_ROLES))
    return [(u.id, _label(u)) for u in _scope_users(s)
            if _is_admin(s, u.id) == editor_admin and target in grants.effective(s, key, u.id).perms]


def _is_admin(s: Session, user_id: int) -> bool:
    return s.scalar(select(exists().where(user_role.c.user_id == user_id, user_role.c.role_id == Role.id,
                                          Role.name.in_(ADMIN_ROLES)))) or False


# MariaDB's TEXT holds 65,535 bytes; the form counts characters (a Chinese one is 3 bytes in UTF-8).
TEXT_MAX_BYTES = 65535


def body_too_long(html: str) -> bool:
    """The sanitised 正文 would not fit its column (a 500 before issue 13)."""
    return len(html.encode("utf-8")) > TEXT_MAX_BYTES
