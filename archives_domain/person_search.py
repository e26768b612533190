"""人员检索: what one search box means (姓名 / 姓名开头 / 拼音首字母 / 档案编号 / 身份证), decided once.

A clerk types into one box; `classify` tells what it is:

* 15–18 digits (the last may be X) → **身份证**, exact, through the blind index. A number that cannot be
  an ID (length, a letter inside, check character, birth date) carries `problem` ("身份证号码格式不正确：…"):
  it is still looked up (old records may hold such a number), and when nothing is found the caller says
  the problem — naming the field — instead of "共 0 人". An address code outside the years stdnum knows is
  not a problem: such numbers exist (see `archives_domain.identity`).
* any Chinese character → **姓名 prefix** (`郭英` finds 郭英 and 郭英杰; the exact name first in order).
* Latin letters only → **拼音首字母** prefix (`gy` → 郭英, 郭艳; `gyj` → 郭英杰), see `archives_domain.pinyin`.
* anything else → **档案编号**, exact.

Pure: no database, no Flask (the web list in `ops_app.views.person` and the portal API share it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .identity import IdentityError, normalize_id, upgrade_id15, validate_id
from .pinyin import MAX_LEN as INITIALS_LEN

MAX_QUERY = 64
_DIGITS = re.compile(r"[0-9Xx]+")
_HAN = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f]")
_LETTERS = re.compile(r"[A-Za-z]+")


class SearchError(ValueError):
    """The search text cannot be what it looks like; `field` names the field, the message is Chinese."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Term:
    kind: str  # "id_number" | "name_prefix" | "initials" | "archive_no"
    value: str
    problem: str | None = None  # why a 身份证 cannot be valid (said when nothing is found)

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


KIND_LABELS = {"id_number": "身份证", "name_prefix": "姓名", "initials": "拼音首字母", "archive_no": "档案编号",
               "name": "姓名"}


def id_number(raw: str) -> tuple[str, str | None]:
    """(the typed 身份证 normalised for lookup — 15 digits upgraded to 18 —, why it cannot be valid or None)."""
    text = normalize_id(raw)
    try:
        if len(text) == 15 and text.isdigit():
            return upgrade_id15(text, strict=False), None
        return validate_id(text), None
    except IdentityError as exc:
        if exc.reason == "region":  # a real number may carry a code stdnum dates otherwise
            return text, None
        return text, f"身份证号码格式不正确：{_short(str(exc))}"


def _short(message: str) -> str:
    return message.removeprefix("身份证号码").lstrip("：:").split("；")[0]  # no developer hint


def classify(raw: str) -> Term | None:
    """What the search text is (None for an empty box)."""
    text = (raw or "").strip()[:MAX_QUERY]
    if not text:
        return None
    compact = normalize_id(text)
    if _DIGITS.fullmatch(compact) and len(compact) >= 15:
        return Term("id_number", *id_number(compact))
    if len(compact) == 18 and compact[:6].isdigit() and sum(ch.isdigit() for ch in compact) >= 15:
        return Term("id_number", *id_number(compact))  # 18 characters, nearly all digits: a mistyped ID
    if _HAN.search(text):
        return Term("name_prefix", text)
    if _LETTERS.fullmatch(text) and len(text) <= INITIALS_LEN:
        return Term("initials", text.lower())
    return Term("archive_no", text)


LIKE_ESCAPE = "!"  # not the backslash: MySQL and SQLite read a backslash in a literal differently


def like_prefix(text: str) -> str:
    """A LIKE pattern for "starts with `text`", its wildcards escaped (with `LIKE_ESCAPE`)."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
