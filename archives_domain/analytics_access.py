"""统计分析访问 (Superset): who may open Superset through the app's single sign-on, with which Superset roles,
and the secrets the app and Superset share — all derived here, without Flask.

* `superset_roles(session, seal_key, user)` — the Superset roles of an app user at this login:
  `archives_analyst` for a holder of 综合统计 → 自定义查询 (`stats.custom`, SQL Lab and chart building),
  else `archives_manager` for a holder of 综合统计 → 数据概览与报表统计 (`stats.overview`, dashboards only);
  plus `scope_<agency_code>` (or `scope_<agency_code>_self`), the role whose row-level-security rule is the
  user's data scope — named by `bi.superset_spec.scope_role`, as `archives superset sync` names it.
  Anyone else is refused (`AnalyticsRefused`, the message is for the user).
* `oidc_client_secret(settings)`, `service_credentials(settings)` — derived from Superset's key
  (`bi.superset_secrets`, var/keys/superset.key): the app and Superset's configuration compute the same
  values (superset_config.py `_derived`), so no second secret is stored or passed around.
"""
from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.orm import Session

from .accounts import grants
from .bi import superset_secrets, superset_spec
from .analytics_scope import scope_agency_codes

MANAGER_ROLE, ANALYST_ROLE = superset_spec.MANAGER, superset_spec.ANALYST
OIDC_CLIENT_ID = "superset"
OIDC_SECRET_PURPOSE = "archives-superset-oidc-client"   # the same string in bi/superset_config.py section 8


class AnalyticsRefused(PermissionError):
    """The user may not use Superset (no 综合统计 permission, or no data scope); the message is for the user."""


def oidc_client_secret(settings) -> str:
    """The OIDC client secret of Superset: HMAC-SHA256 of Superset's key with OIDC_SECRET_PURPOSE (hex)."""
    secret = superset_secrets.ensure_secret(settings)
    return hmac.new(secret.encode(), OIDC_SECRET_PURPOSE.encode(), hashlib.sha256).hexdigest()


def service_credentials(settings) -> tuple[str, str]:
    """(username, password) of the app's Superset service account (made by `archives superset sync`)."""
    secret = superset_secrets.ensure_secret(settings)
    return superset_secrets.SERVICE_USERNAME, superset_secrets.service_password(secret)


def analytics_role(session: Session, seal_key: bytes, user) -> str | None:
    """`archives_analyst`, `archives_manager` or None, from the user's sealed grants (用户权限)."""
    return superset_spec.role_for(grants.effective(session, seal_key, user.id).perms)


def superset_roles(session: Session, seal_key: bytes, user) -> list[str]:
    """统计分析员单点登录: the Superset roles of `user` (domain or FAB user), or AnalyticsRefused."""
    if user is None or not getattr(user, "active", True):
        raise AnalyticsRefused("账号已停用，不能登录统计分析平台")
    role = analytics_role(session, seal_key, user)
    if role is None:
        raise AnalyticsRefused("您没有“综合统计”的权限，不能登录统计分析平台")
    codes = scope_agency_codes(session, user)
    if not codes or not user.agency_code:
        raise AnalyticsRefused("您的账号没有数据范围（所属机构），不能登录统计分析平台")
    # The scope role of `archives superset sync` (scope_<agency>, or scope_<agency>_self when the user sees
    # their agency alone): one rule for the sync and the login.
    scope = superset_spec.scope_role(session, superset_spec.StatsUser(
        user.username, "", "", user.agency_code, role == ANALYST_ROLE, tuple(codes)))
    return [role, scope]
