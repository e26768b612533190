"""`archives synth score`: measure an export against the truth of a synthetic data set.

``score(truth_dir, export_dir) -> dict`` implements "Scoring" of
docs/synthetic_data.md; ``format_table(result)`` renders it; ``main`` is what
the CLI calls; ``export_from_truth`` writes the perfect export of a truth
(100 %), or with ``leave_dirty="all"`` the export of a pipeline that did nothing.

The result has the keys of the design (``REQUIRED_KEYS``; per category exactly
``CATEGORY_KEYS``) and these extras: ``errors_quarantined`` (per category, see
below), ``false_repairs_by_field`` ("sheet.header" → n),
``review_flags_without_error`` (待核实字段 tokens on records with no error in that
field: work made for the clerks), ``multi_archive`` {pairs, both_flagged},
``duplicates`` {expected, loaded_once}, ``quarantine`` {expected, found,
unexpected}, ``records``, ``missing_records``, ``unexpected_records``,
``duplicate_export_records``, ``missing_child_rows`` and
``unexpected_child_rows`` (per child sheet).

Everything is vectorised (hash lookups on the record keys, pyarrow compute on
the value columns, numpy on the ~10M candidate pairs of child rows, the big truth
sheets read column by column): ~943k persons, ~3.6M child rows and ~300k errors
score in about 25 s (2 cores) in about 4 GB with the export read.

Decisions where the design doc is silent
---------------------------------------

* **Records.** A truth record is matched to the export by (agency_code, 档案编号),
  exactly (the export holds canonical values). When 档案编号 itself carries an
  injected error, an export row under the *dirty* number (person or child row)
  stands for the record if the clean number is not exported and the dirty one is
  nobody else's; the 档案编号 error then scores ``left_wrong``. An export record
  matched to no truth record is ``unexpected_records``; a second export row with
  the same key is ``duplicate_export_records`` (only the first is scored).
* **Child rows.** Export child rows find their person by (agency_code, 档案编号),
  whether or not the person row was exported. Per person and sheet, truth and export
  rows are paired by how well they agree, not by position alone, so that a start
  date left dirty, a row dropped or added, or rows listed in another order do not
  pair a row with its sibling (whose every cell would show as a false repair):

  - a person with one row on each side pairs them;
  - otherwise every (truth row, export row) of the person is a candidate, scored by
    *agreement*: 2 per equal cell of the sheet's compared columns but 公民身份号码
    (values trimmed, '' as null, null == null); for 起始时间 / 终止时间 2 when the
    lenient dates are equal (``_date_key``: ``2019/3/5``, ``20190305``,
    ``2019年3月5日``, an Excel serial, full-width digits all read as 2019-03-05)
    and 1 when compatible — same year and month whatever the day, or same year when
    either month is not 1–12. So an unresolvable date left dirty (month-only
    ``2015.02``, impossible ``2019-02-30``, ``2016-13-03``, day and month swapped
    ``2016-14-03``) still agrees with its clean value;
  - candidates are taken greedily, best first: highest agreement, then the smallest
    distance between the rows' positions in date order (truth rows sorted by clean
    起始时间, ties by ``seq``; export rows by lenient 起始时间 as exported, ties by
    file order; no date sorts last), then truth row, then export row. Vectorised in
    rounds: every candidate that is the best remaining one of both its rows is
    taken, then the rows taken leave (the same result as one pair at a time). Rows
    that agree equally — identical rows, say — pair in date order, as before;
  - a person with more than 2,500 candidates (truth rows × export rows) pairs by
    position in date order only (bounded cost).

  Truth rows left unpaired count in missing_child_rows, export rows left unpaired in
  unexpected_child_rows. A value changed wrongly still shows: its row pairs by its
  other cells.
* **Review of a child field.** The person's 待核实字段 must name the child
  sheet's header (``工作单位``, ``起始时间`` …) — any of that person's rows.
  A qualified token such as ``工作经历.工作单位`` or ``工作经历:工作单位`` counts as
  its last part. Tokens are split on ``;`` (and the full-width ``；``) and trimmed.
* **Order of the tests.** A record (or child row) that is not in the export is
  checked first: its errors count ``changed_wrong`` — the value was lost —
  unless an *unexpected* row of 隔离.csv (one not in quarantine.parquet) has the
  same agency (folder of 来源文件), sheet (工作表) and 档案编号 (trimmed), i.e. the
  pipeline quarantined the record itself: then the errors go to a separate
  bucket, ``errors_quarantined`` (per category), outside the four outcomes (for
  those categories injected = outcomes + quarantined). They lower recall, not
  precision. An expected 隔离 row under the same 档案编号 (another person typed
  under that number, rule 4) does not excuse a lost record. Otherwise the doc's
  order: repaired_right, sent_to_review, left_wrong, changed_wrong (NA == NA is
  equal; '' is NA; nothing else is normalised — a value with stray spaces is not
  canonical).
* **multi_archive** errors: ``sent_to_review`` when the record and every record
  paired with it in multi_archive.parquet name 公民身份号码 in 待核实字段 (checked
  before anything else: the generator writes dirty == clean == the ID);
  otherwise ``repaired_right`` only if clean differs from dirty and the export
  holds clean; else ``left_wrong`` (as written, not flagged) or ``changed_wrong``.
* **false_repairs** are counted over truth cells of records (and child rows)
  present in the export, in every column of the form but 档案编号 (the key) and
  户口性质 (exported empty by rule 2) — other truth columns are ignored — minus
  the cells that carry an injected error. Cells of missing records are not false
  repairs (they show in ``missing_records`` and lower recall through their errors).
* ``auto_precision`` is 1.0 and ``resolvable_recall`` 1.0 when their
  denominators are 0 (an export that changed nothing has precision 1.0).
* **duplicates**: a 基本信息 duplicate is ``loaded_once`` when exactly one export
  row has its (agency, 档案编号); a child-sheet duplicate when the person has as
  many rows of that sheet in the export as in the truth.
* **quarantine**: rows of quarantine.parquet found in 隔离.csv by (来源文件,
  工作表, 行号); paths are compared on their last two parts
  (``<agency>/<file>``), so a leading landing folder or ``\\`` do not matter.
  ``unexpected`` = rows of 隔离.csv not expected.
"""
from __future__ import annotations

import json
import time
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from archives_domain.collection_form import (
    DATE_HEADERS, DROPPED_HEADERS, EXPORT_EXTRA_HEADERS, HEADERS, PERSON_HEADERS, QUARANTINE_HEADERS, SHEET_PERSON,
    SHEET_STUDY, SHEET_WORK,
)
from synth.export_reader import QUARANTINE_FILE, STRING, Export, read_export

CATEGORIES = (
    "whitespace", "fullwidth", "null_token", "date_format", "date_excel_serial", "date_month_only",
    "date_impossible", "id_15", "id_lowercase_x", "id_typo", "id_transposition", "name_homophone",
    "name_traditional", "name_dot", "code_synonym", "employer_abbrev", "employer_no_suffix",
    "employer_former_name", "employer_bracket_width", "employer_typo", "employer_missing", "employer_changed",
    "uscc_bad_check", "uscc_legacy_15", "batch_correction", "multi_archive",
)
OUTCOMES = ("repaired_right", "sent_to_review", "changed_wrong", "left_wrong")
CATEGORY_KEYS = ("injected", "resolvable") + OUTCOMES
REQUIRED_KEYS = ("categories", "false_repairs", "auto_precision", "resolvable_recall", "rows_in", "rows_loaded",
                 "rows_quarantined")
KEYS = ["agency_code", "档案编号"]
ID = "公民身份号码"
REVIEW = "待核实字段"
CHILD_SHEETS = (SHEET_STUDY, SHEET_WORK)
TRUTH_FILES = {SHEET_PERSON: "persons.parquet", SHEET_STUDY: "study.parquet", SHEET_WORK: "work.parquet"}
NOT_COMPARED = {"person_key", "agency_code", "档案编号", "seq", *DROPPED_HEADERS}  # 户口性质: export keeps it empty
_LAST = 99_999_999
_TRIM = " \t\r\n\u3000\xa0"

_RR, _REV, _CW, _LW, _Q = 0, 1, 2, 3, 4


class TruthError(ValueError):
    """The truth directory is incomplete or malformed."""


# ---------------------------------------------------------------- small helpers

def _pa(values) -> pa.ChunkedArray:
    """A pandas string Series / pyarrow array as a large_string chunked array."""
    if isinstance(values, pd.Series):
        values = pa.array(values.array) if len(values) else pa.array([], pa.large_string())
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    if values.type != pa.large_string():
        values = values.cast(pa.large_string())
    return values


def _same(a, b) -> np.ndarray:
    """Element-wise equality of two string arrays, null == null."""
    eq = pc.fill_null(pc.equal(a, b), False)
    both = pc.and_(pc.is_null(a), pc.is_null(b))
    return pc.or_(eq, both).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _take(col: pa.ChunkedArray | None, idx: np.ndarray) -> pa.ChunkedArray:
    """col[idx], null where idx < 0 or the column does not exist."""
    if col is None:
        return pa.chunked_array([pa.nulls(len(idx), pa.large_string())])
    if len(idx) == 0:
        return pa.chunked_array([], pa.large_string())
    mask = idx < 0
    indices = pa.array(np.where(mask, 0, idx), mask=mask) if mask.any() else pa.array(idx)
    if len(col) == 0:
        return pa.chunked_array([pa.nulls(len(idx), pa.large_string())])
    return col.take(indices)


_SEP = pa.scalar("\x1f", pa.large_string())


def _keycol(series: pd.Series) -> pa.ChunkedArray:
    if len(series) == 0:
        return pa.chunked_array([], pa.large_string())
    arr = pa.array(series.array) if not pd.api.types.is_integer_dtype(series.dtype) else pa.array(series)
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    return arr.cast(pa.large_string())


def _joined(df: pd.DataFrame, on: list[str]) -> pa.ChunkedArray:
    """One string key per row from the ``on`` columns (null when any part is null)."""
    cols = [_keycol(df[c]) for c in on]
    return cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, _SEP)


def _index_in(keys, value_set) -> np.ndarray:
    """Position of each key in value_set (first occurrence), -1 if absent or null."""
    if isinstance(value_set, pa.ChunkedArray):
        value_set = value_set.combine_chunks()
    idx = pc.index_in(keys, value_set=value_set, skip_nulls=True)
    return pc.fill_null(idx, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _lookup(left: pd.DataFrame, right: pd.DataFrame, on: list[str], value: str) -> np.ndarray:
    """For each row of ``left``, ``right[value]`` of the first right row with the same ``on`` keys; -1 if
    none (a key with a null part matches nothing). A hash lookup (pyarrow ``index_in``)."""
    if len(left) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(right) == 0:
        return np.full(len(left), -1, dtype=np.int64)
    idx = _index_in(_joined(left, on), _joined(right, on))
    vals = right[value].to_numpy(dtype=np.int64)
    return np.where(idx >= 0, vals[np.maximum(idx, 0)], -1)


def _ranks(group: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Position of each row within its group, after sorting by keys (first key most significant)."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort(tuple(reversed(keys)) + (group,))
    g = group[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    lengths = np.diff(np.r_[starts, n])
    rank_sorted = np.arange(n) - np.repeat(starts, lengths)
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = rank_sorted
    return ranks


_DATE_RE = r"^\D*(?P<y>\d{4})\D{0,3}(?P<m>\d{0,2})\D{0,3}(?P<d>\d{0,2})"
_SERIAL_RE = r"^\s*(?P<n>\d{5})(?:\.0+)?\s*$"


def _date_key(values) -> np.ndarray:
    """YYYYMMDD as an integer for sorting; no date → last. Lenient, so that a date left dirty sorts where
    its clean value would: full-width forms are folded (NFKC) and spaces dropped; a 5-digit number is an
    Excel serial day; otherwise any 4-digit year, then month and day if present (2019/3/5, 20190305,
    2019年3月5日 → 20190305; 2019.03 → 20190300)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    values = _pa(values)
    canon = pc.fill_null(pc.match_substring_regex(values, r"^\d{4}-\d{2}-\d{2}$"), False)
    n_canon = pc.sum(canon).as_py() or 0
    if n_canon:                 # the canonical form (most cells) the fast way, the rest below
        key = np.full(len(values), _LAST, dtype=np.int64)
        mask = canon.to_numpy(zero_copy_only=False)
        key[mask] = pc.cast(pc.replace_substring(values.filter(canon), "-", ""), pa.int64()).to_numpy(
            zero_copy_only=False)
        rest = np.flatnonzero(~mask & pc.is_valid(values).to_numpy(zero_copy_only=False))
        if len(rest):
            key[rest] = _date_key(values.take(pa.array(rest)))
        return key
    arr = pc.replace_substring_regex(pc.utf8_normalize(values, form="NFKC"), r"\s+", "")
    m = pc.extract_regex(arr, _DATE_RE)
    valid = pc.fill_null(pc.is_valid(m), False).to_numpy(zero_copy_only=False)

    def part(name):
        p = pc.struct_field(m, name)
        p = pc.if_else(pc.equal(p, ""), "0", p)
        return pc.fill_null(pc.cast(p, pa.int64()), 0).to_numpy(zero_copy_only=False)

    key = np.where(valid, part("y") * 10000 + part("m") * 100 + part("d"), _LAST).astype(np.int64)
    serial = pc.fill_null(pc.match_substring_regex(arr, _SERIAL_RE), False).to_numpy(zero_copy_only=False)
    if serial.any():
        i = np.flatnonzero(serial)
        num = pc.extract_regex(arr.take(pa.array(i)), _SERIAL_RE)
        n = pc.cast(pc.struct_field(num, "n"), pa.int64()).to_numpy(zero_copy_only=False)
        day = np.datetime64("1899-12-30") + n.astype("timedelta64[D]")
        month = day.astype("datetime64[M]")
        key[i] = ((month.astype("datetime64[Y]").astype(np.int64) + 1970) * 10000
                  + (month.astype(np.int64) % 12 + 1) * 100 + (day - month).astype(np.int64) + 1)
    return key


# ---------------------------------------------------------------- pairing child rows

_MATCH_CAP = 2_500      # a person with more candidate pairs (truth rows × export rows) pairs by date order


def _codes(t: pa.ChunkedArray, x: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes for truth and export strings in one dictionary, after light normalisation
    (trimmed, '' as null); null → -1. Equal codes ⇔ equal values (null == null)."""
    n_t = len(t)
    arr = pa.chunked_array(list(t.chunks) + list(x.chunks), pa.large_string()).combine_chunks()
    if len(arr) == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    arr = pc.utf8_trim(arr, _TRIM)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)
    idx = pc.fill_null(pc.dictionary_encode(arr).indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    return idx[:n_t], idx[n_t:]


class _Agreement:
    """How well truth child rows agree with export rows. ``_Agreement(...)(c_rows, x_rows)`` reads the
    cells of those rows and returns ``agree(ci, xi)`` for pairs (positions in c_rows, x_rows): 2 per
    equal cell (see ``_codes``) of the compared columns but 公民身份号码 (the same on all of a person's
    rows); for a date column 2 when the lenient dates (``_date_key``) are equal, 1 when compatible:
    same year, and same month or either month not 1–12 (a month-only ``2015.02``, an impossible
    ``2019-02-30``, ``2016-13-03`` or day/month swapped ``2016-14-03`` left dirty)."""

    def __init__(self, truth: Truth, sheet: str, xdf: pd.DataFrame, date_keys: dict):
        self.truth, self.sheet, self.xdf, self.date_keys = truth, sheet, xdf, date_keys
        self.cols = [c for c in HEADERS[sheet] if c not in NOT_COMPARED and c != ID and c in truth.columns(sheet)]

    def __call__(self, c_rows: np.ndarray, x_rows: np.ndarray):
        values, dates = [], []
        ci, xi = pa.array(c_rows), pa.array(x_rows)
        for col in self.cols:
            x_col = _pa(self.xdf[col]).take(xi) if col in self.xdf.columns else \
                pa.chunked_array([pa.nulls(len(x_rows), pa.large_string())])
            if col in DATE_HEADERS[self.sheet]:
                if col in self.date_keys:
                    tk, xk = self.date_keys[col]
                    tk, xk = tk[c_rows], xk[x_rows]
                else:
                    tk, xk = _date_key(_pa(self.truth.column(self.sheet, col)).take(ci)), _date_key(x_col)
                dates.append((tk, xk, *self._loose(tk), *self._loose(xk)))
            else:
                values.append(_codes(_pa(self.truth.column(self.sheet, col)).take(ci), x_col))

        def agree(c: np.ndarray, x: np.ndarray) -> np.ndarray:
            s = np.zeros(len(c), dtype=np.int32)
            for tc, xc in values:
                s += (tc[c] == xc[x]) * np.int32(2)
            for tk, xk, t_ym, t_y, t_loose, x_ym, x_y, x_loose in dates:
                exact = tk[c] == xk[x]
                s += exact * np.int32(2)
                s += (~exact & ((t_ym[c] == x_ym[x]) | ((t_y[c] == x_y[x]) & (t_loose[c] | x_loose[x])))
                      ).astype(np.int32)
            return s
        return agree

    @staticmethod
    def _loose(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per date key: year·month, year (-1 for no date: two missing dates are equal, never compatible)
        and whether the month is not 1–12."""
        ym = key // 100
        none = key == _LAST
        month = ym % 100
        return (np.where(none, -1, ym).astype(np.int32), np.where(none, -1, ym // 100).astype(np.int32),
                (month < 1) | (month > 12))


def _pair_rows(c_tid: np.ndarray, x_tid: np.ndarray, c_rank: np.ndarray, x_rank: np.ndarray, agreement,
               cap: int = _MATCH_CAP) -> np.ndarray:
    """c2x: the export row paired with each truth child row (-1: none). A person with one row on each
    side pairs them. Otherwise the candidates are all (truth, export) rows of the person, taken
    greedily, best first by (agreement desc, |c_rank - x_rank|, c, x) where ``agreement(c_rows,
    x_rows)`` gives the scorer (see ``_Agreement``); in rounds: a pair that is the best remaining
    candidate of both its rows is taken, and the rows taken leave. A person with more than ``cap``
    candidates pairs by equal rank (date order)."""
    n_c, n_x = len(c_tid), len(x_tid)
    c2x = np.full(n_c, -1, dtype=np.int64)
    c_ok = np.flatnonzero(c_tid >= 0)
    x_ok = np.flatnonzero(x_tid >= 0)
    if len(c_ok) == 0 or len(x_ok) == 0:
        return c2x
    size = int(max(c_tid.max(), x_tid.max())) + 1
    nx = np.bincount(x_tid[x_ok], minlength=size).astype(np.int64)
    nt = np.bincount(c_tid[c_ok], minlength=size).astype(np.int64)
    xs = x_ok[np.argsort(x_tid[x_ok], kind="stable")]        # export rows grouped by person
    first = np.r_[0, np.cumsum(nx)]
    c_t = c_tid[c_ok]
    single = (nt == 1) & (nx == 1)
    cs = c_ok[single[c_t]]
    c2x[cs] = xs[first[c_tid[cs]]]
    crowded = nt * nx > cap
    if crowded.any():
        cb = c_ok[crowded[c_t]]
        xb = x_ok[crowded[x_tid[x_ok]]]
        width = int(max(c_rank.max(initial=0), x_rank.max(initial=0))) + 1
        pos = pd.Index(x_tid[xb] * width + x_rank[xb]).get_indexer(c_tid[cb] * width + c_rank[cb])
        c2x[cb] = np.where(pos >= 0, xb[np.maximum(pos, 0)] if len(xb) else -1, -1)

    rest = (nt * nx > 1) & ~crowded
    cs = c_ok[rest[c_t]]                                      # ascending
    if len(cs) == 0:
        return c2x
    x_sel = x_ok[rest[x_tid[x_ok]]]                           # ascending
    x_pos = np.full(n_x, -1, dtype=np.int64)
    x_pos[x_sel] = np.arange(len(x_sel))
    k = nx[c_tid[cs]]
    ends = np.cumsum(k)
    ci = np.repeat(np.arange(len(cs)), k)                     # pairs in (c, x) order
    px = xs[np.repeat(first[c_tid[cs]], k) + np.arange(ends[-1]) - np.repeat(ends - k, k)]
    xi = x_pos[px]
    pc_ = cs[ci]
    score = agreement(cs, x_sel)(ci, xi).astype(np.int64)
    del ci, xi
    dist = np.minimum(np.abs(c_rank[pc_] - x_rank[px]), 2**31 - 1)
    order = np.argsort((score.max() - score) << 32 | dist, kind="stable")
    del score, dist
    pc_, px = pc_[order], px[order]
    prio = np.arange(len(pc_), dtype=np.int64)
    c_done = np.zeros(n_c, dtype=bool)
    x_done = np.zeros(n_x, dtype=bool)
    none = np.iinfo(np.int64).max
    best_c = np.full(n_c, none, dtype=np.int64)
    best_x = np.full(n_x, none, dtype=np.int64)
    while len(pc_):
        np.minimum.at(best_c, pc_, prio)
        np.minimum.at(best_x, px, prio)
        take = (best_c[pc_] == prio) & (best_x[px] == prio)
        c2x[pc_[take]] = px[take]
        c_done[pc_[take]] = True
        x_done[px[take]] = True
        best_c[pc_] = none
        best_x[px] = none
        keep = ~(c_done[pc_] | x_done[px])
        pc_, px, prio = pc_[keep], px[keep], prio[keep]
    return c2x

def _frame(table: pa.Table, columns=None) -> pd.DataFrame:
    """Some columns of a truth table as pandas (strings → StringDtype)."""
    t = table.select(columns) if columns is not None else table
    return t.to_pandas(types_mapper=lambda ty: STRING if ty in (pa.string(), pa.large_string()) else None)


def _norm_path(p) -> str | None:
    if p is None or (isinstance(p, float) and p != p) or p is pd.NA:
        return None
    parts = [x for x in str(p).strip(_TRIM).replace("\\", "/").split("/") if x not in ("", ".")]
    return "/".join(parts[-2:]) if parts else None


def _path_agency(p) -> str | None:
    """The agency folder of a 来源文件 path (``<agency>/<file>``)."""
    n = _norm_path(p)
    return n.split("/")[0] if n and "/" in n else None


def _norm_rowno(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    s = str(v).strip(_TRIM)
    if s.endswith(".0"):
        s = s[:-2]
    return s or None


# ---------------------------------------------------------------- truth

def _normalize(t: pa.Table) -> pa.Table:
    """Strings (incl. dictionary / null columns) as large_string, '' as null; other types kept."""
    fields = []
    for f in t.schema:
        ty = f.type
        if pa.types.is_dictionary(ty):
            ty = ty.value_type
        if pa.types.is_string(ty) or pa.types.is_large_string(ty) or pa.types.is_null(ty):
            ty = pa.large_string()
        fields.append(pa.field(f.name, ty))
    t = t.cast(pa.schema(fields))
    cols = []
    for f, c in zip(t.schema, t.columns):
        if f.type == pa.large_string() and len(c) and pc.any(pc.equal(c, "")).as_py():
            c = pc.if_else(pc.equal(c, ""), pa.scalar(None, pa.large_string()), c)
        cols.append(c)
    return pa.table(cols, names=t.column_names)


def _read_table(truth: Path, name: str, required: bool, columns=None) -> pa.Table | None:
    path = truth / name
    if not path.exists():
        if required:
            raise TruthError(f"{path}：真值文件不存在 (truth file missing)")
        return None
    return _normalize(pq.read_table(path, columns=columns))


def _empty_table(columns: dict) -> pa.Table:
    return pa.table({k: pa.array([], type=v) for k, v in columns.items()})


def _need(names, cols, what: str) -> None:
    missing = [c for c in cols if c not in names]
    if missing:
        raise TruthError(f"{what}：缺少列 {missing} (missing columns)")


class Truth:
    """The truth directory. The big sheets (persons, study, work) are read column by column when
    needed, so that scoring never holds the whole truth in memory; the rest is read at once."""

    def __init__(self, truth_dir):
        root = Path(truth_dir)
        if not root.is_dir():
            raise TruthError(f"{root}：真值目录不存在 (truth directory not found)")
        self.root = root
        self._columns = {}
        for sheet, name in TRUTH_FILES.items():
            path = root / name
            if not path.exists():
                raise TruthError(f"{path}：真值文件不存在 (truth file missing)")
            names = pq.read_schema(path).names
            _need(names, KEYS + ([] if sheet == SHEET_PERSON else ["seq"]), name)
            self._columns[sheet] = [n for n in names if not n.startswith("__index_level_")]
        s = pa.large_string()
        self.errors = _read_table(root, "errors.parquet", True)
        _need(self.errors.column_names, KEYS + ["sheet", "seq", "field", "dirty", "clean", "category", "resolvable"],
              "errors.parquet")
        self.multi_archive = _read_table(root, "multi_archive.parquet", False) or _empty_table(
            {"person_key": pa.int64(), "agency_code_a": s, "档案编号_a": s, "agency_code_b": s, "档案编号_b": s})
        self.duplicates = _read_table(root, "duplicates.parquet", False) or _empty_table(
            {"agency_code": s, "source_file": s, "sheet": s, "row_first": pa.int64(), "row_repeat": pa.int64(),
             "档案编号": s})
        self.quarantine = _read_table(root, "quarantine.parquet", False) or _empty_table(
            {"agency_code": s, "source_file": s, "sheet": s, "row": pa.int64(), "reason": s})
        mpath = root / "manifest.json"
        self.manifest = json.loads(mpath.read_text(encoding="utf-8")) if mpath.exists() else {}

    def columns(self, sheet: str) -> list[str]:
        return list(self._columns[sheet])

    def table(self, sheet: str, columns=None) -> pa.Table:
        return _read_table(self.root, TRUTH_FILES[sheet], True, columns=columns)

    def column(self, sheet: str, col: str) -> pa.ChunkedArray:
        return self.table(sheet, [col]).column(0)


def _errors_frame(errors: pa.Table) -> pd.DataFrame:
    ed = _frame(errors, KEYS + ["sheet", "field", "category"])
    seq = errors.column("seq")
    ed["seq"] = pd.array(seq.to_pylist() if not pa.types.is_integer(seq.type) else seq.to_numpy(
        zero_copy_only=False), dtype="Int64") if len(seq) else pd.array([], dtype="Int64")
    res = errors.column("resolvable")
    if pa.types.is_boolean(res.type):
        ed["resolvable"] = pc.fill_null(res, False).to_numpy(zero_copy_only=False).astype(bool)
    else:  # tolerate "true"/"false" strings or 0/1
        ed["resolvable"] = np.array([str(v).strip().lower() in ("true", "1", "yes") for v in res.to_pylist()],
                                    dtype=bool)
    return ed


# ---------------------------------------------------------------- review flags

def _flags(persons: pd.DataFrame) -> pd.DataFrame:
    """(eid, token) for every token of 待核实字段 in the export's persons."""
    if REVIEW not in persons.columns or len(persons) == 0:
        return pd.DataFrame({"eid": np.zeros(0, np.int64), "token": pd.Series([], dtype=STRING)})
    arr = _pa(persons[REVIEW]).combine_chunks()
    lists = pc.split_pattern_regex(arr, r"[;；]")
    flat = pc.list_flatten(lists)
    parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    tok = pc.utf8_trim(flat, _TRIM)
    tok = pc.replace_substring_regex(tok, r"^.*[.:：]", "")
    tok = pc.utf8_trim(tok, _TRIM)
    keep = pc.not_equal(tok, "").to_numpy(zero_copy_only=False)
    df = pd.DataFrame({"eid": parent[keep],
                       "token": pd.Series(pa.chunked_array([tok.filter(pa.array(keep))]).to_pandas(
                           types_mapper=lambda t: STRING), dtype=STRING)})
    return df.drop_duplicates().reset_index(drop=True)


def _pair_in(left_a: np.ndarray, left_b: pd.Series, right: pd.DataFrame) -> np.ndarray:
    """Whether each (left_a[i], left_b[i]) is a row of ``right`` (columns eid, token)."""
    if len(left_a) == 0 or len(right) == 0:
        return np.zeros(len(left_a), dtype=bool)
    lk = pd.DataFrame({"eid": left_a, "token": pd.Series(left_b, dtype=STRING).reset_index(drop=True)})
    return _lookup(lk, right.assign(hit=1), ["eid", "token"], "hit") > 0


# ---------------------------------------------------------------- scoring

def score(truth_dir, export_dir, export: Export | None = None) -> dict:
    """Score an export directory against a truth directory (see the module doc)."""
    truth = Truth(truth_dir)
    if export is None:
        export = read_export(export_dir)
    E = export.persons

    # ---- records: truth tid ↔ export eid
    tk = _frame(truth.table(SHEET_PERSON, KEYS))
    n_t, n_e = len(tk), len(E)
    tk["tid"] = np.arange(n_t, dtype=np.int64)
    ek = E[KEYS].copy()
    ek["eid"] = np.arange(n_e, dtype=np.int64)
    ekey = _joined(ek, KEYS) if n_e else pa.chunked_array([], pa.large_string())
    n_valid = n_e - ekey.null_count
    duplicate_export_records = n_valid - (pc.count_distinct(ekey, mode="only_valid").as_py() if n_e else 0)
    ek_first = ek  # lookups take the first row of a key
    t2e = _lookup(tk, ek_first, KEYS, "eid")

    ed = _errors_frame(truth.errors)
    ed["tid"] = _lookup(ed, tk, KEYS, "tid")

    # A 档案编号 that carries an error may stand in the export as written (dirty): such export rows
    # (person or child) stand for the truth record, and the error scores left_wrong.
    key_table = tk[KEYS + ["tid"]]
    is_key_err = (ed["field"] == "档案编号").fillna(False).to_numpy(bool)
    if is_key_err.any():
        dirty_all = _frame(truth.errors, ["dirty"])["dirty"]
        alias = pd.DataFrame({"agency_code": ed.loc[is_key_err, "agency_code"].to_numpy(),
                              "档案编号": dirty_all[is_key_err].to_numpy(),
                              "tid": ed.loc[is_key_err, "tid"].to_numpy(),
                              "person": (ed.loc[is_key_err, "sheet"] == SHEET_PERSON).fillna(False).to_numpy(bool)}
                             ).astype({"agency_code": STRING, "档案编号": STRING})
        alias = alias[(alias["tid"] >= 0) & alias["档案编号"].notna()]
        alias = alias[_lookup(alias, tk, KEYS, "tid") < 0]          # the dirty number is nobody else's
        alias = alias.drop_duplicates(KEYS)
        key_table = pd.concat([key_table, alias[KEYS + ["tid"]]], ignore_index=True)
        cand = alias[alias["person"].to_numpy(bool)]
        cand = cand[t2e[cand["tid"].to_numpy()] < 0]
        if len(cand):
            cand_eid = _lookup(cand, ek_first, KEYS, "eid")
            taken = np.zeros(n_e, dtype=bool)
            taken[t2e[t2e >= 0]] = True
            ok = (cand_eid >= 0)
            ok[ok] = ~taken[cand_eid[ok]]
            cand = cand[ok].assign(eid=cand_eid[ok]).drop_duplicates("eid").drop_duplicates("tid")
            t2e[cand["tid"].to_numpy()] = cand["eid"].to_numpy()

    e2t = np.full(n_e, -1, dtype=np.int64)
    matched_t = np.flatnonzero(t2e >= 0)
    e2t[t2e[matched_t]] = matched_t
    missing_records = int(n_t - len(matched_t))
    unexpected_records = int(n_e - duplicate_export_records - len(matched_t))

    # ---- child rows: truth cidx ↔ export xidx, per sheet
    child = {}
    for sheet in CHILD_SHEETS:
        xdf = export.sheet(sheet)
        tt = truth.table(sheet, KEYS + ["seq"])
        tc = _frame(tt, KEYS)
        tc["seq"] = tt.column("seq").to_numpy(zero_copy_only=False).astype(np.int64) if len(tc) else \
            np.zeros(0, np.int64)
        del tt
        c_tid = _lookup(tc, tk, KEYS, "tid")
        c_start = _date_key(truth.column(sheet, "起始时间")) if "起始时间" in truth.columns(sheet) else \
            np.zeros(len(tc), np.int64)
        c_rank = _ranks(c_tid, c_start, tc["seq"].to_numpy())
        x_tid = _lookup(xdf, key_table, KEYS, "tid")
        x_start = _date_key(xdf["起始时间"]) if len(xdf) else np.zeros(0, np.int64)
        x_rank = _ranks(x_tid, x_start, np.arange(len(xdf), dtype=np.int64))
        agree = _Agreement(truth, sheet, xdf, {"起始时间": (c_start, x_start)})
        c2x = _pair_rows(c_tid, x_tid, c_rank, x_rank, agree)
        del agree
        matched_x = np.zeros(len(xdf), dtype=bool)
        matched_x[c2x[c2x >= 0]] = True
        child[sheet] = {"tc": tc, "c_tid": c_tid, "c2x": c2x, "x_tid": x_tid,
                        "missing": int((c2x < 0).sum()), "unexpected": int((~matched_x).sum())}

    # ---- where each error's value is in the export
    n_err = len(ed)
    sheet_arr = ed["sheet"].astype(object).to_numpy()
    err_row = np.full(n_err, -1, dtype=np.int64)      # eid for 基本信息, xidx for children
    err_cidx = np.full(n_err, -1, dtype=np.int64)
    tid_arr = ed["tid"].to_numpy()
    err_eid = np.where(tid_arr >= 0, t2e[np.maximum(tid_arr, 0)] if n_t else -1, -1)
    is_p = sheet_arr == SHEET_PERSON
    err_row[is_p] = err_eid[is_p]
    for sheet in CHILD_SHEETS:
        sel = np.flatnonzero(sheet_arr == sheet)
        if len(sel) == 0:
            continue
        c = child[sheet]
        tc = c["tc"].assign(cidx=np.arange(len(c["tc"]), dtype=np.int64))
        sub = ed.iloc[sel][KEYS + ["seq"]].reset_index(drop=True)
        sub["seq"] = sub["seq"].fillna(-1).astype(np.int64)
        cidx = _lookup(sub, tc, KEYS + ["seq"], "cidx")
        err_cidx[sel] = cidx
        err_row[sel] = np.where(cidx >= 0, c["c2x"][np.maximum(cidx, 0)] if len(c["c2x"]) else -1, -1)
    found = err_row >= 0

    clean_all = _pa(truth.errors.column("clean"))
    dirty_all = _pa(truth.errors.column("dirty"))
    eq_clean = np.zeros(n_err, dtype=bool)
    eq_dirty = np.zeros(n_err, dtype=bool)
    clean_is_dirty = _same(clean_all, dirty_all) if n_err else np.zeros(0, bool)
    field_arr = ed["field"].astype(object).to_numpy()
    groups = pd.DataFrame({"s": sheet_arr, "f": field_arr}).groupby(["s", "f"], sort=False, dropna=False).indices
    export_cols: dict = {}
    for (sheet, fld), idx in groups.items():
        if sheet not in HEADERS:
            continue
        df = export.sheet(sheet)
        key = (sheet, fld)
        if key not in export_cols:
            export_cols[key] = _pa(df[fld]) if isinstance(fld, str) and fld in df.columns else None
        v = _take(export_cols[key], err_row[idx])
        ia = pa.array(idx)
        eq_clean[idx] = _same(v, clean_all.take(ia))
        eq_dirty[idx] = _same(v, dirty_all.take(ia))
    export_cols.clear()

    flags = _flags(E)
    flagged = _pair_in(err_eid, ed["field"], flags)

    # ---- 一人多档
    has_id_flag = np.zeros(n_e, dtype=bool)
    has_id_flag[flags.loc[(flags["token"] == ID).fillna(False).to_numpy(bool), "eid"].to_numpy()] = True
    ma = _frame(truth.multi_archive, ["agency_code_a", "档案编号_a", "agency_code_b", "档案编号_b"])
    ta = _lookup(ma.rename(columns={"agency_code_a": "agency_code", "档案编号_a": "档案编号"}), tk, KEYS, "tid")
    tb = _lookup(ma.rename(columns={"agency_code_b": "agency_code", "档案编号_b": "档案编号"}), tk, KEYS, "tid")

    def t_flagged(t):
        e = np.where(t >= 0, t2e[np.maximum(t, 0)] if n_t else -1, -1)
        return (e >= 0) & has_id_flag[np.maximum(e, 0)] if n_e else np.zeros(len(t), bool)

    pair_ok = t_flagged(ta) & t_flagged(tb)
    partners_ok = np.ones(n_t, dtype=bool)
    for t in (ta, tb):
        bad = t[(t >= 0) & ~pair_ok]
        partners_ok[bad] = False
    cat_arr = ed["category"].astype(object).to_numpy()
    is_ma = cat_arr == "multi_archive"
    ma_review = (tid_arr >= 0) & t_flagged(tid_arr) & partners_ok[np.maximum(tid_arr, 0)] if n_t else \
        np.zeros(n_err, bool)

    # ---- 隔离.csv: the expected rows (quarantine.parquet) found there, and the others
    qe = export.quarantine
    tq = _frame(truth.quarantine, ["source_file", "sheet"])
    tq_key = pd.DataFrame({
        "p": pd.Series([_norm_path(p) for p in tq["source_file"].astype(object)], dtype=STRING),
        "s": tq["sheet"].str.strip(_TRIM).astype(STRING),
        "r": pd.Series([_norm_rowno(r) for r in truth.quarantine.column("row").to_pylist()], dtype=STRING)})
    qe_key = pd.DataFrame({
        "p": pd.Series([_norm_path(p) for p in qe["来源文件"].astype(object)], dtype=STRING),
        "s": qe["工作表"].str.strip(_TRIM).astype(STRING),
        "r": pd.Series([_norm_rowno(r) for r in qe["行号"].astype(object)], dtype=STRING)})
    tq_key["hit"] = 1
    qe_key["hit"] = 1
    q_found = int((_lookup(tq_key, qe_key, ["p", "s", "r"], "hit") > 0).sum()) if len(tq_key) else 0
    qe_unexpected = (_lookup(qe_key, tq_key, ["p", "s", "r"], "hit") < 0) if len(qe_key) else np.zeros(0, bool)

    # ---- a lost record (or child row) is "quarantined" when an unexpected row of 隔离.csv has its
    # agency, sheet and 档案编号 (expected rows, e.g. another person typed under the same number, do not count)
    in_q = np.zeros(n_err, dtype=bool)
    if (~found).any() and qe_unexpected.any() and "档案编号" in qe.columns:
        qu = qe[qe_unexpected].reset_index(drop=True)
        qk = pd.DataFrame({
            "agency_code": pd.Series([_path_agency(p) for p in qu["来源文件"].astype(object)], dtype=STRING),
            "sheet": qu["工作表"].str.strip(_TRIM).astype(STRING),
            "档案编号": qu["档案编号"].str.strip(_TRIM).astype(STRING),
        })
        qk["hit"] = 1
        lost = np.flatnonzero(~found)
        sub = pd.DataFrame({"agency_code": ed["agency_code"].to_numpy()[lost],
                            "sheet": ed["sheet"].to_numpy()[lost],
                            "档案编号": ed["档案编号"].to_numpy()[lost]}).astype(STRING)
        in_q[lost] = _lookup(sub, qk, ["agency_code", "sheet", "档案编号"], "hit") > 0

    # ---- outcome of every error
    outcome = np.select(
        [~found & in_q & ~(is_ma & ma_review),
         is_ma & ma_review,
         is_ma & found & eq_clean & ~clean_is_dirty,
         is_ma & found & eq_dirty,
         is_ma,
         ~found,
         eq_clean,
         flagged,
         eq_dirty],
        [_Q, _REV, _RR, _LW, _CW, _CW, _RR, _REV, _LW],
        default=_CW,
    )
    resolvable = ed["resolvable"].to_numpy(bool)

    cats = list(CATEGORIES) + sorted({c for c in cat_arr if isinstance(c, str)} - set(CATEGORIES))
    categories: dict[str, dict[str, int]] = {}
    errors_quarantined: dict[str, int] = {}
    for cat in cats:
        sel = cat_arr == cat
        counts = np.bincount(outcome[sel], minlength=5)
        categories[cat] = {
            "injected": int(sel.sum()),
            "resolvable": int((sel & resolvable).sum()),
            "repaired_right": int(counts[_RR]),
            "sent_to_review": int(counts[_REV]),
            "changed_wrong": int(counts[_CW]),
            "left_wrong": int(counts[_LW]),
        }
        if counts[_Q]:
            errors_quarantined[cat] = int(counts[_Q])

    # ---- false repairs: cells without an injected error that differ from clean
    false_by_field: dict[str, int] = {}
    ptid = tid_arr[is_p]
    pfield = field_arr[is_p]
    pos_t = np.full(n_t, -1, dtype=np.int64)
    pos_t[matched_t] = np.arange(len(matched_t))
    for col in truth.columns(SHEET_PERSON):
        if col in NOT_COMPARED or col not in HEADERS[SHEET_PERSON]:  # extra truth columns are not the form's
            continue
        t_vals = truth.column(SHEET_PERSON, col).take(pa.array(matched_t))
        e_vals = _take(_pa(E[col]) if col in E.columns else None, t2e[matched_t])
        diff = ~_same(_pa(t_vals), e_vals)
        et = ptid[(pfield == col) & (ptid >= 0)]
        p = pos_t[et]
        diff[p[p >= 0]] = False
        if diff.any():
            false_by_field[f"{SHEET_PERSON}.{col}"] = int(diff.sum())
    for sheet in CHILD_SHEETS:
        c = child[sheet]
        xdf = export.sheet(sheet)
        c2x = c["c2x"]
        mc = np.flatnonzero(c2x >= 0)
        pos_c = np.full(len(c2x), -1, dtype=np.int64)
        pos_c[mc] = np.arange(len(mc))
        sel = sheet_arr == sheet
        ccidx, cfield = err_cidx[sel], field_arr[sel]
        for col in truth.columns(sheet):
            if col in NOT_COMPARED or col not in HEADERS[sheet]:
                continue
            t_vals = truth.column(sheet, col).take(pa.array(mc))
            e_vals = _take(_pa(xdf[col]) if col in xdf.columns else None, c2x[mc])
            diff = ~_same(_pa(t_vals), e_vals)
            ec = ccidx[(cfield == col) & (ccidx >= 0)]
            p = pos_c[ec]
            diff[p[p >= 0]] = False
            if diff.any():
                false_by_field[f"{sheet}.{col}"] = int(diff.sum())
    false_repairs = int(sum(false_by_field.values()))

    # ---- review flags on fields with no error (work created for the clerks)
    flags_m = flags.assign(tid=e2t[flags["eid"].to_numpy()] if len(flags) else np.zeros(0, np.int64))
    flags_m = flags_m[flags_m["tid"] >= 0]
    err_pairs = pd.DataFrame({"tid": tid_arr, "token": ed["field"].astype(STRING)})
    ma_tids = np.unique(np.r_[ta[ta >= 0], tb[tb >= 0], tid_arr[is_ma & (tid_arr >= 0)]])
    err_pairs = pd.concat([err_pairs, pd.DataFrame({"tid": ma_tids, "token": pd.Series([ID] * len(ma_tids),
                                                                                        dtype=STRING)})])
    err_pairs = err_pairs.drop_duplicates()
    err_pairs["hit"] = 1
    review_flags_without_error = int((_lookup(flags_m, err_pairs, ["tid", "token"], "hit") < 0).sum()) \
        if len(flags_m) else 0

    # ---- duplicates
    dup = _frame(truth.duplicates, ["agency_code", "sheet", "档案编号"])
    loaded_once = 0
    if len(dup):
        vc = pc.value_counts(ekey.combine_chunks() if n_e else pa.array([], pa.large_string()))
        key_counts = vc.field("counts").to_numpy(zero_copy_only=False).astype(np.int64)
        dsheet = dup["sheet"].astype(object).to_numpy()
        selp = dsheet == SHEET_PERSON
        if selp.any():
            i = _index_in(_joined(dup[selp], KEYS), vc.field("values"))
            loaded_once += int(((i >= 0) & (key_counts[np.maximum(i, 0)] == 1)).sum()) if len(key_counts) else 0
        for sheet in CHILD_SHEETS:
            sel = dsheet == sheet
            if not sel.any():
                continue
            c = child[sheet]
            d_tid = _lookup(dup[sel], tk, KEYS, "tid")
            t_cnt = np.bincount(c["c_tid"][c["c_tid"] >= 0], minlength=n_t)
            x_cnt = np.bincount(c["x_tid"][c["x_tid"] >= 0], minlength=n_t)
            ok = d_tid >= 0
            loaded_once += int((t_cnt[d_tid[ok]] == x_cnt[d_tid[ok]]).sum())

    q_unexpected = int(qe_unexpected.sum())

    # ---- totals
    rr = sum(c["repaired_right"] for c in categories.values())
    cw = sum(c["changed_wrong"] for c in categories.values())
    denom = rr + cw + false_repairs
    n_resolvable = int(resolvable.sum())
    rr_resolvable = int(((outcome == _RR) & resolvable).sum())
    rows_loaded = export.rows_loaded
    return {
        "categories": categories,
        "false_repairs": false_repairs,
        "auto_precision": (rr / denom) if denom else 1.0,
        "resolvable_recall": (rr_resolvable / n_resolvable) if n_resolvable else 1.0,
        "rows_in": int(truth.manifest.get("rows_in", 0) or 0),
        "rows_loaded": int(rows_loaded),
        "rows_quarantined": int(len(qe)),
        # extras
        "errors_quarantined": errors_quarantined,
        "false_repairs_by_field": false_by_field,
        "review_flags_without_error": review_flags_without_error,
        "multi_archive": {"pairs": int(len(ma)), "both_flagged": int(pair_ok.sum())},
        "duplicates": {"expected": int(len(dup)), "loaded_once": int(loaded_once)},
        "quarantine": {"expected": int(len(tq_key)), "found": q_found, "unexpected": q_unexpected},
        "records": int(n_t),
        "missing_records": missing_records,
        "unexpected_records": unexpected_records,
        "duplicate_export_records": int(duplicate_export_records),
        "missing_child_rows": {s: child[s]["missing"] for s in CHILD_SHEETS},
        "unexpected_child_rows": {s: child[s]["unexpected"] for s in CHILD_SHEETS},
    }


# ---------------------------------------------------------------- output

def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def _pad(s: str, w: int, right: bool) -> str:
    fill = " " * max(0, w - _width(s))
    return fill + s if right else s + fill


def _table(header: list[str], rows: list[list[str]], right_from: int = 1) -> list[str]:
    widths = [max(_width(r[i]) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(_pad(c, widths[i], i >= right_from) for i, c in enumerate(r)).rstrip()  # noqa: E731
    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def format_table(result: dict) -> str:
    """The result as a text table: one line per category with errors, the totals, then the summary."""
    q = result.get("errors_quarantined", {})
    header = ["类别 category", "注入 injected", "可修复 resolvable", "修对 right", "待核实 review",
              "改错 changed", "未改 left"]
    show_q = bool(q)
    if show_q:
        header.append("隔离 quarantined")
    rows, tot = [], dict.fromkeys(CATEGORY_KEYS, 0)
    tot_q = 0
    for cat, c in result["categories"].items():
        if not c["injected"]:
            continue
        row = [cat] + [str(c[k]) for k in CATEGORY_KEYS]
        if show_q:
            row.append(str(q.get(cat, 0)))
            tot_q += q.get(cat, 0)
        rows.append(row)
        for k in CATEGORY_KEYS:
            tot[k] += c[k]
    total = ["合计 total"] + [str(tot[k]) for k in CATEGORY_KEYS] + ([str(tot_q)] if show_q else [])
    lines = _table(header, rows + [total])
    lines.insert(len(lines) - 1, lines[1])
    summary = [
        ("自动修复准确率 auto_precision", _pct(result["auto_precision"])),
        ("可修复召回率 resolvable_recall", _pct(result["resolvable_recall"])),
        ("误改 false_repairs", str(result["false_repairs"])),
        ("输入行 rows_in", str(result["rows_in"])),
        ("导出行 rows_loaded", str(result["rows_loaded"])),
        ("隔离行 rows_quarantined", str(result["rows_quarantined"])),
    ]
    if "missing_records" in result:
        summary += [
            ("缺失记录 missing_records", str(result["missing_records"])),
            ("多余记录 unexpected_records", str(result["unexpected_records"])),
        ]
    if "missing_child_rows" in result:
        summary += [
            ("缺失子表行 missing_child_rows",
             ", ".join(f"{k} {v}" for k, v in result["missing_child_rows"].items())),
            ("多余子表行 unexpected_child_rows",
             ", ".join(f"{k} {v}" for k, v in result["unexpected_child_rows"].items())),
        ]
    if "duplicates" in result:
        d = result["duplicates"]
        summary.append(("重复行只入一次 duplicates loaded_once", f"{d['loaded_once']} / {d['expected']}"))
    if "quarantine" in result:
        d = result["quarantine"]
        summary.append(("应隔离且已隔离 quarantine found",
                        f"{d['found']} / {d['expected']} (多余 unexpected {d['unexpected']})"))
    if "multi_archive" in result:
        d = result["multi_archive"]
        summary.append(("一人多档双方待核实 multi_archive both_flagged", f"{d['both_flagged']} / {d['pairs']}"))
    if "review_flags_without_error" in result:
        summary.append(("无错误的待核实字段 review_flags_without_error", str(result["review_flags_without_error"])))
    w = max(_width(k) for k, _ in summary)
    lines.append("")
    lines += [f"{_pad(k, w, False)}  {v}" for k, v in summary]
    fbf = result.get("false_repairs_by_field") or {}
    if fbf:
        lines.append("")
        lines.append("误改字段 false repairs by field:")
        top = sorted(fbf.items(), key=lambda kv: (-kv[1], kv[0]))
        w2 = max(_width(k) for k, _ in top)
        lines += [f"  {_pad(k, w2, False)}  {v}" for k, v in top]
    return "\n".join(lines)


def main(truth, export, as_json: bool = False) -> dict:
    """What `archives synth score` runs: score and print JSON (one object) or the table."""
    t0 = time.perf_counter()
    result = score(truth, export)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(format_table(result))
        print(f"\n用时 elapsed {time.perf_counter() - t0:.1f} s")
    return result


# ---------------------------------------------------------------- the perfect export

def _write_csv(path: Path, df: pd.DataFrame, columns) -> None:
    table = pa.table({c: (_pa(df[c]) if c in df.columns else pa.nulls(len(df), pa.large_string()))
                      for c in columns})
    import pyarrow.csv as pacsv
    with open(path, "wb") as fh:
        fh.write(b"\xef\xbb\xbf")
        pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(quoting_style="needed"))


def _write_xlsx(path: Path, sheets: dict[str, tuple[pd.DataFrame, tuple]]) -> None:
    import openpyxl
    wb = openpyxl.Workbook(write_only=True)
    for name, (df, columns) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(list(columns))
        cols = [df[c].astype(object).where(df[c].notna(), None).tolist() if c in df.columns else [None] * len(df)
                for c in columns]
        for row in zip(*cols):
            ws.append(list(row))
    wb.save(path)


def export_from_truth(truth_dir, out_dir, fmt: str = "csv", *, leave_dirty: str = "unresolvable") -> Path:
    """Write the export a perfect pipeline would make of this truth: clean values everywhere, except
    that a non-resolvable error keeps its dirty value and names its field in 待核实字段 (it waits for a
    clerk); both records of every 一人多档 pair name 公民身份号码; 隔离.csv holds exactly the rows of
    quarantine.parquet. Scores 100 %.

    ``leave_dirty="all"`` writes instead the export of a pipeline that repaired nothing and flagged
    nothing: every error keeps its dirty value, 待核实字段 is empty (every error scores left_wrong)."""
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt must be 'csv' or 'xlsx', not {fmt!r}")
    if leave_dirty not in ("unresolvable", "all"):
        raise ValueError(f"leave_dirty must be 'unresolvable' or 'all', not {leave_dirty!r}")
    truth = Truth(truth_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    persons = _frame(truth.table(SHEET_PERSON))
    tk = persons[KEYS].copy()
    n_t = len(tk)
    tk["tid"] = np.arange(n_t, dtype=np.int64)
    ed = _errors_frame(truth.errors)
    ed["dirty"] = _frame(truth.errors, ["dirty"])["dirty"]
    ed["tid"] = _lookup(ed, tk, KEYS, "tid")
    nonres = ~ed["resolvable"].to_numpy(bool) & (ed["category"] != "multi_archive").fillna(True).to_numpy(bool)
    nonres &= ed["tid"].to_numpy() >= 0
    flag = leave_dirty == "unresolvable"
    tokens = [pd.DataFrame({"tid": ed["tid"].to_numpy()[nonres & flag],
                            "token": ed["field"].to_numpy()[nonres & flag]})]
    if not flag:
        nonres = ed["tid"].to_numpy() >= 0          # (the name is now "left dirty")

    def apply_dirty(df: pd.DataFrame, rows: np.ndarray, sub: pd.DataFrame) -> None:
        for fld, idx in sub.groupby("field", sort=False).indices.items():
            if fld not in df.columns:
                continue
            r = rows[idx]
            ok = r >= 0
            df.loc[df.index[r[ok]], fld] = sub["dirty"].to_numpy()[idx][ok]

    sub = ed[nonres & (ed["sheet"] == SHEET_PERSON).fillna(False).to_numpy(bool)].reset_index(drop=True)
    apply_dirty(persons, sub["tid"].to_numpy(), sub)

    children = {}
    for sheet in CHILD_SHEETS:
        cdf = _frame(truth.table(sheet))
        cdf["seq"] = cdf["seq"].astype(np.int64)
        c_tid = _lookup(cdf, tk, KEYS, "tid")
        order = np.lexsort((cdf["seq"].to_numpy(), c_tid))
        sel = nonres & (ed["sheet"] == sheet).fillna(False).to_numpy(bool)
        if sel.any():
            sub = ed[sel].reset_index(drop=True)
            sub["seq"] = sub["seq"].fillna(-1).astype(np.int64)
            cidx = _lookup(sub, cdf.assign(cidx=np.arange(len(cdf))), KEYS + ["seq"], "cidx")
            apply_dirty(cdf, cidx, sub)
        children[sheet] = cdf.iloc[order].reset_index(drop=True)

    ma = _frame(truth.multi_archive, ["agency_code_a", "档案编号_a", "agency_code_b", "档案编号_b"])
    if not flag:
        ma = ma.iloc[0:0]
    for side in ("a", "b"):
        t = _lookup(ma.rename(columns={f"agency_code_{side}": "agency_code", f"档案编号_{side}": "档案编号"}),
                    tk, KEYS, "tid")
        tokens.append(pd.DataFrame({"tid": t[t >= 0], "token": ID}))
    is_ma = (ed["category"] == "multi_archive").fillna(False).to_numpy(bool) & (ed["tid"].to_numpy() >= 0) & flag
    tokens.append(pd.DataFrame({"tid": ed["tid"].to_numpy()[is_ma], "token": ID}))
    tok = pd.concat(tokens, ignore_index=True).astype({"token": object}).drop_duplicates()
    order = {h: i for i, h in enumerate(list(PERSON_HEADERS) + list(HEADERS[SHEET_STUDY]) +
                                        list(HEADERS[SHEET_WORK]))}
    tok["o"] = tok["token"].map(lambda h: order.get(h, 999))
    tok = tok.sort_values(["tid", "o", "token"])
    joined = tok.groupby("tid", sort=False)["token"].agg(";".join)
    review = pd.Series(pd.NA, index=range(n_t), dtype=STRING)
    if len(joined):
        review.iloc[joined.index.to_numpy()] = joined.to_numpy()
    persons[REVIEW] = review.to_numpy()
    persons[REVIEW] = persons[REVIEW].astype(STRING)
    persons["数据来源"] = pd.Series(["采集表"] * n_t, dtype=STRING)
    persons["户口性质"] = pd.Series([pd.NA] * n_t, dtype=STRING)

    pcols = tuple(PERSON_HEADERS) + tuple(EXPORT_EXTRA_HEADERS)
    frames = {SHEET_PERSON: persons, **children}
    agencies = sorted(set(persons["agency_code"].dropna()) |
                      {a for c in children.values() for a in c["agency_code"].dropna()})
    split = {s: {a: idx for a, idx in f.groupby("agency_code", sort=False).indices.items()}
             for s, f in frames.items()}
    for agency in agencies:
        folder = out / agency
        folder.mkdir(parents=True, exist_ok=True)
        parts = {}
        for s, f in frames.items():
            idx = split[s].get(agency, np.zeros(0, np.int64))
            cols = pcols if s == SHEET_PERSON else HEADERS[s]
            parts[s] = (f.iloc[idx].reset_index(drop=True), cols)
        if fmt == "csv":
            for s, (df, cols) in parts.items():
                _write_csv(folder / f"{agency}.{s}.csv", df, cols)
        else:
            _write_xlsx(folder / f"{agency}.xlsx", parts)

    tq = _frame(truth.quarantine)
    q = pd.DataFrame({
        "来源文件": tq["source_file"] if "source_file" in tq else pd.Series([], dtype=STRING),
        "工作表": tq["sheet"] if "sheet" in tq else pd.Series([], dtype=STRING),
        "行号": pd.Series([_norm_rowno(r) for r in truth.quarantine.column("row").to_pylist()], dtype=STRING),
        "原因": tq["reason"].astype(STRING) if "reason" in tq else pd.Series([pd.NA] * len(tq), dtype=STRING),
    })
    _write_csv(out / QUARANTINE_FILE, q, QUARANTINE_HEADERS)
    return out


__all__ = ["score", "format_table", "main", "export_from_truth", "CATEGORIES", "OUTCOMES", "CATEGORY_KEYS",
           "REQUIRED_KEYS", "TruthError"]
