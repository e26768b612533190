"""TOTP second factor (等保三级 身份鉴别 d) over HTTP, on SQLite and MariaDB."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain.accounts.users import create_user
from conftest import COUNTY, INITIAL_PASSWORD
from ops_http import (NEW_PASSWORD, Authenticator, audit_rows, change_password, csrf, enrol, login, login_admin,
                      logout, totp_post)


def _text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def accounts(engine, ops_settings):
    with Session(engine) as s:
        create_user(s, username="secadm", password=INITIAL_PASSWORD, role_names=["安全管理员"], agency_code=COUNTY)
        create_user(s, username="query1", password=INITIAL_PASSWORD, role_names=["查询员"], agency_code=COUNTY)
        s.commit()


def _user(engine, username):
    with engine.connect() as conn:
        return conn.execute(sa.text("select totp_secret_enc, totp_enabled, totp_last_step, fail_login_count, "
                                    "locked_until from ab_user where username = :u"), {"u": username}).one()


def test_totp_enrolment_by_qr_code_then_login_with_the_code(ops_app, engine):
    c = ops_app.test_client()
    resp = login(c, "sysadm", INITIAL_PASSWORD)
    assert resp.location.endswith("/totp/enroll/")  # mandatory for the admin roles: enrol before anything
    assert c.get("/").status_code == 302 and "/login/" in c.get("/").location  # the password alone is not a login
    page = _text(c.get("/totp/enroll/"))
    assert 'id="totp-qr" src="data:image/png;base64,' in page
    csp = c.get("/totp/enroll/").headers["Content-Security-Policy"]
    assert "img-src 'self' data:" in csp  # the inline QR code, and nothing from elsewhere
    secret = page.split('id="totp-secret">')[1].split("<")[0].replace(" ", "")
    stored = _user(engine, "sysadm")
    assert stored.totp_secret_enc.startswith("SM4G1.") and secret not in stored.totp_secret_enc
    assert not stored.totp_enabled
    with ops_app.app_context():  # the stored secret is the one shown, SM4-encrypted as PII kind `text`
        assert ops_app.extensions["archives_codec"].decrypt("text", stored.totp_secret_enc) == secret
    phone = Authenticator(secret)
    assert "动态口令错误" in _text(totp_post(c, "/totp/enroll/", phone.wrong_code(), follow=True))
    resp = totp_post(c, "/totp/enroll/", phone.code())
    assert resp.location.endswith("/password/")  # then the forced first-login password change
    assert change_password(c, INITIAL_PASSWORD, NEW_PASSWORD).status_code == 302
    assert c.get("/").status_code == 200
    assert _user(engine, "sysadm").totp_enabled
    assert audit_rows(engine, "启用动态口令")[-1].username == "sysadm"
    logout(c)
    # The next login asks for the code after the password; the enrolment page is closed now.
    resp = login(c, "sysadm", NEW_PASSWORD)
    assert resp.location.endswith("/totp/verify/")
    assert c.get("/totp/enroll/").location.endswith("/totp/verify/")
    assert c.get("/").status_code == 302
    resp = totp_post(c, "/totp/verify/", phone.code())
    assert resp.status_code == 302 and resp.location.endswith("/")
    assert c.get("/").status_code == 200


def test_a_code_is_never_accepted_twice(ops_app, engine):
    c = ops_app.test_client()
    password, phone = login_admin(c, "sysadm", INITIAL_PASSWORD)
    logout(c)
    login(c, "sysadm", password)
    code = phone.code()
    assert totp_post(c, "/totp/verify/", code).location.endswith("/")
    logout(c)
    login(c, "sysadm", password)
    resp = totp_post(c, "/totp/verify/", code, follow=True)  # replayed within its time step
    assert "已使用过" in _text(resp)
    assert c.get("/").status_code == 302
    assert "重放" in audit_rows(engine, "登录失败")[-1].summary


def test_wrong_codes_after_the_right_password_lock_the_account(make_ops_app, engine):
    """Password failures lock only their address out of the name (test_ops_login_security); wrong TOTP codes after
    the right password are evidence an outsider cannot produce cheaply: the account itself is locked."""
    c = make_ops_app(ARCHIVES_LOGIN_DELAY_SECONDS=0).test_client()
    password, phone = login_admin(c, "sysadm", INITIAL_PASSWORD)
    logout(c)
    login(c, "sysadm", "Wrong#Pass1")
    login(c, "sysadm", "Wrong#Pass1")
    assert login(c, "sysadm", password).location.endswith("/totp/verify/")
    assert _user(engine, "sysadm").locked_until is None  # wrong passwords alone lock no account
    for _ in range(4):
        assert "动态口令错误" in _text(totp_post(c, "/totp/verify/", phone.wrong_code(), follow=True))
    resp = totp_post(c, "/totp/verify/", phone.wrong_code(), follow=True)  # the 5th wrong code
    assert "账号已锁定 15 分钟" in _text(resp)
    assert _user(engine, "sysadm").locked_until is not None
    # Locked: the right password is refused (and only the right password learns of the lock).
    assert "已被锁定" in _text(login(c, "sysadm", password, follow=True))
    assert "已被锁定" not in _text(login(c, "sysadm", "Wrong#Pass1", follow=True))
    assert c.get("/totp/verify/").location.endswith("/login/")
    summaries = [r.summary for r in audit_rows(engine, "登录失败")]
    assert sum("动态口令错误" in s for s in summaries) == 5 and sum("：口令错误（" in s for s in summaries) == 3
    assert len(audit_rows(engine, "锁定")) == 1


def test_totp_is_on_by_default_for_every_role(ops_app, accounts):
    c = ops_app.test_client()
    assert login(c, "query1", INITIAL_PASSWORD).location.endswith("/totp/enroll/")  # 查询员: never relaxed
    c2 = ops_app.test_client()
    assert login(c2, "clerk1", INITIAL_PASSWORD).location.endswith("/password/")  # 档案经办人: relaxed (fixture)


def test_security_admin_relaxes_totp_per_role_audited(ops_app, engine, accounts):
    admin = ops_app.test_client()
    login_admin(admin, "secadm", INITIAL_PASSWORD)
    role_id = _role_id(engine, "查询员")
    page = _text(admin.get(f"/permissions/?role={role_id}"))
    assert 'name="totp_required" value="1"\n                  checked' in page
    modules = _checked(page)
    resp = admin.post("/permissions/", data={"role": role_id, "module": modules,
                                            "csrf_token": csrf(admin, f"/permissions/?role={role_id}")},
                      follow_redirects=True)
    assert "权限已保存" in _text(resp)
    change = audit_rows(engine, "配置")[-1]
    assert change.username == "secadm" and "查询员" in change.summary and "不强制动态口令" in change.summary
    with engine.connect() as conn:
        before, after = conn.execute(sa.text("select before_data, after_data from audit_log where action='配置'")).one()
    assert (before, after) == ("必须使用动态口令", "不强制动态口令")
    assert login(ops_app.test_client(), "query1", INITIAL_PASSWORD).location.endswith("/password/")
    # The admin roles can never be relaxed, whatever is posted.
    sys_id = _role_id(engine, "系统管理员")
    modules = ["workbench", "system", "system.agency", "system.user", "system.group", "system.notice"]  # its own (owned)
    resp = admin.post("/permissions/", data={"role": sys_id, "module": modules,
                                            "csrf_token": csrf(admin, f"/permissions/?role={sys_id}")},
                      follow_redirects=True)
    assert "必须使用TOTP动态口令" in _text(resp)
    assert login(ops_app.test_client(), "sysadm", INITIAL_PASSWORD).location.endswith("/totp/enroll/")


def test_a_policy_changed_behind_the_apps_back_is_ignored(ops_app, engine, accounts):
    with engine.begin() as conn:  # relaxing 查询员 directly in the database: the seal no longer fits
        assert conn.execute(sa.text("update ab_role_policy set totp_required = 0 where role_id = :r"),
                            {"r": _role_id(engine, "查询员")}).rowcount == 1
    assert login(ops_app.test_client(), "query1", INITIAL_PASSWORD).location.endswith("/totp/enroll/")


def _role_id(engine, name):
    with engine.connect() as conn:
        return conn.execute(sa.text("select id from ab_role where name = :n"), {"n": name}).scalar()


def _checked(page: str) -> list[str]:
    import re
    return re.findall(r'name="module" value="([\w.]+)" data-key="[\w.]+"\s*checked', page)


def test_user_enrols_voluntarily_when_the_role_is_relaxed(ops_app, engine):
    c = ops_app.test_client()
    from ops_http import login_ready
    password = login_ready(c, "clerk1", INITIAL_PASSWORD)
    enrol(c, signed_in=True)
    assert _user(engine, "clerk1").totp_enabled
    logout(c)
    assert login(c, "clerk1", password).location.endswith("/totp/verify/")  # once on, always asked
