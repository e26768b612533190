"""The app starts only on a database at the newest migration, with the right key file."""
from __future__ import annotations

from sqlalchemy import Engine

from archives_domain import migrate
from archives_domain.config import ConfigError
from archives_domain.pii import PiiCodec
from archives_domain.pii.store import verify_keys


def ensure_ready(engine: Engine, codec: PiiCodec) -> None:
    """Raise ConfigError (Chinese, with the fix) unless the schema is at head and the keys fit.

    FAB would otherwise create its own tables or run against a half-migrated
    schema; the schema belongs to `archives db upgrade` alone.
    """
    try:
        current = migrate.current_revision(engine)
    except Exception as exc:  # connection refused, unknown database …
        raise ConfigError(f"无法连接数据库 {engine.url.render_as_string(hide_password=True)}：{exc}") from exc
    head = migrate.head_revision()
    if current != head:
        raise ConfigError(f"数据库结构版本为 {current or '空库'}，本程序需要 {head}：请先执行 archives db upgrade")
    verify_keys(engine, codec, register=False)
