"""Superset as configured by the archive system, running for real (tests/superset_server.py), on SQLite and
MariaDB: the sync is idempotent; row-level security gives each scope role exactly its agencies' rows (the
numbers equal a direct count in the analytics schema), the province sees all, a user without a scope sees
nothing; guest tokens carry the scope; 分析库 can not be written; the secret is never a default."""
from __future__ import annotations

import os
import stat
import subprocess

import pytest
import requests

from superset_server import (ADMIN_PASSWORD, CITY, COUNTY, PROV, ROOT, USER_PASSWORD, VENV, chart_data,
                             require_venv, sqllab)


def _stats_session(site, username):
    site.set_password(username, USER_PASSWORD)
    return site.login(username, USER_PASSWORD)


def test_second_sync_changes_nothing(superset_site):
    before = superset_site.dump()
    out = superset_site.sync()["stdout"]
    assert "无变化" in out, out
    assert superset_site.dump() == before


def test_sync_made_roles_scope_rules_and_users(superset_site):
    rows = dict(superset_site.metadata_rows(
        "SELECT u.username, group_concat(r.name, ',') FROM ab_user u JOIN ab_user_role ur ON ur.user_id = u.id "
        "JOIN ab_role r ON r.id = ur.role_id GROUP BY u.username"))
    # 统计分析员 holds 自定义查询 → analyst; each user's scope role is their agency's subtree.
    assert sorted(rows["stat_city"].split(",")) == ["archives_analyst", f"scope_{CITY}"]
    assert sorted(rows["stat_county"].split(",")) == ["archives_analyst", f"scope_{COUNTY}"]
    assert sorted(rows["stat_prov"].split(",")) == ["archives_analyst", f"scope_{PROV}"]
    # 档案经办人 holds 综合统计 but not downward: the city agency alone, a role of its own
    assert sorted(rows["clerk_city"].split(",")) == ["archives_analyst", f"scope_{CITY}_self"]
    assert "party_city" not in rows          # no 综合统计 permission: not a Superset user
    rules = dict(superset_site.metadata_rows("SELECT name, clause FROM row_level_security_filters"))
    assert rules[f"archives_scope_{COUNTY}"] == f"agency_code IN ('{COUNTY}')"
    from sqlalchemy.orm import Session

    from archives_domain.analytics_scope import rls_clause, scope_agency_codes
    with Session(superset_site.engine) as s:
        city_scope = scope_agency_codes(s, CITY)
    assert CITY in city_scope and COUNTY in city_scope and PROV not in city_scope
    assert rules[f"archives_scope_{CITY}"] == rls_clause(city_scope)
    assert rules[f"archives_scope_{CITY}_self"] == f"agency_code IN ('{CITY}')"
    assert rules["archives_default_deny"] == "1 = 0"
    # every analytics table with agency_code is a dataset under the rules (SQL Lab filters them too)
    bound = {t for (t,) in superset_site.metadata_rows(
        "SELECT DISTINCT t.table_name FROM rls_filter_tables ft JOIN tables t ON t.id = ft.table_id")}
    assert {"fact_archive_stock", "dim_agency", "dim_person", "fact_business_event"} <= bound
    # SSO users: no password in Superset (tests below give one to call the API as that user)
    assert superset_site.metadata_rows("SELECT password FROM ab_user WHERE username = 'stat_city'") == [(None,)]


@pytest.mark.parametrize("username, scope", [("stat_county", [COUNTY]), ("stat_city", [CITY, COUNTY]),
                                             ("clerk_city", [CITY])])
def test_scope_role_sees_only_its_rows(superset_site, username, scope):
    http = _stats_session(superset_site, username)
    got = chart_data(http, superset_site)
    direct = superset_site.dw_count()
    assert got == {code: n for code, n in direct.items() if code in scope}
    assert got and set(got) == set(scope)


def test_province_sees_every_agency(superset_site):
    http = _stats_session(superset_site, "stat_prov")
    direct = superset_site.dw_count()
    assert chart_data(http, superset_site) == direct
    assert {PROV, CITY, COUNTY} <= set(direct)


def test_sql_lab_is_filtered_too(superset_site):
    http = _stats_session(superset_site, "stat_county")
    r = sqllab(http, superset_site, "SELECT agency_code, SUM(person_count) AS n FROM fact_archive_stock "
                                    "GROUP BY agency_code")
    assert r.status_code == 200, r.text[:1500]
    got = {row["agency_code"]: int(row["n"]) for row in r.json()["data"]}
    assert got == {COUNTY: superset_site.dw_count()[COUNTY]}


def test_analytics_database_can_not_be_written(superset_site):
    admin = superset_site.login("admin", ADMIN_PASSWORD)
    before = superset_site.dw_count()
    r = sqllab(admin, superset_site, "INSERT INTO fact_archive_stock (agency_code, person_count) VALUES ('X', 1)")
    assert r.status_code >= 400, r.text[:500]
    assert superset_site.dw_count() == before
    # …and not only because DML is off in Superset: the connection itself is read-only.
    import sqlalchemy as sa
    uri = superset_site.analytics_uri()
    eng = sa.create_engine(uri)
    try:
        with pytest.raises(sa.exc.DBAPIError) as err, eng.begin() as conn:
            conn.exec_driver_sql("DELETE FROM fact_archive_stock")
        assert "readonly" in str(err.value).lower() or "denied" in str(err.value).lower()
    finally:
        eng.dispose()
    assert superset_site.dw_count() == before


def test_guest_token_carries_the_scope(superset_site):
    from archives_domain.bi.superset_secrets import SERVICE_USERNAME, service_password
    from archives_domain.analytics_scope import rls_clause
    secret = superset_site.secret_file.read_text().strip()
    svc = superset_site.login(SERVICE_USERNAME, service_password(secret))
    dash_id, embedded = superset_site.metadata_rows(
        "SELECT d.id, e.uuid FROM dashboards d JOIN embedded_dashboards e ON e.dashboard_id = d.id "
        "WHERE d.slug = 'archive-stock-overview'")[0]
    embedded_uuid = str(__import__("uuid").UUID(bytes=embedded)) if isinstance(embedded, bytes) else embedded
    body = {"user": {"username": "guest_county", "first_name": "访客", "last_name": ""},
            "resources": [{"type": "dashboard", "id": embedded_uuid}], "rls": [{"clause": rls_clause([COUNTY])}]}
    r = svc.post(f"{superset_site.base_url}/api/v1/security/guest_token/", json=body)
    assert r.status_code == 200, r.text[:1000]
    guest = requests.Session()
    guest.headers.update({"X-GuestToken": r.json()["token"], "Referer": superset_site.base_url})
    assert chart_data(guest, superset_site, extra_form={"dashboardId": dash_id}) == {
        COUNTY: superset_site.dw_count()[COUNTY]}
    # the embedded dashboard's datasets answer a guest (the 6.x 403 regression, PR #38309)
    ds = guest.get(f"{superset_site.base_url}/api/v1/dashboard/{dash_id}/datasets")
    assert ds.status_code == 200, ds.text[:500]
    # a token without a scope clause is refused
    r = svc.post(f"{superset_site.base_url}/api/v1/security/guest_token/", json={**body, "rls": []})
    assert r.status_code == 400, r.text[:500]


def test_secret_is_never_a_default(superset_site):
    mode = stat.S_IMODE(superset_site.secret_file.stat().st_mode)
    assert mode == 0o600
    secret = superset_site.secret_file.read_text().strip()
    assert len(secret) >= 32
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPERSET_", "ARCHIVES_"))}
    check = f"import runpy; c = runpy.run_path({str(ROOT / 'bi' / 'superset_config.py')!r}); print(c['SECRET_KEY'])"
    for bad in ("CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "short"):
        proc = subprocess.run([str(VENV / "bin" / "python"), "-c", check], capture_output=True, text=True,
                              env={**env, "SUPERSET_SECRET_KEY": bad, "ARCHIVES_VAR_DIR": "/nonexistent"})
        assert proc.returncode != 0 and "密钥" in proc.stderr
    proc = subprocess.run([str(VENV / "bin" / "python"), "-c", check], capture_output=True, text=True,
                          env={**env, "ARCHIVES_VAR_DIR": "/nonexistent"})
    assert proc.returncode != 0 and "密钥未配置" in proc.stderr     # no key at all: refuses to start
    proc = subprocess.run([str(VENV / "bin" / "python"), "-c", check], capture_output=True, text=True,
                          env={**env, "ARCHIVES_SUPERSET_SECRET_FILE": str(superset_site.secret_file)})
    assert proc.stdout.strip() == secret


def test_only_the_app_may_frame_superset(superset_site):
    r = requests.get(f"{superset_site.base_url}/login/")
    csp = r.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'self' http://127.0.0.1:5000" in csp
    assert "X-Frame-Options" not in r.headers


def test_missing_venv_skips_outside_ci_only(monkeypatch, tmp_path):
    import superset_server
    monkeypatch.setattr(superset_server, "VENV", tmp_path / "none")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        require_venv()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        require_venv()
