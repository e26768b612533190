"""用户组 management over HTTP on SQLite and MariaDB: the 系统管理员 creates, renames, fills and deletes the
groups of its agency (members only from its agency, audited before/after, stale edits refused), nobody else may
(三员分立), another agency's group is a 404, notices and to-dos offer only the user's agency's groups; and the
workbench counts the new kinds of business (业务经办统计) and shows any business verb in 已办业务."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain.accounts.users import create_user
from archives_domain.models import (ArchiveLoan, ArchiveMaterial, ArchiveTransferIn, ArchiveTransferOut, Certificate,
                                    CollectiveHukou, Group, HukouCardLoan, Notice, NoticeRecipient)
from archives_domain.models.quality import ReviewItem
from archives_domain.models.security import User, user_group
from biz_seed import COUNTY_B, GROUP, PREFECTURE, seed_persons, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD
from ops_http import csrf, login_admin, login_ready

D = dt.date


@pytest.fixture
def biz(ops_app, engine, codec):
    ids = seed_tree_and_users(engine, codec)
    ids["persons"] = seed_persons(engine, codec)
    with Session(engine) as s:
        create_user(s, username="secadm", password=INITIAL_PASSWORD, role_names=["安全管理员"], agency_code=COUNTY,
                    first_name="安全员")
        other = Group(name="云岩区档案组", label="云岩区档案组", agency_code=COUNTY_B)
        s.add(other)
        s.commit()
        ids["other_group"] = other.id
    return ids


def client(app, username):
    c = app.test_client()
    if username in ("secadm", "sysadm"):  # administrators always sign in with the second factor
        login_admin(c, username, INITIAL_PASSWORD)
    else:
        login_ready(c, username, INITIAL_PASSWORD)
    return c


def uid(engine, username):
    with engine.connect() as conn:
        return conn.execute(sa.text("select id from ab_user where username=:u"), {"u": username}).scalar()


def members(engine, name):
    with engine.connect() as conn:
        return sorted(conn.execute(sa.text(
            "select u.username from ab_user u join ab_user_group ug on ug.user_id=u.id join ab_group g "
            "on g.id=ug.group_id where g.name=:n"), {"n": name}).scalars())


def group_audit(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("select action, summary, before_data, after_data, result from audit_log "
                                    "where module2='用户组' order by id")).all()


def test_the_system_admin_manages_the_groups_of_its_agency(ops_app, engine, biz):
    adm = client(ops_app, "sysadm")
    page = adm.get("/groups/").get_data(as_text=True)
    assert GROUP in page and "云岩区档案组" not in page  # its own agency's groups only
    new = adm.get("/groups/new").get_data(as_text=True)
    assert "李经办（clerk3）" in new and "赵经办" not in new and "安全员" not in new  # agency users, no admins
    tok = csrf(adm, "/groups/new")
    resp = adm.post("/groups/new", data={"name": "档案接收组", "description": "负责接收", "csrf_token": tok,
                                         "members": [uid(engine, "clerk1"), uid(engine, "clerk3")]})
    assert resp.status_code == 302
    assert members(engine, "档案接收组") == ["clerk1", "clerk3"]
    with engine.connect() as conn:
        gid, agency, by = conn.execute(sa.text("select id, agency_code, created_by from ab_group "
                                               "where name='档案接收组'")).one()
    assert (agency, by) == (COUNTY, "sysadm")
    # A member of another agency or an administrator: 400, the field named, what was typed kept.
    for outsider in ("clerkb", "secadm"):
        resp = adm.post("/groups/new", data={"name": "临时组", "csrf_token": tok, "members": [uid(engine, outsider)]})
        body = resp.get_data(as_text=True)
        assert resp.status_code == 400 and 'id="members-error"' in body and 'value="临时组"' in body, outsider
    assert adm.post("/groups/new", data={"name": GROUP, "csrf_token": tok}).status_code == 400  # name taken
    # Rename and change members: audited with before/after.
    resp = adm.post(f"/groups/{gid}", data={"name": "档案转入组", "description": "负责接收", "version": "1",
                                            "_orig_name": "档案接收组", "csrf_token": tok,
                                            "members": [uid(engine, "clerk3")]})
    assert resp.status_code == 302 and members(engine, "档案转入组") == ["clerk3"]
    # A second editor with the old form: 409 naming who and what changed; the typed values stay.
    resp = adm.post(f"/groups/{gid}", data={"name": "别的名字", "version": "1", "_orig_name": "档案接收组",
                                            "_orig_members": f"{uid(engine, 'clerk1')},{uid(engine, 'clerk3')}",
                                            "csrf_token": tok})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "sysadm" in body and "用户组名称" in body and "成员" in body
    assert 'value="别的名字"' in body
    # Delete: refused while a notice was sent to the group, done once nothing points at it.
    with Session(engine) as s:
        n = Notice(agency_code=COUNTY, title="t", body="b", notice_type="通知", status="已发布")
        s.add(n)
        s.flush()
        s.add(NoticeRecipient(notice_id=n.id, group_id=gid))
        s.commit()
        nid = n.id
    adm.post(f"/groups/{gid}/delete", data={"csrf_token": tok})
    assert members(engine, "档案转入组") == ["clerk3"]
    with engine.begin() as conn:
        conn.execute(sa.text("delete from notice_recipient where notice_id=:n"), {"n": nid})
    assert adm.post(f"/groups/{gid}/delete", data={"csrf_token": tok}).status_code == 302
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from ab_group where id=:g"), {"g": gid}).scalar() == 0
    acts = [(r.action, r.result) for r in group_audit(engine)]
    assert acts == [("新增", "成功"), ("修改", "成功"), ("删除", "成功")]
    rows = group_audit(engine)
    assert json.loads(rows[0].after_data)["成员"] == ["clerk1", "clerk3"]
    assert json.loads(rows[1].before_data) == {"用户组名称": "档案接收组", "成员": ["clerk1", "clerk3"]}
    assert json.loads(rows[1].after_data) == {"用户组名称": "档案转入组", "成员": ["clerk3"]}
    # Another agency's group: 404 whatever the request.
    other = biz["other_group"]
    assert adm.get(f"/groups/{other}").status_code == 404
    assert adm.post(f"/groups/{other}", data={"name": "x", "csrf_token": tok}).status_code == 404
    assert adm.post(f"/groups/{other}/delete", data={"csrf_token": tok}).status_code == 404


@pytest.mark.parametrize("username", ["clerk1", "leader", "secadm"])
def test_only_the_system_admin_may_manage_groups(ops_app, engine, biz, username):
    c = client(ops_app, username)
    assert c.get("/groups/").status_code == 403
    assert c.get(f"/groups/{biz['group_id']}").status_code == 403
    tok = csrf(c, "/")
    assert c.post("/groups/new", data={"name": "越权组", "csrf_token": tok}).status_code == 403
    assert c.post(f"/groups/{biz['group_id']}/delete", data={"csrf_token": tok}).status_code == 403
    assert members(engine, GROUP) == ["clerk1"]


def test_the_group_module_is_the_system_admins_alone():
    from ops_app.security import permissions as P
    with pytest.raises(P.GrantError):
        P.check_grantable({"档案经办人"}, P.expand(["system.group"]), subject="档案经办人")
    with pytest.raises(P.GrantError):
        P.check_grantable({"安全管理员"}, P.expand(["system.group", "system.permission"]), subject="安全管理员")
    P.check_grantable({"系统管理员"}, P.expand(P.DEFAULT_GRANTS["系统管理员"]), subject="系统管理员")


def test_notices_and_todos_offer_only_the_groups_of_the_users_agency(ops_app, engine, biz):
    leader = client(ops_app, "leader")
    with engine.begin() as conn:
        conn.execute(sa.text("insert into todo (agency_code, business_type, title, due_on, status, version, "
                             "created_at, updated_at) values (:a, '库存搁置', '测试事项', :d, '待分配', 1, :t, :t)"),
                     {"a": COUNTY, "d": dt.date.today(), "t": dt.datetime.utcnow()})
        tid = conn.execute(sa.text("select id from todo")).scalar()
    page = leader.get("/").get_data(as_text=True)  # the quick publish form and the to-do assignment
    assert page.count(GROUP) >= 2 and "云岩区档案组" not in page
    tok = csrf(leader, "/")
    resp = leader.post(f"/workbench/todos/{tid}/assign", data={"assignee": f"g:{biz['other_group']}",
                                                              "csrf_token": tok})
    with engine.connect() as conn:
        assert conn.execute(sa.text("select assignee_group_id from todo")).scalar() is None
    leader.post(f"/workbench/todos/{tid}/assign", data={"assignee": f"g:{biz['group_id']}", "csrf_token": tok})
    with engine.connect() as conn:
        assert conn.execute(sa.text("select assignee_group_id from todo")).scalar() == biz["group_id"]


def test_workbench_counts_every_kind_of_new_business_by_its_date(ops_app, engine, biz):
    from ops_app.scope import scope_for
    from ops_app.views.workbench_queries import business_counts
    today = D(2026, 5, 20)
    pa = biz["persons"]["a"]
    pb = biz["persons"]["b"]
    utc = lambda *a: dt.datetime(*a) - dt.timedelta(hours=8)  # Beijing wall time -> stored UTC
    with Session(engine) as s:
        hk = CollectiveHukou(agency_code=COUNTY, person_id=pa, in_accept_date=today, out_accept_date=D(2026, 5, 2))
        s.add(hk)
        s.flush()
        s.add_all([
            ArchiveTransferIn(agency_code=COUNTY, person_id=pa, in_date=D(2026, 1, 2)),
            ArchiveTransferIn(agency_code=COUNTY, person_id=pa, in_date=D(2026, 5, 21)),  # tomorrow: not yet
            ArchiveTransferOut(agency_code=COUNTY, person_id=pa, out_date=D(2025, 12, 31)),  # last year
            ArchiveLoan(agency_code=COUNTY, person_id=pa, loan_date=D(2026, 5, 3), return_date=today),
            Certificate(agency_code=COUNTY, person_id=pa, cert_type="存档证明", cert_no="CD-1", issued_on=today),
            HukouCardLoan(agency_code=COUNTY, collective_hukou_id=hk.id, loan_date=today, return_date=today),
            ArchiveMaterial(agency_code=COUNTY, person_id=pa, category_code="1", title="履历表",
                            received_date=today, identified_date=today, archived_date=D(2026, 4, 1)),
            ReviewItem(agency_code=COUNTY, person_id=pa, field="学历", reason="x", status="已采纳",
                       decided_at=utc(2026, 5, 20, 0, 30)),  # today, just after Beijing midnight
            ReviewItem(agency_code=COUNTY, person_id=pa, field="学历", reason="x", status="已驳回",
                       decided_at=utc(2026, 5, 19, 23, 30)),  # yesterday
            ReviewItem(agency_code=COUNTY, person_id=pa, field="学历", reason="x"),  # not decided
            Certificate(agency_code=COUNTY_B, person_id=pb, cert_type="存档证明", cert_no="CD-2", issued_on=today),
        ])
        s.commit()
        rows = business_counts(s, scope_for(s, COUNTY, {"档案经办人"}), today)
        got = {r.business_type: (r.today, r.month, r.year) for r in rows if r.year}
    assert got == {"档案转入": (0, 0, 1), "档案借阅": (0, 1, 1), "档案归还": (1, 1, 1), "出具证明": (1, 1, 1),
                   "集体户口迁入": (1, 1, 1), "集体户口迁出": (0, 1, 1), "户籍卡借阅": (1, 1, 1),
                   "户籍卡归还": (1, 1, 1), "材料收集": (1, 1, 1), "材料鉴别": (1, 1, 1), "材料归档": (0, 0, 1),
                   "待核实处理": (1, 2, 2)}


def test_done_business_shows_any_business_verb_and_no_sign_ins(ops_app, engine, biz):
    from archives_domain import audit
    from ops_app.views.workbench_queries import done_business
    key = ops_app.config["ARCHIVES_AUDIT_KEY"]
    with Session(engine) as s:
        for action, result in (("接收", "成功"), ("归还", "成功"), ("登录", "成功"), ("出具", "失败"),
                               ("采纳", "成功"), ("查看", "成功")):
            audit.append(s, audit.AuditEntry(action=action, summary=f"{action}测试", result=result,
                                             username="clerk3", agency_code=COUNTY), key)
        s.commit()
        assert [r.action for r in done_business(s, "clerk3")] == ["采纳", "归还", "接收"]
