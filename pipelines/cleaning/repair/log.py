"""Proposals → repair log, review queue and the repaired frames (修复日志与待核实队列).

Every repair module returns a *proposals* frame (``PROPOSAL_COLUMNS``), one row per proposed change of one
cell (or one study row to add):

| column | meaning |
|---|---|
| ``sheet`` | 基本信息 / 学习经历 / 工作经历 |
| ``row`` | index label of the row in that sheet's frame (NA for a row to add) |
| ``agency``, ``档案编号`` | the record |
| ``field`` | the header changed (``*`` for a row to add) |
| ``old``, ``new`` | the value now / the value proposed (``new`` NA for a pure review; for a row to add, JSON) |
| ``candidates`` | list of candidate values for a clerk (may be empty) |
| ``rule``, ``feed``, ``confidence`` | the rule of `dq_rules.repair_rules` that proposes it |
| ``kind`` | ``change`` (apply when confident), ``review`` (always to the clerk), ``note`` (log only) |
| ``reason`` | Chinese explanation |

`settle` decides which changes apply: a ``change`` applies when its confidence reaches the threshold, the
cell is not protected (a clerk entered or confirmed it) and no other confident change of the same cell
proposes something else (then none applies and all go to review). `apply_changes` writes the applied ones
into copies of the frames; `repair_log` and `review_items` give the two output tables:

* repair log: ``agency, 档案编号, sheet, row, field, old, new, feed, rule, confidence, applied``;
* review items: ``agency, 档案编号, sheet, row, field, current, candidates`` (JSON list), ``reason, rule,
  feed, confidence``.

The module also holds the small helpers the repair modules share (issues, text folding).
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from dq_rules import repair_rules as R

__all__ = [
    "PROPOSAL_COLUMNS", "LOG_COLUMNS", "REVIEW_COLUMNS", "SHEET_PERSON", "SHEET_STUDY", "SHEET_WORK",
    "make_proposals", "empty_proposals", "settle", "apply_changes", "repair_log", "review_items",
    "issue_rows", "issues_of", "fold_text", "fold_name", "na", "date_kind", "date_problems", "MONTH_ONLY",
    "IMPOSSIBLE",
]

SHEET_PERSON, SHEET_STUDY, SHEET_WORK = "基本信息", "学习经历", "工作经历"
AGENCY = "_agency"
KEY = "档案编号"

PROPOSAL_COLUMNS = ["sheet", "row", "agency", KEY, "field", "old", "new", "candidates", "rule", "feed",
                    "confidence", "kind", "reason"]
LOG_COLUMNS = ["agency", KEY, "sheet", "row", "field", "old", "new", "feed", "rule", "confidence", "applied"]
REVIEW_COLUMNS = ["agency", KEY, "sheet", "row", "field", "current", "candidates", "reason", "rule", "feed",
                  "confidence"]


def na(v) -> bool:
    """Whether `v` is "no value" (None, NaN, NA, '')."""
    if v is None:
        return True
    if isinstance(v, str):
        return v == ""
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _text(v):
    return None if na(v) else str(v)


def empty_proposals() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in PROPOSAL_COLUMNS})


def make_proposals(sheet: str, frame: pd.DataFrame, rows: Sequence, field: str | Sequence[str], old, new,
                   rule: str | Sequence[str], *, candidates=None, kind: str | Sequence[str] = "change",
                   confidence=None, reason=None) -> pd.DataFrame:
    """Proposals for the rows `rows` (index labels of `frame`); scalars broadcast. `confidence`, `feed`
    and `reason` default to the rule's (dq_rules.repair_rules)."""
    rows = list(rows)
    n = len(rows)
    if n == 0:
        return empty_proposals()

    def col(v, default=None):
        if v is None:
            return [default] * n
        if isinstance(v, (str, int, float)) or v is None:
            return [v] * n
        v = list(v)
        if len(v) != n:
            raise ValueError(f"length {len(v)} != {n}")
        return v

    rules = col(rule)
    sub = frame.loc[rows] if n else frame.iloc[:0]
    agency = sub[AGENCY].to_numpy(dtype=object) if AGENCY in sub else [None] * n
    keys = sub[KEY].to_numpy(dtype=object) if KEY in sub else [None] * n
    conf = col(confidence) if confidence is not None else [R.confidence(r) for r in rules]
    reasons = col(reason) if reason is not None else [R.text(r) for r in rules]
    cands = col(candidates) if candidates is not None else [[] for _ in range(n)]
    cands = [list(c) if isinstance(c, (list, tuple)) else ([] if na(c) else [c]) for c in cands]
    return pd.DataFrame({
        "sheet": [sheet] * n,
        "row": rows,
        "agency": [_text(a) for a in agency],
        KEY: [_text(k) for k in keys],
        "field": col(field),
        "old": [_text(v) for v in col(old)],
        "new": [_text(v) for v in col(new)],
        "candidates": cands,
        "rule": rules,
        "feed": [R.feed_of(r) for r in rules],
        "confidence": [float(c) for c in conf],
        "kind": col(kind),
        "reason": reasons,
    }, columns=PROPOSAL_COLUMNS)


def settle(proposals: pd.DataFrame, threshold: float | None = None,
           protected: Iterable[tuple] | pd.DataFrame | None = None) -> pd.DataFrame:
    """`proposals` with two more columns: ``applied`` (bool) and ``to_review`` (bool).

    `protected`: cells a clerk entered or confirmed — (agency, 档案编号, field) or (agency, 档案编号, sheet,
    field) tuples, or a frame with those columns; a feed never overwrites them (their changes are logged,
    not applied, not reviewed)."""
    p = proposals.reset_index(drop=True).copy()
    if p.empty:
        p["applied"] = pd.Series([], dtype=bool)
        p["to_review"] = pd.Series([], dtype=bool)
        return p
    thr = R.APPLY_MIN_CONFIDENCE if threshold is None else threshold
    is_change = (p["kind"] == "change").to_numpy()
    confident = is_change & (p["confidence"].astype(float).to_numpy() >= thr) & p["new"].notna().to_numpy()
    # conflicting confident changes of one cell → none applies
    cell = p["sheet"].astype(str) + "\x1f" + p["row"].astype(str) + "\x1f" + p["field"].astype(str)
    add_row = (p["field"] == "*").to_numpy()
    cell = cell.where(~add_row, cell + "\x1f" + pd.Series(np.arange(len(p)), dtype=str))
    conf_idx = np.flatnonzero(confident)
    if conf_idx.size:
        c = pd.DataFrame({"cell": cell.to_numpy()[conf_idx], "new": p["new"].to_numpy()[conf_idx]})
        n_new = c.groupby("cell")["new"].transform("nunique").to_numpy()
        conflict = n_new > 1
        confident[conf_idx[conflict]] = False
        # duplicates that agree: keep the most confident one
        c = c.assign(i=conf_idx, conf=p["confidence"].to_numpy()[conf_idx])[~conflict]
        keep = c.sort_values(["cell", "conf"], ascending=[True, False]).drop_duplicates("cell")["i"].to_numpy()
        drop = np.setdiff1d(c["i"].to_numpy(), keep)
        confident[drop] = False
        dup_agree = np.zeros(len(p), dtype=bool)
        dup_agree[drop] = True
    else:
        dup_agree = np.zeros(len(p), dtype=bool)
    prot = np.zeros(len(p), dtype=bool)
    if protected is not None:
        prot = _protected_mask(p, protected)
    applied = confident & ~prot
    to_review = ((p["kind"] == "review").to_numpy() | (is_change & ~confident & ~dup_agree)) & ~prot
    p["applied"] = applied
    p["to_review"] = to_review
    return p


def _protected_mask(p: pd.DataFrame, protected) -> np.ndarray:
    if isinstance(protected, pd.DataFrame):
        rows = protected.to_dict("records")
        tuples = set()
        for r in rows:
            if "sheet" in r:
                tuples.add((r.get("agency"), r.get(KEY), r["sheet"], r["field"]))
            else:
                tuples.add((r.get("agency"), r.get(KEY), r["field"]))
    else:
        tuples = {tuple(t) for t in protected}
    if not tuples:
        return np.zeros(len(p), dtype=bool)
    three = [(a, k, f) in tuples for a, k, f in zip(p["agency"], p[KEY], p["field"])]
    four = [(a, k, s, f) in tuples for a, k, s, f in zip(p["agency"], p[KEY], p["sheet"], p["field"])]
    return np.array(three, dtype=bool) | np.array(four, dtype=bool)


def apply_changes(frames: dict[str, pd.DataFrame | None], settled: pd.DataFrame) -> dict[str, pd.DataFrame | None]:
    """Copies of the sheet frames with the applied changes written in; rows to add are appended
    (with ``_source`` = the feed, when the frame has or gets that column)."""
    out = dict(frames)
    if settled.empty:
        return out
    app = settled[settled["applied"]]
    for sheet, frame in frames.items():
        if frame is None:
            continue
        mine = app[app["sheet"] == sheet]
        if mine.empty:
            continue
        frame = frame.copy()
        cells = mine[mine["field"] != "*"]
        for field, grp in cells.groupby("field", sort=False):
            if field not in frame.columns:
                frame[field] = pd.Series(pd.NA, index=frame.index, dtype="str")
            col = frame[field]
            if col.dtype != object and str(col.dtype) not in ("str", "string"):
                col = col.astype("str")
            col = col.copy()
            col.loc[grp["row"].to_list()] = grp["new"].to_numpy(dtype=object)
            frame[field] = col
        adds = mine[mine["field"] == "*"]
        if not adds.empty:
            new_rows = [json.loads(v) for v in adds["new"]]
            for r, (a, k, feed) in zip(new_rows, zip(adds["agency"], adds[KEY], adds["feed"])):
                r.setdefault(AGENCY, a)
                r.setdefault(KEY, k)
                r["_source"] = feed
            add_df = pd.DataFrame(new_rows)
            for c in add_df.columns:
                add_df[c] = add_df[c].astype("str")
            start = (frame.index.max() + 1) if len(frame) and pd.api.types.is_integer_dtype(frame.index) else 0
            add_df.index = pd.RangeIndex(start, start + len(add_df)) if pd.api.types.is_integer_dtype(
                frame.index) or not len(frame) else add_df.index
            frame = pd.concat([frame, add_df], axis=0)
        out[sheet] = frame
    return out


def repair_log(settled: pd.DataFrame) -> pd.DataFrame:
    """The repair-log rows (every proposal, applied or not)."""
    if settled.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in LOG_COLUMNS})
    log = settled[["agency", KEY, "sheet", "row", "field", "old", "new", "feed", "rule", "confidence", "applied"]]
    return log.reset_index(drop=True)


def review_items(settled: pd.DataFrame) -> pd.DataFrame:
    """The review-queue rows: reviews, and changes that were not confident or conflicted."""
    if settled.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in REVIEW_COLUMNS})
    r = settled[settled["to_review"]]
    cands = []
    for c, new in zip(r["candidates"], r["new"]):
        lst = list(c) if isinstance(c, (list, tuple)) else []
        if not na(new) and new not in lst:
            lst = [new] + lst
        cands.append(json.dumps(lst[: max(R.MAX_REVIEW_CANDIDATES, 1)], ensure_ascii=False))
    out = pd.DataFrame({
        "agency": r["agency"].to_numpy(), KEY: r[KEY].to_numpy(), "sheet": r["sheet"].to_numpy(),
        "row": r["row"].to_numpy(), "field": r["field"].to_numpy(), "current": r["old"].to_numpy(),
        "candidates": cands, "reason": r["reason"].to_numpy(), "rule": r["rule"].to_numpy(),
        "feed": r["feed"].to_numpy(), "confidence": r["confidence"].to_numpy(),
    }, columns=REVIEW_COLUMNS)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------
# Issues (`_issues`: JSON list of {field, code, raw})

def issues_of(value) -> list[dict]:
    if na(value):
        return []
    if isinstance(value, list):
        return value
    try:
        out = json.loads(value)
    except (TypeError, ValueError):
        return []
    return out if isinstance(out, list) else []


def issue_rows(frame: pd.DataFrame, field: str, codes: Iterable[str] | None = None) -> pd.Series:
    """For the rows of `frame` with an issue on `field` (of one of `codes`, or any code): the set of
    their codes on that field, as a Series indexed like `frame` (only those rows)."""
    if "_issues" not in frame.columns or frame.empty:
        return pd.Series([], dtype=object)
    col = frame["_issues"]
    codes = None if codes is None else set(codes)
    mask = col.notna()
    needle = json.dumps(field, ensure_ascii=False)
    s = col[mask]
    if not len(s):
        return pd.Series([], dtype=object)
    s = s.astype(str)
    hit = s.str.contains(needle, regex=False) | s.str.contains(field, regex=False)
    if codes:
        pat = "|".join(re.escape(c) for c in codes)
        hit &= s.str.contains(pat, regex=True)
    s = s[hit]
    out = {}
    for idx, v in s.items():
        found = {i.get("code") for i in issues_of(v) if isinstance(i, dict) and i.get("field") == field}
        if codes is not None:
            found &= codes
        if found:
            out[idx] = found
    return pd.Series(out, dtype=object)


# ---------------------------------------------------------------------------------------------------------
# Partial and impossible dates

MONTH_ONLY, IMPOSSIBLE = "date_month_only", "date_impossible"
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YM = re.compile(r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))\s*$")
_YMD = re.compile(r"^\s*(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*[-/.月]?\s*(\d{1,2})\s*日?\s*$")


def date_kind(value, codes: Iterable[str] = ()) -> tuple[str, int, int | None] | None:
    """(MONTH_ONLY or IMPOSSIBLE, year, month or None) for a date cell that is not a full valid date but
    still says its year (and month) — whatever issue code, if any, the standardiser gave it; None for a
    valid ISO date or text that is no date at all."""
    if na(value):
        return None
    v = str(value).strip()
    if _ISO.match(v):
        try:
            pd.Timestamp(v)
            return None
        except ValueError:
            pass
    m = _YM.match(v)
    if m and (m.group(2) or m.group(3)):
        month = int(m.group(2) or m.group(3))
        if 1 <= month <= 12:
            return MONTH_ONLY, int(m.group(1)), month
    m = _YMD.match(v)
    if m or IMPOSSIBLE in set(codes):
        y = re.match(r"^\s*(\d{4})", v)
        if y:
            mo = int(m.group(2)) if m else None
            return IMPOSSIBLE, int(y.group(1)), mo if mo is not None and 1 <= mo <= 12 else None
    return None


def date_problems(frame: pd.DataFrame, field: str) -> pd.Series:
    """`date_kind` of the cells of `field` that have an issue on that field or are not an ISO date:
    a Series (only those rows) of (kind, year, month)."""
    if field not in frame.columns or frame.empty:
        return pd.Series([], dtype=object)
    col = frame[field].astype("str")
    odd = col.notna() & ~col.str.match(r"^\d{4}-\d{2}-\d{2}$").fillna(False)
    flagged = issue_rows(frame, field)
    rows = col.index[odd.to_numpy()].union(flagged.index) if len(flagged) else col.index[odd.to_numpy()]
    out = {}
    for i in rows:
        k = date_kind(col.get(i), flagged.get(i, ()) if len(flagged) else ())
        if k is not None:
            out[i] = k
    return pd.Series(out, dtype=object)


# ---------------------------------------------------------------------------------------------------------
# Text folding

_DOTS = str.maketrans({".": "·", "•": "·", "・": "·", "．": "·", "‧": "·", "∙": "·", "⋅": "·", "◦": "·",
                       "\u00b7": "·", "\u2022": "·", "\u30fb": "·", "\uff65": "·"})
_SPACE_RE = re.compile(r"[\s\u3000\u200b\u200c\u200d\u2060\ufeff]+")


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC
    return OpenCC("t2s")


@lru_cache(maxsize=1 << 16)
def fold_name(name: str) -> str:
    """A person's name for comparison: no spaces, traditional → simplified (OpenCC), dot variants → ·."""
    if not isinstance(name, str):
        return ""
    s = _SPACE_RE.sub("", name).translate(_DOTS)
    return _t2s().convert(s)


@lru_cache(maxsize=1 << 16)
def fold_text(text: str) -> str:
    """Free text for comparison (school, major): NFKC, no spaces, brackets width folded."""
    if not isinstance(text, str):
        return ""
    return _SPACE_RE.sub("", unicodedata.normalize("NFKC", text)).upper()
