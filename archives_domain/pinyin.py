"""姓名拼音首字母 (pinyin initials of a name): what clerks type to find a person (`gy` → 郭英, `gyj` → 郭英杰).

ONE function decides the initials — `name_initials` — for the ORM (an event on `Person`), the pipeline's bulk
load (`initials_many`, the same function with a per-character cache) and the search box.

Rules (the stored column `person.name_initials` holds one string per person):

* **Surname first, read as a surname.** 多音字 read differently as surnames — 单 shan, 曾 zeng, 解 xie,
  仇 qiu, 朴 piao, 区 ou, 查 zha, 盖 ge, 缪 miao, 秘 bi, 种 chong, 覃 qin, 翟 zhai, 召 shao, 尉 yu, 乐 yue,
  员 yun, 繁 po, 折 she, 句 gou, 单于 chanyu … — take their surname reading (`SURNAME_INITIALS`); compound
  surnames (复姓: 欧阳, 万俟 moqi, 尉迟 yuchi, 长孙 zhangsun, 澹台 tantai …) are matched first
  (`COMPOUND_SURNAMES`). A surname with two readings as a surname (乐 yue/le) keeps the more frequent one.
* **Given name character by character** with pypinyin's most frequent reading (no phrase context: given
  names are not phrases, and it makes a per-character cache exact). Only one string is stored — several
  candidate strings per person would multiply the index for a rare case; a clerk who does not find a
  person by initials still has 姓名 and 姓名前缀.
* Latin letters and digits are kept (lower-cased); separators (·, spaces, dots of 少数民族 names) dropped;
  other characters pypinyin cannot read are dropped too.

The initials are lower-case ASCII, at most `MAX_LEN` characters (the column's width).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable

MAX_LEN = 32

#: Surname readings of characters whose most frequent reading differs (first letter only matters).
SURNAME_INITIALS: dict[str, str] = {
    "单": "s", "曾": "z", "解": "x", "仇": "q", "朴": "p", "区": "o", "查": "z", "盖": "g", "缪": "m",
    "秘": "b", "种": "c", "覃": "q", "翟": "z", "召": "s", "尉": "y", "乐": "y", "员": "y", "繁": "p",
    "折": "s", "句": "g", "重": "c", "柏": "b", "薄": "b", "卜": "b", "藏": "z",
    "朝": "c", "都": "d", "过": "g", "华": "h", "纪": "j", "筠": "j", "阚": "k", "隗": "w", "洗": "x",
    "冼": "x", "宿": "s", "燕": "y", "祭": "z", "谌": "c", "莘": "s", "褚": "c", "令": "l", "黑": "h",
}
#: Compound surnames (复姓) → initials of their surname reading.
COMPOUND_SURNAMES: dict[str, str] = {
    "欧阳": "oy", "司马": "sm", "诸葛": "zg", "上官": "sg", "东方": "df", "皇甫": "hf", "令狐": "lh",
    "慕容": "mr", "公孙": "gs", "司徒": "st", "夏侯": "xh", "宇文": "yw", "长孙": "zs", "尉迟": "yc",
    "万俟": "mq", "澹台": "tt", "单于": "cy", "轩辕": "xy", "独孤": "dg", "南宫": "ng", "西门": "xm",
    "呼延": "hy", "端木": "dm", "闻人": "wr", "百里": "bl", "东郭": "dg", "公冶": "gy", "赫连": "hl",
}
_LATIN = re.compile(r"[0-9a-z]")


@functools.lru_cache(maxsize=65536)
def char_initial(ch: str) -> str:
    """The first letter of the most frequent reading of one character ('' if it has none)."""
    low = ch.lower()
    if _LATIN.fullmatch(low):
        return low
    if not ("\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0003134f"):
        return ""  # separators (· • . spaces) and anything else without a reading
    from pypinyin import Style, pinyin  # imported on first use: importing this module loads no dictionary

    letter = pinyin(ch, style=Style.FIRST_LETTER, heteronym=False, errors="ignore")
    return letter[0][0][:1].lower() if letter and letter[0] and _LATIN.fullmatch(letter[0][0][:1].lower()) else ""


class _Table(dict):
    """code point → initial, filled on first sight: `str.translate` then runs at C speed over known characters."""

    def __missing__(self, cp: int) -> str:
        v = self[cp] = char_initial(chr(cp))
        return v


_TABLE = _Table()


def name_initials(name: str | None) -> str | None:
    """姓名 → 拼音首字母 (`郭英杰` → `gyj`, `单田芳` → `stf`, `欧阳娜娜` → `oynn`); None for an empty name."""
    if not name:
        return None
    text = name.strip()
    head = ""
    if text[:2] in COMPOUND_SURNAMES:
        head, text = COMPOUND_SURNAMES[text[:2]], text[2:]
    elif text[:1] in SURNAME_INITIALS:
        head, text = SURNAME_INITIALS[text[:1]], text[1:]
    out = head + text.translate(_TABLE)
    return out[:MAX_LEN] or None


def initials_many(names: Iterable[str | None]) -> list[str | None]:
    """`name_initials` of many names (the bulk load): once per distinct name, characters cached."""
    cache: dict[str | None, str | None] = {}
    out = []
    for n in names:
        v = cache.get(n, cache)
        if v is cache:
            v = cache[n] = name_initials(n) if isinstance(n, str) else None
        out.append(v)
    return out


def is_initials_query(text: str) -> bool:
    """Whether a typed search text looks like pinyin initials (2–`MAX_LEN` Latin letters)."""
    return 2 <= len(text) <= MAX_LEN and text.isascii() and text.isalpha()
