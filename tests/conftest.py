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
# The login rate limits' storage in the tests (started by .ci/run); unreachable: the login tests fail, never skip.
REDIS_URL = os.environ.get("ARCHIVES_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = [b for b in os.environ.get("ARCHIVES_TEST_BACKENDS", "sqlite,mysql").split(",") if b]


def pytest_collection_modifyitems(config, items):
    """Tests marked `sqlite_only` (browser flows whose rules are tested on both databases elsewhere) run on the
    SQLite default alone: their MariaDB variants are deselected, not skipped."""
    keep, drop = [], []
    for item in items:
        param = getattr(getattr(item, "callspec", None), "params", {}).get("database_url")
        (drop if item.get_closest_marker("sqlite_only") and param == "mysql" else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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


# -- the operational app ------------------------------------------------------
PROVINCE, COUNTY = "52000001", "52010201"
INITIAL_PASSWORD = "Init#Pass1"


def seed_agencies_and_users(engine, users):
    """Two agencies (province ⊃ county), the built-in roles, and `users` {username: [role, …]}."""
    from sqlalchemy.orm import Session

    from archives_domain.accounts.roles import ensure_builtin_roles
    from archives_domain.accounts.users import create_user
    from archives_domain.models import Agency
    with Session(engine) as s:
        s.add(Agency(code=PROVINCE, name="贵州省人才大市场", level="省级", region_code="520000", active=True))
        s.flush()
        s.add(Agency(code=COUNTY, name="贵阳市南明区人才服务中心", level="县级", region_code="520102",
                     parent_code=PROVINCE, active=True))
        ensure_builtin_roles(s)
        for username, roles in users.items():
            create_user(s, username=username, password=INITIAL_PASSWORD, role_names=roles, agency_code=COUNTY)
        s.commit()


@pytest.fixture
def ops_settings(engine, settings):
    """Settings pointing at the migrated test database (and the test's own key file)."""
    import dataclasses

    from archives_domain.pii.store import codec_from_settings, verify_keys
    s = dataclasses.replace(settings, database_url=engine.url.render_as_string(hide_password=False))
    verify_keys(engine, codec_from_settings(s))
    seed_agencies_and_users(engine, {"clerk1": ["档案经办人"], "sysadm": ["系统管理员"]})
    relax_totp(engine, codec_from_settings(s).keyring, "档案经办人")
    return s


def relax_totp(engine, keyring, *role_names):
    """TOTP is on by default for every role; tests of other controls sign clerks in with the password alone,
    the role relaxed through the same sealed policy a 安全管理员 sets on the 用户权限 page."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from archives_domain.accounts import grants
    from archives_domain.models import Role
    with Session(engine) as s:
        for role in s.scalars(select(Role).where(Role.name.in_(role_names))):
            grants.set_role_policy(s, grants.seal_key(keyring), role, totp_required=False, by="test-fixture")
        s.commit()


@pytest.fixture
def make_ops_app(ops_settings):
    """A factory of apps on the test database; every app's engine is disposed at the end."""
    from ops_app.app import create_app
    apps = []

    def make(**config):
        # The login rate limits on Redis, as in production; a key prefix of this app's own (runs never collide).
        config = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": f"gzda-test-{uuid.uuid4().hex}",
                  **config}
        app = create_app(ops_settings, testing=True, config=config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
            app.extensions["archives_limiter"].storage.reset()  # this app's keys only (its prefix)


@pytest.fixture
def ops_app(make_ops_app):
    return make_ops_app()


# -- Superset (issue 15): a real Superset from .venv-superset, per backend (tests/superset_server.py) -----------
from superset_server import superset_site, superset_template  # noqa: E402,F401  (fixtures)
