"""用户权限 in the app: module permissions from the menu tree, mapped onto FAB's permission tables.

* Every node of `ops_app.menu.MENU` is a FAB view menu named by its key (e.g.
  `system.log`) with the action `menu_access`; 查看完整身份证号/电话, 导出个人数据 and
  打印个人数据 are three actions on the view menu `personal_data`.
* A user may use a module when they hold its permission AND that of every
  ancestor (revoking a 1st-level module closes its whole branch).
* `access_guard` (before every request) maps the endpoint to a module — by the
  menu's endpoints or a view's `archives_module` attribute — and answers 403
  (audited) when the user lacks it; endpoints of no module are refused too,
  except the login pages and static files. The menu shows only what the user holds.
* Grants come from `archives_domain.accounts.grants`: sealed rows only; a row
  with a missing or wrong seal is ignored and raises an alert in the audit log
  (once per row and process).
"""
from __future__ import annotations

from flask import current_app, g, jsonify, redirect, request, url_for

from archives_domain.accounts import grants
from archives_domain.accounts.roles import AUDIT_ADMIN, SECURITY_ADMIN, SYSTEM_ADMIN

from ..errors import render_error
from ..i18n import N_, Msg, _
from ..menu import MENU, by_key
from . import events

MODULE_ACTION = "menu_access"
PII_VIEW = "personal_data"
UNMASKED, EXPORT, PRINT = ("can_view_unmasked", PII_VIEW), ("can_export", PII_VIEW), ("can_print", PII_VIEW)
SPECIAL = ((UNMASKED, N_("查看完整身份证号/电话")), (EXPORT, N_("导出个人数据")), (PRINT, N_("打印个人数据")))
# Business operations beyond opening a module (formerly the capabilities of ops_app.access, from the roles):
# publish a notice (通知公告 and the 工作台's publish form), assign a to-do, upload an attachment (图片上传).
PUBLISH, ASSIGN, UPLOAD = ("can_publish", "notice"), ("can_assign", "todo"), ("can_upload", "attachment")
REVOKE_CERT = ("can_revoke", "certificate")  # 出具相关证明 → 作废证明
CANCEL_TRANSFER_OUT = ("can_cancel", "archive_transfer_out")  # 撤销档案转出: restores the person's state
# 档案材料: 鉴别 and 归档 of a material (收集, 修改, 删除 come with the module 档案材料管理).
IDENTIFY_MATERIAL, ARCHIVE_MATERIAL = ("can_identify", "material"), ("can_archive", "material")
EDIT_PERSON = ("can_edit", "person")  # 编辑个人信息: the person page's data pages (ops_app.person)
ACTIONS = ((PUBLISH, N_("发布通知公告")), (ASSIGN, N_("分配待办事项")), (UPLOAD, N_("上传附件（图片）")),
           (EDIT_PERSON, N_("编辑个人信息")), (REVOKE_CERT, N_("作废证明")), (CANCEL_TRANSFER_OUT, N_("撤销档案转出")),
           (IDENTIFY_MATERIAL, N_("鉴别档案材料")), (ARCHIVE_MATERIAL, N_("档案材料归档")))
# Operations an administrator role may hold (三员分立: nothing of business data).
ADMIN_ACTIONS = {SYSTEM_ADMIN: {PUBLISH}}
PERMISSION_MODULE, LOG_MODULE, NOTICE_MODULE = "system.permission", "system.log", "system.notice"
AGENCY_MODULE, USER_MODULE, GROUP_MODULE = "system.agency", "system.user", "system.group"

# Reachable without any module permission: logging in and out, the second factor, static files, language.
# Public pages for anyone, signed in or not (the session guard leaves them alone too): 证明核验 /verify/<no>.
# The OpenID provider's discovery, JWKS, token and userinfo: called by Superset's server (OidcView).
PUBLIC_BLUEPRINTS = {"CertificateVerifyView", "OidcView"}
OPEN_BLUEPRINTS = {"ArchivesAuthDBView", "TotpView", "static", "appbuilder", "LocaleView", "UtilView",
                   "OidcAuthorizeView",  # signs in itself, then checks 综合统计 (Chinese 403)
                   *PUBLIC_BLUEPRINTS}

BUSINESS_MODULES = ("personal", "unit", "party", "transfer", "warehouse", "digital", "stats")
# What each built-in role holds when first initialised (a key means its whole branch, plus its ancestors).
DEFAULT_GRANTS: dict[str, tuple] = {
    SYSTEM_ADMIN: ("workbench", NOTICE_MODULE, AGENCY_MODULE, USER_MODULE, GROUP_MODULE, PUBLISH),
    SECURITY_ADMIN: ("workbench", PERMISSION_MODULE),
    AUDIT_ADMIN: ("workbench", LOG_MODULE),
    "档案经办人": ("workbench", *BUSINESS_MODULES, PRINT, UPLOAD, EDIT_PERSON, REVOKE_CERT, IDENTIFY_MATERIAL,
              ARCHIVE_MATERIAL),
    "业务负责人": ("workbench", *BUSINESS_MODULES, NOTICE_MODULE, UNMASKED, EXPORT, PRINT, PUBLISH, ASSIGN, UPLOAD,
              EDIT_PERSON, REVOKE_CERT, CANCEL_TRANSFER_OUT, IDENTIFY_MATERIAL, ARCHIVE_MATERIAL),
    "库房管理员": ("workbench", "warehouse", "transfer", "digital"),
    "查询员": ("workbench", "personal.info.basic", "stats.archive"),  # not 待核实 (deciding is a clerk's)
    "党务专员": ("workbench", "party"),
    "统计分析员": ("workbench", "stats"),
}
# 三员分立: the most an administrator role (or a user holding one) may ever be granted — no business data.
ADMIN_CEILING = {
    SYSTEM_ADMIN: {"workbench", "system", NOTICE_MODULE, AGENCY_MODULE, USER_MODULE, GROUP_MODULE},
    SECURITY_ADMIN: {"workbench", "system", PERMISSION_MODULE},
    AUDIT_ADMIN: {"workbench", "system", LOG_MODULE},
}
# Modules that only one administrator role may hold, and that role can never lose.
OWNED_MODULES = {PERMISSION_MODULE: SECURITY_ADMIN, LOG_MODULE: AUDIT_ADMIN, AGENCY_MODULE: SYSTEM_ADMIN,
                 USER_MODULE: SYSTEM_ADMIN, GROUP_MODULE: SYSTEM_ADMIN}


class GrantError(ValueError):
    """The grant breaks 三员分立 or the permission rules; the message is for the user."""


def module_perm(key: str) -> grants.Perm:
    return (MODULE_ACTION, key)


def parents() -> dict[str, str | None]:
    out: dict[str, str | None] = {}

    def walk(node, parent):
        out[node.key] = parent
        for child in node.children:
            walk(child, node.key)
    for top in MENU:
        walk(top, None)
    return out


def ancestors(key: str) -> list[str]:
    up, out = parents(), []
    while (key := up.get(key)) is not None:
        out.append(key)
    return out


def universe() -> set[grants.Perm]:
    return {module_perm(k) for k in by_key()} | {p for p, _ in SPECIAL} | {p for p, _ in ACTIONS}


def expand(items) -> set[grants.Perm]:
    """Keys → the permissions of each node's branch and of its ancestors; permission tuples pass through."""
    nodes, out = by_key(), set()
    for item in items:
        if isinstance(item, tuple):
            out.add(item)
            continue
        out |= {module_perm(n.key) for _, n in nodes[item].walk()}
        out |= {module_perm(a) for a in ancestors(item)}
    return out


def check_grantable(role_names: set[str], perms: set[grants.Perm], *, subject: str) -> None:
    """三员分立 on what a role or user would hold."""
    modules = {v for a, v in perms if a == MODULE_ACTION}
    for module, owner in OWNED_MODULES.items():
        if module in modules and owner not in role_names:
            raise GrantError(Msg("三员分立：“%(module)s”只能授予%(owner)s，不能授予%(subject)s",
                                 module=by_key()[module].label, owner=owner, subject=subject))
    for admin, ceiling in ADMIN_CEILING.items():
        if admin in role_names:
            extra = (sorted(modules - ceiling) + [label for p, label in SPECIAL if p in perms]
                     + [label for p, label in ACTIONS if p in perms and p not in ADMIN_ACTIONS.get(admin, ())])
            if extra:
                labels = [by_key()[k].label if k in by_key() else k for k in extra]
                raise GrantError(Msg("三员分立：%(subject)s（%(admin)s）不得拥有业务数据或其他管理权限：%(labels)s",
                                     subject=subject, admin=admin, labels="、".join(labels)))
    for module, owner in OWNED_MODULES.items():
        if subject == owner and module not in modules:
            raise GrantError(Msg("%(owner)s角色不能失去“%(module)s”（否则无人能管理）", owner=owner,
                                 module=by_key()[module].label))


# -- start-up: catalogue and default grants ---------------------------------------------------------------
def initialise(session, key: bytes) -> list[str]:
    """Create every module's permission (idempotent) and give built-in roles their defaults once. Commits."""
    from sqlalchemy import select

    from archives_domain.models.security import Permission, PermissionView, Role, ViewMenu
    before = set(tuple(r) for r in session.execute(select(Permission.name, ViewMenu.name).select_from(PermissionView)
                                 .join(Permission, Permission.id == PermissionView.permission_id)
                                 .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)).all())
    grants.ensure_permission_views(session, sorted(universe()))
    fresh = universe() - before if before else set()
    done = []
    for role in session.scalars(select(Role).where(Role.name.in_(DEFAULT_GRANTS))):
        if grants.role_policy(session, key, role).grants_initialised:
            # A permission new in the catalogue (e.g. after an upgrade) goes to the roles whose defaults hold it.
            new = fresh & expand(DEFAULT_GRANTS[role.name])
            if new:
                held = grants.role_grants(session, key, [role.id]).perms & universe()
                grants.set_role_grants(session, key, role, held | new, universe())
                events.record_plain(session, "授权", f"新增权限按默认授予内置角色“{role.name}”", object_type="角色",
                                    object_id=str(role.id), after=describe(new), module=("系统管理", "用户权限"))
                done.append(role.name)
            continue
        desired = expand(DEFAULT_GRANTS[role.name])
        grants.set_role_grants(session, key, role, desired, universe())
        grants.set_role_policy(session, key, role, grants_initialised=True, by="系统初始化")
        events.record_plain(session, "授权", f"初始化内置角色“{role.name}”的默认权限", object_type="角色",
                            object_id=str(role.id), after=describe(desired), module=("系统管理", "用户权限"))
        done.append(role.name)
    session.commit()
    return done


def describe(perms: set[grants.Perm]) -> str:
    nodes = by_key()
    labels = [nodes[v].label for a, v in sorted(perms, key=lambda p: _order(p[1])) if a == MODULE_ACTION and v in nodes]
    labels += [label for p, label in (*SPECIAL, *ACTIONS) if p in perms]
    return "、".join(labels) or "（无）"


def _order(key: str) -> int:
    keys = list(by_key())
    return keys.index(key) if key in keys else len(keys)


# -- per request --------------------------------------------------------------------------------------------
def seal_key() -> bytes:
    return current_app.config["ARCHIVES_SEAL_KEY"]


def current_perms() -> set[grants.Perm]:
    """The signed-in user's effective permissions (computed once per request); alerts on bad seals."""
    if "archives_perms" in g:
        return g.archives_perms
    user = g.get("user")
    if user is None or not user.is_authenticated:
        g.archives_perms = set()
        return g.archives_perms
    session = current_app.appbuilder.sm.session
    result = grants.effective(session, seal_key(), user.id)
    _alert(session, result.bad)
    g.archives_perms = result.perms
    return result.perms


def _alert(session, bad: list[grants.BadSeal]) -> None:
    seen = current_app.extensions.setdefault("archives_seal_alerts", set())
    fresh = [b for b in bad if (b.table, b.row_id, b.seal) not in seen]
    if not fresh:
        return
    for b in fresh:
        what = by_key()[b.perm[1]].label if b.perm[1] in by_key() else f"{b.perm[0]}@{b.perm[1]}"
        events.record_plain(session, "告警",
                            f"授权封印{'缺失' if not b.seal else '不符'}：{b.table} 第 {b.row_id} 行"
                            f"（{b.subject} → {what}）未经本系统写入，已拒绝生效", result="失败",
                            object_type=b.table, object_id=str(b.row_id), module=("系统管理", "用户权限"))
        seen.add((b.table, b.row_id, b.seal))
    session.commit()


def can(key_or_perm) -> bool:
    perms = current_perms()
    if isinstance(key_or_perm, tuple):
        return key_or_perm in perms
    return all(module_perm(k) in perms for k in (key_or_perm, *ancestors(key_or_perm)))


def has_role(name: str) -> bool:
    user = g.get("user")
    return user is not None and user.is_authenticated and any(r.name == name for r in user.roles)


def endpoint_modules(app) -> dict[str, str]:
    """Blueprint name → module key, from the menu's endpoints and the views' `archives_module`."""
    out = {}
    for node in (n for top in MENU for _lvl, n in top.walk()):
        if node.endpoint:
            out[node.endpoint.split(".")[0]] = node.key
    for view in app.appbuilder.baseviews:
        module = getattr(view, "archives_module", None)
        if module:
            out[view.blueprint.name if getattr(view, "blueprint", None) else type(view).__name__] = module
    return out


def forbidden(message: str | None = None):
    """The 403 page in the frame of every error page (or JSON under /api/), `message` saying why."""
    return render_error(403, message or _("您没有访问该功能的权限")), 403


def access_guard():
    """before_request, after the session guard: the module of the endpoint must be held."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404 follows
    blueprint = endpoint.split(".")[0]
    if blueprint in OPEN_BLUEPRINTS:
        return None
    user = g.get("user")
    if user is None or not user.is_authenticated:
        if request.path.startswith("/api/"):
            return jsonify(message=_("请先登录")), 401
        return redirect(url_for("ArchivesAuthDBView.login", next=request.full_path))
    module = current_app.extensions["archives_endpoint_modules"].get(blueprint)
    if module is not None and can(module):
        return None
    label = by_key()[module].label if module else endpoint
    session = current_app.appbuilder.sm.session
    events.record_plain(session, "访问拒绝", f"无权访问：{label}（{request.method} {request.path}）"[:500],
                        result="失败", module=_module_path(module) if module else None)
    session.commit()
    return forbidden()


def _module_path(key: str) -> tuple[str, ...]:
    nodes = by_key()
    return tuple(nodes[k].label for k in [*reversed(ancestors(key)), key])
