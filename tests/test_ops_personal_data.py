"""Audit of unmasked viewing, printing and uploading on 基础信息, and the capabilities on the 用户权限 tree
(SQLite and MariaDB)."""
from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from PIL import Image
from sqlalchemy.orm import Session

from archives_domain import audit
from archives_domain.accounts import grants
from biz_seed import ID_A, seed_persons, seed_tree_and_users
from conftest import INITIAL_PASSWORD
from ops_http import csrf, login_ready

import pytest

MODULE = ("个人快捷受理", "个人信息管理", "基础信息")


@pytest.fixture
def biz(ops_app, engine, codec):
    ids = seed_tree_and_users(engine, codec)
    ids["persons"] = seed_persons(engine, codec)
    with Session(engine) as s:  # a phone number for 张三
        from archives_domain.models import Person
        p = s.get(Person, ids["persons"]["a"])
        codec.set(p, "phone", "13812345678")
        s.commit()
    return ids


def client_for(app, username):
    c = app.test_client()
    login_ready(c, username, INITIAL_PASSWORD)
    return c


def _text(resp):
    return resp.get_data(as_text=True)


def entries(engine, action):
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "select username, agency_code, module1, module2, module3, object_type, object_id, client_ip, result, "
            "summary, after_data from audit_log where action = :a order by id"), {"a": action}).all()


def chain_ok(engine, app):
    return audit.verify(engine, app.config["ARCHIVES_AUDIT_KEY"])


def png(size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def test_unmasked_view_needs_its_permission_and_is_audited(ops_app, engine, biz):
    pa, pb = biz["persons"]["a"], biz["persons"]["b"]
    clerk = client_for(ops_app, "clerk1")  # 档案经办人: no 查看完整身份证号/电话 by default
    page = _text(clerk.get(f"/person/{pa}"))
    assert "520102********1234" in page and "138****5678" in page and ID_A not in page
    assert 'id="unmask"' not in page  # the action is not offered without the permission
    resp = clerk.post(f"/person/{pa}/full", data={"csrf_token": csrf(clerk, f"/person/{pa}")})
    assert resp.status_code == 403 and ID_A not in _text(resp)
    assert [r.result for r in entries(engine, "查看完整信息")] == ["失败"]

    leader = client_for(ops_app, "leader")  # 业务负责人 holds it
    page = _text(leader.get(f"/person/{pa}"))
    assert 'id="unmask"' in page and ID_A not in page
    resp = leader.post(f"/person/{pa}/full", data={"csrf_token": csrf(leader, f"/person/{pa}")})
    body = _text(resp)
    assert resp.status_code == 200 and ID_A in body and "13812345678" in body
    assert resp.headers["Cache-Control"] == "no-store"
    ok = [r for r in entries(engine, "查看完整信息") if r.result == "成功"]
    assert len(ok) == 1
    row = ok[0]
    assert (row.username, row.agency_code, (row.module1, row.module2, row.module3)) == ("leader", "52010201", MODULE)
    assert (row.object_type, row.object_id, row.client_ip) == ("人员", str(pa), "127.0.0.1")
    assert ID_A not in row.summary and "13812345678" not in row.summary  # the numbers never enter the log
    # Without the CSRF token, or for another agency's person: nothing shown, nothing logged as success.
    assert leader.post(f"/person/{pa}/full").status_code == 400
    assert leader.post(f"/person/{pb}/full", data={"csrf_token": csrf(leader, f"/person/{pa}")}).status_code == 404
    assert len([r for r in entries(engine, "查看完整信息") if r.result == "成功"]) == 1
    assert chain_ok(engine, ops_app) is None


def test_a_per_user_grant_on_the_tree_opens_unmasked_viewing(ops_app, engine, biz):
    """The 用户权限 tree governs it: granted to clerk1 alone (sealed user override), it works for clerk1."""
    from archives_domain.models.security import User
    from ops_app.security import permissions as P
    pa = biz["persons"]["a"]
    with ops_app.app_context(), Session(engine) as s:
        user = s.scalar(sa.select(User).where(User.username == "clerk1"))
        grants.set_user_overrides(s, ops_app.config["ARCHIVES_SEAL_KEY"], user, {P.UNMASKED: True}, P.universe(),
                                  "test")
        s.commit()
    clerk = client_for(ops_app, "clerk1")
    resp = clerk.post(f"/person/{pa}/full", data={"csrf_token": csrf(clerk, f"/person/{pa}")})
    assert resp.status_code == 200 and ID_A in _text(resp)
    assert [(r.username, r.result) for r in entries(engine, "查看完整信息")] == [("clerk1", "成功")]


def test_print_view_needs_the_print_permission_and_is_audited(ops_app, engine, biz):
    pa = biz["persons"]["a"]
    prov = client_for(ops_app, "prov")  # 查询员: reads 基础信息, may not print
    assert 'id="print-link"' not in _text(prov.get(f"/person/{pa}"))
    assert prov.get(f"/person/{pa}/print").status_code == 403
    assert [(r.username, r.result) for r in entries(engine, "打印")] == [("prov", "失败")]

    clerk = client_for(ops_app, "clerk1")  # 档案经办人 prints (masked: no unmasked permission)
    assert 'id="print-link"' in _text(clerk.get(f"/person/{pa}"))
    resp = clerk.get(f"/person/{pa}/print")
    page = _text(resp)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert 'id="print-detail"' in page and "NM2024001" in page and "520102********1234" in page and ID_A not in page
    assert 'class="navbar' not in page  # print-friendly: no menu
    row = entries(engine, "打印")[-1]
    assert (row.username, row.result, (row.module1, row.module2, row.module3)) == ("clerk1", "成功", MODULE)
    assert (row.object_type, row.object_id) == ("人员", str(pa))

    leader = client_for(ops_app, "leader")  # who may also see the whole numbers prints them whole — by POST
    assert ID_A not in _text(leader.get(f"/person/{pa}/print"))  # defect 12: a GET prints masked numbers
    assert ID_A in _text(leader.post(f"/person/{pa}/print", data={"full": "1",
                                                                    "csrf_token": csrf(leader, f"/person/{pa}")}))
    assert "完整" in entries(engine, "打印")[-1].summary
    assert chain_ok(engine, ops_app) is None


def test_upload_of_an_image_into_attachment_guarded_limited_and_audited(ops_app, engine, biz, settings):
    pa, pb = biz["persons"]["a"], biz["persons"]["b"]
    prov = client_for(ops_app, "prov")  # 查询员: no 上传附件
    resp = prov.post(f"/person/{pa}/attachments", data={"csrf_token": csrf(prov, "/"),
                                                        "file": (io.BytesIO(png()), "a.png")})
    assert resp.status_code == 403
    assert [(r.username, r.result) for r in entries(engine, "上传")] == [("prov", "失败")]

    clerk = client_for(ops_app, "clerk1")
    token = csrf(clerk, f"/person/{pa}")
    data = png()
    resp = clerk.post(f"/person/{pa}/attachments", content_type="multipart/form-data",
                      data={"csrf_token": token, "purpose": "身份证复印件",
                            "file": (io.BytesIO(data), "../../etc/<证件>照片.png")})
    assert resp.status_code == 302, _text(resp)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select id, agency_code, owner_type, owner_id, filename, content_type, size_bytes, "
                                    "sm3, storage_key, created_by from attachment")).all()
    assert len(rows) == 1
    a = rows[0]
    assert (a.agency_code, a.owner_type, a.owner_id, a.content_type, a.size_bytes, a.created_by) == \
        ("52010201", "person", pa, "image/png", len(data), "clerk1")
    assert a.filename == "_证件_照片.png"  # no directories, no reserved characters
    stored = Path(settings.var_dir) / a.storage_key
    assert stored.read_bytes() == data and a.storage_key.startswith("attachments/52010201/")
    import hashlib
    assert a.sm3 == hashlib.new("sm3", data).hexdigest()
    assert "_证件_照片.png" in _text(clerk.get(f"/person/{pa}"))
    ok = [r for r in entries(engine, "上传") if r.result == "成功"]
    assert len(ok) == 1 and (ok[0].object_type, ok[0].object_id, ok[0].username) == ("人员", str(pa), "clerk1")
    assert (ok[0].module1, ok[0].module2, ok[0].module3) == MODULE and f'"attachment_id": {a.id}' in ok[0].after_data

    # Refused: not an image (whatever its name says), too large, another agency's person, no CSRF token.
    for name, content in (("x.png", b"<script>alert(1)</script>"), ("big.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024))):
        resp = clerk.post(f"/person/{pa}/attachments", content_type="multipart/form-data",
                          data={"csrf_token": token, "file": (io.BytesIO(content), name)})
        assert resp.status_code in (302, 413)
    assert clerk.post(f"/person/{pb}/attachments", content_type="multipart/form-data",
                      data={"csrf_token": token, "file": (io.BytesIO(png()), "b.png")}).status_code == 404
    assert clerk.post(f"/person/{pa}/attachments", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(png()), "c.png")}).status_code == 400
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from attachment")).scalar() == 1
    assert len([r for r in entries(engine, "上传") if r.result == "成功"]) == 1
    assert len(list((Path(settings.var_dir) / "attachments").rglob("*.*"))) == 1
    assert chain_ok(engine, ops_app) is None


def test_filename_cleaning():
    from archives_domain.files import clean_filename
    assert clean_filename("C:\\Users\\a\\扫描件.JPG", "jpg") == "扫描件.JPG"
    assert clean_filename("../../x\x00y.png", "png") == "x_y.png"
    assert clean_filename("", "png") == "upload.png" and clean_filename("...", "tif") == "upload.tif"
    assert len(clean_filename("长" * 500 + ".png", "png")) <= 100


def test_capabilities_are_permissions_on_the_tree(ops_app, engine, biz):
    """notice.publish, todo.assign and attachment.upload are grantable permissions, defaulting to the same roles
    as before; revoking one on the tree takes it away."""
    from archives_domain.models.security import Role
    from ops_app.security import permissions as P
    key = ops_app.config["ARCHIVES_SEAL_KEY"]
    with ops_app.app_context(), Session(engine) as s:
        def held(role):
            r = s.scalar(sa.select(Role).where(Role.name == role))
            return grants.role_grants(s, key, [r.id]).perms
        assert P.PUBLISH in held("系统管理员") and P.PUBLISH in held("业务负责人")
        assert P.ASSIGN in held("业务负责人") and P.ASSIGN not in held("档案经办人")
        assert P.UPLOAD in held("档案经办人") and P.UPLOAD not in held("查询员")
        assert not any(p in held(r) for r in ("安全管理员", "审计管理员") for p in (P.PUBLISH, P.ASSIGN, P.UPLOAD))
        with pytest.raises(P.GrantError):  # 三员分立: no business operation for an admin role
            P.check_grantable({"系统管理员"}, P.expand(P.DEFAULT_GRANTS["系统管理员"]) | {P.ASSIGN}, subject="系统管理员")
        P.check_grantable({"系统管理员"}, P.expand(P.DEFAULT_GRANTS["系统管理员"]), subject="系统管理员")
        leader_role = s.scalar(sa.select(Role).where(Role.name == "业务负责人"))
        grants.set_role_grants(s, key, leader_role, held("业务负责人") - {P.ASSIGN, P.PUBLISH}, P.universe())
        s.commit()
    leader = client_for(ops_app, "leader")
    page = _text(leader.get("/"))
    assert 'id="quick-form"' not in page and 'name="assignee"' not in page
    assert leader.get("/notices/").status_code == 403
    assert leader.post("/todos/1/assign", data={"csrf_token": csrf(leader, "/"), "assignee": "g:1"}).status_code in (403, 404)
