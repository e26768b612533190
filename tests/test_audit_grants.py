"""Migration 0004 on MySQL/MariaDB under an account that is not root."""
from __future__ import annotations

import logging
import uuid

import pytest
import sqlalchemy as sa

from archives_domain import migrate
from archives_domain.db import make_engine
from conftest import BACKENDS

pytestmark = pytest.mark.skipif("mysql" not in BACKENDS, reason="MySQL/MariaDB only")


@pytest.fixture
def app_account(mysql_server):
    """A fresh database and an account holding everything on it (WITH GRANT OPTION), not root."""
    suffix = uuid.uuid4().hex[:10]
    db, user, password = f"archives_t_{suffix}", f"arch_{suffix}", "Pw#" + suffix
    host = mysql_server.url.host
    with mysql_server.connect() as conn:
        conn.execute(sa.text(f"create database {db} character set utf8mb4 collate utf8mb4_unicode_ci"))
        for h in ("%", "localhost", "127.0.0.1"):
            conn.execute(sa.text(f"create user '{user}'@'{h}' identified by '{password}'"))
            conn.execute(sa.text(f"grant all on {db}.* to '{user}'@'{h}' with grant option"))
    yield f"mysql+pymysql://{user}:{password}@{host}:{mysql_server.url.port or 3306}/{db}", user, db
    with mysql_server.connect() as conn:
        conn.execute(sa.text(f"drop database if exists {db}"))
        for h in ("%", "localhost", "127.0.0.1"):
            conn.execute(sa.text(f"drop user if exists '{user}'@'{h}'"))


def test_migration_under_a_database_wide_grant_warns_instead_of_failing(app_account, caplog):
    url, user, db = app_account
    engine = make_engine(url)
    try:
        with caplog.at_level(logging.INFO, logger="alembic.runtime.migration"):
            migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        # MySQL cannot take UPDATE/DELETE off one table of a db.* grant: the migration says so, pointing at the doc.
        assert "docs/security.md" in caplog.text
    finally:
        engine.dispose()
