"""The business half of issue 5 over HTTP, on SQLite and MariaDB: 通知公告 (templates, sanitised 正文,
publishing to groups/users, read markers), 工作台 panels, 待办事项 (generated, assigned, done), data scope by
agency on 人员基础信息 (page and API), search fields probed with SQL injection, audit entries."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain import audit
from archives_domain.models import ArchiveTransferIn, ArchiveTransferOut, Notice, Person, Todo
from archives_domain.todos import generate_todos
from ops_http import login_admin
from biz_seed import COUNTY_B, COUNTY_C, GROUP, ID_A, ID_B, PREFECTURE, seed_persons, seed_todo_sources, \
    seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD, PROVINCE
from ops_http import audit_rows, csrf, login_ready

PROBES = ["' OR '1'='1", "1 OR 1=1", "'; DROP TABLE person; --", "\" OR \"\"=\"", "%", "_", "\\", "1' UNION SELECT "
          "username, password FROM ab_user --", "NM2024001' --", "张三' OR 1=1#"]


def _text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def biz(ops_app, engine, codec):
    ids = seed_tree_and_users(engine, codec)
    ids["persons"] = seed_persons(engine, codec)
    return ids


def client_for(app, username):
    c = app.test_client()
    login_ready(c, username, INITIAL_PASSWORD)
    return c


def token(c, path="/"):
    return csrf(c, path)


def user_id(engine, username):
    with engine.connect() as conn:
        return conn.execute(sa.text("select id from ab_user where username = :u"), {"u": username}).scalar()


# -- 通知公告 ------------------------------------------------------------------------------------------
def test_notice_from_template_published_to_a_group_reaches_its_members_only(ops_app, engine, biz):
    leader = client_for(ops_app, "leader")
    resp = leader.post("/notices/templates/new", data={"name": "年度审核", "notice_type": "政策",
                                                       "body": "<p>请于<b>月底前</b>完成档案年度审核。</p>",
                                                       "csrf_token": token(leader, "/notices/templates/new")})
    assert resp.status_code == 302
    with engine.connect() as conn:
        tid = conn.execute(sa.text("select id from notice_template where name='年度审核'")).scalar()
    form = _text(leader.get(f"/notices/new?template_id={tid}"))
    assert "月底前" in form and re.search(r'<option selected value="政策">|<option value="政策" selected', form)
    resp = leader.post("/notices/new", data={"template_id": tid, "title": "关于年度审核的通知", "notice_type": "政策",
                                             "publisher_id": user_id(engine, "leader"),
                                             "body": "<p>请于<b>月底前</b>完成档案年度审核。</p>",
                                             "csrf_token": token(leader, "/notices/new")})
    assert resp.status_code == 302 and "/publish" in resp.location
    publish = resp.location
    resp = leader.post(publish, data={"group_ids": biz["group_id"], "csrf_token": token(leader, publish)})
    assert resp.status_code == 302

    member, outsider = client_for(ops_app, "clerk1"), client_for(ops_app, "clerk3")
    page = _text(member.get("/"))
    assert "关于年度审核的通知" in page and "1 未读" in page
    assert "关于年度审核的通知" not in _text(outsider.get("/"))
    with engine.connect() as conn:
        nid = conn.execute(sa.text("select id from notice where title='关于年度审核的通知'")).scalar()
    assert outsider.get(f"/notices/{nid}/view").status_code == 404
    assert outsider.post(f"/notices/{nid}/read", data={"csrf_token": token(outsider)}).status_code == 404
    shown = _text(member.get(f"/notices/{nid}/view"))
    assert "<b>月底前</b>" in shown
    assert member.post(f"/notices/{nid}/read", data={"csrf_token": token(member)}).status_code == 302
    page = _text(member.get("/"))
    assert "关于年度审核的通知" in page and "未读" not in page
    # Only holders of notice.publish manage notices.
    assert member.get("/notices/").status_code == 403
    assert member.post(publish, data={"group_ids": biz["group_id"], "csrf_token": token(member)}).status_code == 403
    # Audited: template, notice, publication, with the module path.
    rows = [r for r in audit_rows(engine) if r.username == "leader" and r.action in ("新增", "发布")]
    assert [r.action for r in rows] == ["新增", "新增", "发布"]
    assert GROUP in rows[-1].summary
    with engine.connect() as conn:
        path = conn.execute(sa.text("select module1, module2 from audit_log where action='发布'")).one()
    assert tuple(path) == ("系统管理", "通知公告")
    # The leader's own 已办业务 shows it.
    assert "发布通知公告《关于年度审核的通知》" in _text(leader.get("/"))


def test_notice_published_to_a_user_and_edited_is_audited_with_before_and_after(ops_app, engine, biz):
    # The 发布者 is another publisher of the leader's scope (tests/test_ops_notice_scope.py: no one else).
    from archives_domain.accounts.users import create_user
    with Session(engine) as s:
        create_user(s, username="deputy", password=INITIAL_PASSWORD, role_names=["业务负责人"], agency_code=COUNTY)
        s.commit()
    leader = client_for(ops_app, "leader")
    resp = leader.post("/notices/new", data={"template_id": 0, "title": "提示一", "notice_type": "提示",
                                             "publisher_id": user_id(engine, "deputy"), "body": "<p>甲</p>",
                                             "csrf_token": token(leader, "/notices/new")})
    nid = int(re.search(r"/notices/(\d+)/publish", resp.location).group(1))
    resp = leader.post(f"/notices/{nid}/edit", data={"template_id": 0, "title": "提示一（修订）", "notice_type": "关注",
                                                     "publisher_id": user_id(engine, "deputy"), "body": "<p>乙</p>",
                                                     "csrf_token": token(leader, f"/notices/{nid}/edit")})
    assert resp.status_code == 302
    leader.post(f"/notices/{nid}/publish", data={"user_ids": user_id(engine, "clerk3"),
                                                 "csrf_token": token(leader, f"/notices/{nid}/publish")})
    assert "提示一（修订）" in _text(client_for(ops_app, "clerk3").get("/"))
    assert "提示一（修订）" not in _text(client_for(ops_app, "clerk1").get("/"))
    with engine.connect() as conn:
        before, after = conn.execute(sa.text("select before_data, after_data from audit_log where action='修改'")).one()
    assert "提示一" in before and "提示一（修订）" in after and "关注" in after
    # The list is searchable by 公告类型 and 发布者.
    listing = _text(leader.get(f"/notices/?notice_type=关注&publisher_id={user_id(engine, 'deputy')}"))
    assert "提示一（修订）" in listing and "共 1 条" in listing
    assert "共 0 条" in _text(leader.get("/notices/?notice_type=政策"))
    assert "共 0 条" in _text(leader.get(f"/notices/?publisher_id={user_id(engine, 'leader')}"))


def test_script_in_a_notice_body_is_neutralised(ops_app, engine, biz):
    leader = client_for(ops_app, "leader")
    evil = ('<p onclick="steal()">正文<script>alert(document.cookie)</script>'
            '<img src=x onerror="alert(1)"><a href="javascript:alert(2)">链接</a>'
            '<iframe src="https://evil.example"></iframe><b style="x:expression(alert(3))">粗</b></p>')
    c = token(leader)
    resp = leader.post("/notices/quick", data={"title": "XSS", "notice_type": "通知", "body": evil,
                                               "user_ids": user_id(engine, "clerk1"), "csrf_token": c})
    assert resp.status_code == 302
    with engine.connect() as conn:
        stored, nid = conn.execute(sa.text("select body, id from notice where title='XSS'")).one()
    for bad in ("<script", "onclick", "onerror", "javascript:", "<iframe", "<img", "style=", "alert("):
        assert bad not in stored, bad
    assert "正文" in stored and "<b>粗</b>" in stored and "链接" in stored
    clerk = client_for(ops_app, "clerk1")
    page = _text(clerk.get(f"/notices/{nid}/view"))
    body = page[page.index('id="notice-body"'):]
    body = body[:body.index("</div>")]
    assert "<script" not in body and "onerror" not in body and "javascript:" not in body
    # The title is escaped, not sanitised: markup in it shows as text.
    leader.post("/notices/quick", data={"title": "<script>alert(1)</script>", "notice_type": "通知", "body": "x",
                                        "user_ids": user_id(engine, "clerk1"), "csrf_token": c})
    page = _text(clerk.get("/"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


# -- data scope --------------------------------------------------------------------------------------
def test_a_clerk_sees_only_their_agency_a_provincial_user_sees_all(ops_app, engine, biz):
    pa, pb, pc = (biz["persons"][k] for k in "abc")
    clerk = client_for(ops_app, "clerk1")
    listing = _text(clerk.get("/person/"))
    assert "NM2024001" in listing and "YY2024001" not in listing and "共 1 人" in listing
    assert ID_A not in listing and "520102********1234" in listing  # masked through the PII codec
    assert clerk.get(f"/person/{pa}").status_code == 200
    assert clerk.get(f"/person/{pb}").status_code == 404  # by URL
    assert clerk.get(f"/api/v1/person/{pb}").status_code == 404  # by API
    assert clerk.get("/api/v1/person/").get_json()["count"] == 1
    assert clerk.get(f"/api/v1/person/?archive_no=YY2024001").get_json()["count"] == 0

    prov = client_for(ops_app, "prov")
    data = prov.get("/api/v1/person/").get_json()
    assert data["count"] == 3 and {r["archive_no"] for r in data["result"]} == {"NM2024001", "YY2024001", "HHG2024001"}
    assert prov.get(f"/api/v1/person/{pb}").get_json()["result"]["id_number"] == "520103********3456"
    assert prov.get(f"/person/{pa}").status_code == 200 and prov.get(f"/person/{pb}").status_code == 200

    pref = client_for(ops_app, "prefquery")  # a prefecture sees its counties, not the province's others
    assert {r["archive_no"] for r in pref.get("/api/v1/person/").get_json()["result"]} == {"HHG2024001"}
    assert pref.get(f"/person/{pc}").status_code == 200 and pref.get(f"/person/{pb}").status_code == 404

    admin = ops_app.test_client()  # 三员分立: the system administrator reads no business data
    login_admin(admin, "sysadm", INITIAL_PASSWORD)
    assert admin.get("/person/").status_code == 403 and admin.get("/api/v1/person/").status_code == 403
    assert ops_app.test_client().get("/api/v1/person/").status_code == 401


def test_exact_search_by_id_number_uses_the_blind_index(ops_app, engine, biz):
    prov = client_for(ops_app, "prov")
    data = prov.get(f"/api/v1/person/?id_number={ID_B}").get_json()
    assert [r["archive_no"] for r in data["result"]] == ["YY2024001"]
    part = prov.get(f"/api/v1/person/?id_number={ID_B[:10]}")  # exact only: a part of a number is said so
    assert part.status_code == 400 and "身份证号码格式不正确：长度错误" in part.get_json()["message"]
    assert "李四" in _text(prov.get(f"/person/?id_number={ID_B.lower()}"))
    assert prov.get("/api/v1/person/?name=张三").get_json()["count"] == 1
    clerkb = client_for(ops_app, "clerkb")
    # out of scope: nobody found (ID_A's check character is wrong, so the answer says so — as for a number
    # that exists nowhere: nothing tells that it exists at another agency)
    out = clerkb.get(f"/api/v1/person/?id_number={ID_A}")
    assert out.status_code == 400 and "result" not in out.get_json()
    assert out.get_json()["message"].startswith("身份证号码格式不正确：校验码错误")


def test_personal_data_pages_are_not_cached(ops_app, engine, biz):
    prov = client_for(ops_app, "prov")
    for path in ("/person/", f"/person/{biz['persons']['a']}", "/api/v1/person/",
                 f"/api/v1/person/{biz['persons']['a']}", "/"):
        resp = prov.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["Cache-Control"] == "no-store", path


def test_sql_injection_probes_in_every_search_field_are_harmless(ops_app, engine, biz):
    prov, leader = client_for(ops_app, "prov"), client_for(ops_app, "leader")
    leader.post("/notices/quick", data={"title": "公告甲", "notice_type": "通知", "body": "x",
                                        "user_ids": user_id(engine, "clerk1"), "csrf_token": token(leader)})
    for probe in PROBES:
        for field in ("archive_no", "name", "id_number", "q"):
            resp = prov.get("/person/", query_string={field: probe})
            if field == "id_number":  # not an ID number: said so (issue 13), never a list of nobody
                assert resp.status_code == 400 and "身份证号码格式不正确" in _text(resp), (field, probe)
            else:
                assert resp.status_code == 200 and "共 0 人" in _text(resp), (field, probe)
                assert prov.get("/api/v1/person/", query_string={field: probe}).get_json()["count"] == 0
            resp = prov.get("/api/v1/person/", query_string={field: probe, "page": probe, "page_size": probe})
            # junk paging parameters: a 400 naming the parameter (the 身份证 first when it is junk too)
            assert resp.status_code == 400 and resp.get_json()["field"] in ("page_size", "身份证"), (field, probe)
        for field in ("notice_type", "publisher_id", "q"):
            resp = leader.get("/notices/", query_string={field: probe})
            if field == "publisher_id":  # not an id: a 400 naming the parameter (issue 13), never a 500
                assert resp.status_code == 400 and "参数 publisher_id" in _text(resp), (field, probe)
                continue
            assert resp.status_code == 200 and "共 0 条" in _text(resp), (field, probe)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from person")).scalar() == 3
        assert conn.execute(sa.text("select count(*) from notice")).scalar() == 1


# -- 待办事项 ------------------------------------------------------------------------------------------
def test_todos_are_generated_idempotently_from_business_state(engine, biz):
    today = dt.date(2026, 5, 20)
    src = seed_todo_sources(engine, biz["persons"], today)
    with Session(engine) as s:
        assert generate_todos(s, COUNTY, today) == 4
        s.commit()
        assert generate_todos(s, COUNTY, today) == 0  # same day: nothing new
        s.commit()
        rows = s.scalars(sa.select(Todo).order_by(Todo.business_type)).all()
        assert sorted((t.business_type, t.source_table, t.source_id) for t in rows) == sorted([
            ("回执超期", "archive_transfer_out", src["late"]), ("借阅逾期", "archive_loan", src["overdue"]),
            ("库存搁置", "inventory_mark", src["hold"]), ("数据核实", "dq_review_item", src["review"])])
        assert all(t.status == "待分配" and t.due_on == today and t.agency_code == COUNTY for t in rows)
        # Next day: the open ones are carried over, not raised again.
        assert generate_todos(s, COUNTY, today + dt.timedelta(days=1)) == 0
        s.commit()
        # The receipt comes back: its to-do is closed by the system.
        s.get(ArchiveTransferOut, src["late"]).receipt_returned = True
        s.commit()
        generate_todos(s, COUNTY, today + dt.timedelta(days=1))
        s.commit()
        t = s.scalar(sa.select(Todo).where(Todo.source_table == "archive_transfer_out"))
        assert t.status == "已办结" and t.done_by == "系统"
        assert generate_todos(s, COUNTY_B, today) == 1  # county B's own late receipt
        s.commit()
        assert s.scalar(sa.select(sa.func.count()).select_from(Todo)) == 5


def test_a_todo_is_assigned_by_the_leader_and_done_by_the_assignee(ops_app, engine, biz):
    today = (dt.datetime.utcnow() + dt.timedelta(hours=8)).date()
    src = seed_todo_sources(engine, biz["persons"], today)
    leader, clerk1, clerk3 = (client_for(ops_app, u) for u in ("leader", "clerk1", "clerk3"))
    page = _text(leader.get("/"))  # opening the workbench generates the day's to-dos
    assert "催还借阅档案" in page and "催收转出回执" in page
    with engine.connect() as conn:
        tid = conn.execute(sa.text("select id from todo where source_table='archive_loan'")).scalar()
        assert conn.execute(sa.text("select count(*) from todo")).scalar() == 4
    assert clerk1.post(f"/workbench/todos/{tid}/assign",
                       data={"assignee": f"u:{user_id(engine, 'clerk1')}", "csrf_token": token(clerk1)}).status_code == 403
    resp = leader.post(f"/workbench/todos/{tid}/assign",
                       data={"assignee": f"u:{user_id(engine, 'clerk1')}", "csrf_token": token(leader)})
    assert resp.status_code == 302
    assert clerk3.post(f"/workbench/todos/{tid}/done", data={"csrf_token": token(clerk3)}).status_code == 403
    assert client_for(ops_app, "clerkb").post(f"/workbench/todos/{tid}/done",
                                              data={"csrf_token": csrf(ops_app.test_client(), "/login/")}
                                              ).status_code in (400, 404)
    assert clerk1.post(f"/workbench/todos/{tid}/done", data={"csrf_token": token(clerk1)}).status_code == 302
    with engine.connect() as conn:
        status, done_by = conn.execute(sa.text("select status, done_by from todo where id=:i"), {"i": tid}).one()
    assert (status, done_by) == ("已办结", "clerk1")
    # Assigned to a group: any member may finish it.
    with engine.connect() as conn:
        tid2 = conn.execute(sa.text("select id from todo where source_table='inventory_mark'")).scalar()
    leader.post(f"/workbench/todos/{tid2}/assign", data={"assignee": f"g:{biz['group_id']}", "csrf_token": token(leader)})
    assert clerk1.post(f"/workbench/todos/{tid2}/done", data={"csrf_token": token(clerk1)}).status_code == 302
    acts = [(r.username, r.action) for r in audit_rows(engine) if r.action in ("分配", "办结")]
    assert acts == [("leader", "分配"), ("clerk1", "办结"), ("leader", "分配"), ("clerk1", "办结")]
    assert audit.verify(engine, ops_app.config["ARCHIVES_AUDIT_KEY"]) is None
    assert "办结待办事项" in _text(clerk1.get("/"))  # in the clerk's 已办业务


# -- 业务经办统计 -------------------------------------------------------------------------------------
def test_business_counts_by_type_and_period_for_a_scope(ops_app, engine, biz):
    from ops_app.scope import scope_for
    from ops_app.views.workbench_queries import business_counts
    today = dt.date(2026, 5, 20)
    utc = lambda *a: dt.datetime(*a) - dt.timedelta(hours=8)  # Beijing wall time -> stored UTC
    pa, pb, pc = (biz["persons"][k] for k in "abc")
    with Session(engine) as s:
        for agency, person, when in (
                (COUNTY, pa, utc(2026, 5, 20, 0, 30)),    # today (just after Beijing midnight)
                (COUNTY, pa, utc(2026, 5, 19, 23, 30)),   # yesterday, this month
                (COUNTY, pa, utc(2026, 5, 1, 9, 0)),      # this month
                (COUNTY, pa, utc(2026, 2, 1, 9, 0)),      # this year
                (COUNTY, pa, utc(2025, 12, 31, 23, 59)),  # last year
                (COUNTY_B, pb, utc(2026, 5, 20, 10, 0)),
                (COUNTY_C, pc, utc(2026, 5, 20, 10, 0)), (COUNTY_C, pc, utc(2026, 3, 3, 10, 0))):
            # counted by the business date (转入日期, a Beijing date), not by when the row was keyed in
            s.add(ArchiveTransferIn(agency_code=agency, person_id=person, in_date=(when + dt.timedelta(hours=8)).date(),
                                    created_at=today - dt.timedelta(days=400)))
        s.add(ArchiveTransferOut(agency_code=COUNTY, person_id=pa, out_date=today))
        s.commit()

        def counts(agency, roles):
            rows = business_counts(s, scope_for(s, agency, set(roles)), today)
            return {r.business_type: (r.today, r.month, r.year) for r in rows if r.year}

        assert counts(COUNTY, ["档案经办人"]) == {"档案转入": (1, 3, 4), "档案转出": (1, 1, 1)}
        assert counts(COUNTY_B, ["档案经办人"]) == {"档案转入": (1, 1, 1)}
        assert counts(PREFECTURE, ["统计分析员"]) == {"档案转入": (1, 1, 2)}
        assert counts(PROVINCE, ["查询员"]) == {"档案转入": (3, 5, 7), "档案转出": (1, 1, 1)}
        assert counts(PROVINCE, ["档案经办人"]) == {}  # a clerk at the province: the province's own data only
        assert counts(PROVINCE, ["系统管理员"]) == {}


def test_workbench_statistics_panel_shows_the_scope(ops_app, engine, biz):
    pa, pb = biz["persons"]["a"], biz["persons"]["b"]
    day = (dt.datetime.utcnow() + dt.timedelta(hours=8)).date()
    with Session(engine) as s:
        s.add_all([ArchiveTransferIn(agency_code=COUNTY, person_id=pa, in_date=day),
                   ArchiveTransferIn(agency_code=COUNTY, person_id=pa, in_date=day),
                   ArchiveTransferIn(agency_code=COUNTY_B, person_id=pb, in_date=day)])
        s.commit()
    row = lambda page: re.search(r'data-business="档案转入"><td>档案转入</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>',
                                 page).groups()
    assert row(_text(client_for(ops_app, "clerk1").get("/"))) == ("2", "2", "2")
    page = _text(client_for(ops_app, "prov").get("/"))
    assert row(page) == ("3", "3", "3") and "本机构及下级机构（5 个）" in page


# -- 常用功能 ------------------------------------------------------------------------------------------
def test_shortcuts_are_the_users_own_and_can_be_added_moved_and_removed(ops_app, engine, biz):
    c = client_for(ops_app, "clerk1")
    for key in ("personal.info.basic", "transfer.loan", "warehouse.consult"):
        assert c.post("/workbench/shortcuts/add", data={"menu_key": key, "csrf_token": token(c)}).status_code == 302
    assert c.post("/workbench/shortcuts/add", data={"menu_key": "no.such", "csrf_token": token(c)}).status_code == 302

    def keys(engine, username):
        with engine.connect() as conn:
            return [k for (k,) in conn.execute(sa.text(
                "select menu_key from user_shortcut s join ab_user u on u.id = s.user_id where u.username=:u "
                "order by sort_order, s.id"), {"u": username})]

    assert keys(engine, "clerk1") == ["personal.info.basic", "transfer.loan", "warehouse.consult"]
    with engine.connect() as conn:
        ids = dict(conn.execute(sa.text("select menu_key, id from user_shortcut")).all())
    c.post(f"/workbench/shortcuts/{ids['warehouse.consult']}/move", data={"direction": "up", "csrf_token": token(c)})
    assert keys(engine, "clerk1") == ["personal.info.basic", "warehouse.consult", "transfer.loan"]
    c.post(f"/workbench/shortcuts/{ids['personal.info.basic']}/remove", data={"csrf_token": token(c)})
    assert keys(engine, "clerk1") == ["warehouse.consult", "transfer.loan"]
    page = _text(c.get("/"))
    assert 'data-shortcut="warehouse.consult"' in page and 'data-shortcut="personal.info.basic"' not in page
    other = client_for(ops_app, "clerk3")  # nobody else's shortcuts, nor can they be touched
    assert 'data-shortcut="warehouse.consult"' not in _text(other.get("/"))
    assert other.post(f"/workbench/shortcuts/{ids['transfer.loan']}/remove",
                      data={"csrf_token": token(other)}).status_code == 404
    assert c.post(f"/workbench/shortcuts/{ids['transfer.loan']}/remove", data={}).status_code == 400  # CSRF


def test_fab_base_filter_applies_the_same_scope(ops_app, engine, biz):
    from flask import g
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from ops_app.scope import AgencyScopeFilter
    with ops_app.test_request_context("/"):
        sm = ops_app.appbuilder.sm
        g.user = sm.session.scalar(sa.select(sm.user_model).where(sm.user_model.username == "clerkb"))
        flt = AgencyScopeFilter("agency_code", SQLAInterface(Person, ops_app.appbuilder.session))
        rows = flt.apply(ops_app.appbuilder.session.query(Person), None).all()
        assert [p.archive_no for p in rows] == ["YY2024001"]
