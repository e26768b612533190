"""The app as OpenID Connect provider for Superset (ops_app/oidc) and 数据概览's guest-token endpoint (ops_app/bi),
over the Flask test client on SQLite and MariaDB: discovery, PKCE-only authorization codes used once, the ID
token's claims (Superset roles from the app's permissions and agency), refusal of users without 综合统计,
the CSP's frame-src; the guest token asked of Superset carries the user's scope as RLS and one dashboard."""
from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from archives_domain.analytics_access import oidc_client_secret
from archives_domain.analytics_scope import rls_clause
from biz_seed import COUNTY_B, COUNTY_C, PREFECTURE, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD, PROVINCE
from ops_http import login_ready

SUPERSET = "http://127.0.0.1:8111"
REDIRECT = SUPERSET + "/oauth-authorized/archives"


BOARD_UUID = "ce76fee7-4023-47f2-9f0c-46b9c6b6d864"


@pytest.fixture
def app(make_ops_app, engine, codec, tmp_path):
    seed_tree_and_users(engine, codec)
    bundle = tmp_path / "dashboards"   # a bundle of one dashboard, as bi/assets/dashboards holds them
    bundle.mkdir()
    (bundle / "stock.yaml").write_text(f"dashboard_title: 档案存量\nslug: archive-stock-overview\nuuid: {BOARD_UUID}\n",
                                       encoding="utf-8")
    return make_ops_app(ARCHIVES_SUPERSET_URL=SUPERSET, ARCHIVES_BI_BUNDLE=str(bundle))


def _signed_in(app, username):
    client = app.test_client()
    login_ready(client, username, INITIAL_PASSWORD)
    return client


def _pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize(client, challenge, **extra):
    params = {"response_type": "code", "client_id": "superset", "redirect_uri": REDIRECT, "scope": "openid profile",
              "state": "st-1", "nonce": "n-1", "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    return client.get("/oidc/authorize", query_string={k: v for k, v in params.items() if v is not None})


def _token(client, app, code, verifier, secret=None):
    secret = secret or oidc_client_secret(app.extensions["archives_settings"])
    return client.post("/oidc/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                            "code_verifier": verifier}, auth=("superset", secret))


def _id_claims(client, id_token):
    jwk = client.get("/oidc/jwks").get_json()["keys"][0]
    return jwt.decode(id_token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience="superset",
                      issuer="http://localhost/oidc")


def test_discovery_names_the_endpoints_and_s256(app):
    doc = app.test_client().get("/oidc/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == "http://localhost/oidc"
    assert doc["token_endpoint"] == "http://localhost/oidc/token"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]


def test_analyst_gets_a_one_time_code_and_an_id_token_with_roles_and_scope(app):
    client = _signed_in(app, "prefstat")   # 统计分析员 of the prefecture (with county C below it)
    verifier, challenge = _pkce()
    resp = _authorize(client, challenge)
    assert resp.status_code == 302 and resp.location.startswith(REDIRECT + "?")
    query = parse_qs(urlsplit(resp.location).query)
    assert query["state"] == ["st-1"]
    code = query["code"][0]
    server = app.test_client()   # Superset's back end: no session cookie
    token = _token(server, app, code, verifier)
    assert token.status_code == 200, token.get_data(as_text=True)
    body = token.get_json()
    claims = _id_claims(server, body["id_token"])
    assert claims["preferred_username"] == "prefstat" and claims["name"] == "市统计员"
    assert claims["roles"] == ["archives_analyst", f"scope_{PREFECTURE}"]
    assert claims["nonce"] == "n-1" and claims["exp"] - claims["iat"] <= 300
    info = server.get("/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.get_json()["roles"] == claims["roles"] and info.get_json()["sub"] == claims["sub"]
    again = _token(server, app, code, verifier)   # the code was used: never twice
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"


def test_pkce_is_required_and_checked(app):
    client = _signed_in(app, "prefstat")
    resp = _authorize(client, None, code_challenge_method=None)
    assert resp.status_code == 400 and resp.location is None   # no code without PKCE (S256)
    assert "单点登录请求无效" in resp.get_data(as_text=True)
    assert _authorize(client, _pkce()[1], code_challenge_method="plain").status_code == 400
    verifier, challenge = _pkce()
    code = parse_qs(urlsplit(_authorize(client, challenge).location).query)["code"][0]
    wrong = _token(app.test_client(), app, code, verifier + "x")
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"


def test_wrong_client_secret_and_redirect_are_refused(app):
    client = _signed_in(app, "prefstat")
    verifier, challenge = _pkce()
    code = parse_qs(urlsplit(_authorize(client, challenge).location).query)["code"][0]
    bad = _token(app.test_client(), app, code, verifier, secret="not-the-secret")
    assert bad.status_code == 401 and bad.get_json()["error"] == "invalid_client"
    resp = _authorize(client, challenge, redirect_uri="http://evil.example/cb")
    assert resp.status_code == 400 and "evil" not in (resp.location or "")
    assert "单点登录请求无效" in resp.get_data(as_text=True)


def test_login_first_then_back_to_authorize(app):
    _, challenge = _pkce()
    resp = _authorize(app.test_client(), challenge)
    assert resp.status_code == 302 and urlsplit(resp.location).path == "/login/"
    assert parse_qs(urlsplit(resp.location).query)["next"][0].startswith("/oidc/authorize?response_type=code")


def test_user_without_statistics_permission_is_refused_in_chinese(app, engine):
    client = _signed_in(app, "prefquery")   # 查询员: 档案信息统计 only, not 数据概览/自定义查询
    _, challenge = _pkce()
    resp = _authorize(client, challenge)
    assert resp.status_code == 403 and resp.location is None
    assert "没有“综合统计”的权限" in resp.get_data(as_text=True)
    from ops_http import audit_rows
    assert any("单点登录被拒绝" in r.summary for r in audit_rows(engine, "访问拒绝"))
    assert client.get("/bi/overview").status_code == 403
    assert client.get("/bi/guest-token/archive-stock-overview").status_code == 403


def test_manager_role_for_overview_only(app, engine, codec):
    """A 业务负责人 whose 自定义查询 was revoked keeps 数据概览: Superset role archives_manager."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from archives_domain.accounts import grants
    from archives_domain.models.security import User
    from ops_app.security.permissions import module_perm, universe
    with Session(engine) as s:
        leader = s.scalar(select(User).where(User.username == "leader"))
        grants.set_user_overrides(s, grants.seal_key(codec.keyring), leader, {module_perm("stats.custom"): False},
                                  universe(), by="test")
        s.commit()
    client = _signed_in(app, "leader")
    verifier, challenge = _pkce()
    code = parse_qs(urlsplit(_authorize(client, challenge).location).query)["code"][0]
    claims = _id_claims(app.test_client(), _token(app.test_client(), app, code, verifier).get_json()["id_token"])
    assert claims["roles"] == ["archives_manager", f"scope_{COUNTY}"]


class FakeSuperset:
    """Records what the app asks of Superset (the HTTP layer itself is tested against a real Superset)."""

    def __init__(self):
        self.asked = []

    def embedded_uuid(self, slug):
        return "11111111-2222-3333-4444-555555555555" if slug == "archive-stock-overview" else None

    def guest_token(self, uuid, user, clause):
        self.asked.append((uuid, user["username"], clause))
        return "guest-token-" + str(len(self.asked))


def test_guest_token_carries_the_users_scope_and_one_dashboard(app):
    fake = app.extensions["archives_superset"] = FakeSuperset()
    client = _signed_in(app, "prefstat")
    resp = client.get("/bi/guest-token/archive-stock-overview")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json() == {"token": "guest-token-1", "uuid": "11111111-2222-3333-4444-555555555555"}
    assert fake.asked == [("11111111-2222-3333-4444-555555555555", "prefstat", rls_clause([PREFECTURE, COUNTY_C]))]
    assert client.get("/bi/guest-token/no-such-board").status_code == 404
    page = client.get("/bi/overview")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-slug="archive-stock-overview"' in html and ">档案存量</a>" in html and "/stats/reports" in html
    assert "vendor/superset-embedded-sdk.js" in html
    province = _signed_in(app, "prov")   # 查询员 at the province: no 数据概览
    assert province.get("/bi/guest-token/archive-stock-overview").status_code == 403
    assert COUNTY_B not in fake.asked[0][2]


def test_csp_frames_only_superset(app):
    client = _signed_in(app, "prefstat")
    csp = client.get("/bi/overview").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["frame-src"] == SUPERSET
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == f"'self' {SUPERSET}"   # the SSO login's redirect ends on Superset
    assert client.get("/bi/overview").headers["Referrer-Policy"] == "strict-origin"   # Superset checks the origin
    assert app.test_client().get("/login/").headers["Referrer-Policy"] == "same-origin"
    other = app.test_client().get("/login/").headers["Content-Security-Policy"]
    assert f"frame-src {SUPERSET};" in other and "frame-src 'self'" not in other


def test_user_without_any_statistics_permission_gets_403_everywhere(app, engine, codec):
    """A 党务专员 (no 综合统计 at all): 403 on /bi/… and a refusal at the provider."""
    from sqlalchemy.orm import Session

    from archives_domain.accounts.users import create_user
    from conftest import relax_totp
    with Session(engine) as s:
        create_user(s, username="party1", password=INITIAL_PASSWORD, role_names=["党务专员"], agency_code=COUNTY)
        s.commit()
    relax_totp(engine, codec.keyring, "党务专员")
    client = _signed_in(app, "party1")
    for path in ("/bi/overview", "/bi/guest-token/archive-stock-overview"):
        assert client.get(path).status_code == 403, path
    resp = _authorize(client, _pkce()[1])
    assert resp.status_code == 403 and "没有“综合统计”的权限" in resp.get_data(as_text=True)
