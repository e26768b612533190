"""A real Superset for the tests (imported by conftest.py): started from `.venv-superset` on a free port.

* `superset_template` (session): Superset's metadata database after `superset db upgrade` + `superset init`
  and an `admin` account, made once (≈17 s of CPU) and copied for every site.
* `superset_site` (module, per backend sqlite/mysql): an archive database with the small business data set
  of tests/test_analytics.py, three statistics users (province, city, county), the analytics schema built,
  `archives superset sync` run, and Superset serving it under gunicorn. On MariaDB Superset reads the
  analytics database through the read-only `archives_bi` account made by `archives db accounts`.

Without `.venv-superset` the Superset tests are skipped with a message — except in CI (CI=true), where
that is a failure.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("ARCHIVES_SUPERSET_VENV") or ROOT / ".venv-superset")
PORTS = [int(p) for p in os.environ.get("ARCHIVES_TEST_SUPERSET_PORTS", "8101-8109").split("-")]
ADMIN_PASSWORD = "Admin#Superset1"
USER_PASSWORD = "User#Superset1"
PROV, CITY, COUNTY = "52000001", "52010001", "52010201"
STATS_USERS = {"stat_prov": PROV, "stat_city": CITY, "stat_county": COUNTY}
METADATA_TABLES = ["ab_user", "ab_role", "ab_user_role", "ab_permission_view", "ab_permission_view_role",
                   "row_level_security_filters", "rls_filter_roles", "rls_filter_tables", "dbs", "tables",
                   "table_columns", "sql_metrics", "slices", "dashboards", "dashboard_slices", "embedded_dashboards"]


def require_venv() -> Path:
    if (VENV / "bin" / "superset").exists():
        return VENV
    message = f"Superset 未安装（{VENV}）：执行 make setup 安装 .venv-superset"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    low, high = (PORTS + PORTS)[:2]
    for port in range(low, high + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high}")


def _env(var_dir: Path, metadata: Path, secret_file: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPERSET_", "ARCHIVES_"))}
    env.update({"SUPERSET_CONFIG_PATH": str(ROOT / "bi" / "superset_config.py"), "ARCHIVES_VAR_DIR": str(var_dir),
                "ARCHIVES_SUPERSET_SECRET_FILE": str(secret_file), "FLASK_APP": "superset.app:create_app()",
                "ARCHIVES_SUPERSET_METADATA_URL": f"sqlite:///{metadata}", "PYTHONPATH": ""})
    env.update(extra)
    return env


def _superset(env: dict, *args: str) -> None:
    proc = subprocess.run([str(VENV / "bin" / "superset"), *args], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="session")
def superset_template(tmp_path_factory):
    """The metadata database after upgrade + init + admin account, and the key it was made with."""
    require_venv()
    from archives_domain.config import Settings
    from archives_domain.bi.superset_secrets import ensure_secret
    base = tmp_path_factory.mktemp("superset-template")
    settings = Settings.from_env({"ARCHIVES_VAR_DIR": str(base / "var")})
    secret_file = base / "var" / "keys" / "superset.key"
    ensure_secret(settings, {"ARCHIVES_SUPERSET_SECRET_FILE": str(secret_file)})
    metadata = base / "superset.db"
    env = _env(base / "var", metadata, secret_file, ARCHIVES_SUPERSET_SQLITE_ANALYTICS="1")
    _superset(env, "db", "upgrade")
    _superset(env, "init")
    _superset(env, "fab", "create-admin", "--username", "admin", "--firstname", "平台", "--lastname", "管理员",
              "--email", "admin@example.invalid", "--password", ADMIN_PASSWORD)
    return metadata, secret_file


@dataclass
class Site:
    backend: str
    engine: sa.Engine
    base_url: str
    env: dict            # the environment of the archive CLI (DATABASE_URL, var dir, BI URL…)
    superset_env: dict
    metadata: Path
    secret_file: Path
    proc: subprocess.Popen | None = None
    report: dict = field(default_factory=dict)

    # -- archive side --------------------------------------------------------------------------------------
    def sync(self, *args: str) -> dict:
        """`archives superset sync --skip-init` (the template is initialised already)."""
        proc = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "archives_cli.main", "superset", "sync",
                               "--skip-init", *args], env=self.env, capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        return {"stdout": proc.stdout}

    def dw_count(self, where: str = "") -> dict[str, int]:
        """person_count per agency straight from the analytics schema (the owner's connection)."""
        from pipelines import analytics
        rows = analytics.read_table(self.engine, "fact_archive_stock", where=where, environ={})
        out: dict[str, int] = {}
        for r in rows:
            out[r["agency_code"]] = out.get(r["agency_code"], 0) + int(r["person_count"])
        return out

    def analytics_uri(self) -> str:
        """The URI sync gave Superset for 分析库 (read-only file or the archives_bi account)."""
        from archives_domain.bi.superset_runtime import analytics_uri
        from pipelines.analytics import target_for
        target = target_for(self.engine, {})
        return analytics_uri(target.dialect, target.dw_name, self.env)

    # -- Superset side -------------------------------------------------------------------------------------
    def metadata_rows(self, sql: str, params=()) -> list[tuple]:
        with sqlite3.connect(self.metadata) as conn:
            return conn.execute(sql, params).fetchall()

    def dump(self) -> dict[str, list]:
        """The metadata tables the sync writes, every row, every column (for the idempotency test)."""
        out = {}
        with sqlite3.connect(self.metadata) as conn:
            for t in METADATA_TABLES:
                out[t] = sorted(map(repr, conn.execute(f"SELECT * FROM {t}").fetchall()))
        return out

    def set_password(self, username: str, password: str) -> None:
        """SSO users have no password; the tests give one so they can call the API as that user."""
        from werkzeug.security import generate_password_hash
        with sqlite3.connect(self.metadata) as conn:
            n = conn.execute("UPDATE ab_user SET password = ? WHERE username = ?",
                             (generate_password_hash(password), username)).rowcount
        assert n == 1, username

    def login(self, username: str, password: str) -> requests.Session:
        http = requests.Session()
        r = http.post(f"{self.base_url}/api/v1/security/login",
                      json={"username": username, "password": password, "provider": "db", "refresh": False})
        assert r.status_code == 200, r.text
        http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        csrf = http.get(f"{self.base_url}/api/v1/security/csrf_token/")
        assert csrf.status_code == 200, csrf.text
        http.headers["X-CSRFToken"] = csrf.json()["result"]
        http.headers["Referer"] = self.base_url
        return http

    def database_id(self) -> int:
        return self.metadata_rows("SELECT id FROM dbs WHERE database_name = '分析库'")[0][0]

    def dataset_id(self, table: str) -> int:
        return self.metadata_rows("SELECT id FROM tables WHERE table_name = ?", (table,))[0][0]


def _wait_up(base_url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Superset exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"Superset did not start in {timeout}s: {log.read_text(errors='replace')[-3000:]}")


def seed_site(engine, settings) -> None:
    """Reference data, the small business data set of test_analytics, 贵阳市 under the province (the
    reference list leaves prefectures without a parent), the built-in roles' default grants (sealed, as
    the app gives them at its first start), three 统计分析员 (province, city, county), a city 档案经办人
    (holds 综合统计 by default, sees only the city agency) and a 党务专员 (no 综合统计)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from archives_domain.accounts import grants
    from archives_domain.accounts.roles import ensure_builtin_roles
    from archives_domain.accounts.users import create_user
    from archives_domain.models import Agency, Role
    from archives_domain.pii.store import codec_from_settings
    from ops_app.security.permissions import DEFAULT_GRANTS, expand, universe
    from seeds.loader import load_reference_data
    from test_analytics import seed_business
    load_reference_data(engine)
    seed_business(engine)
    key = grants.seal_key(codec_from_settings(settings).keyring)
    with Session(engine) as s:
        s.get(Agency, CITY).parent_code = PROV
        ensure_builtin_roles(s)
        for role in s.scalars(select(Role).where(Role.name.in_(["统计分析员", "档案经办人", "党务专员"]))):
            grants.set_role_grants(s, key, role, expand(DEFAULT_GRANTS[role.name]), universe())
        users = {**{u: ("统计分析员", a) for u, a in STATS_USERS.items()},
                 "clerk_city": ("档案经办人", CITY), "party_city": ("党务专员", CITY)}
        for username, (role, agency) in users.items():
            create_user(s, username=username, password="Init#Pass1", role_names=[role], agency_code=agency,
                        email=f"{username}@example.invalid")
        s.commit()


@pytest.fixture(scope="module", params=[b for b in os.environ.get("ARCHIVES_TEST_BACKENDS", "sqlite,mysql").split(",")
                                        if b])
def superset_site(request, superset_template, tmp_path_factory):
    from conftest import MYSQL_SERVER, _mysql_server_engine
    from archives_domain import migrate
    from archives_domain.config import Settings
    from archives_domain.db import make_engine
    from pipelines import analytics
    template, secret_file = superset_template
    base = tmp_path_factory.mktemp(f"superset-{request.param}")
    var = base / "var"
    owner, dbname, suffix = None, None, uuid.uuid4().hex[:6]
    if request.param == "sqlite":
        url = f"sqlite:///{base / 'archives.sqlite3'}"
    else:
        owner = _mysql_server_engine()
        dbname = f"ssp_t_{suffix}"
        with owner.connect() as conn:
            conn.execute(sa.text(f"create database {dbname} character set utf8mb4 collate utf8mb4_unicode_ci"))
        url = f"{MYSQL_SERVER}/{dbname}"
    engine = make_engine(url)
    settings = Settings.from_env({"ARCHIVES_VAR_DIR": str(var), "DATABASE_URL": url})
    site_env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPERSET_", "ARCHIVES_DW"))}
    try:
        migrate.upgrade(engine)
        seed_site(engine, settings)
        analytics.build_all(engine, environ={})
        metadata = base / "superset.db"
        shutil.copy(template, metadata)
        site_env.update({"DATABASE_URL": url, "ARCHIVES_VAR_DIR": str(var), "PYTHONPATH": str(ROOT),
                         "ARCHIVES_SUPERSET_SECRET_FILE": str(secret_file),
                         "ARCHIVES_SUPERSET_METADATA_URL": f"sqlite:///{metadata}",
                         "ARCHIVES_APP_ORIGIN": "http://127.0.0.1:5000", "ARCHIVES_SUPERSET_VENV": str(VENV)})
        if owner is not None:
            from archives_domain.db_accounts import create_accounts
            accounts = {a.role: a for a in create_accounts(engine, suffix=suffix)}
            site_env["ARCHIVES_BI_DATABASE_URL"] = accounts["bi"].url
        port = _free_port()
        ss_env = _env(var, metadata, secret_file,
                      ARCHIVES_SUPERSET_SQLITE_ANALYTICS="1" if request.param == "sqlite" else "0",
                      ARCHIVES_APP_ORIGIN="http://127.0.0.1:5000")
        site = Site(request.param, engine, f"http://127.0.0.1:{port}", site_env, ss_env, metadata, secret_file)
        site.report = site.sync()
        log = base / "superset.log"
        with open(log, "wb") as fh:
            site.proc = subprocess.Popen(
                [str(VENV / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
                 "--timeout", "120", "superset.app:create_app()"], env=ss_env, stdout=fh, stderr=subprocess.STDOUT)
        _wait_up(site.base_url, site.proc, log)
        yield site
    finally:
        if "site" in locals() and site.proc is not None:
            site.proc.terminate()
            try:
                site.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                site.proc.kill()
        engine.dispose()
        if owner is not None:
            from archives_domain.db_accounts import drop_accounts
            drop_accounts(make_engine(url), suffix=suffix)
            with owner.connect() as conn:
                conn.execute(sa.text(f"drop database if exists {dbname}"))
                conn.execute(sa.text(f"drop database if exists {dbname}_dw"))
            owner.dispose()


def chart_data(http: requests.Session, site: Site, *, guest: bool = False, extra_form: dict | None = None) -> dict:
    """档案数 per agency_code through /api/v1/chart/data (the test chart's own query)."""
    chart_id = site.metadata_rows("SELECT id FROM slices WHERE slice_name = '档案数（按存档机构）'")[0][0]
    ds = site.dataset_id("fact_archive_stock")
    form = {"slice_id": chart_id, "viz_type": "table", "datasource": f"{ds}__table", **(extra_form or {})}
    body = {"datasource": {"id": ds, "type": "table"}, "force": True, "form_data": form,
            "queries": [{"columns": ["agency_code"], "metrics": ["档案数"], "row_limit": 1000, "orderby": []}],
            "result_format": "json", "result_type": "full"}
    r = http.post(f"{site.base_url}/api/v1/chart/data", json=body)
    assert r.status_code == 200, r.text[:2000]
    rows = r.json()["result"][0]["data"]
    return {row["agency_code"]: int(row["档案数"]) for row in rows}


def sqllab(http: requests.Session, site: Site, sql: str) -> requests.Response:
    return http.post(f"{site.base_url}/api/v1/sqllab/execute/",
                     json={"database_id": site.database_id(), "sql": sql, "runAsync": False, "schema": None,
                           "tab": "t", "client_id": uuid.uuid4().hex[:10]})


def metadata_json(site: Site, sql: str) -> list:
    return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in site.metadata_rows(sql)]
