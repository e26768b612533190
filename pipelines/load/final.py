"""Stage *final* (定稿): what the load writes for one agency, as plain frames (no database, no keys).

``final_frames(records, repaired, raw=None) -> dict`` takes the merge stage's frames (``records``:
persons, study, work, quarantine, orphans) and the repair stage's (``repaired``: records, study, work, log,
review, status) and returns:

| frame | one row per | columns |
|---|---|---|
| ``persons`` | person (agency + 档案编号) | ``档案编号``, every stored header of 基本信息 (canonical values; a value that
  stays non-canonical is kept as typed), ``就业状态``, ``参保状态`` (社保), ``_batches`` |
| ``study``, ``work`` | child row | ``档案编号``, ``_seq`` (order within the person), the sheet's headers, ``_source``
  (采集表 / 教育 / 社保) |
| ``review`` | 待核实 item | ``档案编号, sheet, _seq`` (child rows), ``field, category, current, candidates`` (JSON),
  ``reason, rule, feed, confidence`` |
| ``log`` | repair-log row | ``档案编号, sheet, field, old, new, feed, rule, confidence, applied`` |
| ``hukou`` | 集体户口 record the 公安 register has an address for | ``档案编号``, ``户籍原所在地`` (the register's
  户籍地址; the load's 集体户口代理 rows take it, `pipelines.load.hukou`) |
| ``quarantine`` | 隔离 row | the merge stage's quarantine frame (`pipelines.cleaning.quarantine`), plus orphan
  child rows (a 学习经历/工作经历 row whose 档案编号 has no person in the agency: it cannot be stored under a
  person, so it is kept whole in 隔离 — contract: every input row is loaded or in 隔离.csv) |

Review items are the repair stage's, plus every standardisation issue the repair did not resolve (the cell
still holds its standardised value) unless `dq_rules.review_rules.INFORMATIONAL`. 一人多档 (the same ID at
another agency) needs the database and is found by the load.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from archives_domain.collection_form import (
    FEED_SOURCE, SHEET_COLUMNS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, SOURCE_FORM,
)
from dq_rules import review_rules as RR
from pipelines.cleaning.quarantine import quarantine_frame

KEY = "档案编号"
REVIEW_COLUMNS = [KEY, "sheet", "_seq", "field", "category", "current", "candidates", "reason", "rule", "feed",
                  "confidence"]
LOG_COLUMNS = [KEY, "sheet", "field", "old", "new", "feed", "rule", "confidence", "applied"]
REASON_ORPHAN = "孤立行：本机构没有该档案编号的基本信息"
STATUS_HEADERS = ("就业状态", "参保状态")


def _str(values) -> pd.Series:
    s = pd.Series(values, dtype=object)
    return s.where(s.notna(), None)


def _text(col: pd.Series) -> pd.Series | np.ndarray:
    """A column's values as text for the final frames: a text column as it is (Arrow-backed: no conversion
    per value; the layer file holds the same either way), any other as objects with missing as None."""
    if isinstance(col.dtype, pd.StringDtype):
        return col
    return _str(col.to_numpy(dtype=object)).to_numpy(dtype=object)


def _na(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v == ""


def _child_frame(sheet: str, frame: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.Series]:
    """The stored child rows (orphans out) with ``_seq``; and the orphan mask over `frame`."""
    headers = list(SHEET_COLUMNS[sheet])
    cols = [KEY, "_seq", *headers, "_source"]
    if frame is None or not len(frame):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols}), pd.Series([], dtype=bool)
    orphan = frame["_orphan"].fillna(False).astype(bool) if "_orphan" in frame.columns else \
        pd.Series(False, index=frame.index)
    kept = frame[~orphan.to_numpy()]
    cols = {KEY: kept[KEY].astype(object), "_seq": kept.groupby(KEY, sort=False).cumcount().astype("int64") + 1}
    for h in headers:
        cols[h] = _text(kept[h]) if h in kept.columns else np.full(len(kept), None, dtype=object)
    src = kept["_source"] if "_source" in kept.columns else pd.Series(pd.NA, index=kept.index)
    codes, uniques = pd.factorize(src.to_numpy(dtype=object, na_value=None), use_na_sentinel=True)
    names = np.array([FEED_SOURCE.get(s, str(s)[:8]) if not _na(s) else SOURCE_FORM for s in uniques] + [SOURCE_FORM],
                     dtype=object)
    cols["_source"] = names[codes]
    return pd.DataFrame(cols, index=kept.index), orphan


def _unresolved_issues(sheet: str, before: pd.DataFrame | None, after: pd.DataFrame | None,
                       seq: pd.Series | None) -> list[dict]:
    """Review items of the issues whose cell the repair left as standardised."""
    if before is None or after is None or "_issues" not in before.columns or not len(before):
        return []
    items = []
    common = before.index.intersection(after.index)
    issues = before.loc[common, "_issues"]
    has = issues.notna() & (issues.astype(str) != "[]")
    for label, text in issues[has].items():
        try:
            found = json.loads(text)
        except (TypeError, ValueError):
            continue
        for it in found:
            code, field = it.get("code"), it.get("field")
            if not field or code in RR.INFORMATIONAL or field not in after.columns:
                continue
            now, was = after.at[label, field], before.at[label, field]
            if not (_na(now) and _na(was)) and now != was:
                continue  # the repair changed it: resolved (or sent to review by the repair itself)
            items.append({
                KEY: after.at[label, KEY], "sheet": sheet,
                "_seq": None if seq is None else (int(seq.at[label]) if label in seq.index else None),
                "field": field, "category": RR.category_of_issue(code),
                "current": None if _na(now) else str(now),
                "candidates": "[]", "reason": f"标准化未能确定规范值（{RR.category_of_issue(code)}）：{it.get('raw')}"[:255],
                "rule": f"std_{code}"[:64], "feed": None, "confidence": None,
            })
    return items


def _repair_reviews(review: pd.DataFrame | None, seqs: dict[str, pd.Series]) -> list[dict]:
    if review is None or not len(review):
        return []
    out = []
    for r in review.to_dict("records"):
        sheet = r.get("sheet")
        seq = None
        if sheet in (SHEET_STUDY, SHEET_WORK) and not _na(r.get("row")):
            s = seqs.get(sheet)
            if s is not None and r["row"] in s.index:
                seq = int(s.at[r["row"]])
        cands = r.get("candidates")
        out.append({
            KEY: r.get(KEY), "sheet": sheet, "_seq": seq, "field": r.get("field"),
            "category": RR.category_of_rule(r.get("rule")),
            "current": None if _na(r.get("current")) else str(r.get("current")),
            "candidates": cands if isinstance(cands, str) else json.dumps(list(cands or []), ensure_ascii=False),
            "reason": (r.get("reason") or "")[:255], "rule": str(r.get("rule"))[:64],
            "feed": None if _na(r.get("feed")) else FEED_SOURCE.get(r.get("feed"), str(r.get("feed"))[:16]),
            "confidence": None if _na(r.get("confidence")) else float(r.get("confidence")),
        })
    return out


def hukou_frame(police: pd.DataFrame | None, persons: pd.DataFrame) -> pd.DataFrame:
    """档案编号 → 户籍原所在地 (公安 户籍地址) of the agency's 集体户口 persons, one row each, in 档案编号 order."""
    cols = [KEY, "户籍原所在地"]
    if police is None or not len(police):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    frame = pd.DataFrame({KEY: police[KEY].astype(object).to_numpy(),
                          "户籍原所在地": police["户籍地址"].astype(object).to_numpy()})
    frame = frame[frame[KEY].isin(set(persons[KEY].tolist()))].drop_duplicates(KEY)
    return frame.sort_values(KEY, kind="stable").reset_index(drop=True)


def final_frames(records: dict, repaired: dict, raw: dict | None = None) -> dict[str, pd.DataFrame]:
    """The frames the load writes (module docstring)."""
    persons_in = repaired["records"]
    person_headers = list(SHEET_COLUMNS[SHEET_PERSON])
    n = len(persons_in)
    cols = {h: _text(persons_in[h]) if h in persons_in.columns else np.full(n, None, dtype=object)
            for h in person_headers}
    cols["_batches"] = persons_in["_batches"].astype(object) if "_batches" in persons_in.columns else \
        np.full(n, None, dtype=object)
    persons = pd.DataFrame(cols, index=persons_in.index)
    status = repaired.get("status")
    for h in STATUS_HEADERS:
        persons[h] = None
        if status is not None and len(status) and h in status.columns:
            st = status[h]
            st = st[st.index.isin(persons.index)]
            persons.loc[st.index, h] = st.astype(object).where(st.notna(), None).to_numpy(dtype=object)

    study, study_orphan = _child_frame(SHEET_STUDY, repaired.get("study"))
    work, work_orphan = _child_frame(SHEET_WORK, repaired.get("work"))
    seqs = {SHEET_STUDY: study["_seq"], SHEET_WORK: work["_seq"]}

    review_rows = _repair_reviews(repaired.get("review"), seqs)
    seen = {(r[KEY], r["sheet"], r["_seq"], r["field"]) for r in review_rows}
    for sheet, before, after, seq in (
            (SHEET_PERSON, records.get("persons"), persons_in, None),
            (SHEET_STUDY, records.get("study"), repaired.get("study"), seqs[SHEET_STUDY]),
            (SHEET_WORK, records.get("work"), repaired.get("work"), seqs[SHEET_WORK])):
        for it in _unresolved_issues(sheet, before, after, seq):
            k = (it[KEY], it["sheet"], it["_seq"], it["field"])
            if k not in seen:
                seen.add(k)
                review_rows.append(it)
    review = pd.DataFrame(review_rows, columns=REVIEW_COLUMNS)
    review["_seq"] = review["_seq"].astype("Int64")

    log = repaired.get("log")
    if log is None or not len(log):
        log = pd.DataFrame({c: pd.Series([], dtype=object) for c in LOG_COLUMNS})
    else:
        log = log.rename(columns={})[[KEY, "sheet", "field", "old", "new", "feed", "rule", "confidence", "applied"]]
        log = log.assign(feed=[None if _na(f) else FEED_SOURCE.get(f, str(f)[:16]) for f in log["feed"]])

    quarantine = records.get("quarantine")
    parts = [quarantine] if quarantine is not None and len(quarantine) else []
    orphan_rows = []
    for frame, mask in ((repaired.get("study"), study_orphan), (repaired.get("work"), work_orphan)):
        if frame is not None and len(mask) and mask.any():
            orphan_rows.append(frame[mask.to_numpy()])
    if orphan_rows:
        rows = pd.concat(orphan_rows)
        raw_sheets = {k: v for k, v in (raw or {}).items() if not k.startswith("_")}
        parts.append(quarantine_frame(rows, [REASON_ORPHAN] * len(rows), raw_sheets or None))
    if parts:
        quarantine = pd.concat(parts, ignore_index=True)
    elif quarantine is None:
        from pipelines.cleaning.quarantine import empty_quarantine
        quarantine = empty_quarantine()
    return {"persons": persons.reset_index(drop=True), "study": study.reset_index(drop=True),
            "hukou": hukou_frame(repaired.get("hukou"), persons),
            "work": work.reset_index(drop=True), "review": review, "log": log.reset_index(drop=True),
            "quarantine": quarantine.reset_index(drop=True)}
