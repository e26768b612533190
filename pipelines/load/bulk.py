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
import re
import tempfile
import uuid
from decimal import Decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa

from archives_domain.db import make_engine

CHUNK = 1000


def loader_engine(url: str) -> sa.Engine:
    """An engine for the loader: on MySQL with LOCAL INFILE allowed on the client side."""
    if sa.engine.make_url(url).get_backend_name() == "mysql":
        return make_engine(url, connect_args={"local_infile": True})
    return make_engine(url)


def is_mysql(conn: sa.Connection) -> bool:
    return conn.dialect.name == "mysql"


def _tsv(v) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (dt.datetime,)):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, int, Decimal, float)):
        return str(v) if not isinstance(v, dt.date) else v.isoformat()
    return str(v).translate(_ESCAPES)


_SPECIAL = re.compile(r"[\\\t\n\r]")
_SPECIAL_TEXT = re.compile(r"[\t\n\r]|\\(?!N)")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def _column_text(values: list) -> list[str]:
    """One column as LOAD DATA text: backslash, tab and newlines escaped, NULL written \\N."""
    values = values if isinstance(values, list) else list(values)
    texts = [NULL if v is None else v for v in values]
    try:
        joined = "".join(texts)  # a TypeError: not all text (dates, numbers, flags)
        nulls = values.count(None)
    except TypeError:
        return _converted(values)
    # escaping is rare: look for the special characters once over the whole column (the only backslashes
    # allowed unescaped are those of the NULL markers)
    if _SPECIAL_TEXT.search(joined) or joined.count(NULL) != nulls:
        return [NULL if v is None else (v.translate(_ESCAPES) if _SPECIAL.search(v) else v) for v in values]
    return texts


def _converted(values: list) -> list[str]:
    """Dates, timestamps, numbers, flags (and any text among them): each distinct value converted once."""
    first = values[0] if values else None
    if first is not None and first is not pd.NA and not (isinstance(first, float) and first != first):
        try:
            if values.count(first) == len(values):  # one value throughout (timestamps, versions, actors)
                return [_tsv(first)] * len(values)
        except TypeError:  # an NA among them
            pass
    if all(type(v) is int for v in values if v is not None):  # ids, sequence numbers: all distinct
        return [NULL if v is None else str(v) for v in values]
    cache: dict = {}
    out = []
    for v in values:
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):  # NaN too
            out.append(NULL)
            continue
        t = cache.get(v)
        if t is None:
            t = cache[v] = _tsv(v)
        out.append(t)
    return out


def _write_tsv(columns: list[str], rows: dict[str, list]) -> str:
    fd, path = tempfile.mkstemp(prefix="archives-load-", suffix=".tsv")
    texts = [_column_text(rows[c]) for c in columns]
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(map("\t".join, zip(*texts))))
        fh.write("\n")
    return path


def _load_data(conn: sa.Connection, table_name: str, columns: list[str], rows: dict[str, list]) -> int:
    path = _write_tsv(columns, rows)
    try:
        col_list = ", ".join(f"`{c}`" for c in columns)
        sql = (f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE `{table_name}` CHARACTER SET utf8mb4 "
               f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({col_list})")
        return conn.exec_driver_sql(sql).rowcount
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
