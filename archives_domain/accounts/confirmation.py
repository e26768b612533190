"""三员分立 on accounts: what a 系统管理员 proposes, a 安全管理员 confirms (issue 13, defect 3).

No administrator alone may end up with an account it can use for business:

* the 系统管理员 creates an account (identity, agency) and proposes its roles, but the
  account stays disabled and has no password until a 安全管理员 confirms the roles;
* the confirmation issues a one-time initial password, shown once to the 安全管理员 for
  hand-over and changed at first login — the 系统管理员 never chooses or sees it;
* any later change of roles or agency, re-enabling a disabled account, or a password
  reset proposed by the 系统管理员 puts the account back to pending (disabled, sessions
  ended) until a 安全管理员 confirms again;
* accounts made from the shell (`archives users create`, machine root) are the
  bootstrap path and need no confirmation.

The web views call these functions; the caller audits and commits.
"""
from __future__ import annotations

import secrets
import string

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models.base import now_utc
from ..models.security import Role, RoleConfirmation, User, user_role
from .passwords import PasswordPolicyError, check_policy
from .roles import ADMIN_ROLES
from .users import set_password

PENDING, CONFIRMED = "待确认", "已确认"
SEP = "、"


class ConfirmationError(ValueError):
    """The confirmation cannot be made as asked; the message is for the user."""


def role_names(s: Session, user_id: int) -> list[str]:
    return list(s.scalars(select(Role.name).join(user_role, user_role.c.role_id == Role.id)
                          .where(user_role.c.user_id == user_id).order_by(Role.id)))


def has_business_role(names) -> bool:
    return bool(set(names) - set(ADMIN_ROLES))


def is_pending(s: Session, user_id: int) -> bool:
    row = s.get(RoleConfirmation, user_id)
    return row is not None and row.status == PENDING


def needs_confirmation(*, old_roles, new_roles, old_agency, new_agency, was_active: bool, active: bool) -> bool:
    """Whether a 系统管理员's change of an existing account must wait for a 安全管理员.

    Only business accounts: an administrator account gets no business role from the web at all."""
    if not has_business_role(new_roles):
        return False
    return set(old_roles) != set(new_roles) or old_agency != new_agency or (active and not was_active)


def propose(s: Session, user: User, *, by: str, reason: str) -> RoleConfirmation:
    """Put the account to pending: disabled, its session ended, the current roles awaiting confirmation."""
    row = s.get(RoleConfirmation, user.id)
    if row is None:
        row = RoleConfirmation(user_id=user.id)
        s.add(row)
    row.status, row.reason = PENDING, reason[:255]
    row.proposed_roles = SEP.join(role_names(s, user.id))[:255]
    row.proposed_agency = user.agency_code
    row.proposed_by, row.proposed_at = by, now_utc()
    user.active = False
    user.session_id = None
    s.flush()
    return row


def pending(s: Session) -> list[tuple[User, RoleConfirmation]]:
    rows = s.execute(select(User, RoleConfirmation).join(RoleConfirmation, RoleConfirmation.user_id == User.id)
                     .where(RoleConfirmation.status == PENDING).order_by(RoleConfirmation.proposed_at, User.username))
    return [(u, c) for u, c in rows]


def initial_password(username: str) -> str:
    """A random one-time password that meets the policy (four classes, 16 characters)."""
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits, "#%+=@^_-")
    for _ in range(100):
        chars = [secrets.choice(p) for p in pools] + [secrets.choice("".join(pools)) for _ in range(12)]
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        try:
            check_policy(password, username)
        except PasswordPolicyError:
            continue  # e.g. on a breached-password list or containing the user name: draw again
        return password
    raise ConfirmationError("无法生成符合口令策略的初始口令")


def confirm(s: Session, user: User, *, by: str, by_user_id: int) -> str | None:
    """The 安全管理员 confirms the pending roles: the account is enabled.

    Returns the one-time initial password when the account has none (new or reset), else None."""
    row = s.get(RoleConfirmation, user.id)
    if row is None or row.status != PENDING:
        raise ConfirmationError(f"账号 {user.username} 没有待确认的角色")
    if user.id == by_user_id:
        raise ConfirmationError("三员分立：不能确认自己的账号")
    roles = role_names(s, user.id)
    if set(roles) & set(ADMIN_ROLES):
        raise ConfirmationError("三员分立：管理员账号不在此确认")
    if not roles:
        raise ConfirmationError(f"账号 {user.username} 没有角色，不能确认")
    row.status = CONFIRMED
    row.confirmed_roles, row.confirmed_agency = SEP.join(roles)[:255], user.agency_code
    row.confirmed_by, row.confirmed_at = by, now_utc()
    user.active = True
    user.locked_until, user.fail_login_count = None, 0
    password = None
    if not user.password:
        password = initial_password(user.username)
        set_password(s, user, password, must_change=True)
    s.flush()
    return password


def reset_password(s: Session, user: User, *, by: str) -> None:
    """The 系统管理员's password reset: the old password is void, a 安全管理员 issues a new one on confirming."""
    user.password = None
    user.must_change_password = True
    propose(s, user, by=by, reason="重置口令")
