"""Single sign-on into a real Superset 6.1 through the app (synced by `archives superset sync`, as in
test_bi_overview_browser), in headless Chromium, on SQLite and MariaDB: a 统计分析员 of the prefecture goes
from Superset's login to the app's login page and back, holds the Superset roles the app computes
(archives_analyst, scope_<agency>), and SQL Lab returns only the rows of their scope (equal to a direct
count); a 查询员 without 数据概览/自定义查询 is refused by the provider (Chinese page); the service account's
guest token carries the scope as RLS, and one without an agency clause is refused.
Screenshots docs/screenshots/bi-sso-superset.png, bi-sso-refused.png."""
from __future__ import annotations

import sqlite3
import uuid

import jwt
import pytest

from archives_domain.analytics_access import service_credentials
from archives_domain.analytics_scope import rls_clause
from archives_domain.superset_api import SupersetClient, SupersetError
from biz_seed import COUNTY_C, PREFECTURE
from ops_http import NEW_PASSWORD
from test_bi_overview_browser import _dw_counts, site  # noqa: F401 (fixture)
from test_ops_browser import SCREENSHOTS, page  # noqa: F401 (fixture)


def _sso(page, site, username):
    page.goto(site["superset"] + "/login/archives")
    page.wait_for_url(site["app_url"] + "/login/**")
    page.fill("#username", username)
    page.fill("#password", NEW_PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state("load")


def _superset_roles(meta, username):
    with sqlite3.connect(meta) as conn:
        return sorted(r[0] for r in conn.execute(
            "select r.name from ab_user u join ab_user_role ur on ur.user_id = u.id join ab_role r on r.id = ur.role_id"
            " where u.username = ?", (username,)))


def _sqllab(page, site, sql):
    base = site["superset"]
    csrf = page.request.get(base + "/api/v1/security/csrf_token/").json()["result"]
    with sqlite3.connect(site["meta"]) as conn:
        db_id = conn.execute("select id from dbs where database_name = '分析库'").fetchone()[0]
    r = page.request.post(base + "/api/v1/sqllab/execute/", headers={"X-CSRFToken": csrf, "Referer": base},
                          data={"database_id": db_id, "sql": sql, "runAsync": False, "schema": None, "tab": "t",
                                "client_id": uuid.uuid4().hex[:10]})
    assert r.status == 200, r.text()[:2000]
    return r.json()["data"]


def test_analyst_signs_into_superset_and_sql_lab_sees_the_scope_only(page, site):
    _sso(page, site, "prefstat")   # 统计分析员 of the prefecture (county C below it)
    page.wait_for_url(site["superset"] + "/**", timeout=60000)
    assert "/login" not in page.url, site["log"].read_text(errors="replace")[-3000:]
    page.goto(site["superset"] + "/sqllab/")
    page.locator(".ace_editor, .monaco-editor, [data-test=\"sql-editor-tabs\"]").first.wait_for(timeout=90000)
    page.wait_for_timeout(1500)   # let the schema pane settle for the screenshot
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "bi-sso-superset.png"))
    assert _superset_roles(site["meta"], "prefstat") == sorted(["archives_analyst", f"scope_{PREFECTURE}"])
    rows = _sqllab(page, site, "SELECT agency_code, SUM(person_count) AS n FROM fact_archive_stock GROUP BY agency_code")
    direct = _dw_counts(site["engine"])
    scope = {PREFECTURE, COUNTY_C}
    assert {r["agency_code"]: int(r["n"]) for r in rows} == {k: v for k, v in direct.items() if k in scope}
    assert set(direct) - scope   # there are rows outside the scope, and SQL Lab did not return them


def test_user_without_statistics_is_refused_by_the_provider(page, site):
    _sso(page, site, "prefquery")
    assert page.url.startswith(site["app_url"] + "/oidc/authorize")
    assert "没有“综合统计”的权限" in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "bi-sso-refused.png"))


def test_service_account_guest_token_is_scoped(site):
    client = SupersetClient(site["superset"], *service_credentials(site["settings"]))
    uuid_ = client.embedded_uuid("archive-stock-overview")
    assert uuid_
    clause = rls_clause([PREFECTURE, COUNTY_C])
    claims = jwt.decode(client.guest_token(uuid_, {"username": "prefstat"}, clause),
                        options={"verify_signature": False})
    assert claims["rls_rules"] == [{"clause": clause}]
    assert claims["resources"] == [{"type": "dashboard", "id": uuid_}]
    with pytest.raises(SupersetError):   # the platform's validator hook: no token without an agency clause
        client.guest_token(uuid_, {"username": "prefstat"}, "1 = 1")
