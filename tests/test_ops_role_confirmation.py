"""三员分立 (issue 13, defect 3): no administrator alone gets an account it can use for business.

The 系统管理员 creates accounts and proposes roles; the account stays disabled, without a password, until a
安全管理员 confirms the roles, which issues a one-time password shown once to the 安全管理员. A later change of
roles or agency, re-enabling, or a password reset by the 系统管理员 puts it back there. On SQLite and MariaDB.
"""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain import audit
from archives_domain.accounts.users import create_user
from conftest import COUNTY, INITIAL_PASSWORD, PROVINCE
from ops_http import NEW_PASSWORD, csrf, login, login_admin, login_ready

ISSUED = re.compile(r'id="initial-password">([^<]+)</code>')


def _text(resp):
    return resp.get_data(as_text=True)


def _row(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).first()


@pytest.fixture
def admins(ops_app, engine):
    with Session(engine) as s:
        create_user(s, username="secadm", password=INITIAL_PASSWORD, role_names=["安全管理员"], agency_code=COUNTY)
        s.commit()
    sys_c, sec_c = ops_app.test_client(), ops_app.test_client()
    login_admin(sys_c, "sysadm", INITIAL_PASSWORD)
    login_admin(sec_c, "secadm", INITIAL_PASSWORD)
    return sys_c, sec_c


def _save_user(client, path="/system/users/add", **fields):
    data = {"username": "", "first_name": "", "agency_code": COUNTY, "roles": [], "active": "y",
            "csrf_token": csrf(client, path)}
    data.update(fields)
    if data.get("active") is None:
        data.pop("active")
    return client.post(path, data=data, follow_redirects=True)


def _account(engine, username):
    return _row(engine, "select u.id, u.active, u.password, u.session_id, c.status from ab_user u "
                        "left join ab_role_confirmation c on c.user_id = u.id where u.username = :u", u=username)


def _confirm(sec_client, uid):
    return sec_client.post(f"/permissions/confirm/{uid}", data={"csrf_token": csrf(sec_client, "/password/")})


def _signs_in(app, username, password) -> bool:
    resp = login(app.test_client(), username, password)
    return resp.status_code == 302 and not resp.location.endswith("/login/")


def test_a_new_account_stays_disabled_until_a_security_admin_confirms(ops_app, engine, admins):
    sysadm, secadm = admins
    # The form asks no password; one posted anyway is ignored.
    assert 'name="password"' not in _text(sysadm.get("/system/users/add"))
    resp = _save_user(sysadm, username="boss2", first_name="钱二", roles=["业务负责人"], password="Chushi#2026")
    assert "待安全管理员确认" in _text(resp)
    acct = _account(engine, "boss2")
    assert not acct.active and acct.password is None and acct.status == "待确认"
    assert not _signs_in(ops_app, "boss2", "Chushi#2026")
    # The 系统管理员 cannot enable it, nor confirm it.
    _save_user(sysadm, f"/system/users/{acct.id}/edit", username="boss2", first_name="钱二", roles=["业务负责人"])
    assert not _account(engine, "boss2").active
    token = csrf(sysadm, "/system/users/")
    assert sysadm.post(f"/permissions/confirm/{acct.id}", data={"csrf_token": token}).status_code == 403
    assert sysadm.get("/permissions/confirm/").status_code == 403
    # The 安全管理员 sees it pending, confirms, and gets the one-time password once (not cached).
    listing = _text(secadm.get("/permissions/confirm/"))
    assert "boss2" in listing and "业务负责人" in listing and "sysadm" in listing
    resp = _confirm(secadm, acct.id)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    password = ISSUED.search(_text(resp)).group(1)
    acct = _account(engine, "boss2")
    assert acct.active and acct.status == "已确认" and acct.password.startswith("pbkdf2")
    assert password not in _text(secadm.get("/permissions/confirm/"))
    assert not ISSUED.search(_text(sysadm.get("/system/users/?username=boss2")))
    entry = _row(engine, "select username, module2, before_data, after_data from audit_log "
                         "where action = '确认角色' and result = '成功'")
    assert entry.username == "secadm" and entry.module2 == "用户权限"
    assert json.loads(entry.before_data)["状态"] == "待确认" and json.loads(entry.after_data)["状态"] == "已确认"
    assert password not in entry.after_data
    # The owner signs in with it and must change it first (after enrolling the second factor).
    resp = login(ops_app.test_client(), "boss2", password)
    assert resp.location.endswith(("/totp/enroll/", "/password/"))
    # Confirming twice is refused and audited.
    resp = secadm.post(f"/permissions/confirm/{acct.id}", data={"csrf_token": csrf(secadm, "/password/")},
                       follow_redirects=True)
    assert "没有待确认的角色" in _text(resp)
    assert audit.verify(engine, ops_app.config["ARCHIVES_AUDIT_KEY"]) is None


def test_role_agency_and_re_enabling_by_the_system_admin_wait_for_confirmation(ops_app, engine, admins):
    sysadm, secadm = admins
    clerk = ops_app.test_client()
    password = login_ready(clerk, "clerk1", INITIAL_PASSWORD)
    uid = _account(engine, "clerk1").id
    path = f"/system/users/{uid}/edit"
    # Promotion to 业务负责人: the account is disabled and its session ends at once.
    assert "待安全管理员确认" in _text(_save_user(sysadm, path, username="clerk1", first_name="clerk1",
                                                 roles=["业务负责人"]))
    assert clerk.get("/").status_code == 302 and not _signs_in(ops_app, "clerk1", password)
    change = _row(engine, "select before_data, after_data from audit_log where action='修改' order by id desc")
    assert json.loads(change.after_data)["角色确认"] == "待确认" and json.loads(change.after_data)["启用"] is False
    # Confirmed: the account keeps its own password (nothing issued).
    resp = _confirm(secadm, uid)
    assert resp.status_code == 302 and _account(engine, "clerk1").active
    assert _signs_in(ops_app, "clerk1", password)
    # A move to another agency waits too; so does re-enabling a disabled account. Disabling is immediate.
    _save_user(sysadm, path, username="clerk1", first_name="clerk1", agency_code=PROVINCE, roles=["业务负责人"])
    assert _account(engine, "clerk1").status == "待确认"
    _confirm(secadm, uid)
    _save_user(sysadm, path, username="clerk1", first_name="clerk1", agency_code=PROVINCE, roles=["业务负责人"],
               active=None)
    acct = _account(engine, "clerk1")
    assert not acct.active and acct.status == "已确认"
    _save_user(sysadm, path, username="clerk1", first_name="clerk1", agency_code=PROVINCE, roles=["业务负责人"])
    acct = _account(engine, "clerk1")
    assert not acct.active and acct.status == "待确认"
    # A name change alone needs nothing.
    _confirm(secadm, uid)
    _save_user(sysadm, path, username="clerk1", first_name="王一", agency_code=PROVINCE, roles=["业务负责人"])
    acct = _account(engine, "clerk1")
    assert acct.active and acct.status == "已确认"


def test_a_password_reset_by_the_system_admin_is_issued_by_the_security_admin(ops_app, engine, admins):
    sysadm, secadm = admins
    password = login_ready(ops_app.test_client(), "clerk1", INITIAL_PASSWORD)
    uid = _account(engine, "clerk1").id
    token = csrf(sysadm, "/system/users/")
    resp = sysadm.post(f"/system/users/{uid}/reset-password", data={"csrf_token": token}, follow_redirects=True)
    assert "已重置口令" in _text(resp)
    acct = _account(engine, "clerk1")
    assert acct.password is None and not acct.active and acct.status == "待确认"
    assert not _signs_in(ops_app, "clerk1", password)
    # Unlocking or resetting the second factor does not enable it either.
    sysadm.post(f"/system/users/{uid}/unlock", data={"csrf_token": token})
    sysadm.post(f"/system/users/{uid}/reset-totp", data={"csrf_token": token})
    assert not _account(engine, "clerk1").active
    issued = ISSUED.search(_text(_confirm(secadm, uid))).group(1)
    c = ops_app.test_client()
    assert login(c, "clerk1", issued).location.endswith("/password/")
    # An administrator's password is not reset from the web page.
    sec = _account(engine, "secadm").id
    resp = sysadm.post(f"/system/users/{sec}/reset-password", data={"csrf_token": token}, follow_redirects=True)
    assert "三员分立" in _text(resp) and _account(engine, "secadm").password is not None
    assert _row(engine, "select result from audit_log where action='重置口令' order by id desc").result == "失败"


FAB_PATHS = [("GET", "/users/list/"), ("GET", "/users/add"), ("POST", "/users/add"), ("GET", "/users/edit/1"),
             ("POST", "/users/edit/1"), ("GET", "/roles/list/"), ("POST", "/roles/add"),
             ("GET", "/resetpassword/form?pk=1"), ("POST", "/resetpassword/form?pk=1"),
             ("GET", "/userinfoeditview/form"), ("GET", "/api/v1/security/users/"),
             ("POST", "/api/v1/security/users/"), ("GET", "/permissionviews/list/")]


def test_fab_own_user_views_and_security_api_are_closed_to_the_system_admin(ops_app, engine, admins):
    sysadm, _sec = admins
    token = csrf(sysadm, "/system/users/")
    data = {"csrf_token": token, "username": "ghost", "first_name": "g", "last_name": "g", "email": "g@x.invalid",
            "password": "Chushi#2026", "conf_password": "Chushi#2026", "active": "y", "roles": "1"}
    for method, path in FAB_PATHS:
        resp = sysadm.open(path, method=method, data=data if method == "POST" else None)
        assert resp.status_code in (403, 404), (method, path, resp.status_code)
    assert _row(engine, "select id from ab_user where username='ghost'") is None


def test_never_signed_in_business_accounts_wait_for_confirmation_after_the_upgrade(empty_engine):
    from archives_domain import migrate
    migrate.upgrade(empty_engine, "0006")
    with empty_engine.begin() as conn:
        conn.execute(sa.text("insert into agency (code, name, level, region_code, active) "
                             "values ('52000001', '贵州省人才大市场', '省级', '520000', 1)"))
        conn.execute(sa.text("insert into ab_role (id, name) values (1, '系统管理员'), (2, '档案经办人')"))
        for uid, name, role, last_login in ((1, "root1", 1, None), (2, "fresh", 2, None),
                                            (3, "veteran", 2, "2026-01-01 08:00:00")):
            conn.execute(sa.text(
                "insert into ab_user (id, first_name, last_name, username, password, active, email, agency_code, "
                "must_change_password, totp_enabled, last_login) values (:i, :n, '', :n, 'pbkdf2-sm3$1$00$00', 1, "
                ":e, '52000001', 1, 0, :l)"), {"i": uid, "n": name, "e": f"{name}@x.invalid", "l": last_login})
            conn.execute(sa.text("insert into ab_user_role (user_id, role_id) values (:u, :r)"), {"u": uid, "r": role})
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = {r.username: r for r in conn.execute(sa.text(
            "select u.username, u.active, u.password, c.status from ab_user u "
            "left join ab_role_confirmation c on c.user_id = u.id"))}
    assert rows["fresh"].status == "待确认" and not rows["fresh"].active and rows["fresh"].password is None
    for untouched in ("root1", "veteran"):
        assert rows[untouched].status is None and rows[untouched].active and rows[untouched].password
    migrate.downgrade(empty_engine, "-1")
    migrate.upgrade(empty_engine)
