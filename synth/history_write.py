"""业务历史的写入: column-wise rows into a table in the caller's transaction — MySQL/MariaDB by ``LOAD DATA
LOCAL INFILE`` of an Arrow-written file (the format of `pipelines.load.bulk`, which synth may not import),
SQLite by ``executemany``. Offsets of `synth.history_time.Timeline` become dates and timestamps here, by the
column's type in the models."""
from __future__ import annotations

import datetime as dt
import os
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

from archives_domain.db import make_engine
from archives_domain.models import Base

from . import history_rules as R
from .history_events import NEVER

LOAD_FORMAT = ("CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
               "LINES TERMINATED BY '\\n'")
BATCH = 20_000


def engine_for(url: str) -> sa.Engine:
    """An engine that may LOAD DATA LOCAL INFILE on MySQL (plain elsewhere)."""
    if sa.engine.make_url(url).get_backend_name() == "mysql":
        return make_engine(url, connect_args={"local_infile": True})
    return make_engine(url)


def typed(table: str, rows: dict, start: dt.date, agency: str) -> dict[str, np.ndarray | list]:
    """The table's columns from `rows`: offsets → dates (NEVER → NULL), `_day`/`_secs` → the timestamp
    columns, and the shared columns (agency, version, creator, created/updated at the event's day)."""
    t = Base.metadata.tables[table]
    origin = np.datetime64(start, "D")
    n = len(rows["_day"])
    day = origin + np.asarray(rows["_day"], dtype="int64")
    stamp = day.astype("datetime64[s]") + np.asarray(rows.get("_secs", np.full(n, 9 * 3600)), dtype="int64")
    out: dict = {}
    for name, values in rows.items():
        if name.startswith("_"):
            continue
        ctype = t.c[name].type
        if isinstance(ctype, sa.Date):
            v = np.asarray(values, dtype="int64")
            d = origin + v
            d[v <= NEVER] = np.datetime64("NaT")
            out[name] = d
        else:
            out[name] = values
    for name in (c.name for c in t.c if isinstance(c.type, sa.DateTime) and c.name not in out):
        if name in ("created_at", "updated_at", "consult_time", "use_time"):
            out[name] = stamp
    if "revoked_reason" in rows:
        out["revoked_at"] = np.where(np.asarray(rows["revoked"]), stamp + np.int64(86400), np.datetime64("NaT"))
    out.update(agency_code=[agency] * n, version=np.ones(n, dtype="int64"), created_by=[R.CREATED_BY] * n,
               updated_by=[R.CREATED_BY] * n)
    return out


def insert(conn: sa.Connection, table: str, cols: dict) -> int:
    names = list(cols)
    n = len(cols[names[0]]) if names else 0
    if n == 0:
        return 0
    if conn.dialect.name == "mysql":
        return _load_data(conn, table, names, cols)
    t = Base.metadata.tables[table]
    py = {c: _python(v) for c, v in cols.items()}
    for lo in range(0, n, BATCH):
        conn.execute(t.insert(), [{c: py[c][i] for c in names} for i in range(lo, min(n, lo + BATCH))])
    return n


def _python(values) -> list:
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "M":
            return [None if v is None else v for v in values.tolist()]
        if values.dtype.kind == "b":
            return [bool(v) for v in values]
        return values.tolist()
    return list(values)


def _arrow(values) -> pa.Array:
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "b":
            return pa.array(values.astype("int8"))
        if values.dtype.kind == "M":
            return pa.array(values, from_pandas=True)  # NaT → null
        return pa.array(values)
    return pa.array(values, type=pa.string()) if all(v is None or isinstance(v, str) for v in values[:50]) \
        else pa.array(values)


def _load_data(conn: sa.Connection, table: str, names: list[str], cols: dict) -> int:
    arrow = pa.table([_arrow(cols[c]) for c in names], names=[f"c{i}" for i in range(len(names))])
    fd, path = tempfile.mkstemp(prefix="archives-history-", suffix=".tsv")
    os.close(fd)
    try:
        pacsv.write_csv(arrow, path, write_options=pacsv.WriteOptions(
            include_header=False, delimiter="\t", quoting_style="all_valid", null_string="NULL", batch_size=8192))
        col_list = ", ".join(f"`{c}`" for c in names)
        # the rows reference persons, agencies and parents read in this transaction: no per-row FK lookups
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
        try:
            return conn.exec_driver_sql(
                f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE `{table}` {LOAD_FORMAT} ({col_list})").rowcount
        finally:
            conn.exec_driver_sql("SET SESSION foreign_key_checks = 1")
    finally:
        os.unlink(path)
