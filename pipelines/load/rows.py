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

import numpy as np
import pandas as pd
import sqlalchemy as sa

from archives_domain.collection_form import SHEET_COLUMNS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK
from archives_domain.models import Person, PersonStudy, PersonWork

KEY = "档案编号"
TABLES = {SHEET_PERSON: Person.__table__, SHEET_STUDY: PersonStudy.__table__, SHEET_WORK: PersonWork.__table__}
BOOL_TEXT = {"是": True, "否": False}


def _na(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v == ""


def _limit(table: sa.Table, column: str) -> int | None:
    t = table.c[column].type
    return getattr(t, "length", None)


def typed_columns(sheet: str, frame: pd.DataFrame) -> tuple[dict[str, list], list[str | None]]:
    """({column: values}, pending_raw JSON per row) for the headers of `sheet` in `frame` (vectorised)."""
    table = TABLES[sheet]
    n = len(frame)
    pending: dict[int, dict] = {}
    out: dict[str, list] = {}
    for header, (column, kind) in SHEET_COLUMNS[sheet].items():
        if header not in frame.columns or n == 0:
            out[column] = [None] * n
            continue
        col = frame[header].astype(object)
        text = col.where(col.notna(), None)
        present = text.notna().to_numpy() & (text.astype(str) != "").to_numpy()
        if kind == "date":
            iso = text.astype(str).str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).to_numpy(dtype=bool)
            parsed = pd.to_datetime(text.where(iso & present), format="%Y-%m-%d", errors="coerce")
            fits = present & parsed.notna().to_numpy()
            values = np.array([None] * n, dtype=object)
            if fits.any():
                values[fits] = parsed[fits].dt.date.to_numpy(dtype=object)
        elif kind == "bool":
            mapped = text.map(BOOL_TEXT)
            fits = present & mapped.notna().to_numpy()
            values = np.array([None] * n, dtype=object)
            values[fits] = [bool(v) for v in mapped[fits]]
        else:
            limit = None if kind == "pii" else _limit(table, column)
            fits = present.copy()
            if limit is not None and present.any():
                fits &= (text.astype(str).str.len() <= limit).to_numpy()
            values = np.array([None] * n, dtype=object)
            values[fits] = text[fits].astype(str).to_numpy(dtype=object)
        out[column] = values.tolist()
        for i in np.flatnonzero(present & ~fits):
            pending.setdefault(int(i), {})[header] = str(text.iat[i])
    raw = [None] * n
    for i, doc in pending.items():
        raw[i] = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    return out, raw


def row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """A 64-bit hash of each row's `columns` (vectorised; NA distinct from every text)."""
    if not len(frame):
        return np.zeros(0, dtype=np.uint64)
    text = pd.DataFrame({c: _canon_column(frame[c]) for c in columns})
    return pd.util.hash_pandas_object(text, index=False, categorize=False).to_numpy(dtype=np.uint64)


def _canon_column(col: pd.Series) -> pd.Series:
    """A column as text for hashing, vectorised for text and numbers (dates per value)."""
    obj = col.astype(object)
    sample = next((v for v in obj.to_numpy() if not _na(v)), None)
    if isinstance(sample, (dt.date, dt.datetime)):
        return col.map(_canon_text)
    missing = obj.isna().to_numpy() | (obj.astype(str) == "").to_numpy()
    return obj.astype(str).where(~missing, "\x00")


def _canon_text(v) -> str:
    if _na(v):
        return "\x00"
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
    return hashes.map(lambda x: hmac.new(key, int(x).to_bytes(8, "little"), "sm3").hexdigest())


def combine_digests(key: bytes, *parts) -> str:
    h = hmac.new(key, b"", "sm3")
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\x1e")
    return h.hexdigest()
