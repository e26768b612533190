"""Standardise a raw sheet (标准化): ``standardise(sheet_name, raw_frame) -> std_frame``.

The std frame (docs/pipeline.md) keeps the raw frame's rows, index and
lineage columns (``_agency _batch _file _sheet _row``) and ``_extra``; every
contract header is in its canonical form where the cell alone allows it,
else it stays as typed (trimmed) with an issue.  ``户口性质`` is not carried
(contract rule 2: raw layer only).  Two JSON columns are added:

* ``_issues`` — ``[{"field", "code", "raw"[, "partial"]}, …]``; ``raw`` is
  the cell as typed; ``partial`` is what a date issue still knows
  (``2019-03`` of a month-only date);
* ``_changes`` — ``[{"field", "old", "new", "rule"}, …]`` for every cell
  whose value changed (``old`` as typed, ``new`` null when the cell became
  empty); ``rule`` names the rules applied, ``+``-joined, e.g.
  ``trim+date_format``.

Both are ``[]`` when a row has none.  At most one issue per cell.  Rule
names: ``trim``, ``empty`` (spaces only), ``null_token``, ``spaces``,
``fullwidth``, ``bracket_width``, ``name_dot``, ``t2s``, ``code_synonym``,
``date_format``, ``excel_serial``, ``id_normalize``, ``id_upgrade15``,
``uscc_normalize``, ``phone_format`` (the merge adds ``later_batch``).
``standardise_value(sheet, field, value)`` runs the same rules on one cell
(a clerk's form).

Field rules (see `text` and `dates` for the character-level decisions):

=================================  ==========================================
field                              rule (issue codes)
=================================  ==========================================
档案编号 立户编号 户籍编号          key: trimmed, full width → ASCII, space runs → one space
姓名                               name: no spaces, ``·``, traditional → simplified
性别 民族 政治面貌 最高学历         code via `archives_domain.codes.canonical_value`
最高学位 委托方式 档案状态 集体户口   (``unknown_code``, value kept); 学习经历 学历/学位
                                   use the 最高学历/最高学位 tables (学位 ``无`` → empty)
date headers (`DATE_HEADERS`)      `dates.parse_date` (``date_month_only``,
                                   ``date_year_only``, ``date_impossible``,
                                   ``date_out_of_range``, ``date_format``)
公民身份号码                        `identity.normalize_id`; 15 digits → `upgrade_id15`
                                   (rule ``id_upgrade15``); then ``id_checksum``,
                                   ``id_birth_date``, ``id_region_year`` (check digit
                                   right, county code not in use in the birth year
                                   per python-stdnum: the value is kept, it is not a
                                   wrong number), ``id_region_unknown``, ``id_length``,
                                   ``id_format``
单位统一社会信用代码                `identity.normalize_uscc`; ``uscc_legacy`` (15-digit
                                   registration number), ``uscc_checksum``,
                                   ``uscc_format``
联系电话                            `text.clean_phone` (``phone_format``)
工作单位 毕业院校 学校              official name: spaces tightened, ``()`` → ``（）``
other text                         space runs collapsed, full-width ASCII → ASCII
                                   except Chinese punctuation ``！（），：；？``
=================================  ==========================================

Every cell first: trimmed of white space of any width; an empty-value token
(contract rule 1) becomes NA (rule ``null_token``; 最高学位 keeps ``无``); a
formula-injection value (`text.looks_like_formula`) keeps its trimmed text
and gets the issue ``formula`` (no other rule runs on it).

Speed: column-wise with pyarrow compute; the Python rules run once per
distinct value, and only on values a vectorised test cannot pass as already
canonical (ID checksums, birth dates and county codes are checked with
numpy over the whole column, stdnum once per distinct date / county-year).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from archives_domain.codes import FIELD_CODE_TYPES, canonical_names, canonical_value
from archives_domain.collection_form import DATE_HEADERS, DROPPED_HEADERS, HEADERS, NULL_EXEMPT
from archives_domain.identity import (
    is_legacy_registration_number,
    normalize_id,
    normalize_uscc,
    upgrade_id15,
    validate_uscc,
    IdentityError,
)

from .dates import standardise_dates
from .text import (
    CHINESE_PUNCT,
    LS,
    NULL_SPELLINGS,
    TRIM_CHARS,
    as_large,
    clean_key,
    clean_name,
    clean_official_name,
    clean_phone,
    clean_text,
    formula_mask,
    json_rows,
    json_string,
    ls,
    mask,
    simplified_char,
)

LINEAGE = ("_agency", "_batch", "_file", "_sheet", "_row")
_STR = pd.StringDtype("pyarrow", na_value=np.nan)

CODE_FIELDS = {"性别": "性别", "民族": "民族", "政治面貌": "政治面貌", "最高学历": "最高学历", "最高学位": "最高学位",
               "委托方式": "委托方式", "档案状态": "档案状态", "集体户口": "集体户口", "学历": "最高学历", "学位": "最高学位"}
KEY_FIELDS = frozenset({"档案编号", "立户编号", "户籍编号"})
OFFICIAL_FIELDS = frozenset({"工作单位", "毕业院校", "学校"})


def field_kind(sheet: str, field: str) -> str:
    """The rule family of a contract header: key name code date id uscc phone official text dropped."""
    if field in DROPPED_HEADERS:
        return "dropped"
    if field in DATE_HEADERS.get(sheet, ()):
        return "date"
    if field in CODE_FIELDS:
        return "code"
    if field in KEY_FIELDS:
        return "key"
    if field == "姓名":
        return "name"
    if field == "公民身份号码":
        return "id"
    if field == "单位统一社会信用代码":
        return "uscc"
    if field == "联系电话":
        return "phone"
    if field in OFFICIAL_FIELDS:
        return "official"
    return "text"


def std_columns(sheet: str) -> list[str]:
    """Columns of the std frame of `sheet`, in order."""
    return [*LINEAGE, *[h for h in HEADERS[sheet] if h not in DROPPED_HEADERS], "_extra", "_issues", "_changes"]


# ---------------------------------------------------------------------------
# Column results
# ---------------------------------------------------------------------------

class _Col:
    """Kind-specific result over a column: the new values (full length) and, sparse, the
    positions with a rule or an issue: ``rule``/``code``/``extra`` are full-length arrays or None."""

    def __init__(self, value: pa.Array, rule=None, code=None, extra=None):
        self.value = as_large(value)
        self.rule = None if rule is None else as_large(rule)
        self.code = None if code is None else as_large(code)
        self.extra = None if extra is None else as_large(extra)


def _per_distinct(values: pa.Array, candidates: np.ndarray | None,
                  fn: Callable[[str], tuple[str | None, str | None, str | None]]) -> _Col:
    """Apply ``fn(value) -> (new value, rule, issue code)`` once per distinct candidate value."""
    values = as_large(values)
    n = len(values)
    valid = mask(pc.is_valid(values))
    todo = valid if candidates is None else (valid & candidates)
    if not todo.any():
        return _Col(values)
    sel = pa.array(todo)
    sub = pc.filter(values, sel)
    uniq = pc.unique(sub)
    res = [fn(u) for u in uniq.to_pylist()]
    pos = pc.index_in(sub, uniq)
    u_val = pa.array([r[0] for r in res], LS)
    value = pc.replace_with_mask(values, sel, u_val.take(pos))
    null = pa.nulls(n, LS)
    rule = code = None
    if any(r[1] is not None for r in res):
        rule = pc.replace_with_mask(null, sel, pa.array([r[1] for r in res], LS).take(pos))
    if any(r[2] is not None for r in res):
        code = pc.replace_with_mask(null, sel, pa.array([r[2] for r in res], LS).take(pos))
    return _Col(value, rule, code)


def _regex_mask(values: pa.Array, pattern: str) -> np.ndarray:
    return mask(pc.match_substring_regex(values, pattern))


def _re2_class(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


_WS_NOT_SPACE = _re2_class(TRIM_CHARS.replace(" ", ""))
_FW_NON_PUNCT = "".join(f"\\x{{{c:x}}}" for c in range(0xFF01, 0xFF5F) if chr(c) not in CHINESE_PUNCT)
_TEXT_SUSPECT = f"[{_WS_NOT_SPACE}]|  |[{_FW_NON_PUNCT}]"
_OFFICIAL_SUSPECT = f"[{_WS_NOT_SPACE} ()]|[{_FW_NON_PUNCT}]"
_KEY_SUSPECT = f"[{_WS_NOT_SPACE}]|  |[\\x{{ff01}}-\\x{{ff5e}}]"
_PHONE_OK = r"^(?:1[0-9]{10}|0(?:10|2[0-9])-[1-9][0-9]{6,7}|0[3-9][0-9]{2}-[1-9][0-9]{6,7})$"
_ID_SHAPE = r"^[0-9]{17}[0-9X]$"
_USCC_SHAPE = r"^[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}$"


def _rules(rules: list[str]) -> str | None:
    return "+".join(rules) if rules else None


def _fn_text(v: str):
    new, rules = clean_text(v)
    return new, _rules(rules), None


def _fn_official(v: str):
    new, rules = clean_official_name(v)
    return new, _rules(rules), None


def _fn_key(v: str):
    new, rules = clean_key(v)
    return new, _rules(rules), None


def _fn_name(v: str):
    new, rules = clean_name(v)
    return new, _rules(rules), None


def _fn_phone(v: str):
    return clean_phone(v)


@lru_cache(maxsize=None)
def _code_fn(field: str) -> Callable:
    table = CODE_FIELDS[field]

    def fn(v: str):
        canon = canonical_value(table, v)
        if canon is None:
            return v, None, "unknown_code"
        if field == "学位" and canon == "无":
            return None, "null_token", None
        return canon, ("code_synonym" if canon != v else None), None
    return fn


def _fn_uscc(v: str):
    code = normalize_uscc(v) or v
    rule = "uscc_normalize" if code != v else None
    try:
        validate_uscc(code)
        return code, rule, None
    except IdentityError as exc:
        if is_legacy_registration_number(code):
            return code, rule, "uscc_legacy"
        return code, rule, ("uscc_checksum" if exc.reason == "checksum" else "uscc_format")


def _fn_id_shape(v: str):
    """Normalise an ID that is not yet 18 canonical characters (the verdict comes later)."""
    number = normalize_id(v)
    if len(number) == 15 and number.isdigit() and number.isascii():
        try:
            return upgrade_id15(number, strict=False), "id_upgrade15", None
        except IdentityError:
            return number, None, "id_format"
    if not number:
        return v, None, "id_format"
    rule = "id_normalize" if number != v else None
    if len(number) != 18:
        return number, rule, ("id_length" if number.isascii() and number.isalnum() else "id_format")
    if re.fullmatch(r"[0-9]{17}[0-9X]", number) is None:
        return number, rule, "id_format"
    return number, rule, None


# ---------------------------------------------------------------------------
# ID verdict (vectorised: check digit with numpy, stdnum per distinct date / county-year)
# ---------------------------------------------------------------------------

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)


def id_check_ok(numbers: pa.Array) -> np.ndarray:
    """Check character right (GB 11643 ISO 7064 MOD 11-2) for 18-char ASCII IDs (numpy)."""
    if len(numbers) == 0:
        return np.zeros(0, dtype=bool)
    mat = _fixed18(numbers)
    s = (mat[:, :17].astype(np.int64) - 48) @ _ID_WEIGHTS
    check = (12 - s % 11) % 11
    expected = np.where(check == 10, ord("X"), 48 + check)
    return mat[:, 17] == expected


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)
_USCC_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(_USCC_ALPHABET):
    _USCC_VALUE[ord(_c)] = _i


def _fixed18(values: pa.Array) -> np.ndarray:
    """(n, 18) uint8 matrix of 18-byte ASCII values."""
    values = as_large(values)
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset:values.offset + n + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)
    return data[offsets[:-1, None] + np.arange(18)[None, :]]


def uscc_check_ok(codes: pa.Array) -> np.ndarray:
    """Check character right (GB 32100) for 18-char codes over the USCC alphabet (numpy)."""
    if len(codes) == 0:
        return np.zeros(0, dtype=bool)
    vals = _USCC_VALUE[_fixed18(codes)]
    total = vals[:, :17] @ _USCC_WEIGHTS
    expected = (31 - total % 31) % 31
    return (vals[:, 17] == expected) & (vals >= 0).all(axis=1)


@lru_cache(maxsize=65536)
def _birth_date_ok(date8: str) -> bool:
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError
    try:
        ric.get_birth_date("000000" + date8 + "0000")
        return True
    except (ValidationError, ValueError):
        return False


@lru_cache(maxsize=65536)
def _region_verdict(code6: str, year4: str) -> str | None:
    """None when python-stdnum accepts the county code in that birth year, else the issue code."""
    from stdnum import numdb
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError
    try:
        ric.get_birth_place(code6 + year4 + "0101" + "0000")
        return None
    except (ValidationError, KeyError, ValueError):
        pass
    known = any("county" in props for _, props in numdb.get("cn/loc").info(code6))
    return "id_region_year" if known else "id_region_unknown"


def id_verdict(numbers: pa.Array) -> pa.Array:
    """Issue code per ID (null = valid) for normalised IDs; non-18-character values → null
    (their shape issue is raised before).  Precedence as stdnum: check digit, birth date, county."""
    numbers = as_large(numbers)
    n = len(numbers)
    shape = _regex_mask(numbers, _ID_SHAPE)
    out = np.full(n, None, dtype=object)
    idx = np.flatnonzero(shape)
    if idx.size:
        sub = numbers.take(pa.array(idx))
        ok = id_check_ok(sub)
        date8 = pc.utf8_slice_codeunits(sub, 6, 14)
        region = pc.binary_join_element_wise(pc.utf8_slice_codeunits(sub, 0, 6), pc.utf8_slice_codeunits(sub, 6, 10),
                                             ls("|"))
        du = pc.unique(date8)
        d_ok = np.array([_birth_date_ok(d) for d in du.to_pylist()], dtype=bool)
        date_good = d_ok[np.asarray(pc.index_in(date8, du).to_numpy(zero_copy_only=False), dtype=np.int64)]
        ru = pc.unique(region)
        r_code = np.array([_region_verdict(*r.split("|")) for r in ru.to_pylist()], dtype=object)
        reg = r_code[np.asarray(pc.index_in(region, ru).to_numpy(zero_copy_only=False), dtype=np.int64)]
        sub_out = np.where(~ok, "id_checksum", np.where(~date_good, "id_birth_date", reg))
        out[idx] = sub_out
    return pa.array(out, type=LS)


# ---------------------------------------------------------------------------
# One column
# ---------------------------------------------------------------------------

def _name_candidates(values: pa.Array) -> np.ndarray:
    """Names that are not plain simplified Han text (dots, spaces, other scripts, traditional)."""
    odd = _regex_mask(values, r"[^\x{4e00}-\x{9fff}·]")
    uniq = pc.unique(pc.drop_null(values)).to_pylist()
    chars = set("".join(uniq))
    trad = sorted(c for c in chars if "\u4e00" <= c <= "\u9fff" and simplified_char(c) != c)
    if trad:
        odd |= _regex_mask(values, "[" + _re2_class("".join(trad)) + "]")
    return odd


def _kind_column(sheet: str, field: str, kind: str, v: pa.Array) -> _Col:
    if kind == "date":
        value, rule, code, partial = standardise_dates(v)
        if partial.null_count == len(partial):
            return _Col(value, rule if rule.null_count < len(rule) else None,
                        code if code.null_count < len(code) else None)
        extra = pc.binary_join_element_wise(ls(',"partial":'), json_string(partial), ls(""))
        extra = pc.if_else(pc.is_valid(partial), extra, pa.scalar(None, LS))
        return _Col(value, rule, code, extra)
    if kind == "code":
        known = pa.array(sorted(canonical_names(FIELD_CODE_TYPES[CODE_FIELDS[field]])), LS)
        return _per_distinct(v, ~mask(pc.is_in(v, value_set=known)), _code_fn(field))
    if kind == "name":
        return _per_distinct(v, _name_candidates(v), _fn_name)
    if kind == "text":
        return _per_distinct(v, _regex_mask(v, _TEXT_SUSPECT), _fn_text)
    if kind == "official":
        return _per_distinct(v, _regex_mask(v, _OFFICIAL_SUSPECT), _fn_official)
    if kind == "key":
        return _per_distinct(v, _regex_mask(v, _KEY_SUSPECT), _fn_key)
    if kind == "phone":
        return _per_distinct(v, ~_regex_mask(v, _PHONE_OK), _fn_phone)
    if kind == "uscc":
        good = _regex_mask(v, _USCC_SHAPE)
        idx = np.flatnonzero(good)
        if idx.size:
            good[idx] = uscc_check_ok(v.take(pa.array(idx)))
        return _per_distinct(v, ~good, _fn_uscc)
    if kind == "id":
        col = _per_distinct(v, ~_regex_mask(v, _ID_SHAPE), _fn_id_shape)
        verdict = id_verdict(col.value)
        if verdict.null_count < len(verdict):
            col.code = verdict if col.code is None else pc.coalesce(col.code, verdict)
        return col
    raise ValueError(kind)


def _null_tokens(field: str) -> pa.Array:
    tokens = set(NULL_SPELLINGS) | {""}
    tokens -= set(NULL_EXEMPT.get(field, ()))
    return pa.array(sorted(tokens), LS)


class ColumnResult:
    """One standardised column: `value` (full length) and, sparse, the changed cells
    (`changed` positions, their `rule`) and the cells with an issue (`issue_rows`,
    `code`, `extra` JSON fragment or None)."""

    def __init__(self, value, changed, rule, issue_rows, code, extra):
        self.value = value
        self.changed = changed
        self.rule = rule
        self.issue_rows = issue_rows
        self.code = code
        self.extra = extra


def standardise_column(sheet: str, field: str, raw) -> ColumnResult:
    """Standardise one raw column (arrow array or Series) of `sheet`."""
    raw = as_large(raw)
    n = len(raw)
    kind = field_kind(sheet, field)
    null_scalar = pa.scalar(None, LS)
    t = pc.utf8_trim(raw, TRIM_CHARS)
    nulltok = mask(pc.is_in(t, value_set=_null_tokens(field)))
    formula = formula_mask(raw) & ~nulltok
    # the export writes a formula-like text as '=… (so a spreadsheet shows it as text): read it back as =…
    quoted = mask(pc.starts_with(t, "'"))
    if quoted.any():
        rest = pc.utf8_slice_codeunits(t, 1)
        escaped = quoted & formula_mask(rest)
        if escaped.any():
            t = pc.if_else(pa.array(escaped), rest, t)
            formula = formula | escaped
    any_null, any_formula = nulltok.any(), formula.any()
    v = pc.if_else(pa.array(nulltok | formula), null_scalar, t) if (any_null or any_formula) else t
    col = _kind_column(sheet, field, kind, v)
    value = pc.if_else(pa.array(formula), t, col.value) if any_formula else col.value
    changed = np.flatnonzero(mask(pc.and_(pc.is_valid(raw), pc.fill_null(pc.not_equal(value, raw), True))))
    rule = []
    if changed.size:
        sel = pa.array(changed)
        raw_c = raw.take(sel)
        t_c = t.take(sel)
        trimmed = mask(pc.not_equal(t_c, raw_c))
        empty_c = mask(pc.equal(t_c, ""))
        null_c = nulltok[changed]
        formula_c = formula[changed]
        kind_rule = col.rule.take(sel).to_pylist() if col.rule is not None else [None] * changed.size
        for tr, em, nu, fo, kr in zip(trimmed.tolist(), empty_c.tolist(), null_c.tolist(), formula_c.tolist(),
                                      kind_rule):
            if em:
                rule.append("empty")
                continue
            parts = ["trim"] if tr else []
            if nu:
                parts.append("null_token")
            elif kr and not fo:
                parts.append(kr)
            rule.append("+".join(parts) or "normalize")
    code = col.code
    if any_formula:
        code = pc.if_else(pa.array(formula), ls("formula"), code if code is not None else null_scalar)
    if code is None:
        return ColumnResult(value, changed, rule, np.zeros(0, dtype=np.int64), None, None)
    issue_rows = np.flatnonzero(mask(pc.is_valid(code)))
    sel = pa.array(issue_rows)
    code_i = code.take(sel)
    extra_i = None
    if col.extra is not None:
        extra_i = col.extra.take(sel)
        if any_formula:
            extra_i = pc.if_else(pa.array(formula[issue_rows]), null_scalar, extra_i)
    return ColumnResult(value, changed, rule, issue_rows, code_i, extra_i)


# ---------------------------------------------------------------------------
# The frame
# ---------------------------------------------------------------------------

def _series(arr: pa.Array, index) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(as_large(arr), dtype=_STR), index=index)


def standardise(sheet_name: str, raw_frame: pd.DataFrame) -> pd.DataFrame:
    """The std frame of one raw sheet frame (see the module docstring)."""
    if sheet_name not in HEADERS:
        raise KeyError(f"未知的工作表：{sheet_name}")
    n = len(raw_frame)
    index = raw_frame.index
    out: dict[str, pd.Series] = {}
    for c in LINEAGE:
        if c in raw_frame.columns:
            out[c] = raw_frame[c]
        else:
            out[c] = pd.Series(np.zeros(n, dtype=np.int64), index=index) if c == "_row" \
                else _series(pa.nulls(n, LS), index)
    issue_parts: list[tuple[np.ndarray, pa.Array]] = []
    change_parts: list[tuple[np.ndarray, pa.Array]] = []
    for field in HEADERS[sheet_name]:
        if field in DROPPED_HEADERS:
            continue
        raw = as_large(raw_frame[field]) if field in raw_frame.columns else pa.nulls(n, LS)
        res = standardise_column(sheet_name, field, raw)
        out[field] = _series(res.value, index)
        fjson = ls('{"field":' + json.dumps(field, ensure_ascii=False))
        if res.issue_rows.size:
            sel = pa.array(res.issue_rows)
            extra = pc.fill_null(res.extra, ls("")) if res.extra is not None else ls("")
            texts = pc.binary_join_element_wise(
                fjson, ls(',"code":'), json_string(res.code), ls(',"raw":'), json_string(raw.take(sel)),
                extra, ls("}"), ls(""))
            issue_parts.append((res.issue_rows, texts))
        if res.changed.size:
            sel = pa.array(res.changed)
            texts = pc.binary_join_element_wise(
                fjson, ls(',"old":'), json_string(raw.take(sel)), ls(',"new":'), json_string(res.value.take(sel)),
                ls(',"rule":'), json_string(pa.array(res.rule, LS)), ls("}"), ls(""))
            change_parts.append((res.changed, texts))
    out["_extra"] = raw_frame["_extra"] if "_extra" in raw_frame.columns else _series(pa.nulls(n, LS), index)
    out["_issues"] = _series(json_rows(n, issue_parts), index)
    out["_changes"] = _series(json_rows(n, change_parts), index)
    return pd.DataFrame(out, index=index, columns=std_columns(sheet_name))


def standardise_all(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`standardise` of every sheet of a ReadResult's frames."""
    return {sheet: standardise(sheet, frame) for sheet, frame in frames.items()}


def standardise_value(sheet: str, field: str, value: str | None) -> tuple[str | None, dict | None]:
    """One cell (the app's form): (canonical value or the trimmed input, issue dict or None)."""
    frame = pd.DataFrame({field: pd.Series([value], dtype=_STR)})
    std = standardise(sheet, frame)
    new = std[field].iloc[0] if field in std.columns else None
    issues = json.loads(std["_issues"].iloc[0])
    return (None if pd.isna(new) else new), (issues[0] if issues else None)
