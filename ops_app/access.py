"""Who may do what in the business views (通知公告, 待办事项, 人员基础信息): capabilities on the 用户权限 tree.

Every view asks `can(user, capability)` (or uses the `requires` decorator). Each
capability is a permission of the 用户权限 tree (`ops_app.security.permissions`),
grantable and revocable per role or per user like any module:
`notice.publish` → 发布通知公告 (`can_publish@notice`), `todo.assign` → 分配待办事项
(`can_assign@todo`), `attachment.upload` → 上传附件 (`can_upload@attachment`),
`person.read` → the module 个人快捷受理 → 个人信息管理 → 基础信息, `person.edit` → 编辑个人信息
(`can_edit@person`), and the personal-data
permissions `person.unmasked` / `person.export` / `person.print`. Their defaults go to the
same built-in roles as before (`DEFAULT_GRANTS`); 三员分立 keeps business data from the admin roles.
"""
from __future__ import annotations

import functools

from flask import abort, current_app, g, jsonify, redirect, request, url_for

from .i18n import _
from .security import permissions as P

# capability -> a permission of the tree (a tuple) or a module key (its permission and its ancestors')
CAPABILITIES: dict[str, tuple[str, str] | str] = {
    "notice.publish": P.PUBLISH,
    "todo.assign": P.ASSIGN,
    "attachment.upload": P.UPLOAD,
    "person.read": "personal.info.basic",
    "review.decide": "personal.info.review",  # 待核实: the queue, deciding items, settling 一人多档
    "person.edit": P.EDIT_PERSON,
    "person.unmasked": P.UNMASKED,
    "person.export": P.EXPORT,
    "person.print": P.PRINT,
    "certificate.read": "personal.certificate",  # 出具相关证明: list, issue, print
    "certificate.revoke": P.REVOKE_CERT,  # 作废证明
    "transfer.in": "personal.business.transfer_in",  # 档案转入
    "transfer.out": "transfer.out",  # 档案转递 → 档案转出 (also reached from 可办业务 → 档案转出)
    "transfer.loan": "transfer.loan",  # 档案转递 → 档案借阅
    "transfer_out.cancel": P.CANCEL_TRANSFER_OUT,  # 撤销档案转出
    "material.read": "personal.materials",  # 档案材料管理: 目录, 收集, 修改, 删除
    "material.identify": P.IDENTIFY_MATERIAL,
    "material.archive": P.ARCHIVE_MATERIAL,
    "hukou.manage": "personal.business.hukou",  # 集体户口代理: 迁入/迁出, 户籍卡借阅/归还, 子女挂靠
    "stats.archive": "stats.archive",  # 综合统计 → 档案信息统计
    "stats.overview": "stats.overview",  # 综合统计 → 数据概览与报表统计 (报表统计: /stats/reports)
    "stats.custom": "stats.custom",  # 综合统计 → 自定义查询
}


def role_names(user) -> set[str]:
    return {r.name for r in getattr(user, "roles", None) or []}


def can(user, capability: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    target = CAPABILITIES[capability]
    if user is g.get("user"):
        return P.can(target)
    from archives_domain.accounts import grants
    perms = grants.effective(current_app.appbuilder.sm.session, P.seal_key(), user.id).perms
    if isinstance(target, tuple):
        return target in perms
    return all(P.module_perm(k) in perms for k in (target, *P.ancestors(target)))


def requires(capability: str, *, api: bool = False):
    """Decorator for view methods: 401/login when not logged in, 403 without the capability."""
    def deco(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            user = g.get("user")
            if user is None or not user.is_authenticated:
                if api:
                    return jsonify(message=str(_("请先登录"))), 401
                return redirect(url_for("ArchivesAuthDBView.login", next=request.full_path))
            if not can(user, capability):
                if api:
                    return jsonify(message=str(_("无权访问"))), 403
                abort(403)
            return f(*args, **kwargs)
        return wrapper
    return deco


def login_required(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        user = g.get("user")
        if user is None or not user.is_authenticated:
            return redirect(url_for("ArchivesAuthDBView.login", next=request.full_path))
        return f(*args, **kwargs)
    return wrapper
