"""Shared fixtures. Every database test runs on SQLite and on MariaDB/MySQL.

The MySQL server comes from TEST_MYSQL_URL (default: root on 127.0.0.1:3306,
as in CI). Each test gets its own fresh database, dropped afterwards. An
unreachable server fails the tests — it is never a silent skip.
"""
from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from archives_domain.config import Settings
from archives_domain.db import make_engine

MYSQL_SERVER = os.environ.get("TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
BACKENDS = [b for b in os.environ.get("ARCHIVES_TEST_BACKENDS", "sqlite,mysql").split(",") if b]


def _mysql_server_engine():
    return sa.create_engine(MYSQL_SERVER + "/?charset=utf8mb4", isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def mysql_server():
    engine = _mysql_server_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:
        pytest.fail(f"MariaDB/MySQL at {MYSQL_SERVER} is not reachable: {exc}", pytrace=False)
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """URL of a fresh, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    server = request.getfixturevalue("mysql_server")
    name = f"archives_t_{uuid.uuid4().hex[:12]}"
    with server.connect() as conn:
        conn.execute(sa.text(f"create database {name} character set utf8mb4 collate utf8mb4_unicode_ci"))
    try:
        yield f"{MYSQL_SERVER}/{name}"
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f"drop database if exists {name}"))


@pytest.fixture
def empty_engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine):
    """A fresh database migrated to the newest revision."""
    from archives_domain import migrate
    migrate.upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings for a test: its own var dir and key file."""
    return Settings.from_env({"ARCHIVES_VAR_DIR": str(tmp_path / "var")})


@pytest.fixture
def codec(settings):
    from archives_domain.pii.store import codec_from_settings
    return codec_from_settings(settings)
