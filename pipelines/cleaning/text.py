"""Character-level cleaning rules (文本规范化) shared by read, standardise and the app.

Every function here works on one Python ``str`` (the app's form and the
per-distinct-value caches of `standardise` call them); the vectorised
pyarrow helpers at the end build the JSON columns of the std frame.

Decisions (the design is silent on these):

* **Whitespace** is every Unicode white space (half width, full width U+3000,
  no-break, tabs, line breaks) plus the invisible characters Office copies
  along (zero-width space/joiners, BOM).  Every value is trimmed of them at
  both ends.  Inside a value:

  - names (姓名), coded values, dates, IDs, USCCs, phones: all removed;
  - official names (工作单位, 毕业院校, 学校): removed where a neighbour is not
    ASCII (``贵州 明德建设`` → ``贵州明德建设``), a single space kept between two
    ASCII letters/digits (``ABC Technology``);
  - every other text (addresses, 备注, …): runs collapse to one half-width
    space; single spaces are kept (``某某村 四组`` stays).

* **Full width → half width.**  Full-width ASCII variants (U+FF01–U+FF5E)
  become ASCII in every field, except the marks that are the canonical
  punctuation of Chinese text — ``！（），：；？`` — which free text keeps.
  Official names (工作单位, 毕业院校, 学校) go further the other way: their
  canonical brackets are the full-width ``（）`` of the business registry, so
  half-width ``()`` become ``（）`` there.
* **Empty values** (contract rule 1): after trimming, ``无 / - — NULL null``
  and their full-width forms, any letter case of ``null``, and ``——`` (the
  Chinese dash, two em dashes) mean no value; 最高学位 keeps ``无`` as a code.
* **Formula injection**: after optional leading white space, ``=`` followed
  by anything, or ``+ - @`` followed by a cell reference (``A1``, ``$B$2``)
  or by a body that contains a function call ``NAME(``, a DDE pipe ``|`` or a
  sheet reference ``!A``.  ``+86 138…``, ``-5`` and a lone ``-`` are not
  formulas.
* **Names**: no white space (one space is kept between two ASCII letters, for
  names in Latin letters); the middle dot variants ``. • ・ ･ ． ‧ ∙ ⋅ ●``
  between two name parts become ``·``; traditional characters become
  simplified character by character with OpenCC t2s, only where the
  character is the standard traditional form of its simplified result
  (``s2t(t2s(c)) == c``) and not one of the characters that simplified
  Chinese keeps for names (乾, 於), and only when the result is made of Han
  characters and ``·`` (a plausible name).
* **Phones**: a mobile is 11 digits starting with 1 (a leading ``+86``/
  ``0086``/``86`` is dropped); a landline is ``<area code>-<7–8 digits>``;
  area codes ``010`` and ``02x`` have three digits, all others four; accepted
  separators are spaces, ``-``, brackets (any width).  Anything else
  (extensions, two numbers, a local number without area code) stays as typed
  with the issue ``phone_format``.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archives_domain.collection_form import NULL_EXEMPT, NULL_TOKENS
from archives_domain.spreadsheet_safety import FORMULA_RE, FORMULA_RE2, looks_like_formula  # noqa: F401 (re-exported)

# ---------------------------------------------------------------------------
# Whitespace, width, empty values
# ---------------------------------------------------------------------------

#: Characters trimmed at both ends of every value (and removed inside no-space fields).
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
SPACE_CHARS = (" \t\n\r\x0b\x0c\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
               "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
TRIM_CHARS = SPACE_CHARS + INVISIBLE
SPACE_RE = re.compile("[" + re.escape(TRIM_CHARS) + "]+")

#: Full-width ASCII variants → ASCII (and the ideographic space → space).
FULLWIDTH_ALL = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
#: The full-width marks that are canonical punctuation in Chinese text.
CHINESE_PUNCT = "！（），：；？"
FULLWIDTH_TEXT = {k: v for k, v in FULLWIDTH_ALL.items() if chr(k) not in CHINESE_PUNCT}


def _null_spellings() -> frozenset[str]:
    base = set(NULL_TOKENS) | {"——", "Null"}
    fw = {v: k for k, v in FULLWIDTH_ALL.items() if v != 0x20}
    out = set(base)
    for t in base:
        out.add(t.translate(fw))
    out.discard("")
    return frozenset(out)


#: Trimmed spellings that mean "no value" (contract rule 1, plus ``——``, ``Null`` and full-width forms).
NULL_SPELLINGS = _null_spellings()


def trim(text: str) -> str:
    """`text` without leading/trailing white space (any width) and invisible characters."""
    return text.strip(TRIM_CHARS)


def to_halfwidth(text: str, *, keep_chinese_punct: bool = False) -> str:
    """Full-width ASCII variants (and U+3000) → ASCII; with `keep_chinese_punct`, ``！（），：；？`` stay."""
    return text.translate(FULLWIDTH_TEXT if keep_chinese_punct else FULLWIDTH_ALL)


def remove_spaces(text: str) -> str:
    """Every white space and invisible character removed."""
    return SPACE_RE.sub("", text)


def collapse_spaces(text: str) -> str:
    """Runs of white space (any width) → one half-width space; trimmed."""
    return SPACE_RE.sub(" ", text).strip(" ")


def tight_spaces(text: str) -> str:
    """White space removed except one space between two ASCII letters/digits."""
    text = collapse_spaces(text)
    if " " not in text:
        return text
    return re.sub(r"(?<![0-9A-Za-z]) | (?![0-9A-Za-z])", "", text)


def is_null_token(text: str | None, field: str | None = None) -> bool:
    """Whether a cell means "no value" (contract rule 1) for `field` (empty cells included)."""
    if text is None:
        return True
    t = trim(text)
    if t == "":
        return True
    if field is not None and t in NULL_EXEMPT.get(field, ()):
        return False
    return t in NULL_SPELLINGS


# ---------------------------------------------------------------------------
# Formula injection
# ---------------------------------------------------------------------------

# The rule itself is the domain's (archives_domain.spreadsheet_safety): one rule for the reader and every export.


_FORMULA_LEAD = np.zeros(256, dtype=bool)
_FORMULA_LEAD[[ord(c) for c in "=+-@ \t\n\r"]] = True
_FORMULA_LEAD[0xE3] = True  # lead byte of U+3000 (ideographic space)
_FORMULA_LEAD[0xEF] = True  # lead byte of the full-width signs ＝＋－＠


def formula_mask(values: pa.Array) -> np.ndarray:
    """`looks_like_formula` over an arrow string column (numpy bool; null → False).

    The regex runs only on values whose first byte could start a formula."""
    values = as_large(values)
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=bool)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset:values.offset + n + 1]
    data_buf = values.buffers()[2]
    if data_buf is None or offsets[-1] == offsets[0]:
        return np.zeros(n, dtype=bool)
    data = np.frombuffer(data_buf, dtype=np.uint8)
    nonempty = offsets[1:] > offsets[:-1]
    first = np.zeros(n, dtype=np.uint8)
    first[nonempty] = data[offsets[:-1][nonempty]]
    cand = nonempty & _FORMULA_LEAD[first] & mask(pc.is_valid(values))
    out = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(cand)
    if idx.size:
        out[idx] = mask(pc.match_substring_regex(values.take(pa.array(idx)), FORMULA_RE2))
    return out


# ---------------------------------------------------------------------------
# Names (姓名)
# ---------------------------------------------------------------------------

NAME_DOTS = ".•・･．‧∙⋅●。"
_NAME_DOT_RE = re.compile("(?<=[^" + re.escape(NAME_DOTS + "·") + "])[" + re.escape(NAME_DOTS + "·")
                          + "]+(?=[^" + re.escape(NAME_DOTS + "·") + "])")
#: Characters simplified Chinese keeps in personal names although OpenCC t2s maps them.
NAME_KEEP = frozenset("乾於")
_HAN_NAME_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f·]+$")


@lru_cache(maxsize=1)
def _opencc():
    from opencc import OpenCC
    return OpenCC("t2s"), OpenCC("s2t")


@lru_cache(maxsize=65536)
def simplified_char(ch: str) -> str:
    """The simplified form of one character by the rule above (itself when not converted)."""
    if ch in NAME_KEEP or ch < "\u3400":
        return ch
    t2s, s2t = _opencc()
    simp = t2s.convert(ch)
    if simp == ch or len(simp) != 1:
        return ch
    return simp if s2t.convert(simp) == ch else ch


def name_to_simplified(name: str) -> str:
    """`name` with traditional characters simplified (unchanged unless a plausible name results)."""
    out = "".join(simplified_char(c) for c in name)
    if out != name and _HAN_NAME_RE.match(out):
        return out
    return name


def clean_name(text: str) -> tuple[str, list[str]]:
    """(canonical name, rules applied) of a trimmed, non-empty name cell."""
    rules = []
    t = tight_spaces(text)
    if t != text:
        rules.append("spaces")
    t2 = to_halfwidth(t, keep_chinese_punct=True)
    dotted = _NAME_DOT_RE.sub("·", t2)
    if dotted != t2:
        rules.append("name_dot")
        t = dotted
    simp = name_to_simplified(t)
    if simp != t:
        rules.append("t2s")
        t = simp
    return t, rules


# ---------------------------------------------------------------------------
# Official names (工作单位, 毕业院校, 学校) and free text
# ---------------------------------------------------------------------------

def clean_official_name(text: str) -> tuple[str, list[str]]:
    """Employer / school name: spaces tightened, full-width letters+digits → ASCII, brackets → （）."""
    rules = []
    t = tight_spaces(text)
    if t != text:
        rules.append("spaces")
    h = to_halfwidth(t, keep_chinese_punct=True)
    if h != t:
        rules.append("fullwidth")
        t = h
    b = t.replace("(", "（").replace(")", "）")
    if b != t:
        rules.append("bracket_width")
        t = b
    return t, rules


def clean_text(text: str) -> tuple[str, list[str]]:
    """Free text: runs of spaces collapsed, full-width ASCII → ASCII except Chinese punctuation."""
    rules = []
    t = collapse_spaces(text)
    if t != text:
        rules.append("spaces")
    h = to_halfwidth(t, keep_chinese_punct=True)
    if h != t:
        rules.append("fullwidth")
        t = h
    return t, rules


def clean_key(text: str) -> tuple[str, list[str]]:
    """档案编号 and other account numbers: full-width → ASCII, runs of spaces collapsed."""
    rules = []
    h = collapse_spaces(to_halfwidth(text))
    if h != text:
        rules.append("fullwidth" if to_halfwidth(text) != text else "spaces")
    return h, rules


# ---------------------------------------------------------------------------
# Phones (联系电话)
# ---------------------------------------------------------------------------

_PHONE_SEP = re.compile(r"[\s\-()（）\[\]．.—_/]+")
_MOBILE_RE = re.compile(r"^(?:\+?86|0086)?(1\d{10})$")


def clean_phone(text: str) -> tuple[str, str | None, str | None]:
    """(value, rule, issue) for a trimmed, non-empty phone cell."""
    t = to_halfwidth(text)
    compact = _PHONE_SEP.sub("", t)
    m = _MOBILE_RE.match(compact)
    if m:
        return m.group(1), ("phone_format" if m.group(1) != text else None), None
    landline = _landline(t, compact)
    if landline:
        return landline, ("phone_format" if landline != text else None), None
    return text, None, "phone_format"


_AREA_SPLIT = re.compile(r"^\(?(0\d{2,3})\)?[\s\-]*(\d{7,8})$")


def _landline(t: str, compact: str) -> str | None:
    if compact.startswith(("+86", "0086")):
        rest = compact[3:] if compact.startswith("+86") else compact[4:]
        compact = rest if rest.startswith("0") else "0" + rest
    if not compact.isdigit() or not compact.startswith("0"):
        return None
    area_len = 3 if compact.startswith(("010", "02")) else 4
    area, local = compact[:area_len], compact[area_len:]
    if not 7 <= len(local) <= 8 or local.startswith("0"):
        return None
    # the typed grouping must agree with the area code when it was separated
    m = _AREA_SPLIT.match(t.replace(" ", "")) if re.search(r"[\s\-()]", t) else None
    if m and m.group(1) != area:
        return None
    return f"{area}-{local}"


# ---------------------------------------------------------------------------
# Vectorised helpers (pyarrow)
# ---------------------------------------------------------------------------

LS = pa.large_string()


def ls(x) -> pa.Scalar | pa.Array:
    return pa.scalar(x, LS) if isinstance(x, str) or x is None else x


def as_large(arr) -> pa.Array:
    """A contiguous large_string array from an arrow array / chunked array / pandas Series
    (non-string cells of an object Series become their ``str``)."""
    if hasattr(arr, "array") and hasattr(arr, "dtype"):  # pandas Series
        try:
            arr = pa.array(arr, type=LS, from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            arr = pa.array([None if v is None or v != v else str(v) for v in arr.tolist()], type=LS)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if arr.type != LS:
        arr = arr.cast(LS)
    return arr


def mask(x) -> np.ndarray:
    """numpy bool array from an arrow boolean (null → False)."""
    return np.asarray(pc.fill_null(x, False).to_numpy(zero_copy_only=False), dtype=bool)


_CTRL_RE2 = "[\\x00-\\x1f]"


def json_string(values: pa.Array) -> pa.Array:
    """Each value as a JSON string literal (``"…"``, non-ASCII kept), null → ``null``."""
    values = as_large(values)
    if mask(pc.match_substring_regex(values, _CTRL_RE2)).any():
        esc = pa.array([None if v is None else json.dumps(v, ensure_ascii=False)[1:-1]
                        for v in values.to_numpy(zero_copy_only=False)], type=LS)
    else:
        esc = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    quoted = pc.binary_join_element_wise(ls('"'), esc, ls('"'), ls(""))
    return pc.fill_null(quoted, ls("null"))


def json_rows(n: int, parts: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """One JSON list per row: `parts` are (row positions, JSON object texts); rows without any → ``[]``.

    Objects keep the order of `parts` within a row."""
    parts = [(np.asarray(r, dtype=np.int64), as_large(t)) for r, t in parts if len(r)]
    if not parts:
        return pa.array(np.full(n, "[]", dtype=object), type=LS)
    rows = np.concatenate([r for r, _ in parts])
    texts = pa.concat_arrays([t for _, t in parts])
    order = np.argsort(rows, kind="stable")
    texts = texts.take(pa.array(order))
    counts = np.bincount(rows, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), texts)
    joined = pc.binary_join(lists, ls(","))
    return pc.binary_join_element_wise(ls("["), joined, ls("]"), ls(""))
