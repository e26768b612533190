"""The sync specification (Superset 同步规格): roles, scopes, users and the analytics database, as data.

`archives superset sync` builds this dictionary here (from the operational database) and hands it, as a
0600 JSON file, to `bi/sync_superset.py`, which applies it inside Superset. Rules:

* roles `archives_manager` (查看看板), `archives_analyst` (+ SQL Lab, 制作图表) and the guest role of
  embedded dashboards, each a permission set defined below (copied from Superset's built-in roles, minus
  exclusions);
* one role `scope_<agency_code>` per data scope that a statistics user has, with a Regular RLS rule
  `rls_clause(scope)` on every analytics dataset; users without one see no rows (a Base rule `1 = 0`);
* every active app user holding a 综合统计 permission becomes a Superset user of the same name, without
  password (SSO): analyst if they hold 自定义查询 (stats.custom), else manager, plus their scope role.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts import grants
from ..analytics_scope import SCOPE_ROLE_PREFIX, check_code, rls_clause, scope_agency_codes
from ..data_scope import agency_subtree
from ..models import Agency
from ..models.security import User
from .superset_secrets import SERVICE_USERNAME

DATABASE_UUID = "28b3c099-c2df-49da-9288-948e04658b11"   # bi/assets/databases/分析库.yaml
DATABASE_NAME = "分析库"
MANAGER, ANALYST, GUEST, SERVICE_ROLE = "archives_manager", "archives_analyst", "archives_guest", "archives_service"
OWNER_USERNAME = "archives_sync"
RLS_RULE_PREFIX = "archives_"

# Who becomes a Superset user, and as what — one rule for the sync and the SSO provider
# (archives_domain.analytics_access): the app's permissions (menu nodes of 用户权限, the branch included) that
# open each Superset role, strongest first. 档案信息统计 alone is the app's own list, no Superset account.
_MODULE = "menu_access"
ROLE_RULES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (ANALYST, ((_MODULE, "stats"), (_MODULE, "stats.custom"))),     # 自定义查询: SQL Lab, chart building
    (MANAGER, ((_MODULE, "stats"), (_MODULE, "stats.overview"))),   # 数据概览: dashboards only
)


def role_for(perms) -> str | None:
    """`archives_analyst`, `archives_manager` or None for a user's effective permissions."""
    return next((role for role, needed in ROLE_RULES if all(p in perms for p in needed)), None)

# Objects a viewer must not change (permission, view); "*" = any view.
_WRITES = [["can_write", v] for v in ("Chart", "Dashboard", "Dataset", "Database", "SavedQuery", "Annotation",
                                      "CssTemplate", "ReportSchedule", "Tag", "Theme")]
ROLE_DEFINITIONS: dict[str, dict] = {
    MANAGER: {"copy": ["Gamma"], "exclude": _WRITES + [["can_export", "*"], ["can_import", "*"]],
              "database_access": True},
    ANALYST: {"copy": ["Gamma", "sql_lab"],
              "exclude": [["can_write", "Dataset"], ["can_write", "Database"], ["can_import", "*"]],
              "database_access": True},
    # Guests see what their token names (a dashboard) and nothing through their role.
    GUEST: {"copy": ["Gamma"], "exclude": _WRITES + [["can_export", "*"], ["can_import", "*"]],
            "database_access": False},
}
# all_datasource_access (EMBED): Superset finds a dashboard by slug (GET /api/v1/dashboard/<slug>/embedded, the
# app's embedded uuid) only for a user with access to one of its datasets — else 404. The service account can
# mint guest tokens for any dashboard anyway; its own queries still meet the Base RLS rule `1 = 0`.
SERVICE_PERMISSIONS = [["can_grant_guest_token", "SecurityRestApi"], ["can_read", "SecurityRestApi"],
                       ["can_read", "Dashboard"], ["can_read", "EmbeddedDashboard"],
                       ["all_datasource_access", "all_datasource_access"]]
# Roles that the Base rule `1 = 0` does not restrict: Superset's administrators, and guests (their rows
# are limited by the RLS clause their token carries; the guest-token hook refuses tokens without one).
RLS_EXEMPT_ROLES = ["Admin", GUEST]


@dataclass(frozen=True)
class StatsUser:
    username: str
    display_name: str
    email: str
    agency_code: str
    analyst: bool
    scope: tuple[str, ...]


def stats_users(session: Session, seal_key: bytes) -> list[StatsUser]:
    """Active app users holding a 综合统计 permission (sealed grants, as the app checks them)."""
    out = []
    for user in session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)):
        role = role_for(grants.effective(session, seal_key, user.id).perms)
        if role is None:
            continue
        out.append(StatsUser(user.username, f"{user.last_name}{user.first_name}".strip() or user.username,
                             user.email, user.agency_code or "", role == ANALYST,
                             tuple(scope_agency_codes(session, user))))
    return out


def scope_role(session: Session, user: StatsUser) -> str | None:
    """`scope_<agency>` for an agency's whole subtree; `scope_<agency>_self` for the agency alone (a user
    at a prefecture whose roles do not reach down); None for an empty scope (sees nothing)."""
    if not user.scope:
        return None
    code = check_code(user.agency_code)
    if set(user.scope) == agency_subtree(session, code):
        return SCOPE_ROLE_PREFIX + code
    return SCOPE_ROLE_PREFIX + code + "_self"


def build_spec(session: Session, seal_key: bytes, *, bundle_dir: str, database_uri: str, database_schema: str,
               rls_tables: list[str], secret: str, embed_origins: list[str], force: bool = False) -> dict:
    from .superset_secrets import service_password
    users, scopes = [], {}
    for u in stats_users(session, seal_key):
        role = scope_role(session, u)
        if role:
            scopes[role] = {"name": role, "clause": rls_clause(u.scope),
                            "description": f"数据范围：{_agency_name(session, u.agency_code)}"
                                           f"{'（本机构）' if role.endswith('_self') else '及下级'}"}
        users.append({"username": u.username, "first_name": u.display_name, "last_name": "", "email": u.email,
                      "active": True, "roles": [ANALYST if u.analyst else MANAGER] + ([role] if role else [])})
    return {
        "bundle_dir": bundle_dir, "force": force,
        "database": {"uuid": DATABASE_UUID, "name": DATABASE_NAME, "uri": database_uri,
                     "schema": database_schema},
        "rls_tables": sorted(rls_tables),
        "roles": ROLE_DEFINITIONS, "guest_role": GUEST,
        "scope_role_prefix": SCOPE_ROLE_PREFIX, "rls_rule_prefix": RLS_RULE_PREFIX,
        "scope_roles": [scopes[k] for k in sorted(scopes)], "rls_exempt_roles": RLS_EXEMPT_ROLES,
        "users": users,
        "owner": {"username": OWNER_USERNAME, "first_name": "资产同步", "email": "archives_sync@localhost"},
        "service": {"username": SERVICE_USERNAME, "first_name": "档案系统服务账号", "email": "archives_service@localhost",
                    "password": service_password(secret), "role": SERVICE_ROLE, "permissions": SERVICE_PERMISSIONS},
        "embed_origins": embed_origins,
    }


def _agency_name(session: Session, code: str) -> str:
    agency = session.get(Agency, code)
    return agency.name if agency else code
