"""Languages of the app: Chinese (zh, the default) and English, through Flask-Babel catalogues.

Our strings are written in Chinese in the source and marked for translation:
`_()` (`flask_babel.gettext`) in views and templates, `_l()` (`lazy_gettext`) where the
text is defined before a request exists (form labels, validation messages). English
comes from the gettext catalogue `ops_app/translations/en/LC_MESSAGES/messages.po`
(compiled to `messages.mo`, found by FAB's Babel manager beside FAB's own catalogues);
Chinese needs no catalogue — the msgid is the Chinese text. A user switches the
language with FAB's `/lang/en` (kept in the session). Menu labels come from
`ops_app.menu.EN_LABELS` (one per node of the module tree).

Refresh the catalogue after changing texts (`ops_app/translations/refresh.sh` runs these):
    pybabel extract -F ops_app/babel.cfg -k _l -k N_ -o ops_app/translations/messages.pot ops_app
    pybabel update -i ops_app/translations/messages.pot -d ops_app/translations -N
    (translate the new entries in messages.po)
    pybabel compile -d ops_app/translations -f
`tests/test_ops_i18n.py` fails while an entry is untranslated or the .mo is older than the .po.

Data values (names, agencies, role names, audit summaries, code values stored in the
database) are shown as stored: they are data, not interface text.
"""
from __future__ import annotations

from flask import has_request_context, session
from flask_babel import gettext, lazy_gettext

DEFAULT_LOCALE = "zh"

_ = gettext
_l = lazy_gettext


def N_(text: str) -> str:
    """Marks a Chinese text for the catalogue without translating it (stored or audited as it is; shown via `_`)."""
    return text


def current_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    return session.get("locale") or DEFAULT_LOCALE


def tr(text: str) -> str:
    """`text` (a Chinese msgid, possibly held in a variable) in the user's language."""
    return gettext(text) if text else text


def menu_label(node) -> str:
    return node.label_for(current_locale())


class Msg(str):
    """A message whose text (str) is Chinese — for the audit log and the logs — and which the interface shows
    in the user's language: `Msg("仍有 %(n)s 个启用的用户属于该机构，不能停用", n=3)`."""

    def __new__(cls, msgid: str, **params):
        obj = super().__new__(cls, msgid % params if params else msgid)
        obj.msgid, obj.params = msgid, params
        return obj

    def translated(self) -> str:
        return gettext(self.msgid, **self.params)


# Messages of the domain package (shared with the shell, Chinese only) that reach the web pages.
DOMAIN_MESSAGES = (N_("口令长度不得少于 8 位"), N_("口令须包含大写字母、小写字母、数字、符号中的至少三类"),
                   N_("口令不得包含用户名"), N_("不得使用最近 5 次用过的口令"),
                   N_("口令属于常见弱口令（已在公开泄露的口令中大量出现），请另选"))


def show(message) -> str:
    """A message (Msg, exception, or a Chinese msgid; parts joined by '；') in the user's language."""
    if isinstance(message, BaseException):
        message = message.args[0] if message.args and isinstance(message.args[0], str) else str(message)
    if isinstance(message, Msg):
        return message.translated()
    text = str(message)
    sep = "; " if current_locale() == "en" else "；"
    return sep.join(gettext(part) for part in text.split("；"))


# Code values stored in Chinese (the database keeps them so); the pages show them through `tr()`.
CODE_VALUES = (
    N_("通知"), N_("提示"), N_("关注"), N_("政策"), N_("草稿"), N_("已发布"),                      # 通知公告
    N_("待分配"), N_("待办理"), N_("已办结"), N_("转出回执"), N_("借阅逾期"), N_("库存搁置"), N_("数据核实"),  # 待办事项
    N_("档案转入"), N_("档案转出"), N_("档案借阅"), N_("档案查阅"), N_("材料利用"), N_("出具证明"), N_("党费交纳"),
    N_("省级"), N_("市级"), N_("县级"), N_("成功"), N_("失败"), N_("建设中"),
)
