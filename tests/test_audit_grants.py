"""Migration 0004 on MySQL/MariaDB under an owner account that is not root: it leaves grants to
`archives db accounts` (tests/test_db_accounts.py) and says so."""
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


def test_migration_under_an_owner_account_leaves_grants_to_db_accounts(app_account, caplog):
    url, user, db = app_account
    engine = make_engine(url)
    try:
        with caplog.at_level(logging.INFO, logger="alembic.runtime.migration"):
            migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        # The owner keeps its rights (no REVOKE); the append-only account is `archives db accounts`'s.
        assert "archives db accounts" in caplog.text and "docs/security.md" in caplog.text
        with engine.begin() as conn:
            conn.execute(sa.text("update audit_chain_head set entries = entries where id = 1"))
            assert conn.execute(sa.text("delete from audit_log where id < 0")).rowcount == 0
    finally:
        engine.dispose()
