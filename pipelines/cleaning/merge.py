"""Merge batches into records (合并批次): contract rules 3–5.

``merge_batches(std_frames_by_sheet, raw_frames_by_sheet=None, rejected=None) -> MergeResult``

Input: the std frames of one agency partition (or several agencies — all
rules are per agency), keyed by sheet; optionally the raw frames (so that
quarantined rows carry the row exactly as typed) and the read stage's
``rejected`` rows (a sheet without a ★ column), which go to quarantine too.

Every input row ends in exactly one bucket (``MergeResult.row_status``):

* ``loaded`` — the row is (the origin of) a record, or a loaded child row;
* ``quarantined`` — rule 5 (empty 档案编号; 基本信息 with neither 姓名 nor
  公民身份号码), rule 4 (a different 基本信息 row with the same 档案编号 in one
  batch: the first in file order is loaded), or rejected by the reader;
* ``duplicate`` — equal in every column to a row loaded before (rule 4);
* ``correction`` — a later batch's 基本信息 row merged field by field into
  the record (rule 3), or a child row of an earlier batch replaced because a
  later batch has child rows of that sheet for the person.

Decisions where the contract and design are silent:

* "Equal in every column after trimming" compares the std values of the
  contract headers (trimmed and canonical), so rows differing only in
  spelling of the same value (``汉`` / ``汉族``), in ``户口性质`` (not loaded) or
  in unknown columns are the same row.
* 基本信息: exact repeats are recognised across all batches of the agency;
  the first (batch order, then file order) is loaded.  A repeat of a row that
  is itself quarantined (a conflicting key) is quarantined with the same reason.
* Child sheets: the batch is chosen first — a person's rows of a sheet all
  come from the latest batch that has any (so a later batch's list replaces
  the earlier list, rows repeated in it included); exact repeats are then
  recognised within that batch.  Child rows join by (agency, 档案编号) to the
  merged record; a row whose 档案编号 has no 基本信息 record in the agency is an
  orphan: loaded (kept, ``_orphan`` true) and listed in ``orphans``.
* Rule 5 on child sheets is the empty 档案编号 only (they have no 姓名).
* Records keep the lineage of their origin row (the first loaded), plus
  ``_batches`` (``;``-joined batches that contributed) and ``_sources`` (JSON
  list of ``file#row``).  For a field won by a later batch, its issues and
  changes come from the winning row, and a change ``{"rule":
  "later_batch", "old": <earlier value>, "new": <later value>}`` is added.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from archives_domain.collection_form import DROPPED_HEADERS, HEADERS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, SHEETS

from .quarantine import REASON_CONFLICT, REASON_EMPTY_KEY, REASON_NO_IDENTITY, empty_quarantine, quarantine_frame

BUCKETS = ("loaded", "quarantined", "duplicate", "correction")
_STR = pd.StringDtype("pyarrow", na_value=np.nan)
STATUS_COLUMNS = ("_agency", "_batch", "_file", "_sheet", "_row", "status", "reason", "duplicate_of")


@dataclass
class MergeResult:
    persons: pd.DataFrame
    study: pd.DataFrame
    work: pd.DataFrame
    quarantine: pd.DataFrame
    orphans: pd.DataFrame
    row_status: pd.DataFrame
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def rows_in(self) -> int:
        return int(sum(c["rows_in"] for c in self.counts.values()))

    def totals(self) -> dict[str, int]:
        out = {"rows_in": 0, **{b: 0 for b in BUCKETS}}
        for c in self.counts.values():
            for k in out:
                out[k] += c[k]
        return out

    def check(self) -> None:
        """Raise AssertionError unless every input row is in exactly one bucket."""
        for sheet, c in self.counts.items():
            total = sum(c[b] for b in BUCKETS)
            if total != c["rows_in"]:
                raise AssertionError(f"{sheet}: {total} rows in buckets, {c['rows_in']} rows in")
        if len(self.row_status) != self.rows_in:
            raise AssertionError("row_status does not list every input row")
        if self.row_status.duplicated(["_file", "_sheet", "_row"]).any():
            raise AssertionError("a row is listed twice")


def _contract_cols(sheet: str, frame: pd.DataFrame) -> list[str]:
    return [h for h in HEADERS[sheet] if h not in DROPPED_HEADERS and h in frame.columns]


def _sorted_codes(values: pd.Series) -> np.ndarray:
    """Integer codes of `values` that sort like the values (code-point order); NA → -1."""
    codes, uniques = pd.factorize(values)
    names = [str(u) for u in uniques]
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.argsort(np.array(names, dtype=object), kind="stable")] = np.arange(len(names))
    out = np.where(codes >= 0, rank[np.maximum(codes, 0)] if len(names) else -1, -1)
    return out.astype(np.int64)


def _batch_rank(batches: pd.Series) -> np.ndarray:
    """Rank of each row's batch name in code-point order (Python str order)."""
    return _sorted_codes(batches)


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in (agency, batch code-point order, file, file row) order; positional index."""
    frame = frame.reset_index(drop=True)
    if not len(frame):
        return frame
    order = np.lexsort((frame["_row"].to_numpy(dtype=np.int64), _sorted_codes(frame["_file"]),
                        _batch_rank(frame["_batch"]), _sorted_codes(frame["_agency"])))
    if (order == np.arange(len(order))).all():
        return frame
    return frame.iloc[order].reset_index(drop=True)


def _group_ids(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    if not len(frame):
        return np.zeros(0, dtype=np.int64)
    return frame.groupby(cols, dropna=False, sort=False).ngroup().to_numpy(dtype=np.int64)


def _first_of_group(gid: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """For each element of `positions` (ascending), the first position with the same group id."""
    if positions.size == 0:
        return positions.copy()
    g = gid[positions]
    _, idx, inverse = np.unique(g, return_index=True, return_inverse=True)
    return positions[idx][inverse.reshape(-1)]


class _Sheet:
    """Statuses of one sheet's rows (positional)."""

    def __init__(self, sheet: str, frame: pd.DataFrame):
        self.sheet = sheet
        self.f = _ordered(frame)
        n = len(self.f)
        self.status = np.full(n, "", dtype=object)
        self.reason = np.full(n, None, dtype=object)
        self.dup_of = np.full(n, -1, dtype=np.int64)
        self.rank = _batch_rank(self.f["_batch"]) if n else np.zeros(0, dtype=np.int64)

    def set(self, pos, status, reason=None):
        self.status[pos] = status
        if reason is not None:
            self.reason[pos] = reason

    def pending(self) -> np.ndarray:
        return self.status == ""


def _rule5(s: _Sheet) -> None:
    f = s.f
    if not len(f):
        return
    empty_key = f["档案编号"].isna().to_numpy()
    s.set(empty_key, "quarantined", REASON_EMPTY_KEY)
    if s.sheet == SHEET_PERSON:
        no_id = (f["姓名"].isna() & f["公民身份号码"].isna()).to_numpy() & s.pending()
        s.set(no_id, "quarantined", REASON_NO_IDENTITY)


def _persons(s: _Sheet) -> pd.DataFrame:
    f = s.f
    n = len(f)
    cols = _contract_cols(SHEET_PERSON, f)
    if n == 0:
        return _empty_records(f)
    _rule5(s)
    live = np.flatnonzero(s.pending())
    gid = _group_ids(f, ["_agency", *cols])
    first = _first_of_group(gid, live)
    is_dup = first != live
    dups, originals = live[is_dup], first[is_dup]
    s.dup_of[dups] = originals
    uniq = live[~is_dup]
    # rule 4: a different row with the same 档案编号 in one batch → quarantined (first in file order loaded)
    kid = _group_ids(f, ["_agency", "_batch", "档案编号"])
    kfirst = _first_of_group(kid, uniq)
    conflict = kfirst != uniq
    rows = f["_row"].to_numpy(dtype=np.int64)
    for p, q in zip(uniq[conflict].tolist(), kfirst[conflict].tolist()):
        s.set(p, "quarantined", REASON_CONFLICT.format(row=int(rows[q])))
    # repeats follow their original's fate
    for p, o in zip(dups.tolist(), originals.tolist()):
        if s.status[o] == "quarantined":
            s.set(p, "quarantined", s.reason[o])
        else:
            s.set(p, "duplicate")
    # rule 3: across batches, the first row of a (agency, 档案编号) is the record's origin; later ones correct it
    keep = np.flatnonzero(s.pending())
    aid = _group_ids(f, ["_agency", "档案编号"])
    afirst = _first_of_group(aid, keep)
    origin = afirst == keep
    s.set(keep[origin], "loaded")
    s.set(keep[~origin], "correction")
    return _records(f, keep, aid, cols)


def _empty_records(f: pd.DataFrame) -> pd.DataFrame:
    out = f.iloc[0:0].copy()
    out["_batches"] = pd.Series([], dtype=_STR)
    out["_sources"] = pd.Series([], dtype=_STR)
    return out


def _sources(files: pd.Series, rows: pd.Series) -> pd.Series:
    import pyarrow as pa
    import pyarrow.compute as pc

    from .text import json_string, ls
    text = pc.binary_join_element_wise(pa.array(files.astype(str), pa.large_string()),
                                       pa.array(rows.astype(str), pa.large_string()), ls("#"))
    out = pc.binary_join_element_wise(ls("["), json_string(text), ls("]"), ls(""))
    return pd.Series(pd.arrays.ArrowStringArray(out, dtype=_STR), index=files.index)


def _records(f: pd.DataFrame, keep: np.ndarray, aid: np.ndarray, cols: list[str]) -> pd.DataFrame:
    """One row per (agency, 档案编号) from the kept rows (batch order): later non-empty values win."""
    sub = f.iloc[keep]
    g = aid[keep]
    counts = np.bincount(g)
    multi = counts[g] > 1
    single = sub[~multi].copy()
    single["_batches"] = single["_batch"].astype(_STR)
    single["_sources"] = _sources(single["_file"], single["_row"])
    parts = [single]
    if multi.any():
        parts.append(_merge_groups(sub[multi], g[multi], cols))
    out = pd.concat(parts)
    out = out.sort_index(kind="stable").reset_index(drop=True)
    return out


def _loads(x) -> list:
    return json.loads(x) if isinstance(x, str) and x != "[]" else []


def _merge_groups(sub: pd.DataFrame, g: np.ndarray, cols: list[str]) -> pd.DataFrame:
    """Field-by-field merge of the groups of `sub` (rows of one group in batch order)."""
    codes, _ = pd.factorize(g)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    groups = np.split(order, bounds)
    vals = {c: sub[c].to_numpy(dtype=object, na_value=None) for c in cols}
    issues_by_row = [_loads(x) for x in sub["_issues"].tolist()]
    changes_by_row = [_loads(x) for x in sub["_changes"].tolist()]
    batch = sub["_batch"].astype(str).to_numpy()
    files = sub["_file"].astype(str).to_numpy()
    rows = sub["_row"].to_numpy()
    extra = sub["_extra"].to_numpy(dtype=object, na_value=None)
    first_pos = np.array([grp[0] for grp in groups], dtype=np.int64)
    out = sub.iloc[first_pos].copy()
    new_vals = {c: [] for c in cols}
    out_issues, out_changes, out_batches, out_sources, out_extra = [], [], [], [], []
    for grp in groups:
        grp = grp.tolist()
        issues: list[dict] = []
        changes: list[dict] = []
        for c in cols:
            col = vals[c]
            present = [i for i in grp if col[i] is not None]
            winner = present[-1] if present else None
            src = winner if winner is not None else grp[-1]
            new_vals[c].append(col[winner] if winner is not None else None)
            issues += [e for e in issues_by_row[src] if e.get("field") == c]
            changes += [e for e in changes_by_row[src] if e.get("field") == c]
            if winner is not None and col[winner] != col[present[0]]:
                changes.append({"field": c, "old": col[present[0]], "new": col[winner], "rule": "later_batch"})
        out_issues.append(json.dumps(issues, ensure_ascii=False, separators=(",", ":")))
        out_changes.append(json.dumps(changes, ensure_ascii=False, separators=(",", ":")))
        out_batches.append(";".join(dict.fromkeys(batch[i] for i in grp)))
        out_sources.append(json.dumps([f"{files[i]}#{rows[i]}" for i in grp], ensure_ascii=False, separators=(",", ":")))
        merged: dict = {}
        for i in grp:
            if isinstance(extra[i], str):
                merged.update(json.loads(extra[i]))
        out_extra.append(json.dumps(merged, ensure_ascii=False, separators=(",", ":")) if merged else None)
    for c in cols:
        out[c] = pd.Series(new_vals[c], index=out.index, dtype=_STR)
    out["_issues"] = pd.Series(out_issues, index=out.index, dtype=_STR)
    out["_changes"] = pd.Series(out_changes, index=out.index, dtype=_STR)
    out["_extra"] = pd.Series(out_extra, index=out.index, dtype=_STR)
    out["_batches"] = pd.Series(out_batches, index=out.index, dtype=_STR)
    out["_sources"] = pd.Series(out_sources, index=out.index, dtype=_STR)
    return out


def _key_array(frame: pd.DataFrame):
    """(agency, 档案编号) of each row as one arrow string (null when 档案编号 is empty)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .text import LS, ls
    return pc.binary_join_element_wise(pa.array(frame["_agency"], LS, from_pandas=True),
                                       pa.array(frame["档案编号"], LS, from_pandas=True), ls("\x1f"))


def _children(s: _Sheet, person_keys) -> pd.DataFrame:
    f = s.f
    n = len(f)
    if n == 0:
        out = f.copy()
        out["_orphan"] = pd.Series([], dtype=bool)
        return out
    cols = _contract_cols(s.sheet, f)
    _rule5(s)
    live = np.flatnonzero(s.pending())
    pid = _group_ids(f, ["_agency", "档案编号"])
    latest = pd.Series(s.rank[live]).groupby(pid[live]).max()
    max_rank = latest.reindex(pid[live]).to_numpy()
    old = s.rank[live] < max_rank
    s.set(live[old], "correction")
    cur = live[~old]
    gid = _group_ids(f, ["_agency", "_batch", *cols])
    first = _first_of_group(gid, cur)
    is_dup = first != cur
    s.dup_of[cur[is_dup]] = first[is_dup]
    s.set(cur[is_dup], "duplicate")
    s.set(cur[~is_dup], "loaded")
    sel = s.status == "loaded"
    loaded = f if sel.all() else f.iloc[np.flatnonzero(sel)]
    loaded = loaded.reset_index(drop=True)
    import pyarrow.compute as pc

    from .text import mask
    loaded["_orphan"] = ~mask(pc.is_in(_key_array(loaded), value_set=person_keys)) if len(loaded) else \
        np.zeros(0, dtype=bool)
    return loaded


def _status_frame(s: _Sheet) -> pd.DataFrame:
    f = s.f
    rows = f["_row"].to_numpy(dtype=np.int64) if len(f) else np.zeros(0, dtype=np.int64)
    dup = np.where(s.dup_of >= 0, rows[np.maximum(s.dup_of, 0)] if len(f) else s.dup_of, -1)
    return pd.DataFrame({
        "_agency": f["_agency"].astype(_STR) if len(f) else pd.Series([], dtype=_STR),
        "_batch": f["_batch"].astype(_STR) if len(f) else pd.Series([], dtype=_STR),
        "_file": f["_file"].astype(_STR) if len(f) else pd.Series([], dtype=_STR),
        "_sheet": pd.Series([s.sheet] * len(f), dtype=_STR),
        "_row": rows,
        "status": pd.Series(s.status, dtype=_STR),
        "reason": pd.Series(s.reason, dtype=_STR),
        "duplicate_of": pd.arrays.IntegerArray(np.where(dup >= 0, dup, 0).astype(np.int64), dup < 0),
    })


def merge_batches(std_frames_by_sheet: dict[str, pd.DataFrame],
                  raw_frames_by_sheet: dict[str, pd.DataFrame] | None = None,
                  rejected: pd.DataFrame | None = None) -> MergeResult:
    """Records, child rows, quarantine and orphans of std frames (see the module docstring)."""
    sheets = {}
    for sheet in SHEETS:
        frame = std_frames_by_sheet.get(sheet)
        if frame is None:
            from .read import empty_raw_frame
            from .standardise import standardise
            frame = standardise(sheet, empty_raw_frame(sheet))
        sheets[sheet] = _Sheet(sheet, frame)
    persons = _persons(sheets[SHEET_PERSON])
    person_keys = _key_array(persons) if len(persons) else pa.array([], pa.large_string())
    study = _children(sheets[SHEET_STUDY], person_keys)
    work = _children(sheets[SHEET_WORK], person_keys)
    for s in sheets.values():
        if (s.status == "").any():  # pragma: no cover - every branch sets a status
            raise AssertionError(f"{s.sheet}: rows without a status")
    qparts, qreasons = [], []
    for s in sheets.values():
        q = np.flatnonzero(s.status == "quarantined")
        if q.size:
            qparts.append(s.f.iloc[q])
            qreasons += list(s.reason[q])
    qrows = pd.concat(qparts, ignore_index=True) if qparts else None
    quarantine = quarantine_frame(qrows if qrows is not None else pd.DataFrame(), qreasons,
                                  raw_frames_by_sheet, rejected) \
        if (qrows is not None or (rejected is not None and len(rejected))) else empty_quarantine()
    status = pd.concat([_status_frame(s) for s in sheets.values()], ignore_index=True)
    if rejected is not None and len(rejected):
        rj = pd.DataFrame({
            "_agency": rejected["_agency"].astype(_STR), "_batch": rejected["_batch"].astype(_STR),
            "_file": rejected["_file"].astype(_STR), "_sheet": rejected["_sheet"].astype(_STR),
            "_row": rejected["_row"].astype("int64"), "status": pd.Series(["quarantined"] * len(rejected), dtype=_STR),
            "reason": rejected["_reason"].astype(_STR), "duplicate_of": pd.array([pd.NA] * len(rejected), dtype="Int64"),
        })
        status = pd.concat([status, rj], ignore_index=True)
    counts = {}
    for sheet in SHEETS:
        st = status.loc[status["_sheet"] == sheet, "status"]
        c = {"rows_in": int(len(st))}
        vc = st.value_counts()
        for b in BUCKETS:
            c[b] = int(vc.get(b, 0))
        counts[sheet] = c
    orphans = pd.concat([study[study["_orphan"]], work[work["_orphan"]]], ignore_index=True) \
        if len(study) or len(work) else study.iloc[0:0]
    result = MergeResult(persons, study, work, quarantine, orphans, status, counts)
    result.check()
    return result
