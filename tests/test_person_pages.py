"""个人信息管理: the person page's commands (archives_domain.business.person_pages, person_history) and its
pages and API — tabs marked by their records, every data page editable by a clerk, the optimistic lock
between two clerks, bad input named with everything typed kept, scope (404), 查询员 read-only, clerk_fields.
SQLite and MariaDB."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain import audit as audit_chain
from archives_domain.business import person_pages as pages
from archives_domain.business.base import Actor, ConflictError, Context, FieldErrors, NotFound
from archives_domain.models import (ArchiveLoan, ArchiveMaterial, AuditLog, CollectiveHukou, PartyMember, Person,
                                    PersonFamily, PersonStudy, PersonWork)
from biz_seed import COUNTY_B, ID_A, PROVINCE, add_person, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD, seed_agencies_and_users
from ops_http import csrf, login_ready

GOOD_ID = "11010519491231002X"  # a valid 身份证 (born 1949-12-31)
_OPEN: list[Session] = []


@pytest.fixture(autouse=True)
def _close_sessions(request):
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine")
    yield
    while _OPEN:
        _OPEN.pop().close()


def _ctx(engine, codec, tmp_path, username="clerk1", scope=(COUNTY,)) -> Context:
    s = Session(engine)
    _OPEN.append(s)
    return Context(s, Actor(username, COUNTY, frozenset(scope), display_name=username), audit_chain.audit_key(
        codec.keyring), codec, tmp_path / "var", today=dt.date(2026, 3, 1))


def _migrated_rows(s, p: Person):
    s.add_all([PersonStudy(agency_code=p.agency_code, person_id=p.id, school="贵州大学", major="法学",
                           start_date=dt.date(2008, 9, 1), end_date=dt.date(2012, 7, 1), source="采集表", seq=1),
               PersonWork(agency_code=p.agency_code, person_id=p.id, employer="贵阳某某建设有限公司",
                          start_date=dt.date(2012, 8, 1), position="技术员", source="采集表", seq=1)])


@pytest.fixture
def seeded(engine, codec):
    seed_agencies_and_users(engine, {"clerk1": ["档案经办人"]})
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        a = add_person(s, codec, COUNTY, "NM1", "张三", ID_A, party_member_type="预备党员")
        b = add_person(s, codec, COUNTY_B, "YY1", "李四", "520103198502023456")
        _migrated_rows(s, a)
        s.add(PartyMember(agency_code=COUNTY, person_id=a.id, member_type="预备党员", party_org="南明区流动党员支部"))
        s.commit()
        return {"a": a.id, "b": b.id}


# -- commands ------------------------------------------------------------------------------------------------
def test_update_basic_names_bad_fields_warns_on_birth_date_and_keeps_party_member_in_step(engine, codec, seeded,
                                                                                          tmp_path):
    ctx = _ctx(engine, codec, tmp_path)
    p = pages.get_person(ctx, seeded["a"])
    with pytest.raises(FieldErrors) as exc:
        pages.update_basic(ctx, p.id, {"name": "张三丰", "birth_date": "1990-02-30", "id_number": "110105194912310021",
                                       "party_full_date": "2020-01-01"}, version=p.version)
    assert set(exc.value.errors) == {"birth_date", "id_number"}
    assert exc.value.errors["birth_date"].startswith("出生日期：") and exc.value.errors["id_number"].startswith("身份证：")
    with Session(engine) as s:
        assert s.get(Person, seeded["a"]).name == "张三"  # nothing written
    raw = {**pages.form_values(p, pages.BASIC_SPECS, codec), "name": "张三丰", "id_number": GOOD_ID,
           "birth_date": "1950-01-01", "party_member_type": "正式党员", "org_rel_in_date": "2024-05-06",
           "entrust_mode": "个人委托", "transfer_out_to": "不应写入"}
    p, warnings = pages.update_basic(ctx, p.id, raw, version=p.version)
    assert len(warnings) == 1 and "出生日期 1950-01-01 与身份证中的出生日期 1949-12-31 不一致" in warnings[0]
    with Session(engine) as s:
        stored = s.get(Person, seeded["a"])
        assert (stored.name, stored.birth_date, codec.get(stored, "id_number")) == ("张三丰", dt.date(1950, 1, 1), GOOD_ID)
        assert stored.transfer_out_to is None  # read-only here: 档案转出 writes it
        member = s.scalar(sa.select(PartyMember).where(PartyMember.person_id == stored.id))
        assert (member.member_type, member.org_in_date, member.updated_by) == ("正式党员", dt.date(2024, 5, 6), "clerk1")
        headers = stored.clerk_fields.split(";")
        assert {"姓名", "公民身份号码", "出生日期", "委托方式", "党员类型"} <= set(headers)  # the loader's header names
        from pipelines.load.writer import clerk_headers
        assert {"姓名", "公民身份号码", "委托方式"} <= clerk_headers(stored.clerk_fields)
        entry = s.scalars(sa.select(AuditLog).where(AuditLog.action == "修改")).all()[-1]
        assert GOOD_ID not in entry.after_data and "110105********002X" in entry.after_data
        assert json.loads(entry.before_data)["name"] == "张三" and "同步流动党员基础信息" in entry.summary


def test_masked_pii_sent_back_unchanged_and_archive_no_unique(engine, codec, seeded, tmp_path):
    ctx = _ctx(engine, codec, tmp_path)
    p = pages.get_person(ctx, seeded["a"])
    shown = pages.form_values(p, pages.BASIC_SPECS, codec)
    assert shown["id_number"] == "520102********1234"
    p, _w = pages.update_basic(ctx, p.id, {**shown, "former_name": "张老三"}, version=p.version)
    assert codec.get(p, "id_number") == ID_A and p.former_name == "张老三"
    with Session(engine) as s:
        add_person(s, codec, COUNTY, "NM2", "王二", "520103198502023456")
        s.commit()
    with pytest.raises(FieldErrors) as exc:
        pages.update_basic(ctx, p.id, {"archive_no": "NM2"}, version=p.version, only_present=True)
    assert "档案编号：NM2 已被本机构的其他人员使用" in exc.value.errors["archive_no"]
    p, _w = pages.update_basic(ctx, p.id, {"archive_no": ""}, version=p.version, only_present=True)
    assert p.archive_no == "NM1"  # the archive keeps its number


def test_two_clerks_conflict_names_the_other_and_the_field(engine, codec, seeded, tmp_path):
    one, two = _ctx(engine, codec, tmp_path, "clerk1"), _ctx(engine, codec, tmp_path, "clerk3")
    p1, p2 = pages.get_person(one, seeded["a"]), pages.get_person(two, seeded["a"])
    v, orig = p1.version, pages.form_values(p1, pages.BASIC_SPECS, codec)
    pages.update_basic(two, p2.id, {"employer_name": "贵州新单位有限公司"}, version=v, only_present=True)
    with pytest.raises(ConflictError) as exc:
        pages.update_basic(one, p1.id, {**orig, "remarks": "补充说明"}, version=v,
                           original={k: orig[k] for k in ("employer_name", "remarks")})
    assert exc.value.who == "clerk3" and exc.value.changed == ["工作单位"]
    assert "clerk3" in exc.value.message and "工作单位" in exc.value.message


def test_rows_add_update_delete_with_version_scope_and_span(engine, codec, seeded, tmp_path):
    ctx = _ctx(engine, codec, tmp_path)
    pa = seeded["a"]
    with pytest.raises(FieldErrors) as exc:
        pages.add_row(ctx, "work", pa, {"start_date": "2020-05-01", "end_date": "2019-01-01", "employer": "某公司"})
    assert "终止时间" in exc.value.errors["end_date"]
    work = pages.add_row(ctx, "work", pa, {"start_date": "2020-05-01", "employer": "贵州大数据有限公司"})
    assert (work.source, work.seq, work.created_by) == ("业务", 2, "clerk1")
    member = pages.add_row(ctx, "family", pa, {"relation": "母亲", "name": "王芳", "id_number": GOOD_ID})
    assert codec.get(member, "id_number") == GOOD_ID and member.id_number_enc != GOOD_ID
    with pytest.raises(FieldErrors):
        pages.add_row(ctx, "family", pa, {"name": "错号", "id_number": "110105194912310021"})
    title = pages.add_row(ctx, "title", pa, {})  # no required fields
    assert (title.kind, title.name) == ("职称", "")
    migrated = pages.rows_of(ctx, pages.STUDY, pa)[0]
    assert migrated.source == "采集表"
    row = pages.update_row(ctx, "study", pa, migrated.id, {**pages.form_values(migrated, pages.STUDY.specs, codec),
                                                           "degree": "学士"}, version=migrated.version)
    assert row.degree == "学士" and row.source == "业务"  # a clerk's correction: the loader keeps it
    with pytest.raises(ConflictError):
        pages.delete_row(ctx, "work", pa, work.id, version=work.version - 1 if work.version > 1 else 99)
    pages.delete_row(ctx, "work", pa, work.id, version=work.version)
    assert [w.employer for w in pages.rows_of(ctx, pages.WORK, pa)] == ["贵阳某某建设有限公司"]
    with pytest.raises(NotFound):
        pages.add_row(ctx, "work", seeded["b"], {"employer": "x"})  # another agency's person
    with pytest.raises(NotFound):
        pages.update_row(ctx, "family", seeded["b"], member.id, {}, version=member.version)
    with Session(engine) as s:
        actions = [r.action for r in s.scalars(sa.select(AuditLog).where(AuditLog.object_type.in_(
            ["工作经历", "家庭成员及主要社会关系", "学习经历", "职称（职业资格）"])))]
    assert actions == ["新增", "新增", "新增", "修改", "删除"]


def test_create_person_numbers_an_empty_archive_no(engine, codec, seeded, tmp_path):
    ctx = _ctx(engine, codec, tmp_path)
    p, _w = pages.create_person(ctx, {"name": "新人甲"})
    assert p.archive_no == "DA2026000001" and p.data_source == "业务" and p.agency_code == COUNTY
    q, _w = pages.create_person(ctx, {"name": "新人乙", "archive_no": "NM9"})
    assert q.archive_no == "NM9" and "档案编号" in q.clerk_fields
    with pytest.raises(FieldErrors) as exc:
        pages.create_person(ctx, {"archive_no": "NM9", "birth_date": "2001-13-01"})
    assert set(exc.value.errors) == {"birth_date"}
    with pytest.raises(FieldErrors) as exc:
        pages.create_person(ctx, {"archive_no": "NM9"})
    assert "已被本机构的其他人员使用" in exc.value.errors["archive_no"]


def test_tab_counts_and_history(engine, codec, seeded, tmp_path):
    ctx = _ctx(engine, codec, tmp_path)
    pa = seeded["a"]
    with Session(engine) as s:
        h = CollectiveHukou(agency_code=COUNTY, person_id=pa, hukou_reg_no="JT0001", settle_date=dt.date(2015, 3, 2),
                            move_reason="工作调动")
        s.add_all([h, ArchiveLoan(agency_code=COUNTY, person_id=pa, borrower_unit="贵州大学", loan_date=dt.date(2025, 1, 2),
                                  handler="李经办"),
                   ArchiveMaterial(agency_code=COUNTY, person_id=pa, category_code="4-1", seq=1, title="高考成绩单",
                                   received_date=dt.date(2024, 4, 1)),
                   ArchiveMaterial(agency_code=COUNTY, person_id=pa, category_code="1", seq=1, title="履历表")])
        s.commit()
    counts = pages.tab_counts(ctx, pa)
    assert counts == {"study": 1, "work": 1, "title": 0, "family": 0, "hukou": 1, "materials": 2, "history": 4}
    assert [m.title for m in pages.material_rows(ctx, pa)] == ["履历表", "高考成绩单"]  # 目录 order
    from archives_domain.business.person_history import history
    entries = history(ctx, pa)
    # newest first: 履历表 has no 收集日期 (dated by its recording, today), then 2025, 2024, 2015
    assert [e.kind for e in entries] == ["档案材料", "档案借阅", "档案材料", "集体户口代理"]
    loan = entries[1]
    assert loan.handler == "李经办" and loan.summary[0] == "贵州大学" and loan.link.startswith("/transfer/loan/")


# -- pages and API -----------------------------------------------------------------------------------------------
def _client(app, username):
    c = app.test_client()
    login_ready(c, username, INITIAL_PASSWORD)
    return c


def _text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def web(ops_app, engine, codec):
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        a = add_person(s, codec, COUNTY, "NM2024001", "张三", ID_A)
        b = add_person(s, codec, COUNTY_B, "YY2024001", "李四", "520103198502023456")
        _migrated_rows(s, a)
        s.commit()
        return {"a": a.id, "b": b.id}


def _marks(page: str) -> dict[str, int]:
    return {k: int(n) for k, n in re.findall(r'data-tab="(\w+)">\s*<a[^>]*>[^<]*<span class="badge tab-mark"[^>]*>(\d+)',
                                                 page)}


def test_tabs_marked_migrated_rows_shown_and_every_tab_opens(ops_app, web):
    clerk = _client(ops_app, "clerk1")
    pa = web["a"]
    page = _text(clerk.get(f"/person/{pa}"))
    assert _marks(page) == {"study": 1, "work": 1}
    for bid in ("btn-transfer-in", "btn-transfer-out", "btn-loan", "btn-certificate", "btn-hukou", "btn-materials"):
        assert f'id="{bid}"' in page
    assert f'href="/transfer/out/new?person_id={pa}"' in page and 'id="basic-edit"' in page
    study = _text(clerk.get(f"/person/{pa}?tab=study"))
    assert "贵州大学" in study and "采集表" in study
    assert "贵阳某某建设有限公司" in _text(clerk.get(f"/person/{pa}?tab=work"))
    for tab in ("title", "family", "hukou", "materials", "history"):
        assert clerk.get(f"/person/{pa}?tab={tab}").status_code == 200, tab
    api = clerk.get(f"/api/v1/person/{pa}").get_json()["result"]
    assert api["counts"]["study"] == 1 and api["id_number"] == "520102********1234" and api["version"] == 1
    assert clerk.get(f"/api/v1/person/{pa}/work").get_json()["result"][0]["source"] == "采集表"


def test_clerk_edits_basic_and_rows_conflict_and_bad_input_keep_what_was_typed(ops_app, engine, web):
    pa = web["a"]
    one, two = _client(ops_app, "clerk1"), _client(ops_app, "clerk3")
    form_one = _text(one.get(f"/person/{pa}?tab=basic&edit=1"))
    token1, token2 = csrf(one, f"/person/{pa}"), csrf(two, f"/person/{pa}")
    orig = dict(re.findall(r'name="_orig_(\w+)" value="([^"]*)"', form_one))
    assert orig["name"] == "张三" and orig["employer_name"] == "贵州某某科技有限公司"
    base = {**orig, **{f"_orig_{k}": v for k, v in orig.items()}, "version": "1", "id_number": "520102********1234"}
    # clerk3 saves first
    r = two.post(f"/person/{pa}/basic", data={**base, "csrf_token": token2, "employer_name": "贵州新单位有限公司"})
    assert r.status_code == 302, _text(r)
    # clerk1's stale form: 409 naming 李经办/clerk3 and 工作单位; what clerk1 typed stays in the form
    r = one.post(f"/person/{pa}/basic", data={**base, "csrf_token": token1, "remarks": "今天补充的说明"})
    page = _text(r)
    assert r.status_code == 409 and "clerk3" in page and "工作单位" in page and "今天补充的说明" in page
    # bad input: 400, each field named beside it, the rest kept
    r = one.post(f"/person/{pa}/basic", data={**base, "version": "2", "csrf_token": token1, "birth_date": "2023-02-30",
                                              "id_number": "110105194912310021", "former_name": "张小三"})
    page = _text(r)
    assert r.status_code == 400 and 'id="birth_date-error"' in page and 'id="id_number-error"' in page
    assert 'value="张小三"' in page and 'value="2023-02-30"' in page
    # rows: add a work row and a family member
    r = one.post(f"/person/{pa}/rows/work/new", data={"csrf_token": token1, "employer": "贵州大数据有限公司",
                                                      "start_date": "2021-03-01"})
    assert r.status_code == 302
    r = one.post(f"/person/{pa}/rows/family/new", data={"csrf_token": token1, "relation": "父亲", "name": "张大山",
                                                        "id_number": "bad"})
    assert r.status_code == 400 and 'value="张大山"' in _text(r)
    assert one.post(f"/person/{pa}/rows/family/new", data={"csrf_token": token1, "relation": "父亲",
                                                           "name": "张大山"}).status_code == 302
    assert _marks(_text(one.get(f"/person/{pa}"))) == {"study": 1, "work": 2, "family": 1}
    # the API: PATCH needs the version; a stale one is 409
    assert one.patch(f"/api/v1/person/{pa}", json={"former_name": "x"}).status_code == 400
    r = one.patch(f"/api/v1/person/{pa}", json={"version": 1, "former_name": "x"})
    assert r.status_code == 409 and "clerk3" in r.get_json()["message"]
    r = one.patch(f"/api/v1/person/{pa}", json={"version": 2, "graduation_date": "2012-02-30"})
    assert r.status_code == 400 and "graduation_date" in r.get_json()["errors"]
    r = one.patch(f"/api/v1/person/{pa}", json={"version": 2, "former_name": "张老三"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["result"]["former_name"] == "张老三"
    with engine.connect() as conn:
        fields = conn.execute(sa.text("select clerk_fields from person where id = :i"), {"i": pa}).scalar()
    assert "工作单位" in fields and "曾用名" in fields


def test_scope_and_read_only_users(ops_app, web):
    pa, pb = web["a"], web["b"]
    clerk = _client(ops_app, "clerk1")
    token = csrf(clerk, f"/person/{pa}")
    assert clerk.get(f"/person/{pb}").status_code == 404
    assert clerk.get(f"/person/{pb}?tab=work").status_code == 404
    assert clerk.get(f"/api/v1/person/{pb}").status_code == 404
    assert clerk.get(f"/api/v1/person/{pb}/work").status_code == 404
    assert clerk.patch(f"/api/v1/person/{pb}", json={"version": 1, "name": "x"}).status_code == 404
    assert clerk.post(f"/person/{pb}/basic", data={"csrf_token": token, "version": "1", "name": "x"}).status_code == 404
    assert clerk.post(f"/person/{pb}/rows/work/new", data={"csrf_token": token, "employer": "x"}).status_code == 404
    prov = _client(ops_app, "prov")  # 查询员: reads, never edits
    page = _text(prov.get(f"/person/{pa}?tab=work"))
    assert "贵阳某某建设有限公司" in page and 'id="row-new"' not in page and "row-edit" not in page
    assert 'id="basic-edit"' not in _text(prov.get(f"/person/{pa}"))
    ptoken = csrf(prov, f"/person/{pa}")
    assert prov.post(f"/person/{pa}/basic", data={"csrf_token": ptoken, "version": "1", "name": "x"}).status_code == 403
    assert prov.post(f"/person/{pa}/rows/work/new", data={"csrf_token": ptoken, "employer": "x"}).status_code == 403
    assert prov.patch(f"/api/v1/person/{pa}", json={"version": 1, "name": "x"}).status_code == 403
    assert prov.get("/person/new").status_code == 403
    # 新建人员 by a clerk: whatever is filled in; a bad date named, the rest kept; 档案编号 numbered when empty
    r = clerk.post("/person/new", data={"csrf_token": token, "name": "新来的", "birth_date": "1990-02-30"})
    assert r.status_code == 400 and 'id="birth_date-error"' in _text(r) and 'value="新来的"' in _text(r)
    r = clerk.post("/person/new", data={"csrf_token": token, "name": "新来的"})
    assert r.status_code == 302
    page = _text(clerk.get(r.location))
    assert "新来的" in page and re.search(r"DA\d{4}000001", page)


def test_the_page_costs_a_fixed_number_of_statements_whatever_the_tab(ops_app, web):
    """Speed at 943k persons: the page reads the person by key, the marks in ONE statement of counts by the
    indexed person_id, and only the open tab's rows — the number of statements does not grow with the data."""
    clerk = _client(ops_app, "clerk1")
    with ops_app.app_context():
        engine = ops_app.extensions["sqlalchemy"].engine
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        costs = {}
        for tab in ("basic", "study", "work", "title", "family", "hukou", "materials", "history"):
            seen.clear()
            assert clerk.get(f"/person/{web['a']}?tab={tab}").status_code == 200
            costs[tab] = len(seen)
            assert sum("count(*)" in s.lower() for s in seen) == 1, (tab, seen)  # the marks: one statement
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert max(costs.values()) <= 20 and costs["history"] - costs["study"] <= 9, costs
