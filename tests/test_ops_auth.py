"""等保三级 login controls of the operational app, over HTTP (Flask test client), on SQLite and MariaDB."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from archives_domain import audit
from archives_domain.config import ConfigError
from conftest import INITIAL_PASSWORD
from ops_http import NEW_PASSWORD, audit_rows, change_password, csrf, login, login_ready, logout


def _text(resp):
    return resp.get_data(as_text=True)


def test_login_fails_with_wrong_password_and_unknown_user(ops_app, engine):
    c = ops_app.test_client()
    resp = login(c, "clerk1", "Wrong#Pass1", follow=True)
    assert "用户名或口令错误" in _text(resp)
    resp = login(c, "nobody", "Wrong#Pass1", follow=True)
    assert "用户名或口令错误" in _text(resp)  # same answer: no hint that the account exists
    assert c.get("/").status_code == 302  # still not logged in
    failures = audit_rows(engine, "登录失败")
    assert [r.username for r in failures] == ["clerk1", "nobody"]
    assert all(r.result == "失败" and r.client_ip == "127.0.0.1" for r in failures)


def test_first_login_forces_password_change_before_anything_else(ops_app, engine):
    c = ops_app.test_client()
    resp = login(c, "clerk1", INITIAL_PASSWORD)
    assert resp.status_code == 302 and resp.location.endswith("/password/")
    assert c.get("/").location.endswith("/password/")  # the workbench is closed until the change
    resp = change_password(c, INITIAL_PASSWORD, NEW_PASSWORD)
    assert resp.status_code == 302 and resp.location.endswith("/")
    page = c.get("/")
    assert page.status_code == 200
    for panel in ("常用功能", "已办业务", "通知公告", "业务经办统计", "待办事项"):
        assert panel in _text(page)
    assert "首次登录" in _text(page)
    assert [r.action for r in audit_rows(engine)][-2:] == ["登录", "修改口令"]
    with engine.connect() as conn:
        must, changed = conn.execute(sa.text(
            "select must_change_password, password_changed_at from ab_user where username='clerk1'")).one()
    assert not must and changed is not None


def test_expired_password_must_be_changed(ops_app, engine):
    c = ops_app.test_client()
    login_ready(c, "clerk1", INITIAL_PASSWORD)
    logout(c)
    with engine.begin() as conn:
        conn.execute(sa.text("update ab_user set password_changed_at = :t where username='clerk1'"),
                     {"t": dt.datetime.utcnow() - dt.timedelta(days=91)})
    assert login(c, "clerk1", NEW_PASSWORD).location.endswith("/password/")


@pytest.mark.parametrize("new, confirm, message", [
    ("Ab1#", None, "不得少于 8 位"),
    ("abcdefgh", None, "至少三类"),
    ("Clerk1#abc", None, "不得包含用户名"),
    (INITIAL_PASSWORD, None, "最近 5 次"),
    ("Good#Pass1", "Good#Pass2", "不一致"),
])
def test_password_policy_on_the_change_page(ops_app, engine, new, confirm, message):
    c = ops_app.test_client()
    login(c, "clerk1", INITIAL_PASSWORD)
    resp = change_password(c, INITIAL_PASSWORD, new, confirm, follow=True)
    assert message in _text(resp)
    assert c.get("/").location.endswith("/password/")  # still forced


def test_last_five_passwords_are_refused(ops_app):
    c = ops_app.test_client()
    login(c, "clerk1", INITIAL_PASSWORD)
    old = INITIAL_PASSWORD
    for i in range(5):
        new = f"Round#{i}Pass"
        assert change_password(c, old, new).status_code == 302
        old = new
    assert "最近 5 次" in _text(change_password(c, old, "Round#1Pass", follow=True))
    # The initial password has dropped out of the last five by now.
    assert change_password(c, old, INITIAL_PASSWORD).status_code == 302


def _from(address):
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_five_failures_lock_that_address_out_of_the_name_for_fifteen_minutes(make_ops_app, engine):
    app = make_ops_app(ARCHIVES_LOGIN_DELAY_SECONDS=0)
    c = app.test_client()
    for _ in range(4):
        assert "用户名或口令错误" in _text(login(c, "clerk1", "Wrong#Pass1", follow=True))
    assert "连续 5 次登录失败，请 15 分钟后再试" in _text(login(c, "clerk1", "Wrong#Pass1", follow=True))
    # Locked for this address: even the right password is refused (not even checked), and that is audited too.
    assert "登录失败次数过多，请 15 分钟后再试" in _text(login(c, "clerk1", INITIAL_PASSWORD, follow=True))
    assert c.get("/").status_code == 302
    locks = audit_rows(engine, "锁定")
    assert len(locks) == 1 and "5 次" in locks[0].summary and locks[0].client_ip == "127.0.0.1"
    assert len(audit_rows(engine, "登录失败")) == 6
    with engine.connect() as conn:  # no account-wide lock: the owner at another desk is not locked out
        assert conn.execute(sa.text("select locked_until from ab_user where username='clerk1'")).scalar() is None
    owner = app.test_client()
    resp = owner.post("/login/", data={"username": "clerk1", "password": INITIAL_PASSWORD,
                                       "csrf_token": csrf(owner, "/login/")}, **_from("10.9.8.7"))
    assert resp.location.endswith("/password/")
    with app.app_context():  # the lock ends with its time (its key expires in the limiter's storage)
        storage = app.extensions["archives_limiter"].storage
        keys = [k for k in storage.get_connection().scan_iter(storage.prefixed_key("login-lock:*"))]
        assert len(keys) == 1 and 14 * 60 < storage.get_connection().ttl(keys[0]) <= 15 * 60
        storage.get_connection().delete(keys[0])
    assert login(c, "clerk1", INITIAL_PASSWORD).location.endswith("/password/")  # lock over


def test_lockout_threshold_and_duration_are_configurable(make_ops_app):
    app = make_ops_app(ARCHIVES_LOCK_THRESHOLD=3, ARCHIVES_LOCK_DURATION=dt.timedelta(minutes=30),
                       ARCHIVES_LOGIN_DELAY_SECONDS=0)
    c = app.test_client()
    login(c, "clerk1", "Wrong#Pass1")
    login(c, "clerk1", "Wrong#Pass1")
    assert "连续 3 次登录失败，请 30 分钟后再试" in _text(login(c, "clerk1", "Wrong#Pass1", follow=True))


def test_one_session_per_user_a_new_login_ends_the_old(ops_app, engine):
    first, second = ops_app.test_client(), ops_app.test_client()
    password = login_ready(first, "clerk1", INITIAL_PASSWORD)
    assert first.get("/").status_code == 200
    old_cookie = first.get_cookie("gzda_session").value
    login(second, "clerk1", password)
    assert second.get("/").status_code == 200
    resp = first.get("/", follow_redirects=True)
    assert "会话已失效" in _text(resp)
    # Replaying the old cookie from anywhere else does not work either.
    third = ops_app.test_client()
    third.set_cookie("gzda_session", old_cookie)
    assert third.get("/").status_code == 302
    assert second.get("/").status_code == 200
    assert "原有会话已被终止" in audit_rows(engine, "登录")[-1].summary


def test_logout_invalidates_the_server_side_session(ops_app, engine):
    c = ops_app.test_client()
    login_ready(c, "clerk1", INITIAL_PASSWORD)
    cookie = c.get_cookie("gzda_session").value
    assert logout(c).status_code == 302
    replay = ops_app.test_client()
    replay.set_cookie("gzda_session", cookie)
    resp = replay.get("/")
    assert resp.status_code == 302 and "/login/" in resp.location
    with engine.connect() as conn:
        assert conn.execute(sa.text("select session_id from ab_user where username='clerk1'")).scalar() is None
    assert audit_rows(engine, "登出")[-1].username == "clerk1"


def test_idle_session_ends_after_thirty_minutes(ops_app, engine, monkeypatch):
    import time as real_time

    from ops_app.security import session_guard
    c = ops_app.test_client()
    login_ready(c, "clerk1", INITIAL_PASSWORD)
    assert c.get("/").status_code == 200
    now = real_time.time()
    monkeypatch.setattr(session_guard.time, "time", lambda: now + 29 * 60)
    assert c.get("/").status_code == 200  # activity within 30 minutes keeps it alive
    monkeypatch.setattr(session_guard.time, "time", lambda: now + 29 * 60 + 31 * 60)
    resp = c.get("/", follow_redirects=True)
    assert "超过 30 分钟无操作，已自动退出" in _text(resp)
    assert audit_rows(engine, "会话超时")[-1].username == "clerk1"


def test_last_login_time_and_ip_are_shown_after_login(ops_app):
    c = ops_app.test_client()
    password = login_ready(c, "clerk1", INITIAL_PASSWORD)
    logout(c)
    c2 = ops_app.test_client()
    login(c2, "clerk1", password, follow=False)
    page = _text(c2.get("/", environ_base={"REMOTE_ADDR": "10.1.2.3"}))
    assert "上次登录：" in page and "127.0.0.1" in page


def test_csrf_token_is_required(ops_app):
    c = ops_app.test_client()
    resp = c.post("/login/", data={"username": "clerk1", "password": INITIAL_PASSWORD})
    assert resp.status_code == 400 and c.get("/").status_code == 302
    login(c, "clerk1", INITIAL_PASSWORD)
    resp = c.post("/password/", data={"old_password": INITIAL_PASSWORD, "new_password": NEW_PASSWORD,
                                      "confirm": NEW_PASSWORD})
    assert resp.status_code == 400
    assert change_password(c, INITIAL_PASSWORD, NEW_PASSWORD).status_code == 302  # with the token it works


def test_security_headers(ops_app):
    c = ops_app.test_client()
    resp = c.get("/login/")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'nonce-" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in _text(resp)  # FAB's script tags carry this response's nonce
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in resp.headers
    secure = c.get("/login/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = c.get_cookie("gzda_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_session_cookie_is_secure_outside_tests(make_ops_app, ops_settings):
    from ops_app.settings import flask_config
    from archives_domain.pii.store import codec_from_settings
    cfg = flask_config(ops_settings, codec_from_settings(ops_settings).keyring, testing=False)
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["SESSION_COOKIE_HTTPONLY"]


def test_menu_shows_unbuilt_modules_disabled(ops_app):
    c = ops_app.test_client()
    login_ready(c, "clerk1", INITIAL_PASSWORD)
    page = _text(c.get("/"))
    for label in ("个人快捷受理", "单位管理", "单位员工", "流动党员管理", "档案转递", "转递通知单", "借阅告知单",
                  "库房管理", "电子化盘库", "安全监控", "数字化档案管理", "图像处理", "综合统计", "自定义查询"):
        assert label in page, label
    # 系统管理 is not a clerk's (用户权限: the menu shows only the modules the user holds).
    for label in ("系统管理", "用户权限", "系统日志"):
        assert label not in page, label
    assert 'data-menu-key="unit.account.staff">单位员工</span>' in page.replace(
        ' title="建设中" aria-disabled="true"', "").replace('class="menu-disabled" ', "")
    assert '<a tabindex="-1" href="/" data-menu-key="workbench"' in page or 'href="/" data-menu-key="workbench"' in page


def test_chinese_by_default(ops_app):
    page = _text(ops_app.test_client().get("/login/"))
    assert "用户名" in page and "口令" in page and "登录" in page


def test_app_refuses_a_database_behind_the_migrations(ops_settings, engine):
    from archives_domain import migrate
    from ops_app.app import create_app
    migrate.downgrade(engine, "-1")
    with pytest.raises(ConfigError, match="archives db upgrade"):
        create_app(ops_settings, testing=True)


def test_admin_roles_are_exclusive(ops_app, engine, ops_settings):
    from sqlalchemy.orm import Session

    from archives_domain.accounts.roles import RoleConflictError
    from archives_domain.accounts.users import create_user
    from conftest import COUNTY
    with Session(engine) as s, pytest.raises(RoleConflictError, match="三员分立"):
        create_user(s, username="both", password=INITIAL_PASSWORD, role_names=["系统管理员", "审计管理员"],
                    agency_code=COUNTY)
    with ops_app.app_context():
        sm = ops_app.appbuilder.sm
        user = sm.find_user(username="sysadm")
        with pytest.raises(RoleConflictError):
            sm.add_role_to_user(user, sm.find_role("安全管理员"))
        sm.add_role_to_user(user, sm.find_role("查询员"))  # a business role beside one admin role is allowed
    from archives_cli.main import cli
    env = {"DATABASE_URL": ops_settings.database_url, "ARCHIVES_VAR_DIR": str(ops_settings.var_dir)}
    result = CliRunner().invoke(cli, ["users", "create", "--username", "two", "--password", INITIAL_PASSWORD,
                                      "--role", "安全管理员", "--role", "审计管理员", "--agency", COUNTY], env=env)
    assert result.exit_code == 1 and "三员分立" in result.output


def test_cli_creates_accounts_and_roles(ops_settings, engine):
    from archives_cli.main import cli
    from conftest import COUNTY
    env = {"DATABASE_URL": ops_settings.database_url, "ARCHIVES_VAR_DIR": str(ops_settings.var_dir)}
    runner = CliRunner()
    result = runner.invoke(cli, ["users", "init-roles"], env=env)
    assert result.exit_code == 0 and "本次新建 0 个" in result.output
    result = runner.invoke(cli, ["users", "create", "--username", "auditor", "--password", "weak",
                                 "--role", "审计管理员", "--agency", COUNTY], env=env)
    assert result.exit_code == 1 and "口令" in result.output
    result = runner.invoke(cli, ["users", "create", "--username", "auditor", "--password", INITIAL_PASSWORD,
                                 "--role", "审计管理员", "--agency", COUNTY], env=env)
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        stored = conn.execute(sa.text("select password from ab_user where username='auditor'")).scalar()
    assert stored.startswith("pbkdf2-sm3$")


def test_every_login_event_is_in_an_intact_chain(ops_app, engine, ops_settings):
    from archives_domain.pii.store import codec_from_settings
    c = ops_app.test_client()
    login(c, "clerk1", "Wrong#Pass1")
    password = login_ready(c, "clerk1", INITIAL_PASSWORD)
    logout(c)
    login(c, "clerk1", password)
    actions = [r.action for r in audit_rows(engine) if r.action != "授权"]  # 授权: built-in roles' defaults
    assert actions == ["登录失败", "登录", "修改口令", "登出", "登录"]
    key = audit.audit_key(codec_from_settings(ops_settings).keyring)
    assert audit.verify(engine, key) is None
