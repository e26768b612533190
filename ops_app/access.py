"""Who may do what in the business views of this slice (通知公告, 待办事项, 人员基础信息).

One place: every view of the slice asks `can(user, capability)` (or uses the
`requires` decorator). Until the 用户权限 tree (another slice) maps the menu
keys onto FAB permissions, the answer comes from the built-in roles below;
the tree can take over by replacing `can` — the views need not change.
Admin roles hold no business data (三员分立): none of them reads persons.
"""
from __future__ import annotations

import functools

from flask import abort, g, jsonify, redirect, request, url_for

from archives_domain.accounts.roles import SYSTEM_ADMIN

LEADER = "业务负责人"
# capability -> built-in roles that hold it
GRANTS: dict[str, frozenset[str]] = {
    # 系统管理 → 通知公告 (templates, notices, publishing) and publishing from the 工作台
    "notice.publish": frozenset({SYSTEM_ADMIN, LEADER}),
    # 待办事项: assign to a group or a user
    "todo.assign": frozenset({LEADER}),
    # 个人快捷受理 → 个人信息管理 → 基础信息 (read, masked ID numbers)
    "person.read": frozenset({"档案经办人", LEADER, "库房管理员", "查询员", "党务专员", "统计分析员"}),
}


def role_names(user) -> set[str]:
    return {r.name for r in getattr(user, "roles", None) or []}


def can(user, capability: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(role_names(user) & GRANTS.get(capability, frozenset()))


def requires(capability: str, *, api: bool = False):
    """Decorator for view methods: 401/login when not logged in, 403 without the capability."""
    def deco(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            user = g.get("user")
            if user is None or not user.is_authenticated:
                if api:
                    return jsonify(message="请先登录"), 401
                return redirect(url_for("ArchivesAuthDBView.login", next=request.full_path))
            if not can(user, capability):
                if api:
                    return jsonify(message="无权访问"), 403
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
