"""Builds the analytics schema (分析库) from the SQL models of `warehouse_models`.

Where the schema lives
    MariaDB/MySQL: a database beside the operational one, ``<ops database>_dw`` (or
    ``ARCHIVES_DW_DATABASE``), created if absent (utf8mb4_unicode_ci), so Superset's account
    can be granted SELECT on it alone. SQLite: a separate file ATTACHed to the operational
    connection as ``dw`` (the operational database is ``main``): ``ARCHIVES_DW_PATH``, else
    ``analytics.sqlite3`` beside the operational file — for the default configuration that
    is ``<var>/analytics.sqlite3``; beside the file rather than under ``ARCHIVES_VAR_DIR`` so a
    database elsewhere (a test's, a copy) never shares its analytics file with another.

How a model is built (`build_model`)
    * ``rebuild`` models: ``CREATE TABLE <name>__new AS <SELECT>``, then the swap. On MySQL the
      indexes are made on ``__new`` and ``RENAME TABLE x TO x__old, x__new TO x`` swaps in one
      atomic statement (then ``x__old`` is dropped); on SQLite the whole build (create, drop
      old, rename, indexes) is one transaction. Readers see the old table or the new one, never
      a half one; a failing SELECT leaves the old table as it was.
    * ``append_daily`` models (``fact_archive_stock``): in one transaction, the snapshot day's
      rows are deleted and inserted again, so a day built twice is one copy and the history
      accumulates. The table is created by the first build (from that day's SELECT). If the
      model's columns change, the build stops with a message instead of mixing shapes.

Rendering (`render`)
    ``{{ops}}``/``{{dw}}`` become the schema qualifiers, ``{{today}}`` a DATE literal of the
    snapshot day (Beijing time unless given), and the function macros of `DIALECT_MACROS` (the
    few spellings the two backends do not share: date parts, date arithmetic, concatenation).
    Macros nest; the innermost is expanded first.

Decisions changed from the brief (and why)
    * The SQLite file sits beside the operational file (see above), not always under ``<var>``.
    * ``dim_date`` carries no ``agency_code`` (a calendar is the same for every agency); every
      other table does.
    * The analytics assets are in ``ALL_ASSETS`` and the ``nightly`` job, not in ``ASSETS``:
      ``materialize(ASSETS, partition_key=…)`` (`archives ingest`, tests) and the nightly
      schedule's per-agency runs would otherwise rebuild the schema once per agency, concurrently.
      The nightly rebuild is one run requested by the ``analytics_after_nightly`` sensor when
      every agency run of that night has finished (`pipelines.schedules`).
    * Index columns are checked against the built table first: SQLite would otherwise index a
      missing double-quoted column name as a string constant without complaint.

`check_model` returns the checks the Dagster assets report beside each table. Nothing here
connects at import; callers pass an engine (`archives_domain.db.make_engine`).
"""
from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, inspect, text

import warehouse_models
from warehouse_models import APPEND_DAILY, Model

BEIJING = ZoneInfo("Asia/Shanghai")
SQLITE_ALIAS = "dw"
_NAME = re.compile(r"^[A-Za-z0-9_]+$")

# One template per macro and backend; {0}, {1}, … are the macro's arguments (already rendered).
DIALECT_MACROS: dict[str, dict[str, str]] = {
    "sqlite": {
        "date_key": "CAST(strftime('%Y%m%d', {0}) AS INTEGER)",
        "year": "CAST(strftime('%Y', {0}) AS INTEGER)",
        "month": "CAST(strftime('%m', {0}) AS INTEGER)",
        "day": "CAST(strftime('%d', {0}) AS INTEGER)",
        "weekday": "(CASE strftime('%w', {0}) WHEN '0' THEN 7 ELSE CAST(strftime('%w', {0}) AS INTEGER) END)",
        "add_days": "date({0}, '+' || ({1}) || ' days')",
        "days_between": "CAST(julianday({1}) - julianday({0}) AS INTEGER)",
        "year_start": "printf('%04d-01-01', {0})",
        "year_end": "printf('%04d-12-31', {0})",
        "pad2": "printf('%02d', {0})",
        "concat": "({args_pipes})",
        "month_start": "date({0}, 'start of month')",
        # calendar months clamped at the month's end (2026-01-31 + 1 = 2026-02-28), as MySQL and
        # `archives_domain.deadlines.add_months` count them; SQLite's own '+N months' would roll over
        "add_months": "MIN(date({0}, 'start of month', printf('%+d months', {1}), "
                      "'+' || (CAST(strftime('%d', {0}) AS INTEGER) - 1) || ' days'), "
                      "date({0}, 'start of month', printf('%+d months', ({1}) + 1), '-1 day'))",
    },
    "mysql": {
        "date_key": "(YEAR({0}) * 10000 + MONTH({0}) * 100 + DAYOFMONTH({0}))",
        "year": "YEAR({0})",
        "month": "MONTH({0})",
        "day": "DAYOFMONTH({0})",
        "weekday": "(WEEKDAY({0}) + 1)",
        "add_days": "DATE_ADD({0}, INTERVAL ({1}) DAY)",
        "days_between": "DATEDIFF({1}, {0})",
        "year_start": "MAKEDATE({0}, 1)",
        "year_end": "DATE_SUB(MAKEDATE(({0}) + 1, 1), INTERVAL 1 DAY)",
        "pad2": "LPAD({0}, 2, '0')",
        "concat": "CONCAT({args_comma})",
        "month_start": "DATE_SUB({0}, INTERVAL DAYOFMONTH({0}) - 1 DAY)",
        "add_months": "DATE_ADD({0}, INTERVAL ({1}) MONTH)",
    },
}


def _deadline_months(business_type: str) -> str:
    """期限（月）: the number of months of a rule of `archives_domain.deadlines` (by its 待办类型), so the
    models count the deadlines the to-dos count."""
    from archives_domain.deadlines import RULES
    for rule in RULES:
        if rule.business_type == business_type.strip().strip("'\""):
            return str(rule.months)
    raise AnalyticsError(f"未知的期限规则：{business_type}（可选：{', '.join(r.business_type for r in RULES)}）")


def _repair_rule_text(column: str) -> str:
    """修复规则说明: a CASE giving each repair rule's Chinese description (`dq_rules.repair_rules.RULES`),
    the rule's own name where the table has none."""
    from dq_rules.repair_rules import RULES
    whens = " ".join(f"WHEN '{name}' THEN '{rule['text'].replace(chr(39), chr(39) * 2)}'"
                     for name, rule in sorted(RULES.items()) if rule.get("text"))
    return f"(CASE {column} {whens} ELSE {column} END)"


# Macros whose value comes from the domain's rules (data), the same on both backends.
DATA_MACROS = {"deadline_months": _deadline_months, "repair_rule_text": _repair_rule_text}
_MACRO = re.compile(r"\{\{\s*(\w+)\s*(?:\(([^{}]*)\))?\s*\}\}", re.S)


class AnalyticsError(RuntimeError):
    """A model could not be built; the message names the model and the cause."""


@dataclass(frozen=True)
class Target:
    """Where the analytics schema lives for one operational database."""

    dialect: str   # "sqlite" | "mysql"
    ops: str       # qualifier of the operational schema in SQL
    dw: str        # qualifier of the analytics schema in SQL
    dw_name: str   # MySQL database name, or the SQLite file path

    def q(self, table: str) -> str:
        return f"{self.dw}.{_quote(self.dialect, table)}"


@dataclass(frozen=True)
class BuildResult:
    model: str
    rows: int
    seconds: float
    mode: str
    snapshot_date: str | None = None


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    severity: str   # "ERROR" | "WARN"
    description: str
    detail: dict


def _quote(dialect: str, name: str) -> str:
    if not _NAME.match(name):
        raise AnalyticsError(f"不合法的名称：{name!r}")
    return f"`{name}`" if dialect == "mysql" else f'"{name}"'


def beijing_today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def target_for(engine: Engine, environ: dict | None = None) -> Target:
    env = os.environ if environ is None else environ
    url = engine.url
    backend = url.get_backend_name()
    if backend == "mysql":
        ops_db = url.database
        if not ops_db:
            raise AnalyticsError("DATABASE_URL 未指定数据库名，无法确定分析库")
        dw_db = env.get("ARCHIVES_DW_DATABASE") or f"{ops_db}_dw"
        return Target("mysql", _quote("mysql", ops_db), _quote("mysql", dw_db), dw_db)
    if backend == "sqlite":
        explicit = env.get("ARCHIVES_DW_PATH")
        if explicit:
            path = Path(explicit)
        elif url.database and url.database != ":memory:":
            path = Path(url.database).resolve().parent / "analytics.sqlite3"
        else:
            from archives_domain.config import Settings
            path = Settings.from_env(env).var_dir / "analytics.sqlite3"
        return Target("sqlite", "main", SQLITE_ALIAS, str(path))
    raise AnalyticsError(f"不支持的数据库类型：{backend}")


# -- rendering -----------------------------------------------------------------------------
def _split_args(args: str) -> list[str]:
    """Split macro arguments at top-level commas (not inside parentheses or quotes)."""
    out, depth, quote, cur = [], 0, None, []
    for ch in args:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if cur or out:
        out.append("".join(cur).strip())
    return out


def render(sql: str, target: Target, today: dt.date) -> str:
    """The model SQL for `target`: qualifiers, the snapshot date and the dialect macros."""
    macros = DIALECT_MACROS[target.dialect]
    if not isinstance(today, dt.date):
        raise AnalyticsError(f"快照日期必须是日期：{today!r}")
    day = today.isoformat()
    simple = {"ops": target.ops, "dw": target.dw,
              "today": f"CAST('{day}' AS DATE)" if target.dialect == "mysql" else f"'{day}'"}

    def expand(m: re.Match) -> str:
        name, args = m.group(1), m.group(2)
        if args is None:
            if name not in simple:
                raise AnalyticsError(f"未知的占位符：{{{{{name}}}}}")
            return simple[name]
        if name in DATA_MACROS:
            return DATA_MACROS[name](args)
        if name not in macros:
            raise AnalyticsError(f"未知的宏：{name}（可用：{', '.join(sorted(macros))}）")
        parts = _split_args(args)
        return macros[name].format(*parts, args_pipes=" || ".join(parts), args_comma=", ".join(parts))

    for _ in range(50):
        new = _MACRO.sub(expand, sql)
        if new == sql:
            break
        sql = new
    if "{{" in sql:
        raise AnalyticsError("模型 SQL 中有未展开的占位符")
    return sql


def _select(model: Model, target: Target, today: dt.date) -> str:
    sql = render(model.sql(), target, today).strip().rstrip(";").strip()
    return sql


# -- connections -----------------------------------------------------------------------------
@contextmanager
def connect(engine: Engine, environ: dict | None = None) -> Iterator[tuple[Connection, Target]]:
    """A connection in autocommit mode (transactions are begun explicitly) that sees both schemas."""
    target = target_for(engine, environ)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        attached = False
        if target.dialect == "sqlite":
            names = {row[1] for row in conn.exec_driver_sql("PRAGMA database_list")}
            if SQLITE_ALIAS not in names:
                Path(target.dw_name).parent.mkdir(parents=True, exist_ok=True)
                conn.exec_driver_sql(f"ATTACH DATABASE ? AS {SQLITE_ALIAS}", (target.dw_name,))
                # 0600 whatever the umask (SQLite gives its journal files the database file's mode)
                if Path(target.dw_name).exists():
                    os.chmod(target.dw_name, 0o600)
                conn.exec_driver_sql(f"PRAGMA {SQLITE_ALIAS}.journal_mode=WAL")
                attached = True
        else:
            conn.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS {target.dw} "
                                 "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        try:
            yield conn, target
        finally:
            if attached:
                conn.exec_driver_sql(f"DETACH DATABASE {SQLITE_ALIAS}")


@contextmanager
def _transaction(conn: Connection):
    conn.exec_driver_sql("BEGIN")
    try:
        yield
    except BaseException:
        conn.exec_driver_sql("ROLLBACK")
        raise
    conn.exec_driver_sql("COMMIT")


def _schema(target: Target) -> str:
    return SQLITE_ALIAS if target.dialect == "sqlite" else target.dw_name


def table_exists(conn: Connection, target: Target, table: str) -> bool:
    return inspect(conn).has_table(table, schema=_schema(target))


def table_columns(conn: Connection, target: Target, table: str) -> list[str]:
    return [c["name"] for c in inspect(conn).get_columns(table, schema=_schema(target))]


def _count(conn: Connection, target: Target, table: str) -> int:
    return int(conn.execute(text(f"SELECT COUNT(*) FROM {target.q(table)}")).scalar())


def _index_sql(target: Target, table: str, built_as: str, cols: tuple[str, ...], n: int) -> str:
    """CREATE INDEX for `cols` of the table (named after the final table)."""
    name = f"ix_{table}_{n}_{'_'.join(cols)}"[:60]
    col_list = ", ".join(_quote(target.dialect, c) for c in cols)
    if target.dialect == "sqlite":  # the index name carries the schema, the table does not
        return f"CREATE INDEX {SQLITE_ALIAS}.{_quote('sqlite', name)} ON {_quote('sqlite', built_as)} ({col_list})"
    return f"CREATE INDEX {_quote('mysql', name)} ON {target.q(built_as)} ({col_list})"


# -- building --------------------------------------------------------------------------------
def _check_index_columns(conn: Connection, target: Target, model: Model, table: str) -> None:
    """Every index column is a column of the built table (SQLite would index a missing "name" as a
    string constant without a word)."""
    have = {c.lower() for c in table_columns(conn, target, table)}
    missing = sorted({c for cols in model.indexes for c in cols if c.lower() not in have})
    if missing:
        raise AnalyticsError(f"{model.name}: 索引列不在模型结果中：{', '.join(missing)}")


def _rebuild(conn: Connection, target: Target, model: Model, select_sql: str) -> None:
    name, new, old = model.name, f"{model.name}__new", f"{model.name}__old"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {target.q(new)}")
    if target.dialect == "sqlite":
        with _transaction(conn):
            conn.exec_driver_sql(f"CREATE TABLE {target.q(new)} AS {select_sql}")
            _check_index_columns(conn, target, model, new)
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {target.q(name)}")
            conn.exec_driver_sql(f"ALTER TABLE {target.q(new)} RENAME TO {_quote('sqlite', name)}")
            for n, cols in enumerate(model.indexes):
                conn.exec_driver_sql(_index_sql(target, name, name, cols, n))
        return
    try:
        conn.exec_driver_sql(f"CREATE TABLE {target.q(new)} AS {select_sql}")
        _check_index_columns(conn, target, model, new)
        for n, cols in enumerate(model.indexes):
            conn.exec_driver_sql(_index_sql(target, name, new, cols, n))
    except BaseException:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {target.q(new)}")
        raise
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {target.q(old)}")
    if table_exists(conn, target, name):
        # one statement, atomic: readers see the old table or the new one
        conn.exec_driver_sql(f"RENAME TABLE {target.q(name)} TO {target.q(old)}, {target.q(new)} TO {target.q(name)}")
        conn.exec_driver_sql(f"DROP TABLE {target.q(old)}")
    else:
        conn.exec_driver_sql(f"RENAME TABLE {target.q(new)} TO {target.q(name)}")


def _append_daily(conn: Connection, target: Target, model: Model, select_sql: str, today: dt.date) -> None:
    name = model.name
    day = today.isoformat()
    if not table_exists(conn, target, name):
        if target.dialect == "sqlite":
            with _transaction(conn):
                conn.exec_driver_sql(f"CREATE TABLE {target.q(name)} AS {select_sql}")
                _check_index_columns(conn, target, model, name)
                for n, cols in enumerate(model.indexes):
                    conn.exec_driver_sql(_index_sql(target, name, name, cols, n))
        else:  # built under a temporary name, so a failure never leaves a half-made history table
            _rebuild(conn, target, model, select_sql)
        return
    have = table_columns(conn, target, name)
    probe = conn.exec_driver_sql(f"SELECT * FROM ({select_sql}) q WHERE 1 = 0")
    want = list(probe.keys())
    probe.close()
    if [c.lower() for c in have] != [c.lower() for c in want]:
        raise AnalyticsError(
            f"{name}: 模型的列 {want} 与已有历史表的列 {have} 不一致；请迁移历史表（或删除后重建，历史将丢失）")
    cols = ", ".join(_quote(target.dialect, c) for c in have)
    day_literal = f"CAST('{day}' AS DATE)" if target.dialect == "mysql" else f"'{day}'"
    with _transaction(conn):
        conn.exec_driver_sql(f"DELETE FROM {target.q(name)} WHERE snapshot_date = {day_literal}")
        conn.exec_driver_sql(f"INSERT INTO {target.q(name)} ({cols}) {select_sql}")


def build_model(engine: Engine, name: str, *, today: dt.date | None = None,
                environ: dict | None = None) -> BuildResult:
    """Build one model (see the module docstring); returns its row count afterwards."""
    model = warehouse_models.get(name)
    today = today or beijing_today()
    t0 = time.perf_counter()
    with connect(engine, environ) as (conn, target):
        select_sql = _select(model, target, today)
        try:
            if model.mode == APPEND_DAILY:
                _append_daily(conn, target, model, select_sql, today)
            else:
                _rebuild(conn, target, model, select_sql)
        except AnalyticsError:
            raise
        except Exception as exc:
            raise AnalyticsError(f"分析模型 {name} 构建失败：{exc}") from exc
        rows = _count(conn, target, name)
    return BuildResult(name, rows, round(time.perf_counter() - t0, 3), model.mode,
                       today.isoformat() if model.mode == APPEND_DAILY else None)


def build_all(engine: Engine, names=None, *, today: dt.date | None = None,
              environ: dict | None = None) -> list[BuildResult]:
    """Build `names` (default: every model) with each model after its upstream models."""
    today = today or beijing_today()
    return [build_model(engine, m.name, today=today, environ=environ)
            for m in warehouse_models.build_order(names)]


def read_table(engine: Engine, name: str, *, where: str = "", environ: dict | None = None) -> list[dict]:
    """All rows of an analytics table as dicts (tests, checks, small tables)."""
    with connect(engine, environ) as (conn, target):
        sql = f"SELECT * FROM {target.q(name)}" + (f" WHERE {where}" if where else "")
        return [dict(r._mapping) for r in conn.execute(text(sql))]


# -- checks ------------------------------------------------------------------------------------
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID18 = re.compile(r"(?<!\d)\d{17}[0-9Xx](?!\d)")
_ID15 = re.compile(r"(?<!\d)\d{15}(?!\d)")


# surrogate keys and counts are numbers of the warehouse; a USCC (统一社会信用代码) is an organisation's public code
PII_EXEMPT_SUFFIXES = ("_key", "_count", "_uscc")


def pii_offences(rows: list[dict], limit: int = 20) -> list[str]:
    """Values that look like an 18-digit (or 15-digit) ID number or an 11-digit mobile number, or a
    name that is more than a surname and '*'."""
    from archives_domain.identity import is_valid_id
    found = []
    for row in rows:
        for col, value in row.items():
            if value is None or col.endswith(PII_EXEMPT_SUFFIXES):
                continue
            s = str(value)
            hit = (_PHONE.search(s) or _ID15.search(s)
                   or any(is_valid_id(m.group(0).upper()) for m in _ID18.finditer(s)))
            if col == "name_masked" and not re.fullmatch(r".\*", s):
                hit = True
            if hit:
                found.append(f"{col}={s[:4]}…")
                if len(found) >= limit:
                    return found
    return found


def _pii_candidates_sql(target: Target, name: str, columns: list[str]) -> str:
    """The rows that could hold plain PII, selected in the database (one scan, instead of every row of a
    943k-row dimension through Python): a value with a run of 11+ digits (mobile, 15- and 18-digit IDs),
    or a masked name that is not one character and '*'. `pii_offences` then decides on those few rows."""
    def digits(col: str) -> str:
        if target.dialect == "sqlite":
            return f"CAST({_quote('sqlite', col)} AS TEXT) GLOB '*{'[0-9]' * 11}*'"
        return f"CAST({_quote(target.dialect, col)} AS CHAR) REGEXP '[0-9]{{11}}'"

    conds = [digits(c) for c in columns if not c.endswith(PII_EXEMPT_SUFFIXES)]
    if "name_masked" in columns:
        length = "LENGTH" if target.dialect == "sqlite" else "CHAR_LENGTH"
        conds.append(f"(name_masked IS NOT NULL AND ({length}(name_masked) <> 2 OR SUBSTR(name_masked, 2, 1) <> '*'))")
    return f"SELECT * FROM {target.q(name)} WHERE " + (" OR ".join(conds) if conds else "1 = 0")


def check_model(engine: Engine, name: str, *, environ: dict | None = None) -> list[CheckOutcome]:
    """The checks of a built model: rows present, agency_code never null, no plain PII (dim_person)."""
    model = warehouse_models.get(name)
    out = []
    with connect(engine, environ) as (conn, target):
        rows = _count(conn, target, name)
        out.append(CheckOutcome("has_rows", rows > 0, "ERROR" if model.must_have_rows else "WARN",
                                "表中有数据" + ("（必须）" if model.must_have_rows else "（业务尚无数据时仅警告）"),
                                {"rows": rows}))
        if model.has_agency:
            nulls = int(conn.execute(text(
                f"SELECT COUNT(*) FROM {target.q(name)} WHERE agency_code IS NULL")).scalar())
            out.append(CheckOutcome("agency_code_not_null", nulls == 0, "ERROR",
                                    "每行都有 agency_code（行级权限按机构过滤）", {"null_rows": nulls}))
        if model.pii_scan:
            columns = table_columns(conn, target, name)
            data = [dict(r._mapping) for r in conn.execute(text(_pii_candidates_sql(target, name, columns)))]
            forbidden = [c for c in columns
                         if c.endswith(("_enc", "_bidx")) or c in ("name", "id_number", "phone", "archive_no")]
            offences = pii_offences(data)
            out.append(CheckOutcome("no_plain_pii", not offences and not forbidden, "ERROR",
                                    "无身份证号、手机号、全名（姓名仅保留姓氏加*）",
                                    {"offences": offences[:20], "forbidden_columns": forbidden}))
    return out
