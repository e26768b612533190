"""English for our own strings (FAB's strings switch through Flask-Babel; ours are Chinese in the source).

Chinese (zh) is the default; a user switching the language (FAB's /lang/en, kept in the
session) sees the English of the menu labels (`ops_app.menu.EN_LABELS`) and of the
texts in `EN` — the page titles and headings of the login page and the workbench.
A text without an English entry stays Chinese (never an empty label).
"""
from __future__ import annotations

from flask import has_request_context, session

DEFAULT_LOCALE = "zh"

EN: dict[str, str] = {
    "贵州省流动人员人事档案管理系统": "Guizhou Floating-Personnel Archive Management System",
    "登录": "Log in",
    "用户名": "User name",
    "口令": "Password",
    "连续 5 次口令错误将锁定账号 15 分钟；30 分钟无操作自动退出。登录后将显示您上次登录的时间与地点（IP）。":
        "Five wrong passwords in a row lock the account for 15 minutes; 30 minutes without activity end the "
        "session. After login you will see the time and place (IP) of your previous login.",
    "工作台": "Workbench",
    "机构": "agency",
    "常用功能": "Shortcuts",
    "已办业务": "Recent business",
    "最近 10 条": "last 10",
    "通知公告": "Notices",
    "业务经办统计": "Business statistics",
    "待办事项": "To-dos",
    "本机构今日及逾期": "this agency, today and overdue",
    "建设中": "Under construction",
}


def current_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    return session.get("locale") or DEFAULT_LOCALE


def tr(text: str) -> str:
    """`text` in the user's language: English from `EN` when the locale is en, else the Chinese source."""
    if current_locale() == "en":
        return EN.get(text, text)
    return text


def menu_label(node) -> str:
    return node.label_for(current_locale())
