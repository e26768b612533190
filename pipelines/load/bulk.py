"""Set-based writes for the load (批量写入): the fastest path each database offers.

MySQL/MariaDB: ``LOAD DATA LOCAL INFILE`` of a tab-separated file straight into the target table (inserts)
or into a session-temporary staging table followed by one ``UPDATE … JOIN`` (updates). Both run inside the
caller's transaction (InnoDB: LOAD DATA is transactional), so a killed run leaves nothing behind.
SQLite: ``executemany`` through SQLAlchemy (the embedded default holds demo-sized data).

The MySQL connection must allow ``LOCAL INFILE`` (`loader_engine`).
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from archives_domain.db import make_engine

CHUNK = 1000


def loader_engine(url: str) -> sa.Engine:
    """An engine for the loader: on MySQL with LOCAL INFILE allowed on the client side."""
    if sa.engine.make_url(url).get_backend_name() == "mysql":
        return make_engine(url, connect_args={"local_infile": True})
    return make_engine(url)


_SHARED: dict[str, sa.Engine] = {}


def shared_loader_engine(url: str) -> sa.Engine:
    """The process's loader engine for `url`, kept for every agency a worker loads (not to be disposed):
    a new MySQL connection costs 35 ms, most of it pymysql building a TLS context, and the migration's
    workers load 103 agencies. One database at a time (another URL disposes of the kept engine); SQLite (a
    file, nothing to reuse) gets a new engine each time."""
    if sa.engine.make_url(url).get_backend_name() != "mysql":
        return loader_engine(url)
    if url not in _SHARED:
        for old in _SHARED.values():
            old.dispose()
        _SHARED.clear()
        _SHARED[url] = loader_engine(url)
    return _SHARED[url]


def is_mysql(conn: sa.Connection) -> bool:
    return conn.dialect.name == "mysql"


# The LOAD DATA file: tab-separated, every value in double quotes (a quote inside doubled), NULL unquoted.
# Written by Arrow's CSV writer (C++), half the time of joining Python strings; no escape character,
# so backslashes and the text "\\N" or "NULL" are data like any other.
LOAD_FORMAT = ("CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
               "LINES TERMINATED BY '\\n'")
_WRITE_OPTIONS = None


def _text(v) -> str | None:
    """A value Arrow could not type with its column (mixed kinds), as the text MySQL reads into the column."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):  # NaN too
        return None
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _arrow_column(values) -> pa.Array:
    """One column of the LOAD DATA file: typed by Arrow (text, integers, decimals, dates, timestamps), flags
    as 0/1, timestamps without a fraction when they have none; a column of mixed kinds as text."""
    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array([_text(v) for v in values], type=pa.string())
    t = arr.type
    if pa.types.is_boolean(t):
        arr = arr.cast(pa.int8())
    elif pa.types.is_timestamp(t):
        try:
            arr = arr.cast(pa.timestamp("s", tz=t.tz))  # safe cast: fails when a fraction would be lost
        except pa.ArrowInvalid:
            pass
    elif pa.types.is_null(t):
        arr = pa.nulls(len(arr), pa.string())
    elif not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)
              or pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_date(t)
              or pa.types.is_timestamp(t)):
        arr = pa.array([_text(v) for v in values], type=pa.string())
    return arr


def _write_file(columns: list[str], rows: dict[str, list]) -> str:
    """The rows as a LOAD DATA file (`LOAD_FORMAT`) in a new temporary file; its path."""
    import pyarrow.csv as pacsv

    global _WRITE_OPTIONS
    if _WRITE_OPTIONS is None:
        _WRITE_OPTIONS = pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="all_valid",
                                            null_string="NULL", batch_size=8192)
    table = pa.table([_arrow_column(rows[c]) for c in columns], names=[f"c{i}" for i in range(len(columns))])
    fd, path = tempfile.mkstemp(prefix="archives-load-", suffix=".tsv")
    os.close(fd)
    try:
        pacsv.write_csv(table, path, write_options=_WRITE_OPTIONS)
    except BaseException:
        os.unlink(path)
        raise
    return path


def load_data_sql(path: str, table_name: str, columns: list[str]) -> str:
    col_list = ", ".join(f"`{c}`" for c in columns)
    return f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE `{table_name}` {LOAD_FORMAT} ({col_list})"


def _load_data(conn: sa.Connection, table_name: str, columns: list[str], rows: dict[str, list]) -> int:
    path = _write_file(columns, rows)
    try:
        return conn.exec_driver_sql(load_data_sql(path, table_name, columns)).rowcount
    finally:
        os.unlink(path)


def insert_rows(conn: sa.Connection, table: sa.Table, rows: dict[str, list]) -> int:
    """Insert column-wise `rows` ({column: values}) into `table`; returns the row count."""
    columns = list(rows)
    n = len(rows[columns[0]]) if columns else 0
    if n == 0:
        return 0
    if is_mysql(conn):
        return _load_data(conn, table.name, columns, rows)
    for start in range(0, n, 20 * CHUNK):
        batch = [{c: rows[c][i] for c in columns} for i in range(start, min(n, start + 20 * CHUNK))]
        conn.execute(table.insert(), batch)
    return n


def update_rows(conn: sa.Connection, table: sa.Table, rows: dict[str, list], *, key: str = "id",
                bump_version: bool = True) -> int:
    """Update the rows of `table` identified by `key` with the other columns of `rows`; bumps ``version``
    (the optimistic lock of business tables, so a clerk's open form sees the change)."""
    columns = [c for c in rows if c != key]
    n = len(rows[key])
    if n == 0:
        return 0
    if is_mysql(conn):
        stage = f"stg_{table.name}_{uuid.uuid4().hex[:8]}"
        # a temporary table does not commit the transaction (unlike other DDL)
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE `{stage}` ENGINE=InnoDB "
                             f"SELECT {', '.join(f'`{c}`' for c in [key, *columns])} FROM `{table.name}` WHERE 1=0")
        try:
            _load_data(conn, stage, [key, *columns], rows)
            sets = ", ".join(f"t.`{c}` = s.`{c}`" for c in columns)
            if bump_version:
                sets += ", t.`version` = t.`version` + 1"
            return conn.exec_driver_sql(
                f"UPDATE `{table.name}` t JOIN `{stage}` s ON t.`{key}` = s.`{key}` SET {sets}").rowcount
        finally:
            conn.exec_driver_sql(f"DROP TEMPORARY TABLE IF EXISTS `{stage}`")
    values = {c: sa.bindparam(f"v_{c}") for c in columns}
    if bump_version:
        values["version"] = table.c.version + 1
    stmt = table.update().where(table.c[key] == sa.bindparam("k_key")).values(**values)
    for start in range(0, n, 20 * CHUNK):
        batch = [{"k_key": rows[key][i], **{f"v_{c}": rows[c][i] for c in columns}}
                 for i in range(start, min(n, start + 20 * CHUNK))]
        conn.execute(stmt, batch)
    return n


def delete_in(conn: sa.Connection, table: sa.Table, column: str, values: list, *extra) -> int:
    """DELETE … WHERE column IN (values) [AND extra…], in chunks."""
    total = 0
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        total += conn.execute(table.delete().where(table.c[column].in_(chunk), *extra)).rowcount
    return total
