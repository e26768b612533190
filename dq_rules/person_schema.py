"""Data-quality rules of the std / records 基本信息 frame (pandera), for a Dagster asset check.

``person_schema(records=False)`` is a `pandera.pandas.DataFrameSchema` over the
frame of `pipelines.cleaning.standardise` (``records=True``: the merged
records of `pipelines.cleaning.merge`, where 档案编号 is unique per agency and
every row has 姓名 or 公民身份号码).  Every check states the canonical form of
the contract; values the cleaning could not make canonical stay as typed and
carry an issue, so they fail here by design.

``values=False`` keeps only the frame's form (headers, lineage, text columns): the std asset checks that,
and the merged records (whose every value comes from a std row) get the per-cell rules once.

``failure_cases(frame)`` validates lazily and returns one row per failing
cell: ``row`` (frame index), ``_file``, ``_row`` (spreadsheet row), ``column``,
``check``, ``failure_case``, ``explained`` (the row's ``_issues`` names that
field — a known, reported problem).  ``unexplained(frame)`` keeps the others:
an asset check passes when it is empty (it sets the explained cells aside before validating).

Rules only (no mechanism beyond pandera): the code sets come from
`archives_domain.codes` (seeds/data), formats from the contract.
"""
from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd

from archives_domain.codes import FIELD_CODE_TYPES, canonical_names
from archives_domain.collection_form import DATE_HEADERS, DROPPED_HEADERS, PERSON_HEADERS, SHEET_PERSON

ID_PATTERN = r"^[0-9]{17}[0-9X]$"
USCC_PATTERN = r"^[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}$"
DATE_PATTERN = r"^(?:19|20)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"
PHONE_PATTERN = r"^(?:1[0-9]{10}|0(?:10|2[0-9])-[1-9][0-9]{6,7}|0[3-9][0-9]{2}-[1-9][0-9]{6,7})$"
AGENCY_PATTERN = r"^[0-9]{8}$"
# patterns as text, without look-arounds, so that pandas hands them to pyarrow (RE2, vectorised)
# (whitespace spelled out: RE2's \s is ASCII only, Python's is Unicode)
_WS = "[\\t\\n\\x0b\\x0c\\r \\x1c-\\x1f\\x85\\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_SPACE_EDGE = f"^{_WS}|{_WS}$"
# a space is allowed only between two Latin letters (foreign names); dots of every width never
_NAME_BAD = f"^{_WS}|{_WS}$|[^A-Za-z]{_WS}|{_WS}[^A-Za-z]|[.•・･．‧∙⋅●]"
_FULLWIDTH = "[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]"


def _date_real(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="%Y-%m-%d", errors="coerce").notna() | s.isna()


def _contains(s: pd.Series, pattern: str) -> pd.Series:
    return s.astype("string").fillna("").str.contains(pattern, regex=True).astype(bool)


@lru_cache(maxsize=1)
def _space_chars():
    """Every character Python's ``\\s`` matches (`str.isspace`), as an Arrow value set."""
    import pyarrow as pa

    return pa.array([c for c in map(chr, range(0x3001)) if c.isspace()])


def _no_edge_space(s: pd.Series) -> pd.Series:
    """No whitespace at either end: the first and last character looked up in the whitespace set (Arrow,
    vectorised: half the time of a regex with the Unicode class at both ends)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(s, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: the same rule by regex
        return ~_contains(s, _SPACE_EDGE)
    ws = _space_chars()
    edge = pc.or_(pc.is_in(pc.utf8_slice_codeunits(arr, 0, 1), value_set=ws),
                  pc.is_in(pc.utf8_slice_codeunits(arr, -1, 2**31 - 1), value_set=ws))
    return pd.Series(~edge.fill_null(False).to_numpy(zero_copy_only=False), index=s.index)


def _name_ok(s: pd.Series) -> pd.Series:
    return ~_contains(s, _NAME_BAD)


def _no_fullwidth(s: pd.Series) -> pd.Series:
    return ~_contains(s, _FULLWIDTH)


def _is_json_list(x) -> bool:
    if not isinstance(x, str):
        return False
    try:
        return isinstance(json.loads(x), list)
    except ValueError:
        return False


def _json_list(s: pd.Series) -> pd.Series:
    empty = (s == "[]").fillna(False).astype(bool)  # most rows: no issue, no change
    out = empty.copy()
    rest = ~empty
    out[rest] = s[rest].map(_is_json_list).astype(bool)
    return out


def _value_checks(h: str) -> list:
    """The per-cell rules of 基本信息 header `h` (its canonical form in the contract)."""
    import pandera.pandas as pa

    Check = pa.Check
    checks = [Check(_no_edge_space, name="trimmed")]
    if h in DATE_HEADERS[SHEET_PERSON]:
        checks += [Check.str_matches(DATE_PATTERN), Check(_date_real, name="real_date")]
    elif h in FIELD_CODE_TYPES:
        checks.append(Check.isin(sorted(canonical_names(FIELD_CODE_TYPES[h]))))
    elif h == "公民身份号码":
        checks.append(Check.str_matches(ID_PATTERN))
    elif h == "单位统一社会信用代码":
        checks.append(Check.str_matches(USCC_PATTERN))
    elif h == "联系电话":
        checks.append(Check.str_matches(PHONE_PATTERN))
    elif h == "姓名":
        checks += [Check(_name_ok, name="name_form"), Check(_no_fullwidth, name="halfwidth")]
    elif h in ("档案编号", "立户编号", "户籍编号", "户籍所在地", "工作单位"):
        checks.append(Check(_no_fullwidth, name="halfwidth"))
    return checks


@lru_cache(maxsize=4)
def person_schema(records: bool = False, values: bool = True):
    """The pandera schema of the 基本信息 std frame (``records=True``: merged records); ``values=False``:
    only the frame's form — every header present, lineage, text columns — without the per-cell rules."""
    import pandera.pandas as pa

    Check = pa.Check
    cols: dict[str, pa.Column] = {
        "_agency": pa.Column(checks=Check.str_matches(AGENCY_PATTERN), nullable=False),
        "_batch": pa.Column(nullable=False),
        "_file": pa.Column(nullable=False),
        "_sheet": pa.Column(checks=Check.isin([SHEET_PERSON]), nullable=False),
        "_row": pa.Column(int, checks=Check.ge(2), nullable=False, coerce=False),
        "_issues": pa.Column(checks=Check(_json_list, name="json_list") if values else [], nullable=False),
        "_changes": pa.Column(checks=Check(_json_list, name="json_list") if values else [], nullable=False),
    }
    for h in PERSON_HEADERS:
        if h in DROPPED_HEADERS:
            continue
        checks = _value_checks(h) if values else []
        nullable = not (records and h == "档案编号")
        cols[h] = pa.Column(checks=checks, nullable=nullable, required=True)
    frame_checks = [
        Check(lambda df: "户口性质" not in df.columns, name="no_户口性质", error="户口性质 is raw-layer only (rule 2)"),
        Check(lambda df: all(pd.api.types.is_string_dtype(df[h]) for h in PERSON_HEADERS if h in df.columns),
              name="string_columns"),
    ]
    if records:
        frame_checks += [
            Check(lambda df: ~df.duplicated(["_agency", "档案编号"], keep=False), name="unique_key",
                  error="档案编号 unique within the agency"),
            Check(lambda df: df["姓名"].notna() | df["公民身份号码"].notna(), name="has_identity",
                  error="姓名 or 公民身份号码 present (rule 5)"),
        ]
    return pa.DataFrameSchema(cols, checks=frame_checks, strict=False, ordered=False,
                              name="基本信息 records" if records else "基本信息 std")


FAILURE_COLUMNS = ("row", "_file", "_row", "column", "check", "failure_case", "explained")


def failure_cases(frame: pd.DataFrame, *, records: bool = False, values: bool = True) -> pd.DataFrame:
    """Every failing cell of `frame` (lazy validation), with lineage and whether an issue explains it."""
    import pandera.pandas as pa

    try:
        person_schema(records, values).validate(frame, lazy=True)
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in FAILURE_COLUMNS})
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases.copy()
    fc = fc.rename(columns={"index": "row"})
    # lineage and issues of the failing rows, looked up once per row (not per failing cell)
    rows = fc["row"].to_numpy(dtype=object)
    at = pd.Index(frame.index).get_indexer(pd.Index(rows).where(pd.notna(rows), -1)) if len(rows) \
        else np.zeros(0, dtype=np.int64)
    for c in ("_file", "_row"):
        fc[c] = np.where(at >= 0, frame[c].to_numpy(dtype=object)[np.maximum(at, 0)], None) \
            if c in frame.columns and len(frame) else None
    fields_of: dict[int, set] = {}
    if "_issues" in frame.columns:
        issues = frame["_issues"].to_numpy(dtype=object)
        for pos in np.unique(at[at >= 0]).tolist():
            try:
                fields_of[pos] = {e.get("field") for e in json.loads(issues[pos])} \
                    if isinstance(issues[pos], str) else set()
            except ValueError:
                fields_of[pos] = set()
    fc["explained"] = [c in fields_of.get(int(p), ()) for p, c in zip(at, fc["column"])]
    return fc[list(FAILURE_COLUMNS)].reset_index(drop=True)


# columns the frame-wide checks read (has_identity, unique_key): never set aside, or a check would fail
# on a cell it did not look at
_FRAME_CHECK_COLUMNS = frozenset({"_agency", "档案编号", "姓名", "公民身份号码"})


def _explained_set_aside(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (a shallow copy) with every cell an issue of its row names set to NA — known, reported
    problems — so that lazy validation collects only the others: building pandera's failure cases for the
    thousands of explained cells of a large agency cost more than the checks themselves."""
    if "_issues" not in frame.columns or not len(frame):
        return frame
    issues = frame["_issues"].to_numpy(dtype=object, na_value=None)
    at: dict[str, list[int]] = {}
    for pos in np.flatnonzero((issues != "[]") & (issues != None)).tolist():  # noqa: E711 - elementwise
        try:
            found = json.loads(issues[pos])
        except (TypeError, ValueError):
            continue  # not JSON: the json_list check reports the row
        for field in {e.get("field") for e in found if isinstance(e, dict)}:
            if field in frame.columns and field not in _FRAME_CHECK_COLUMNS and not str(field).startswith("_"):
                at.setdefault(field, []).append(pos)
    if not at:
        return frame
    out = frame.copy(deep=False)
    for field, rows in at.items():
        col = out[field].copy()
        col.iloc[rows] = None
        out[field] = col
    return out


def unexplained(frame: pd.DataFrame, *, records: bool = False, values: bool = True) -> pd.DataFrame:
    """The failing cells that no issue of their row explains (an asset check passes when empty). The
    explained cells are set aside before validating (`_explained_set_aside`): the same answer, faster."""
    fc = failure_cases(_explained_set_aside(frame) if values else frame, records=records, values=values)
    return fc[~fc["explained"].astype(bool)].reset_index(drop=True)
