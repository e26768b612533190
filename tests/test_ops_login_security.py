"""Issue 13, defects 5, 6, 7, 9 and 11 over HTTP (Flask test client; rate-limit storage on Redis), SQLite and MariaDB:
the 系统日志 export neutralises formulas, login attempts are limited per client address, unknown and existing
names get the same answers and an outsider cannot lock the owner out, logout is a POST with the CSRF token,
and common passwords are refused on the change page."""
from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain.accounts.users import create_user
from conftest import COUNTY, INITIAL_PASSWORD
from ops_http import audit_rows, change_password, csrf, login, login_admin, login_ready, logout


def _text(resp):
    return resp.get_data(as_text=True)


def _post_login(client, username, password, address="127.0.0.1", **kw):
    return client.post("/login/", data={"username": username, "password": password,
                                        "csrf_token": csrf(client, "/login/")},
                       environ_base={"REMOTE_ADDR": address}, **kw)


def _flash(resp) -> str:
    """The alert the login page shows after a refused attempt (the page's one flashed message)."""
    found = re.findall(r'class="alert alert-\w+">\s*(?:<button[^>]*>[^<]*</button>)?\s*([^<]+?)\s*<', _text(resp))
    return found[-1] if found else _text(resp)


@pytest.fixture
def auditor(engine, ops_settings):
    with Session(engine) as s:
        create_user(s, username="auditor", password=INITIAL_PASSWORD, role_names=["审计管理员"], agency_code=COUNTY)
        s.commit()


# -- defect 5: formula injection in the 系统日志 CSV export -------------------------------------------------------
FORMULA_NAMES = ['=HYPERLINK("http://evil.example","点击")', "=cmd|' /C calc'!A0", "+SUM(A1:A3)", "-1+cmd|' /C calc'!A0",
                 "@SUM(1+1)", "\t=1+2", "\r=1+2", "   =1+2", "＝HYPERLINK(\"http://evil.example\")"]


def test_audit_log_export_neutralises_formulas_typed_as_user_names(make_ops_app, engine, auditor):
    c = make_ops_app(ARCHIVES_LOGIN_RATE_LIMIT="100 per minute").test_client()
    for name in FORMULA_NAMES:
        _post_login(c, name, "Wrong#Pass1")
    admin = make_ops_app().test_client()
    login_admin(admin, "auditor", INITIAL_PASSWORD)
    resp = admin.get("/auditlog/export.csv?action=登录失败")
    rows = list(csv.reader(io.StringIO(_text(resp).lstrip("\ufeff"))))
    user_col = rows[0].index("用户")
    exported = [r[user_col] for r in rows[1:]]
    stored = [r.username for r in audit_rows(engine, "登录失败")]
    assert len(exported) == len(FORMULA_NAMES)
    for value, name in zip(exported, stored):
        assert value == "'" + name, (value, name)  # shown as text by any spreadsheet; the log itself is unchanged
    summaries = [r[rows[0].index("摘要")] for r in rows[1:]]
    assert all(s.startswith("登录失败") for s in summaries)


# -- defect 6: login attempts per client address, across names ----------------------------------------------------
def test_attempts_across_names_are_limited_per_client_address(make_ops_app, engine):
    app = make_ops_app(ARCHIVES_LOGIN_RATE_LIMIT="5 per minute")
    c = app.test_client()
    for i in range(5):
        assert _post_login(c, f"guess{i}", "Wrong#Pass1").status_code == 302
    resp = _post_login(c, "guess5", "Wrong#Pass1")
    assert resp.status_code == 429
    assert "登录尝试过于频繁" in _text(resp) and "秒后再试" in _text(resp) and "返回登录页" in _text(resp)
    assert 0 < int(resp.headers["Retry-After"]) <= 60
    api = c.post("/login/", data={"username": "x", "password": "y", "csrf_token": csrf(c, "/login/")},
                 headers={"Accept": "application/json"})
    assert api.status_code == 429 and "登录尝试过于频繁" in api.get_json()["message"]
    # Refused before the password is looked at: no more 登录失败 rows, one 登录限流 row for the burst.
    assert len(audit_rows(engine, "登录失败")) == 5
    throttled = audit_rows(engine, "登录限流")
    assert len(throttled) == 1 and throttled[0].client_ip == "127.0.0.1" and throttled[0].result == "失败"
    # Another address has its own budget (and with it the owner can still sign in).
    assert _post_login(c, "clerk1", INITIAL_PASSWORD, "10.0.0.9").location.endswith("/password/")


def test_a_burst_of_forty_names_is_cut_at_the_default_limit(ops_app, engine):
    c = ops_app.test_client()
    codes = [_post_login(c, f"user{i}", "Wrong#Pass1").status_code for i in range(40)]
    assert codes[:20] == [302] * 20 and set(codes[20:]) == {429}
    assert len(audit_rows(engine, "登录失败")) == 20


def test_the_second_factor_counts_toward_the_same_budget(make_ops_app):
    app = make_ops_app(ARCHIVES_LOGIN_RATE_LIMIT="3 per minute")
    c = app.test_client()
    for _ in range(3):
        _post_login(c, "nobody", "Wrong#Pass1", "10.1.1.1")
    resp = c.post("/totp/verify/", data={"code": "123456"}, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert resp.status_code in (400, 429)  # without a token CSRF answers first; a real attempt is counted:
    token = csrf(c, "/login/")
    resp = c.post("/totp/verify/", data={"code": "123456", "csrf_token": token}, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert resp.status_code == 429


def test_storage_setting_defaults_to_memory_and_comes_from_the_environment(ops_settings, monkeypatch):
    from archives_domain.pii.store import codec_from_settings
    from ops_app.settings import flask_config
    keyring = codec_from_settings(ops_settings).keyring
    monkeypatch.delenv("ARCHIVES_RATELIMIT_STORAGE_URI", raising=False)
    assert flask_config(ops_settings, keyring, testing=False)["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("ARCHIVES_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("ARCHIVES_LOGIN_RATE_LIMIT", "7 per minute")
    cfg = flask_config(ops_settings, keyring, testing=False)
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3" and cfg["ARCHIVES_LOGIN_RATE_LIMIT"] == "7 per minute"


def test_the_embedded_default_runs_without_redis(make_ops_app):
    app = make_ops_app(RATELIMIT_STORAGE_URI="memory://")
    c = app.test_client()
    assert login(c, "clerk1", INITIAL_PASSWORD).location.endswith("/password/")


def test_proxy_hops_give_the_client_address_that_is_limited(make_ops_app, monkeypatch):
    monkeypatch.setenv("ARCHIVES_PROXY_HOPS", "1")
    app = make_ops_app(ARCHIVES_LOGIN_RATE_LIMIT="2 per minute")
    c = app.test_client()

    def attempt(client_ip):
        return c.post("/login/", data={"username": "nobody", "password": "Wrong#Pass1",
                                       "csrf_token": csrf(c, "/login/")},
                      headers={"X-Forwarded-For": client_ip}).status_code
    assert [attempt("203.0.113.5") for _ in range(3)] == [302, 302, 429]
    assert attempt("203.0.113.6") == 302  # the proxy's own address is not what is counted


# -- defect 7: no enumeration, no lock-out of the owner by an outsider ----------------------------------------------
def _answers(client, name, n):
    return [_flash(_post_login(client, name, "Wrong#Pass1", follow_redirects=True)) for _ in range(n)]


def test_existing_and_unknown_names_get_the_same_answers(make_ops_app):
    app = make_ops_app(ARCHIVES_LOGIN_DELAY_SECONDS=0)
    existing = _answers(app.test_client(), "clerk1", 7)
    unknown = _answers(app.test_client(), "nobody", 7)
    assert existing == unknown
    assert existing[0] == "用户名或口令错误" and "连续 5 次登录失败" in existing[4]
    assert "登录失败次数过多" in existing[5]


def _wait(answer: str) -> int:
    match = re.fullmatch(r"登录尝试过快，请 (\d+) 秒后再试", answer)
    assert match, answer
    return int(match.group(1))


def test_growing_delays_are_the_same_for_both(make_ops_app):
    app = make_ops_app(ARCHIVES_LOGIN_DELAY_SECONDS=30)
    for name in ("clerk1", "nobody"):
        answers = _answers(app.test_client(), name, 4)
        assert answers[:2] == ["用户名或口令错误"] * 2  # one typo is free; the 2nd failure starts a 30 s wait
        assert all(25 <= _wait(a) <= 30 for a in answers[2:]), answers  # refused unchecked until it is over
    assert 25 <= _wait(_answers(app.test_client(), "CLERK1 ", 1)[0]) <= 30  # case and spaces: the same counter


def test_an_outsider_cannot_lock_the_owner_out(make_ops_app, engine):
    app = make_ops_app(ARCHIVES_LOGIN_DELAY_SECONDS=0)
    attacker = app.test_client()
    for _ in range(12):
        _post_login(attacker, "clerk1", "Wrong#Pass1", "198.51.100.7")
    owner = app.test_client()
    assert _post_login(owner, "clerk1", INITIAL_PASSWORD, "10.20.30.40").location.endswith("/password/")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select locked_until from ab_user where username='clerk1'")).scalar() is None
    assert {r.client_ip for r in audit_rows(engine, "锁定")} == {"198.51.100.7"}


def test_a_success_clears_the_failures_of_that_address(make_ops_app):
    app = make_ops_app(ARCHIVES_LOGIN_DELAY_SECONDS=0)
    c = app.test_client()
    _answers(c, "clerk1", 4)
    password = login_ready(c, "clerk1", INITIAL_PASSWORD)
    logout(c)
    answers = _answers(c, "clerk1", 4)
    assert answers == ["用户名或口令错误"] * 4  # counting starts again: no lock at the 5th overall failure
    assert login(c, "clerk1", password).status_code == 302


# -- defect 9: logout is a POST with the CSRF token ---------------------------------------------------------------------
def test_logout_by_get_or_without_the_token_does_not_log_out(ops_app, engine):
    c = ops_app.test_client()
    login_ready(c, "clerk1", INITIAL_PASSWORD)
    page = _text(c.get("/"))
    assert re.search(r'<form method="post" action="/logout/" class="logout-form">\s*<input name="csrf_token"', page)
    assert 'href="/logout/"' not in page
    confirm = c.get("/logout/")
    assert confirm.status_code == 200 and "确定要退出系统吗" in _text(confirm)
    assert c.get("/").status_code == 200  # still signed in
    assert c.post("/logout/").status_code == 400  # a forged cross-site POST carries no token
    assert c.get("/").status_code == 200
    assert audit_rows(engine, "登出") == []
    resp = logout(c)
    assert resp.status_code == 302 and resp.location.endswith("/login/")
    assert c.get("/").status_code == 302 and audit_rows(engine, "登出")[-1].username == "clerk1"


def test_get_logout_when_signed_out_goes_to_the_login(ops_app):
    resp = ops_app.test_client().get("/logout/")
    assert resp.status_code == 302 and resp.location.endswith("/login/")


# -- defect 11: common passwords refused on the change page ------------------------------------------------------------
@pytest.mark.parametrize("weak", ["P@ssw0rd", "Password1!", "Qwerty123!"])
def test_change_page_refuses_common_passwords_in_chinese(ops_app, weak):
    c = ops_app.test_client()
    login(c, "clerk1", INITIAL_PASSWORD)
    resp = change_password(c, INITIAL_PASSWORD, weak, follow=True)
    assert "常见弱口令" in _text(resp)
    assert c.get("/").location.endswith("/password/")  # still forced: nothing changed
