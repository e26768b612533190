"""ID numbers against the population register (公安) and birth dates from the ID.

`propose_ids(records, police)`:

* Only an ID whose **check character is wrong** starts a candidate search (the standardiser flags it, and
  every 18-character ID is screened here too, in bulk; each is confirmed with python-stdnum's
  ``calc_check_digit``). A checksum-valid ID is never touched, not even when python-stdnum rejects its
  county code for the birth year (``id_region_year``) or does not know it (``id_region_unknown``): such
  an ID is real and a "neighbour" that happens to validate would be a different person. (stdnum checks
  the county before the check character, so a typo may come flagged ``id_region_year``: the checksum,
  not the code, decides.)
* Candidates are the numbers one substituted character or one adjacent transposition away whose check
  character agrees (screened in bulk with NumPy, re-checked with python-stdnum's ``calc_check_digit``)
  and that the police register holds — the register, not stdnum's county table, says a number exists.
  A candidate is **confirmed** when the police register has it with the row's 姓名
  (compared after folding traditional characters and dot variants — *never* by sound: a homophone of the
  name under a neighbouring ID is someone else) and the row's 出生日期 (when the row has a full one; a
  month-only one must agree on the month) and 性别 (when both have one). Without a birth date on the row,
  性别 must be there and agree. A row whose name is the register's 曾用名 confirms with a lower confidence.
* Exactly one confirmed candidate → a change; none or several → review with the candidates (the
  confirmed ones, else the ones the register holds, else `archives_domain.identity.id_candidates`).

`propose_birth_dates(records, ids, usable)`: a month-only (``YYYY-MM`` kept) or impossible 出生日期 — told by
its value, whatever the issue code — is taken from the (trusted) ID when the ID's date agrees with what is
left (the month, resp. the year); else review. The ID's birth date is positions 7–14.

`usable_ids(records, applied_ids)` gives the working ID column after the ID repairs and whether each row's
ID can be trusted for lookups (checksum right and no issue but a county-code one, or repaired).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
from stdnum.cn import ric

from archives_domain.identity import id_candidates, normalize_id
from dq_rules import repair_rules as R
from pipelines.feeds import KeyIndex

from .log import IMPOSSIBLE, SHEET_PERSON, date_problems, empty_proposals, fold_name, issue_rows, make_proposals, na

__all__ = ["propose_ids", "usable_ids", "propose_birth_dates", "ID", "NAME", "BIRTH", "SEX",
           "TRUSTED_ID_CODES"]

ID, NAME, BIRTH, SEX = "公民身份号码", "姓名", "出生日期", "性别"
#: ID issue codes that do not make the ID untrustworthy (the number is right; stdnum's table disagrees).
TRUSTED_ID_CODES = frozenset({"id_region_year", "id_region_unknown"})
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")


def _check_wrong(number: str) -> bool:
    """Whether an 18-character ID has a wrong check character (or cannot have a right one)."""
    if len(number) != 18 or not number[:17].isdigit() or not number[:17].isascii():
        return True
    try:
        return ric.calc_check_digit(number) != number[17]
    except Exception:  # pragma: no cover - stdnum rejects odd input
        return True


def _former_names(value) -> set[str]:
    if na(value):
        return set()
    return {fold_name(x) for x in re.split(r"[;；,，、]", str(value)) if x.strip()}


_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def _neighbours(bad_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every 18-character string one substituted character or one adjacent transposition away from each
    bad ID whose GB 11643 check character agrees (a screen only — candidates are then *confirmed* by the
    population register and python-stdnum's ``calc_check_digit``): (owner row, candidate) arrays.

    Unlike `archives_domain.identity.id_candidates` this does not ask python-stdnum whether the county
    code was in use in the birth year: the register, not stdnum's table, says whether a number exists
    (the region-year caveat of docs/pipeline.md)."""
    mat = np.frombuffer("".join(bad_ids).encode("ascii"), dtype=np.uint8).reshape(len(bad_ids), 18)
    variants = []
    owners = []
    rows = np.arange(len(bad_ids))
    digits = np.arange(48, 58, dtype=np.uint8)
    for pos in range(18):
        chars = digits if pos < 17 else np.append(digits, np.uint8(ord("X")))
        for ch in chars:
            keep = mat[:, pos] != ch
            v = mat[keep].copy()
            v[:, pos] = ch
            variants.append(v)
            owners.append(rows[keep])
    for pos in range(17):
        keep = mat[:, pos] != mat[:, pos + 1]
        v = mat[keep].copy()
        v[:, [pos, pos + 1]] = v[:, [pos + 1, pos]]
        variants.append(v)
        owners.append(rows[keep])
    v = np.concatenate(variants)
    own = np.concatenate(owners)
    body_ok = (v[:, :17] >= 48).all(axis=1) & (v[:, :17] <= 57).all(axis=1)
    check = _ID_CHECK[((v[:, :17].astype(np.int64) - 48) @ _ID_WEIGHTS) % 11]
    ok = body_ok & (check == v[:, 17])
    v, own = v[ok], own[ok]
    cands = np.ascontiguousarray(v).view("S18").ravel().astype(str)
    return own, cands


def _checksum_screen(ids: pd.Series) -> np.ndarray:
    """Rows whose 18-character ID has a check character that disagrees (NumPy, all rows at once) — so that
    an ID typo is found even without the standardiser's flag; each is then confirmed with python-stdnum."""
    s = ids.astype("str")
    out = np.zeros(len(s), dtype=bool)
    cand = (s.notna() & (s.str.len() == 18)).fillna(False).to_numpy()
    if not cand.any():
        return out
    vals = s[cand].to_numpy(dtype=object)
    asc = np.array([v.isascii() for v in vals], dtype=bool) if vals.dtype == object else np.ones(len(vals), bool)
    pos = np.flatnonzero(cand)
    pos, vals = pos[asc], vals[asc]
    if not len(vals):
        return out
    mat = np.frombuffer("".join(vals).upper().encode("ascii"), dtype=np.uint8).reshape(len(vals), 18)
    body = mat[:, :17]
    digits = ((body >= 48) & (body <= 57)).all(axis=1)
    check = _ID_CHECK[((body.astype(np.int64) - 48) @ _ID_WEIGHTS) % 11]
    out[pos] = ~digits | (check != mat[:, 17])
    return out


def _register_candidates(bad_ids: list[str], police: KeyIndex) -> list[list[str]]:
    """Per bad ID: its checksum-consistent neighbours that the population register holds."""
    ascii_rows = [i for i, b in enumerate(bad_ids) if b.isascii() and len(b) == 18]
    out: list[list[str]] = [[] for _ in bad_ids]
    if not ascii_rows:
        return out
    own, cands = _neighbours([bad_ids[i] for i in ascii_rows])
    own = np.asarray(ascii_rows, dtype=np.int64)[own]
    pos = police.positions(pa.array(cands, type=pa.string())) if len(cands) else np.empty(0, np.int64)
    for o, c in zip(own[pos >= 0].tolist(), cands[pos >= 0].tolist()):
        if c not in out[o]:
            out[o].append(c)
    return out


def propose_ids(records: pd.DataFrame, police: KeyIndex) -> pd.DataFrame:
    """ID-number repair proposals for the rows of `records` flagged with an ID issue (see module doc)."""
    if ID not in records.columns:
        return empty_proposals()
    flagged = issue_rows(records, ID)
    suspect = flagged.index.union(records.index[_checksum_screen(records[ID])])
    if not len(suspect):
        return empty_proposals()
    rows, bad_ids, cand_lists = [], [], []
    for idx in suspect:
        raw = records.at[idx, ID]
        if na(raw):
            continue
        number = normalize_id(str(raw))
        if len(number) != 18 or not _check_wrong(number):
            continue  # checksum right (e.g. only stdnum's county table disagrees): never "repaired"
        rows.append(idx)
        bad_ids.append(number)
    if not rows:
        return empty_proposals()
    cand_lists = _register_candidates(bad_ids, police)

    flat = [c for lst in cand_lists for c in lst]
    pos = police.positions(flat) if flat else np.empty(0, np.int64)
    p_name = police.column_at("姓名", pos)
    p_former = police.column_at("曾用名", pos)
    p_birth = police.column_at("出生日期", pos)
    p_sex = police.column_at("性别", pos)

    out_rows, olds, news, rules, cands, kinds = [], [], [], [], [], []
    k = 0
    for idx, number, lst in zip(rows, bad_ids, cand_lists):
        name = records.at[idx, NAME] if NAME in records.columns else None
        birth = records.at[idx, BIRTH] if BIRTH in records.columns else None
        sex = records.at[idx, SEX] if SEX in records.columns else None
        name_f = None if na(name) else fold_name(str(name))
        birth = None if na(birth) else str(birth).strip()
        sex = None if na(sex) else str(sex).strip()
        confirmed: list[tuple[str, str]] = []   # (candidate, rule)
        in_register: list[str] = []
        for c in lst:
            j = k
            k += 1
            if pos[j] < 0:
                continue
            in_register.append(c)
            if name_f is None:
                continue
            pb, ps = p_birth[j], p_sex[j]
            if sex is not None and ps is not None and sex != ps:
                continue
            if birth is not None and _DATE_RE.match(birth):
                birth_ok, has_birth = (pb == birth), True
            elif birth is not None and _MONTH_RE.match(birth):
                birth_ok, has_birth = (pb is not None and pb.startswith(birth)), True
            else:
                birth_ok, has_birth = True, False
            if not birth_ok:
                continue
            if p_name[j] is not None and fold_name(p_name[j]) == name_f:
                if has_birth:
                    confirmed.append((c, "id_typo_police"))
                elif sex is not None and ps is not None:
                    confirmed.append((c, "id_typo_police_no_birth"))
            elif has_birth and name_f in _former_names(p_former[j]):
                confirmed.append((c, "id_typo_police_former_name"))
        out_rows.append(idx)
        olds.append(records.at[idx, ID])
        confirmed = [(c, r) for c, r in confirmed if ric.calc_check_digit(c) == c[17]]  # stdnum's verdict
        if len(confirmed) == 1:
            news.append(confirmed[0][0])
            rules.append(confirmed[0][1])
            cands.append([])
            kinds.append("change")
        else:
            shown = [c for c, _ in confirmed] or in_register or id_candidates(number)
            news.append(None)
            rules.append("id_typo_review")
            cands.append(shown[: R.MAX_REVIEW_CANDIDATES])
            kinds.append("review")
    return make_proposals(SHEET_PERSON, records, out_rows, ID, olds, news, rules, candidates=cands, kind=kinds)


def usable_ids(records: pd.DataFrame, applied_ids: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """(working ID column, whether it can be trusted for feed lookups), indexed like `records`.

    `applied_ids`: new ID values by row label (the applied ID repairs)."""
    ids = records[ID].astype("str").copy() if ID in records.columns else pd.Series(pd.NA, index=records.index,
                                                                                  dtype="str")
    ok = (ids.notna() & (ids.str.len() == 18)).fillna(False) & ~_checksum_screen(ids)
    flagged = issue_rows(records, ID)
    if not flagged.empty:
        bad = [i for i, codes in flagged.items()
               if not codes <= TRUSTED_ID_CODES or na(ids.get(i)) or _check_wrong(normalize_id(str(ids[i])))]
        ok.loc[bad] = False
    if applied_ids is not None and len(applied_ids):
        ids.loc[applied_ids.index] = applied_ids.to_numpy(dtype=object)
        ok.loc[applied_ids.index] = True
    return ids, ok


def propose_birth_dates(records: pd.DataFrame, ids: pd.Series, usable: pd.Series) -> pd.DataFrame:
    """出生日期 proposals for rows flagged month-only or impossible (see module doc)."""
    if BIRTH not in records.columns:
        return empty_proposals()
    problems = date_problems(records, BIRTH)
    if problems.empty:
        return empty_proposals()
    rows, olds, news, rules, kinds = [], [], [], [], []
    for idx, (kind, year, month) in problems.items():
        old = records.at[idx, BIRTH]
        new = None
        if bool(usable.get(idx, False)) and isinstance(ids.get(idx), str):
            n = ids[idx]
            if year == int(n[6:10]) and (kind == IMPOSSIBLE or month == int(n[10:12])):
                new = f"{n[6:10]}-{n[10:12]}-{n[12:14]}"
        rows.append(idx)
        olds.append(old)
        if new is not None:
            news.append(new)
            rules.append("birth_date_from_id")
            kinds.append("change")
        else:
            news.append(None)
            rules.append("birth_date_review")
            kinds.append("review")
    return make_proposals(SHEET_PERSON, records, rows, BIRTH, olds, news, rules, kind=kinds)
