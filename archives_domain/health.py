"""Database health checks (`archives db check`): connection, schema version, character set, keys."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

from .config import ConfigError, Settings


@dataclass(frozen=True)
class CheckItem:
    name: str
    ok: bool
    detail: str


def check_database(engine: Engine, settings: Settings) -> list[CheckItem]:
    items: list[CheckItem] = []
    try:
        with engine.connect() as conn:
            version = conn.execute(text(
                "select sqlite_version()" if engine.dialect.name == "sqlite" else "select version()")).scalar()
    except Exception as exc:  # the point is to report any failure to connect
        return [CheckItem("连接", False, f"无法连接 {engine.url.render_as_string(hide_password=True)}：{exc}")]
    items.append(CheckItem("连接", True, f"{engine.dialect.name} {version}"))
    items.append(_schema_version(engine))
    items.extend(_charset(engine))
    items.append(_keys(engine, settings))
    return items


def _schema_version(engine: Engine) -> CheckItem:
    from . import migrate
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current == head:
        return CheckItem("迁移版本", True, f"{current}（最新）")
    return CheckItem("迁移版本", False, f"当前 {current or '空库'}，最新 {head}；请执行 archives db upgrade")


def _charset(engine: Engine) -> list[CheckItem]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            enc = conn.execute(text("pragma encoding")).scalar()
            return [CheckItem("字符集", enc == "UTF-8", f"SQLite {enc}")]
        db_charset = conn.execute(text("select @@character_set_database")).scalar()
        bad_tables = conn.execute(text(
            "select table_name, engine, table_collation from information_schema.tables "
            "where table_schema = database() and table_type = 'BASE TABLE' "
            "and (engine <> 'InnoDB' or table_collation not like 'utf8mb4%')")).all()
        bad_cols = conn.execute(text(
            "select table_name, column_name, character_set_name from information_schema.columns "
            "where table_schema = database() and character_set_name is not null "
            "and character_set_name <> 'utf8mb4'")).all()
    items = [CheckItem("库字符集", db_charset == "utf8mb4", db_charset)]
    items.append(CheckItem(
        "表引擎与字符集", not bad_tables,
        "全部为 InnoDB/utf8mb4" if not bad_tables else
        "；".join(f"{t} {e} {c}" for t, e, c in bad_tables[:10])))
    items.append(CheckItem(
        "列字符集", not bad_cols,
        "全部为 utf8mb4" if not bad_cols else "；".join(f"{t}.{c} {s}" for t, c, s in bad_cols[:10])))
    return items


def _keys(engine: Engine, settings: Settings) -> CheckItem:
    from .pii.store import codec_from_settings, verify_keys
    try:
        codec = codec_from_settings(settings)
        verify_keys(engine, codec, register=False)
    except ConfigError as exc:
        return CheckItem("个人信息密钥", False, str(exc))
    except Exception as exc:  # e.g. pii_key table missing before the first upgrade
        return CheckItem("个人信息密钥", False, f"无法核对：{exc}")
    return CheckItem("个人信息密钥", True, f"当前密钥 {codec.keyring.active}，与数据库登记一致")
