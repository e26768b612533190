"""Creating accounts and setting passwords, with the history the policy needs."""
from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..models.base import now_utc
from ..models.reference import Agency
from ..models.security import PasswordHistory, Role, User, user_role
from .passwords import HISTORY_DEPTH, check_policy, hash_password
from .roles import check_role_combination


class AccountError(ValueError):
    """The account cannot be created or changed as asked; the message is for the user."""


def password_history(session: Session, user_id: int) -> list[str]:
    """The user's most recent password hashes, newest first (the current one included)."""
    return list(session.scalars(select(PasswordHistory.password).where(PasswordHistory.user_id == user_id)
                                .order_by(PasswordHistory.changed_at.desc(), PasswordHistory.id.desc())
                                .limit(HISTORY_DEPTH)))


def set_password(session: Session, user: User, password: str, *, must_change: bool = False) -> None:
    """Check the policy (and the last five), store the new hash, remember it in the history."""
    check_policy(password, user.username, password_history(session, user.id) if user.id else [])
    now = now_utc()
    user.password = hash_password(password)
    user.password_changed_at = now
    user.must_change_password = must_change
    session.flush()
    session.add(PasswordHistory(user_id=user.id, password=user.password, changed_at=now))
    session.flush()
    # Keep only what the rule needs: old hashes are a liability, not a record.
    keep = select(PasswordHistory.id).where(PasswordHistory.user_id == user.id) \
        .order_by(PasswordHistory.changed_at.desc(), PasswordHistory.id.desc()).limit(HISTORY_DEPTH)
    keep_ids = list(session.scalars(keep))
    session.execute(delete(PasswordHistory).where(PasswordHistory.user_id == user.id,
                                                  PasswordHistory.id.not_in(keep_ids)))


def create_user(session: Session, *, username: str, password: str | None, role_names: list[str], agency_code: str,
                first_name: str | None = None, last_name: str = "", email: str | None = None) -> User:
    """A new active account that must change its password at first login.

    `password=None` makes an account with no password (it cannot sign in): the web's
    用户管理 does that, the password comes from a 安全管理员's confirmation (accounts.confirmation)."""
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"用户名 {username} 已存在")
    if session.get(Agency, agency_code) is None:
        raise AccountError(f"存档机构代码 {agency_code} 不存在（请先执行 archives db seed）")
    roles = list(session.scalars(select(Role).where(Role.name.in_(role_names))))
    missing = set(role_names) - {r.name for r in roles}
    if missing:
        raise AccountError(f"角色不存在：{'、'.join(sorted(missing))}（请先执行 archives users init-roles）")
    check_role_combination(role_names)
    now = now_utc()
    user = User(username=username, first_name=first_name or username, last_name=last_name,
                email=email or f"{username}@archives.invalid", active=True, agency_code=agency_code,
                login_count=0, fail_login_count=0, created_on=now, changed_on=now, must_change_password=True)
    session.add(user)
    session.flush()
    if password is not None:
        set_password(session, user, password, must_change=True)
    for role in roles:
        session.execute(insert(user_role).values(user_id=user.id, role_id=role.id))
    session.flush()
    return user
