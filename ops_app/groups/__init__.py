"""系统管理 → 用户组: the 系统管理员 manages the groups of its agency (list, create, rename, members, delete)."""
from __future__ import annotations


def register(appbuilder) -> None:
    from .views import GroupAdminView
    appbuilder.add_view_no_menu(GroupAdminView)
