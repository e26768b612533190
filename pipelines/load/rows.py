"""Final frames → typed column values of the operational tables (装载行), and their fingerprints.

A canonical value goes into its column. A value that does not fit its column — a date that is not a
full ISO date (``2019.03`` left for review), a code longer than its column, a 是/否 field with another
word — keeps its text in ``pending_raw`` (JSON header → text) and the column is NULL, so nothing typed is
lost and the export gives it back. PII headers are returned in plain text here; the writer encrypts them.

Fingerprints (``load_hash``) are HMAC-SM3 under the PII index key over the person's values and child rows, so
equal content gives equal digests without the digest revealing the values (a bare hash of an ID is
guessable).
"""
from __future__ import annotations

import datetime as dt
import hmac
import json
import re

import numpy as np
import pandas as pd
import sqlalchemy as sa

from archives_domain.collection_form import SHEET_COLUMNS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK
from archives_domain.models import Person, PersonStudy, PersonWork
from archives_domain.pinyin import initials_many

KEY = "档案编号"
TABLES = {SHEET_PERSON: Person.__table__, SHEET_STUDY: PersonStudy.__table__, SHEET_WORK: PersonWork.__table__}
BOOL_TEXT = {"是": True, "否": False}
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _na(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v == ""


def _limit(table: sa.Table, column: str) -> int | None:
    t = table.c[column].type
    return getattr(t, "length", None)


def _objects(col: pd.Series) -> np.ndarray:
    """A column as a numpy object array, missing values as None (arrow strings converted once)."""
    return col.to_numpy(dtype=object, na_value=None)


def _per_distinct(values: np.ndarray, convert) -> np.ndarray:
    """`convert` applied once per distinct value (dates and flags repeat a lot); None stays None."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([convert(v) for v in uniques] + [None], dtype=object)
    return mapped[codes]


def _iso_date(v):
    """A full ISO date (the canonical form) as a date; anything else None (kept in pending_raw)."""
    if not isinstance(v, str) or len(v) != 10 or not ISO_DATE.fullmatch(v):
        return None
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        return None


def typed_columns(sheet: str, frame: pd.DataFrame) -> tuple[dict[str, list], list[str | None]]:
    """({column: values}, pending_raw JSON per row) for the headers of `sheet` in `frame` (column-wise)."""
    table = TABLES[sheet]
    n = len(frame)
    pending: dict[int, dict] = {}
    out: dict[str, list] = {}
    for header, (column, kind) in SHEET_COLUMNS[sheet].items():
        if header not in frame.columns or n == 0:
            out[column] = [None] * n
            continue
        col = frame[header]
        text = _objects(col) if isinstance(col.dtype, pd.StringDtype) else \
            np.array([None if _na(v) else str(v) for v in col.tolist()], dtype=object)
        present = (text != None) & (text != "")  # noqa: E711 - elementwise on an object array
        if kind == "date":
            values = _per_distinct(text, _iso_date)
        elif kind == "bool":
            values = _per_distinct(text, BOOL_TEXT.get)
        else:
            values = np.where(present, text, None)
            limit = None if kind == "pii" else _limit(table, column)
            if limit is not None and present.any():
                lengths = np.fromiter((len(v) if v is not None else 0 for v in values), dtype=np.int64, count=n)
                values = np.where(lengths <= limit, values, None)
        fits = values != None  # noqa: E711
        out[column] = values.tolist()
        for i in np.flatnonzero(present & ~fits):
            pending.setdefault(int(i), {})[header] = str(text[i])
    raw = [None] * n
    for i, doc in pending.items():
        raw[i] = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    return out, raw


def add_search_columns(rows: dict[str, list]) -> dict[str, list]:
    """The person rows' search column (拼音首字母) from their final 姓名 — after a clerk's 姓名 was put back —
    by the same domain function as the ORM (about 1 s of CPU for 943k names: each distinct name once)."""
    rows["name_initials"] = initials_many(rows["name"])
    return rows


def row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """A 64-bit hash of each row's `columns` (vectorised; NA distinct from every text; column order counts)."""
    h = np.zeros(len(frame), dtype=np.uint64)
    for c in columns:
        col = pd.util.hash_array(_canon_column(frame[c]), categorize=False)
        h = (h ^ col) * np.uint64(0x100000001B3)  # FNV-style: order-sensitive over the columns
    return h


MISSING = "\x00"


def _canon_column(col: pd.Series) -> np.ndarray:
    """A column as text for hashing: strings as they are, missing and empty as NUL, numbers and dates as
    their text (once per distinct value)."""
    if isinstance(col.dtype, pd.StringDtype):  # every value a str or missing
        values = col.to_numpy(dtype=object, na_value=MISSING)
        values[values == ""] = MISSING
        return values
    out = _per_distinct(_objects(col), _canon_text)
    out[out == None] = MISSING  # noqa: E711
    return out


def _canon_text(v) -> str:
    if _na(v):
        return MISSING
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v)


def group_hashes(frame: pd.DataFrame, columns: list[str], by: str) -> pd.Series:
    """One 64-bit hash per value of `by` over its rows, order-sensitive (rows weighted by their position)."""
    h = row_hashes(frame, columns)
    pos = frame.groupby(by, sort=False).cumcount().to_numpy(dtype=np.uint64) + np.uint64(1)
    weighted = h * (pos * np.uint64(0x9E3779B97F4A7C15) | np.uint64(1))
    return pd.Series(weighted, index=frame.index).groupby(frame[by].to_numpy(), sort=False).sum()


def row_digests(key: bytes, frame: pd.DataFrame, columns: list[str], by: str | None = None) -> pd.Series:
    """HMAC-SM3 of each row's `columns` (or of each group of rows sharing `by`): the keyed digest of a
    vectorised 64-bit hash, so that it is fast and reveals nothing of the values."""
    if by is None:
        hashes = pd.Series(row_hashes(frame, columns), index=frame.index)
    else:
        hashes = group_hashes(frame, columns, by)
    return pd.Series(keyed_digests(key, hashes.to_numpy(dtype=np.uint64)[:, None]), index=hashes.index)


def keyed_digests(key: bytes, hashes: np.ndarray) -> list[str]:
    """HMAC-SM3 (hex) of each row of a 2-d uint64 array: the keyed state prepared once, copied per row."""
    hashes = np.ascontiguousarray(hashes, dtype="<u8")
    raw, width = hashes.tobytes(), hashes.shape[1] * 8
    base = hmac.new(key, b"", "sm3")
    out = []
    for i in range(len(hashes)):
        h = base.copy()
        h.update(raw[i * width:(i + 1) * width])
        out.append(h.hexdigest())
    return out


def combine_digests(key: bytes, *parts) -> str:
    h = hmac.new(key, b"", "sm3")
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\x1e")
    return h.hexdigest()
