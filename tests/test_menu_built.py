"""Issues 14 and 15 done-when: no menu entry of 个人快捷受理, 档案转递, 综合统计 (and 系统管理) is 建设中 any more — every leaf
opens a page of the app, and the app has that page."""
from __future__ import annotations

from ops_app.menu import MENU


def _leaves(key: str):
    top = next(n for n in MENU if n.key == key)
    return [n for _lvl, n in top.walk() if not n.children]


def test_every_leaf_of_the_built_modules_has_a_page(ops_app):
    endpoints = set(ops_app.view_functions)
    for key in ("personal", "transfer", "system", "stats"):   # 综合统计: issue 15
        for node in _leaves(key):
            assert node.endpoint, f"{node.key} {node.label} 仍为建设中"
            assert node.endpoint in endpoints, f"{node.key}: {node.endpoint} is not a page of the app"
