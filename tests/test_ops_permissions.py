"""用户权限, the seal on grants, 三员分立 and 系统日志 over HTTP, on SQLite and MariaDB."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain import audit
from archives_domain.accounts.users import create_user
from conftest import COUNTY, INITIAL_PASSWORD
from ops_http import audit_rows, csrf, login_admin, login_ready

ROOT = Path(__file__).resolve().parent.parent


def _text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def accounts(engine, ops_settings):
    with Session(engine) as s:
        create_user(s, username="secadm", password=INITIAL_PASSWORD, role_names=["安全管理员"], agency_code=COUNTY)
        create_user(s, username="auditor", password=INITIAL_PASSWORD, role_names=["审计管理员"], agency_code=COUNTY)
        s.commit()


def _id(engine, table, name_col, name):
    with engine.connect() as conn:
        return conn.execute(sa.text(f"select id from {table} where {name_col} = :n"), {"n": name}).scalar()


def _menu_keys(page: str) -> set[str]:
    return set(re.findall(r'data-menu-key="([\w.]+)"', page))


def _save(client, subject: str, subject_id: int, modules, special=(), totp=True):
    path = f"/permissions/?{subject}={subject_id}"
    data = {subject: subject_id, "module": list(modules), "special": list(special),
            "csrf_token": csrf(client, path)}
    if totp:
        data["totp_required"] = "1"
    return client.post("/permissions/", data=data, follow_redirects=True)


def _checked(page: str) -> list[str]:
    return re.findall(r'name="module" value="([\w.]+)" data-key="[\w.]+"\s*checked', page)


def test_revoked_module_leaves_the_menu_and_answers_403_by_url_and_api(ops_app, engine, accounts):
    auditor = ops_app.test_client()
    login_admin(auditor, "auditor", INITIAL_PASSWORD)
    page = _text(auditor.get("/"))
    assert {"system", "system.log"} <= _menu_keys(page)
    assert auditor.get("/auditlog/").status_code == 200
    assert auditor.get("/api/v1/audit-log/").status_code == 200
    admin = ops_app.test_client()
    login_admin(admin, "secadm", INITIAL_PASSWORD)
    uid = _id(engine, "ab_user", "username", "auditor")
    assert "system.log" in _checked(_text(admin.get(f"/permissions/?user={uid}")))
    resp = _save(admin, "user", uid, ["workbench", "system"])  # system.log revoked for this one user
    assert "权限已保存" in _text(resp) and "个人收回" in _text(resp)
    page = _text(auditor.get("/"))
    assert "system.log" not in _menu_keys(page) and "系统日志" not in page
    resp = auditor.get("/auditlog/")
    assert resp.status_code == 403 and "无权访问" in _text(resp)
    resp = auditor.get("/api/v1/audit-log/?username=x")
    assert resp.status_code == 403 and resp.get_json()["message"]
    assert auditor.get("/auditlog/export.csv").status_code == 403
    denied = audit_rows(engine, "访问拒绝")
    assert len(denied) == 3 and all(r.username == "auditor" and r.result == "失败" for r in denied)
    change = [r for r in audit_rows(engine, "授权") if r.username == "secadm"][-1]
    assert "收回 系统日志" in change.summary
    # Granted back, item by item: it returns.
    _save(admin, "user", uid, ["workbench", "system", "system.log"])
    assert auditor.get("/auditlog/").status_code == 200


def test_a_branch_revoked_from_a_role_closes_every_module_in_it(ops_app, engine, accounts):
    clerk = ops_app.test_client()
    login_ready(clerk, "clerk1", INITIAL_PASSWORD)
    assert {"unit", "unit.account", "unit.account.staff", "workbench"} <= _menu_keys(_text(clerk.get("/")))
    admin = ops_app.test_client()
    login_admin(admin, "secadm", INITIAL_PASSWORD)
    rid = _id(engine, "ab_role", "name", "档案经办人")
    held = _checked(_text(admin.get(f"/permissions/?role={rid}")))
    keep = [k for k in held if not k.startswith("unit")]
    assert "权限已保存" in _text(_save(admin, "role", rid, keep, special=["can_print@personal_data"], totp=False))
    keys = _menu_keys(_text(clerk.get("/")))
    assert not {k for k in keys if k.startswith("unit")} and "personal" in keys
    # Revoking the 1st-level node alone closes the branch even where the children are still held.
    _save(admin, "role", rid, [k for k in held if k != "workbench"], totp=False)
    assert clerk.get("/").status_code == 403


def test_a_grant_inserted_in_the_database_is_refused_and_alerted(ops_app, engine, accounts):
    clerk = ops_app.test_client()
    login_ready(clerk, "clerk1", INITIAL_PASSWORD)
    assert clerk.get("/auditlog/").status_code == 403
    rid = _id(engine, "ab_role", "name", "档案经办人")
    with engine.begin() as conn:
        pv = {v: i for i, v in conn.execute(sa.text(
            "select pv.id, vm.name from ab_permission_view pv join ab_view_menu vm on vm.id = pv.view_menu_id "
            "join ab_permission p on p.id = pv.permission_id where p.name = 'menu_access'"))}
        some_seal = conn.execute(sa.text("select seal from ab_permission_view_role where role_id = :r limit 1"),
                                 {"r": rid}).scalar()
        # Behind the application's back: one row without a seal, one with a seal copied from another row.
        conn.execute(sa.text("insert into ab_permission_view_role (permission_view_id, role_id) values (:p, :r)"),
                     {"p": pv["system"], "r": rid})
        conn.execute(sa.text("insert into ab_permission_view_role (permission_view_id, role_id, seal) "
                             "values (:p, :r, :s)"), {"p": pv["system.log"], "r": rid, "s": some_seal})
        uid = _id(engine, "ab_user", "username", "clerk1")
        conn.execute(sa.text("insert into ab_user_permission (user_id, permission_view_id, granted, seal, changed_at)"
                             " values (:u, :p, 1, :s, '2026-01-01')"),
                     {"u": uid, "p": pv["system.permission"], "s": "0" * 64})
    assert clerk.get("/auditlog/").status_code == 403
    assert clerk.get("/permissions/").status_code == 403
    assert "system" not in _menu_keys(_text(clerk.get("/")))
    alerts = audit_rows(engine, "告警")
    assert len(alerts) == 3  # once per offending row in this process, however many requests
    assert all(a.result == "失败" and "未经本系统写入" in a.summary for a in alerts)
    assert any("ab_user_permission" in a.summary for a in alerts)
    assert sum("缺失" in a.summary for a in alerts) == 1
    key = audit.audit_key(ops_app.extensions["archives_codec"].keyring)
    assert audit.verify(engine, key) is None


def test_system_admin_cannot_grant_itself_permissions(ops_app, engine, accounts):
    sysadm = ops_app.test_client()
    login_admin(sysadm, "sysadm", INITIAL_PASSWORD)
    page = _text(sysadm.get("/"))
    assert "system.permission" not in _menu_keys(page) and "system.notice" in _menu_keys(page)
    assert sysadm.get("/permissions/").status_code == 403
    sid = _id(engine, "ab_user", "username", "sysadm")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', _text(sysadm.get("/password/"))).group(1)
    resp = sysadm.post("/permissions/", data={"user": sid, "module": ["system", "system.permission", "personal"],
                                              "csrf_token": token})
    assert resp.status_code == 403
    # Nor can the 安全管理员 give it to the role or the user: 三员分立.
    admin = ops_app.test_client()
    login_admin(admin, "secadm", INITIAL_PASSWORD)
    rid = _id(engine, "ab_role", "name", "系统管理员")
    resp = _save(admin, "role", rid, ["workbench", "system", "system.notice", "system.permission"])
    assert "三员分立" in _text(resp) and "只能授予安全管理员" in _text(resp)
    resp = _save(admin, "user", sid, ["workbench", "system", "system.notice", "personal"])
    assert "三员分立" in _text(resp) and "业务数据" in _text(resp)
    resp = _save(admin, "user", sid, ["workbench", "system", "system.notice"], special=["can_export@personal_data"])
    assert "导出个人数据" in _text(resp)
    # A 安全管理员 cannot change its own grants either, nor take 用户权限 from its role.
    own = _id(engine, "ab_user", "username", "secadm")
    assert "不能修改自己的权限" in _text(_save(admin, "user", own, ["workbench"]))
    srid = _id(engine, "ab_role", "name", "安全管理员")
    assert "不能失去" in _text(_save(admin, "role", srid, ["workbench", "system"]))
    assert sysadm.get("/permissions/").status_code == 403
    refused = [r for r in audit_rows(engine, "授权") if r.result == "失败"]
    assert len(refused) == 5 and all(r.username == "secadm" for r in refused)


def test_audit_admin_only_reads(ops_app, engine, accounts):
    auditor = ops_app.test_client()
    login_admin(auditor, "auditor", INITIAL_PASSWORD)
    assert _menu_keys(_text(auditor.get("/"))) == {"workbench", "system", "system.log"}
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', _text(auditor.get("/password/"))).group(1)
    for method in ("post", "put", "delete", "patch"):
        resp = getattr(auditor, method)("/auditlog/", data={"csrf_token": token})
        assert resp.status_code == 405, method
        assert getattr(auditor, method)("/api/v1/audit-log/", data={"csrf_token": token}).status_code == 405
    assert auditor.get("/permissions/").status_code == 403
    assert auditor.post("/permissions/", data={"role": 1, "module": ["personal"], "csrf_token": token}).status_code == 403
    assert auditor.get("/users/list/").status_code == 403  # FAB's own user admin: no module, refused
    # No route of the log view changes anything: GET only.
    rules = [r for r in ops_app.url_map.iter_rules() if r.endpoint.startswith("AuditLogView.")]
    assert rules and all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)


def test_audit_log_search_and_audited_export(ops_app, engine, accounts):
    clerk = ops_app.test_client()
    from ops_http import login
    login(clerk, "clerk1", "Wrong#Pass1")
    auditor = ops_app.test_client()
    login_admin(auditor, "auditor", INITIAL_PASSWORD)
    page = _text(auditor.get("/auditlog/?username=clerk1&action=登录失败&result=失败"))
    assert "口令错误" in page and "共 1 条" in page
    assert "共 0 条" in _text(auditor.get("/auditlog/?username=clerk1&result=成功"))
    assert "授权" in _text(auditor.get("/auditlog/?module=用户权限"))
    assert "共 0 条" in _text(auditor.get("/auditlog/?start=2000-01-01&end=2000-01-02"))
    assert "共 0 条" not in _text(auditor.get("/auditlog/?start=2000-01-01"))
    for probe in ("' or '1'='1", "%' union select 1 --", "clerk1'; drop table audit_log; --", "_%"):
        resp = auditor.get("/auditlog/", query_string={"username": probe, "module": probe, "action": probe})
        assert resp.status_code == 200 and "共 0 条" in _text(resp), probe
        assert auditor.get("/api/v1/audit-log/", query_string={"username": probe}).get_json()["items"] == []
    resp = auditor.get("/auditlog/?start=not-a-date&page=-3")  # refused, naming the parameter (ops_app.params)
    assert resp.status_code == 400 and "参数 start 须为" in _text(resp)
    items = auditor.get("/api/v1/audit-log/?action=登录失败").get_json()["items"]
    assert [i["username"] for i in items] == ["clerk1"]
    resp = auditor.get("/auditlog/export.csv?username=clerk1")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["序号", "时间（北京）", "用户"] and len(rows) == 2 and rows[1][2] == "clerk1"
    export = audit_rows(engine, "导出")[-1]
    assert export.username == "auditor" and "1 条" in export.summary and "username=clerk1" in export.summary
    with engine.connect() as conn:
        m1, m2 = conn.execute(sa.text("select module1, module2 from audit_log where action='导出'")).one()
    assert (m1, m2) == ("系统管理", "系统日志")
    key = audit.audit_key(ops_app.extensions["archives_codec"].keyring)
    assert audit.verify(engine, key) is None


def test_permission_changes_are_audited_with_before_and_after(ops_app, engine, accounts):
    admin = ops_app.test_client()
    login_admin(admin, "secadm", INITIAL_PASSWORD)
    rid = _id(engine, "ab_role", "name", "查询员")
    _save(admin, "role", rid, ["workbench", "stats", "stats.archive"], special=["can_view_unmasked@personal_data"])
    with engine.connect() as conn:
        row = conn.execute(sa.text("select summary, before_data, after_data, module1, module2, object_type, object_id "
                                   "from audit_log where action='授权' and username='secadm'")).one()
    assert row.before_data == "工作台、个人快捷受理、个人信息管理、基础信息、综合统计、档案信息统计"
    assert row.after_data == "工作台、综合统计、档案信息统计、查看完整身份证号/电话"
    assert "授予 查看完整身份证号/电话" in row.summary and "收回 个人快捷受理" in row.summary
    assert (row.module1, row.module2, row.object_type, row.object_id) == ("系统管理", "用户权限", "角色", str(rid))


def test_default_grants_and_personal_data_permissions(ops_app, engine):
    from archives_domain.accounts import grants
    from ops_app.security import permissions as P
    with ops_app.app_context(), Session(engine) as s:
        key = ops_app.config["ARCHIVES_SEAL_KEY"]

        def held(role):
            return grants.role_grants(s, key, [_id(engine, "ab_role", "name", role)]).perms
        assert P.PRINT in held("档案经办人") and P.UNMASKED not in held("档案经办人")
        assert {P.UNMASKED, P.EXPORT, P.PRINT} <= held("业务负责人")
        assert held("审计管理员") == {P.module_perm(k) for k in ("workbench", "system", "system.log")}
        assert not any(p in held(r) for r in ("系统管理员", "安全管理员", "审计管理员") for p in (P.UNMASKED, P.EXPORT))
    with engine.connect() as conn:  # every grant row written by the app is sealed
        assert conn.execute(sa.text("select count(*) from ab_permission_view_role where seal is null")).scalar() == 0


def test_nothing_deletes_audit_rows():
    """Retention ≥ 180 days: no code of the system deletes from (or updates) audit_log at all."""
    assert audit.RETENTION_DAYS >= 180
    pattern = re.compile(r"(delete\s+from\s+`?audit_log|update\s+`?audit_log\b|delete\(\s*AuditLog|"
                         r"update\(\s*AuditLog|_audit\.delete|_audit\.update)", re.I)
    offenders = []
    for package in ("archives_domain", "ops_app", "archives_cli", "pipelines", "synth"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            if pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
