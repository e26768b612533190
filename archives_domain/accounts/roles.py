"""Built-in roles (内置角色) and the separation of the three administrators (三员分立)."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models.security import Role

SYSTEM_ADMIN = "系统管理员"     # users, agencies, configuration; no business data
SECURITY_ADMIN = "安全管理员"   # roles and permissions; no business data
AUDIT_ADMIN = "审计管理员"      # reads the audit log only
ADMIN_ROLES = (SYSTEM_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN)
BUSINESS_ROLES = ("档案经办人", "业务负责人", "库房管理员", "查询员", "党务专员", "统计分析员")
BUILTIN_ROLES = ADMIN_ROLES + BUSINESS_ROLES


class RoleConflictError(ValueError):
    """An account would hold two of the three administrator roles."""


def check_role_combination(role_names: Iterable[str]) -> None:
    """三员分立: no account holds two of 系统管理员, 安全管理员, 审计管理员."""
    admins = sorted(set(role_names) & set(ADMIN_ROLES), key=ADMIN_ROLES.index)
    if len(admins) > 1:
        raise RoleConflictError(f"三员分立：同一账号不得同时拥有{'、'.join(admins)}角色")


def ensure_builtin_roles(session: Session) -> list[str]:
    """Create the built-in roles that are missing (idempotent); returns the names created."""
    have = set(session.scalars(select(Role.name).where(Role.name.in_(BUILTIN_ROLES))))
    created = [name for name in BUILTIN_ROLES if name not in have]
    session.add_all(Role(name=name) for name in created)
    session.flush()
    return created
