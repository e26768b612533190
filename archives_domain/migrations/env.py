"""Alembic environment: one migration history for SQLite and MySQL."""
from __future__ import annotations

from alembic import context

from archives_domain.db import make_engine
from archives_domain.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):
    # Used only when generating a revision for a subset of tables.
    tables = config.attributes.get("include_tables")
    if tables is not None and type_ == "table":
        return name in tables
    return True


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url"))
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("离线（--sql）迁移未启用：请直接对数据库执行 archives db upgrade")
run_migrations_online()
