"""Least-privilege database accounts (最小权限数据库账号), MySQL/MariaDB.

The owner account (root, or an account with ALL … WITH GRANT OPTION) runs the
migrations and this module; the programs never use it:

* ``archives_app`` — the web app and the operators' CLI: SELECT/INSERT/UPDATE/DELETE
  on every table granted one by one (a database-wide grant can not be narrowed
  for one table), but only SELECT and INSERT on ``audit_log`` and SELECT and
  UPDATE on ``audit_chain_head``: it can append to the audit log, never change
  or delete a row of it. Reads ``alembic_version`` and ``pii_key`` only.
* ``archives_etl`` — the ingest and analytics pipelines: writes the tables the
  loader writes (persons, their study and work rows, the data-quality tables),
  with ALTER/INDEX on ``person`` for the deferred index rebuild, CREATE
  TEMPORARY TABLES for the staging tables of ``LOAD DATA LOCAL INFILE`` (which
  needs INSERT only), SELECT on the other business tables (the analytics
  models read them), append-only on the audit log (exports are audited), and
  owns the analytics database ``<db>_dw``. No access to the accounts (``ab_*``).
* ``archives_bi`` — report tools: SELECT on the analytics database alone.

Re-running re-creates the grants from the tables that exist now (run it after
every migration that adds tables) and sets new passwords unless told to keep
them. Only this database's and its analytics database's grants are replaced, so
one server can hold several instances (with distinct account names).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

ROLES = ("app", "etl", "bi")
ETL_WRITES = ("person", "person_study", "person_work", "collective_hukou", "dq_load_state", "dq_quarantine", "dq_repair_log",
              "dq_review_item", "dq_run_stat")
DML = "SELECT, INSERT, UPDATE, DELETE"
APPEND_ONLY = {"audit_log": "SELECT, INSERT", "audit_chain_head": "SELECT, UPDATE"}
READ_ONLY_FOR_APP = ("alembic_version", "pii_key")  # the schema and keys belong to the owner's CLI
DW_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX"
_SUFFIX = re.compile(r"^[a-z0-9_]{0,16}$")
# Names and hosts are checked against these before they go into a statement (they can not be bound);
# statements go through text(), which doubles the % of a host wildcard for the driver.
_HOST = re.compile(r"^[A-Za-z0-9.%_:-]{1,255}$")
_DB_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


class AccountsError(RuntimeError):
    """The accounts can not be made here; the message (Chinese) says why."""


@dataclass(frozen=True)
class Account:
    role: str          # app | etl | bi
    name: str
    host: str
    password: str | None  # None: an existing account whose password was kept
    url: str           # with the password (or *** when kept)


def account_names(suffix: str = "") -> dict[str, str]:
    if not _SUFFIX.match(suffix):
        raise AccountsError(f"参数 --suffix 只能由小写字母、数字和下划线组成（至多16个）：{suffix!r}")
    tail = f"_{suffix}" if suffix else ""
    return {role: f"archives_{role}{tail}" for role in ROLES}


def grants(tables: list[str], db: str, dw: str) -> dict[str, list[str]]:
    """The GRANT targets per role: ``(privileges, object)`` rendered as ``PRIVS ON object``."""
    q, dwq = f"`{db}`", f"`{_escape_db(dw)}`"
    app, etl = [], []
    for t in tables:
        obj = f"{q}.`{t}`"
        if t in APPEND_ONLY:
            app.append(f"{APPEND_ONLY[t]} ON {obj}")
            etl.append(f"{APPEND_ONLY[t]} ON {obj}")
        elif t in READ_ONLY_FOR_APP:
            app.append(f"SELECT ON {obj}")
            etl.append(f"SELECT ON {obj}")
        else:
            app.append(f"{DML} ON {obj}")
            if t == "person":
                etl.append(f"{DML}, ALTER, INDEX ON {obj}")
            elif t in ETL_WRITES:
                etl.append(f"{DML} ON {obj}")
            elif not t.startswith("ab_"):
                etl.append(f"SELECT ON {obj}")
    etl += [f"CREATE TEMPORARY TABLES ON `{_escape_db(db)}`.*", f"{DW_PRIVILEGES} ON {dwq}.*"]
    return {"app": app, "etl": etl, "bi": [f"SELECT ON {dwq}.*"]}


def _escape_db(name: str) -> str:
    # In a database-level GRANT, _ and % are wildcards: `archives_dw`.* would also match archivesXdw.
    return name.replace("_", r"\_").replace("%", r"\%")


def create_accounts(engine: Engine, *, host: str = "%", suffix: str = "", keep: bool = False,
                    dw_database: str | None = None) -> list[Account]:
    """Create or update the three accounts on the database of `engine` (an owner's URL); returns them."""
    if engine.dialect.name != "mysql":
        raise AccountsError("最小权限数据库账号仅适用于 MySQL/MariaDB；SQLite 数据库只有文件权限，无需创建账号")
    if not _HOST.match(host):
        raise AccountsError(f"参数 --host 不是有效的主机名或通配符：{host!r}")
    db = engine.url.database
    if not db:
        raise AccountsError("DATABASE_URL 未指定数据库名")
    dw = dw_database or f"{db}_dw"
    if not _DB_NAME.match(dw):
        raise AccountsError(f"参数 --dw-database 不是有效的数据库名（字母、数字、下划线）：{dw!r}")
    names = account_names(suffix)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS `{dw}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        tables = list(conn.execute(text("SELECT table_name FROM information_schema.tables WHERE table_schema = :db "
                                        "AND table_type = 'BASE TABLE' ORDER BY table_name"), {"db": db}).scalars())
        if "audit_log" not in tables:
            raise AccountsError(f"数据库 {db} 尚未迁移（缺少 audit_log 表）：请先执行 archives db upgrade")
        plan = grants(tables, db, dw)
        return [_make(conn, engine, role, names[role], host, keep, plan[role], dw if role == "bi" else db, (db, dw))
                for role in ROLES]


def _make(conn: Connection, engine: Engine, role: str, name: str, host: str, keep: bool, targets: list[str],
          database: str, schemas: tuple[str, str]) -> Account:
    user = f"'{name}'@'{host}'"
    exists = conn.execute(text("SELECT COUNT(*) FROM mysql.user WHERE user = :u AND host = :h"),
                          {"u": name, "h": host}).scalar()
    password = None if (exists and keep) else secrets.token_urlsafe(24)  # URL-safe: no escaping in the URL
    if not exists:
        conn.execute(text(f"CREATE USER {user} IDENTIFIED BY :pw"), {"pw": password})
    elif password is not None:
        conn.execute(text(f"ALTER USER {user} IDENTIFIED BY :pw"), {"pw": password})
    _revoke_on(conn, name, host, schemas)
    for target in targets:
        conn.execute(text(f"GRANT {target} TO {user}"))
    url = engine.url.set(username=name, password=password or "kept", database=database)
    return Account(role, name, host, password, url.render_as_string(hide_password=password is None))


def _revoke_on(conn: Connection, name: str, host: str, schemas: tuple[str, str]) -> None:
    """Take back what the account holds on this instance's two databases (a re-run starts clean;
    grants on other databases of the server stay)."""
    grantee = f"'{name}'@'{host}'"
    wanted = set(schemas)
    for schema, in conn.execute(text("SELECT DISTINCT table_schema FROM information_schema.schema_privileges "
                                     "WHERE grantee = :g"), {"g": grantee}):
        if schema.replace("\\_", "_").replace("\\%", "%") in wanted:
            conn.execute(text(f"REVOKE ALL PRIVILEGES ON `{schema}`.* FROM {grantee}"))
    for schema, table in conn.execute(text("SELECT DISTINCT table_schema, table_name FROM "
                                           "information_schema.table_privileges WHERE grantee = :g"), {"g": grantee}):
        if schema in wanted:
            conn.execute(text(f"REVOKE ALL PRIVILEGES ON `{schema}`.`{table}` FROM {grantee}"))


def drop_accounts(engine: Engine, *, host: str = "%", suffix: str = "") -> None:
    """Drop the three accounts (tests; decommissioning an instance)."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for name in account_names(suffix).values():
            conn.execute(text(f"DROP USER IF EXISTS '{name}'@'{host}'"))
