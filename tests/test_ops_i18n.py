"""English available, Chinese the default: the menu labels and the login/workbench headings (SQLite and MariaDB)."""
from __future__ import annotations

import re

from conftest import INITIAL_PASSWORD
from ops_http import login_admin, login_ready


def _text(resp):
    return resp.get_data(as_text=True)


def _menu(page: str) -> dict[str, str]:
    """data-menu-key → the visible label."""
    out = {}
    for key, inner in re.findall(r'data-menu-key="([\w.]+)"[^>]*>(.*?)</(?:a|span)>', page, re.S):
        out[key] = re.sub(r"<[^>]+>|&nbsp;", "", inner).strip()
    return out


def test_every_menu_node_has_an_english_label():
    from ops_app.menu import EN_LABELS, by_key
    nodes = by_key()
    assert set(EN_LABELS) == set(nodes)
    assert all(EN_LABELS[k] and not re.search(r"[\u4e00-\u9fff]", EN_LABELS[k]) for k in nodes)
    assert nodes["system.user"].label_for("en") == "Users" and nodes["system.user"].label_for("zh") == "用户管理"


def test_menu_and_headings_switch_to_english_and_chinese_stays_the_default(ops_app):
    c = ops_app.test_client()
    login = _text(c.get("/login/"))
    assert "· 登录" in login and "Log in" not in login  # Chinese by default
    c.get("/lang/en")
    login = _text(c.get("/login/"))
    assert "Guizhou Floating-Personnel Archive Management System · Log in" in login
    assert 'value="Log in"' in login and "User name" in login
    login_ready(c, "clerk1", INITIAL_PASSWORD)
    c.get("/lang/en")
    page = _text(c.get("/"))
    menu = _menu(page)
    assert menu["workbench"] == "Workbench" and menu["personal"] == "Personal Services"
    assert menu["unit.account.staff"] == "Employees" and menu["stats.custom"] == "Custom Queries"
    assert 'title="Under construction"' in page
    assert re.search(r'id="workbench-title">Workbench', page)
    for heading in ("Shortcuts", "Recent business", "Notices", "Business statistics", "To-dos"):
        assert f"<b>{heading}</b>" in page, heading
    # Back to Chinese.
    c.get("/lang/zh")
    menu = _menu(_text(c.get("/")))
    assert menu["workbench"] == "工作台" and menu["personal"] == "个人快捷受理"
    # Another user who never switched sees Chinese.
    other = ops_app.test_client()
    login_admin(other, "sysadm", INITIAL_PASSWORD)
    menu = _menu(_text(other.get("/")))
    assert menu["system"] == "系统管理" and menu["system.user"] == "用户管理" and menu["system.agency"] == "存档机构管理"
    other.get("/lang/en")
    menu = _menu(_text(other.get("/")))
    assert menu["system"] == "System Administration" and menu["system.user"] == "Users"
    assert menu["system.agency"] == "Archive Agencies"
