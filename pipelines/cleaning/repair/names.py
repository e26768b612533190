"""Names (姓名) against the population register (公安) of the same, trusted ID.

For every row whose ID can be trusted (valid, only an ``id_region_year`` note, or repaired) and is in the
register, the form's 姓名 is compared with the register's:

* equal → nothing;
* equal after folding traditional → simplified (OpenCC) and dot variants (``.`` ``•`` ``・`` → ``·``) →
  change (``name_variant_police``);
* same length and every differing character reads the same (pypinyin, tones ignored, any reading of a
  heteronym) — a homophone typed for the right character — and the register's 出生日期 / 性别 agree with
  the row's where both have one → change (``name_homophone_police``); a disagreement → review;
* the form's name is the register's 曾用名 → kept, noted in the log (``name_is_former_name``);
* otherwise → review with the register's name as the candidate.

Vectorised: the register is joined by ID (Arrow hash lookup) and names compared column-wise; only the rows
that differ are examined one by one.

A person may be missing from the register (contract: feeds.md). For a trusted ID the register does not
hold, `propose_names_unregistered` compares the 姓名 with those 社保 and 教育 hold for the ID (clean, but
not the name authority): a difference of traditional forms or dots → change (``name_variant_feed``);
any other → review with the feeds' names as candidates (``name_mismatch_feed``), never a change — a
homophone the register cannot confirm stays for a clerk.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from pipelines.feeds import KeyIndex

from .log import SHEET_PERSON, empty_proposals, fold_name, make_proposals, na

__all__ = ["propose_names", "propose_names_unregistered", "same_sound"]

NAME, BIRTH, SEX = "姓名", "出生日期", "性别"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@lru_cache(maxsize=1 << 15)
def _readings(ch: str) -> frozenset[str]:
    from pypinyin import Style, pinyin
    try:
        r = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    except Exception:  # pragma: no cover
        return frozenset()
    return frozenset(x for x in (r[0] if r else []) if x)


def same_sound(a: str, b: str) -> bool:
    """Whether two names of the same length read the same, character by character (tones ignored)."""
    if len(a) != len(b) or a == b:
        return a == b
    for x, y in zip(a, b):
        if x == y:
            continue
        rx, ry = _readings(x), _readings(y)
        if not rx or not ry or not (rx & ry):
            return False
    return True


def _formers(value) -> set[str]:
    if na(value):
        return set()
    return {fold_name(x) for x in re.split(r"[;；,，、]", str(value)) if x.strip()}


def propose_names(records: pd.DataFrame, ids: pd.Series, usable: pd.Series, police: KeyIndex) -> pd.DataFrame:
    """姓名 proposals (see module doc). `ids`/`usable` come from `identity.usable_ids`."""
    if NAME not in records.columns:
        return empty_proposals()
    sel = usable & records[NAME].notna()
    idx = records.index[sel.to_numpy()]
    if not len(idx):
        return empty_proposals()
    pos = police.positions(ids.loc[idx])
    found = pos >= 0
    idx, pos = idx[found], pos[found]
    p_name = police.column_at("姓名", pos)
    names = records.loc[idx, NAME].to_numpy(dtype=object)
    differs = np.array([a != b for a, b in zip(names, p_name)], dtype=bool) & np.array(
        [b is not None for b in p_name], dtype=bool)
    if not differs.any():
        return empty_proposals()
    idx, pos, names, p_name = idx[differs], pos[differs], names[differs], p_name[differs]
    p_former = police.column_at("曾用名", pos)
    p_birth = police.column_at("出生日期", pos)
    p_sex = police.column_at("性别", pos)

    rows, olds, news, rules, kinds, cands = [], [], [], [], [], []
    for i, label in enumerate(idx):
        name, pn = str(names[i]), p_name[i]
        fn, fp = fold_name(name), fold_name(pn)
        rows.append(label)
        olds.append(name)
        if fn == fp:
            news.append(pn), rules.append("name_variant_police"), kinds.append("change"), cands.append([])
            continue
        if fn in _formers(p_former[i]):
            news.append(pn), rules.append("name_is_former_name"), kinds.append("note"), cands.append([pn])
            continue
        if same_sound(fn, fp):
            birth = records.at[label, BIRTH] if BIRTH in records.columns else None
            sex = records.at[label, SEX] if SEX in records.columns else None
            birth_ok = na(birth) or not _DATE_RE.match(str(birth)) or p_birth[i] is None or str(birth) == p_birth[i]
            sex_ok = na(sex) or p_sex[i] is None or str(sex) == p_sex[i]
            if birth_ok and sex_ok:
                news.append(pn), rules.append("name_homophone_police"), kinds.append("change"), cands.append([])
                continue
        news.append(None), rules.append("name_mismatch_review"), kinds.append("review"), cands.append([pn])
    return make_proposals(SHEET_PERSON, records, rows, NAME, olds, news, rules, candidates=cands, kind=kinds)


def _feed_names(feed, ids: pd.Series) -> dict:
    """{row label: set of the feed's 姓名 for the row's ID} (a KeyIndex or a MultiKeyIndex)."""
    if hasattr(feed, "rows_for"):
        rows = feed.rows_for(ids, [NAME])
        return {q: set(g.dropna()) for q, g in rows.groupby("_query", sort=False)[NAME]}
    pos = feed.positions(ids)
    names = feed.column_at(NAME, pos)
    return {label: {n} for label, n in zip(ids.index, names) if n is not None}


def propose_names_unregistered(records: pd.DataFrame, ids: pd.Series, usable: pd.Series, police: KeyIndex,
                               others: list) -> pd.DataFrame:
    """姓名 of trusted IDs absent from the register, against the names of `others` (社保 / 教育 indexes:
    see the module doc)."""
    if NAME not in records.columns or not others:
        return empty_proposals()
    sel = usable & records[NAME].notna()
    idx = records.index[sel.to_numpy()]
    if not len(idx):
        return empty_proposals()
    idx = idx[police.positions(ids.loc[idx]) < 0]
    if not len(idx):
        return empty_proposals()
    found: dict = {}
    for feed in others:
        for label, names in _feed_names(feed, ids.loc[idx]).items():
            found.setdefault(label, set()).update(names)
    rows, olds, news, rules, kinds, cands = [], [], [], [], [], []
    for label in idx:
        names = found.get(label)
        name = records.at[label, NAME]
        if not names or name in names:
            continue
        folded = {fold_name(n): n for n in sorted(names)}
        rows.append(label), olds.append(name)
        if len(folded) == 1 and fold_name(name) in folded:
            news.append(folded[fold_name(name)]), rules.append("name_variant_feed"), kinds.append("change")
            cands.append([])
        else:
            news.append(None), rules.append("name_mismatch_feed"), kinds.append("review"), cands.append(sorted(names))
    return make_proposals(SHEET_PERSON, records, rows, NAME, olds, news, rules, candidates=cands, kind=kinds)
