"""Row-level security of the analytics schema (分析库数据范围): the app's data scope as a SQL clause.

Superset shows the analytics schema (star schema, every table but dim_date carries
`agency_code`). A Superset user — or a guest token for an embedded dashboard — must see
exactly the rows the app would show them, so both come from here:

* `scope_agency_codes(session, user_or_agency)` — sorted agency codes:
  - a user (the domain `User`, a FAB user, or anything with `agency_code` and `roles`):
    the app's own data scope (`data_scope.scope_for`);
  - an agency code (str): the agency and its subtree — the scope of a statistics user
    there, used for the per-agency Superset roles `scope_<agency_code>`.
* `rls_clause(codes)` — `agency_code IN ('…', …)`; an empty scope gives `1 = 0`.
  Codes are checked (letters and digits only) before they enter SQL.
"""
from __future__ import annotations

import re
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .data_scope import agency_subtree, scope_for
from .models import Agency
from .models.security import Role, User, user_role

_CODE = re.compile(r"^[0-9A-Za-z]{1,16}$")
SCOPE_ROLE_PREFIX = "scope_"


class ScopeCodeError(ValueError):
    """An agency code that is not letters and digits: never put into SQL."""


def _role_names(session: Session, user) -> set[str]:
    roles = getattr(user, "roles", None)
    if roles is not None:
        return {getattr(r, "name", r) for r in roles}
    return set(session.scalars(select(Role.name).join(user_role, user_role.c.role_id == Role.id)
                               .where(user_role.c.user_id == user.id)))


def scope_agency_codes(session: Session, user_or_agency) -> list[str]:
    """数据范围内的机构代码（升序）: a user's scope, or an agency with its subtree."""
    if isinstance(user_or_agency, str):
        code = check_code(user_or_agency)
        if session.get(Agency, code) is None:
            return []
        return sorted(agency_subtree(session, code))
    user = user_or_agency
    if user is None:
        return []
    if isinstance(user, int):
        user = session.get(User, user)
        if user is None:
            return []
    return sorted(scope_for(session, user.agency_code, _role_names(session, user)))


def check_code(code: str) -> str:
    if not isinstance(code, str) or not _CODE.match(code):
        raise ScopeCodeError(f"机构代码不合法：{code!r}（只允许字母和数字）")
    return code


def rls_clause(codes: Iterable[str], column: str = "agency_code") -> str:
    """SQL 行级过滤条件: `agency_code IN ('52', …)`, or `1 = 0` for an empty scope."""
    checked = sorted({check_code(c) for c in codes})
    if not re.match(r"^[a-z_][a-z0-9_]*$", column):
        raise ScopeCodeError(f"列名不合法：{column!r}")
    if not checked:
        return "1 = 0"
    return f"{column} IN (" + ", ".join(f"'{c}'" for c in checked) + ")"


def scope_role_name(agency_code: str) -> str:
    """The Superset role bound to one agency's RLS rule (`scope_<agency_code>`)."""
    return SCOPE_ROLE_PREFIX + check_code(agency_code)
