"""Against a real Superset 6.1 (tests/superset_live.py) and the app served live: a 统计分析员 signs into
Superset through the app (app login page → Superset), gets the Superset roles archives_analyst and
scope_<agency> from the ID token; a 查询员 without 综合统计 is refused by the provider (Chinese page);
the service account enables embedding of a dashboard and gets a guest token whose RLS is the scope.
Screenshots docs/screenshots/bi-sso-*.png. MariaDB and SQLite for the app database."""
from __future__ import annotations

import jwt
import pytest

import superset_live as live
from archives_domain.analytics_access import service_credentials
from archives_domain.bi.superset_secrets import ensure_secret
from archives_domain.analytics_scope import rls_clause
from archives_domain.superset_api import SupersetClient
from biz_seed import COUNTY_C, PREFECTURE, seed_tree_and_users
from conftest import INITIAL_PASSWORD
from ops_http import login_ready
from test_ops_browser import SCREENSHOTS, _serve, page  # noqa: F401 (fixture)


@pytest.fixture(scope="session")
def superset_template(tmp_path_factory):
    return live.make_template(tmp_path_factory.mktemp("superset"))


@pytest.fixture
def stack(make_ops_app, engine, codec, tmp_path, superset_template):
    seed_tree_and_users(engine, codec)
    port = live.free_port()
    superset_url = f"http://127.0.0.1:{port}"
    app = make_ops_app(ARCHIVES_SUPERSET_URL=superset_url)
    for user in ("prefstat", "prefquery"):   # past the first login's forced password change
        assert login_ready(app.test_client(), user, INITIAL_PASSWORD) != INITIAL_PASSWORD
    serving = _serve(app)
    app_url = next(serving)
    settings = app.extensions["archives_settings"]
    meta = live.copy_template(superset_template, tmp_path / "superset.db")
    proc, url = live.start(meta, port, app_url, ensure_secret(settings), service_credentials(settings)[1],
                           ["archives_analyst", "archives_manager", f"scope_{PREFECTURE}"], tmp_path / "superset.log")
    try:
        yield {"app": app, "app_url": app_url, "superset": url, "settings": settings, "log": tmp_path / "superset.log", "meta": meta}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        next(serving, None)


def _sso(page, stack, username, password):
    page.goto(stack["superset"] + "/login/archives")
    page.wait_for_url(stack["app_url"] + "/login/**")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_load_state("load")


def test_analyst_signs_into_superset_through_the_app(page, stack):
    from ops_http import NEW_PASSWORD
    _sso(page, stack, "prefstat", NEW_PASSWORD)
    page.wait_for_url(stack["superset"] + "/**", timeout=60000)
    assert "/login" not in page.url, stack["log"].read_text(errors="replace")[-3000:]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "bi-sso-superset.png"))
    assert _superset_roles(stack["meta"], "prefstat") == sorted(["archives_analyst", f"scope_{PREFECTURE}"])


def _superset_roles(meta, username):
    """The user's roles in Superset's metadata (the role's permissions are the platform's sync's)."""
    import sqlite3
    with sqlite3.connect(meta) as conn:
        return sorted(r[0] for r in conn.execute(
            "select r.name from ab_user u join ab_user_role ur on ur.user_id = u.id join ab_role r on r.id = ur.role_id"
            " where u.username = ?", (username,)))


def test_user_without_statistics_is_refused_by_the_provider(page, stack):
    from ops_http import NEW_PASSWORD
    _sso(page, stack, "prefquery", NEW_PASSWORD)
    assert page.url.startswith(stack["app_url"] + "/oidc/authorize")
    assert "没有“综合统计”的权限" in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "bi-sso-refused.png"))


def test_service_account_enables_embedding_and_gets_a_scoped_guest_token(stack):
    client = SupersetClient(stack["superset"], *service_credentials(stack["settings"]))
    made = client.call("POST", "/api/v1/dashboard/", json={"dashboard_title": "档案存量", "slug": "archive-stock-overview"})
    assert made.status_code == 201, made.text
    assert client.embedded_uuid("archive-stock-overview") is None
    uuid = client.enable_embedding("archive-stock-overview", [stack["app_url"]])
    assert client.embedded_uuid("archive-stock-overview") == uuid
    clause = rls_clause([PREFECTURE, COUNTY_C])
    token = client.guest_token(uuid, {"username": "prefstat"}, clause)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["rls_rules"] == [{"clause": clause}]
    assert claims["resources"] == [{"type": "dashboard", "id": uuid}]
    from archives_domain.superset_api import SupersetError
    with pytest.raises(SupersetError):   # Superset's validator hook (platform config) refuses an unscoped token
        client.guest_token(uuid, {"username": "prefstat"}, "1 = 1")
