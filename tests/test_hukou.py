"""集体户口代理 (archives_domain.business.hukou, ops_app/hukou): the commands on SQLite and MariaDB — the person
kept in step both ways the row goes (迁入 / 修改 / 迁出), 户籍卡 lending rules, 子女挂靠 with the 身份证 through
the codec, 户籍编号 unique among households 在户, the optimistic lock, audit before/after, the data scope —
and the pages and JSON API: bad input named (400, nothing typed lost), the conflict (409), another
agency's household 404, the list's search."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain import audit as audit_chain
from archives_domain.business import hukou as H
from archives_domain.business.base import Actor, ConflictError, Context, FieldErrors, NotFound, Refused
from archives_domain.models import CollectiveHukou, HukouDependent, Person
from biz_seed import COUNTY_B, seed_persons, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD, seed_agencies_and_users
from ops_http import csrf, login_ready


def id_with_check(first17: str) -> str:
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(a) * b for a, b in zip(first17, w)) % 11]


CHILD_ID = id_with_check("52010220150601123")
_OPEN: list[Session] = []


@pytest.fixture(autouse=True)
def _close_sessions(request):
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine")
    yield
    while _OPEN:
        _OPEN.pop().close()


def _ctx(engine, codec, username="clerk1", scope=(COUNTY,)) -> Context:
    s = Session(engine)
    _OPEN.append(s)
    return Context(s, Actor(username, COUNTY, frozenset(scope)), audit_chain.audit_key(codec.keyring), codec,
                   today=dt.date(2026, 12, 7))


def _seed(engine, codec):
    seed_tree_and_users(engine, codec)
    persons = seed_persons(engine, codec)
    with Session(engine) as s:
        from biz_seed import add_person
        d = add_person(s, codec, COUNTY, "NM2024002", "赵六", "520102198803033333")
        s.commit()
        persons["d"] = d.id
    return persons


@pytest.fixture
def seeded(engine, codec):
    seed_agencies_and_users(engine, {"clerk1": ["档案经办人"]})
    return _seed(engine, codec)


@pytest.fixture
def web(ops_app, engine, codec):
    return _seed(engine, codec)


def _person(engine, pid) -> Person:
    with Session(engine) as s:
        p = s.get(Person, pid)
        s.expunge(p)
        return p


def _audits(engine, action):
    with engine.connect() as conn:
        return conn.execute(sa.text("select before_data, after_data, summary from audit_log where action = :a "
                                    "order by id"), {"a": action}).all()


IN_FORM = {"hukou_reg_no": "NMJT-00001", "original_address": "贵州省遵义市红花岗区老城街道", "settle_date": "2024-03-15",
           "employer": "贵州某某科技有限公司", "move_reason": "就业落户", "police_station_in": "南明分局花果园派出所",
           "in_accept_date": "2024-03-10", "in_handler": "李经办", "remarks": ""}


def test_move_in_edit_move_out_keep_the_person_in_step(engine, codec, seeded):
    ctx = _ctx(engine, codec)
    h = H.move_in(ctx, seeded["a"], IN_FORM)
    assert (h.status, h.hukou_reg_no, h.settle_date, h.police_station_in) == \
        ("在户", "NMJT-00001", dt.date(2024, 3, 15), "南明分局花果园派出所")
    p = _person(engine, seeded["a"])
    assert (p.collective_hukou, p.hukou_reg_no, p.settle_date) == (True, "NMJT-00001", dt.date(2024, 3, 15))
    assert set(p.clerk_fields.split(";")) >= {"集体户口", "户籍编号", "落户时间"}  # the pipeline keeps off
    with pytest.raises(Refused):  # already in the household
        H.move_in(_ctx(engine, codec), seeded["a"], {})
    # 修改: the person follows
    ctx = _ctx(engine, codec)
    H.edit(ctx, h.id, {**IN_FORM, "hukou_reg_no": "NMJT-00009", "settle_date": "2024-04-01"}, expected_version=1)
    p = _person(engine, seeded["a"])
    assert (p.hukou_reg_no, p.settle_date) == ("NMJT-00009", dt.date(2024, 4, 1))
    before, after, _ = _audits(engine, "修改")[-1]
    assert json.loads(before)["hukou_reg_no"] == "NMJT-00001" and json.loads(after)["hukou_reg_no"] == "NMJT-00009"
    # 迁出: 已迁出, the person's 集体户口 否; dates in order
    ctx = _ctx(engine, codec)
    with pytest.raises(FieldErrors) as exc:
        H.move_out(ctx, h.id, {"out_accept_date": "2026-05-02", "out_date": "2026-05-01"}, expected_version=2)
    assert "out_date" in exc.value.errors and "早于迁出受理时间" in exc.value.errors["out_date"]
    H.move_out(_ctx(engine, codec), h.id, {"out_accept_date": "2026-04-28", "out_date": "2026-05-01",
                                           "out_address": "重庆市渝中区解放碑街道"}, expected_version=2)
    with Session(engine) as s:
        row = s.get(CollectiveHukou, h.id)
        assert (row.status, row.out_date, row.out_address) == ("已迁出", dt.date(2026, 5, 1), "重庆市渝中区解放碑街道")
    p = _person(engine, seeded["a"])
    assert p.collective_hukou is False and p.hukou_reg_no == "NMJT-00009"
    with pytest.raises(Refused):
        H.move_out(_ctx(engine, codec), h.id, {}, expected_version=3)
    assert "迁出集体户" in _audits(engine, "集体户迁出")[-1].summary
    # moved out, the number is free again; the person may come back (a new row, the old one history)
    again = H.move_in(_ctx(engine, codec), seeded["a"], {"hukou_reg_no": "NMJT-00009"})
    assert again.id != h.id and _person(engine, seeded["a"]).collective_hukou is True
    assert [x.id for x in H.households_of(_ctx(engine, codec), seeded["a"])] == [again.id, h.id]


def test_reg_no_unique_among_households_in_the_agency(engine, codec, seeded):
    H.move_in(_ctx(engine, codec), seeded["a"], {"hukou_reg_no": "NMJT-00001"})
    with pytest.raises(Refused) as exc:
        H.move_in(_ctx(engine, codec), seeded["d"], {"hukou_reg_no": "NMJT-00001", "employer": "x"})
    assert exc.value.field == "hukou_reg_no" and "户籍编号" in exc.value.message and "张三" in exc.value.message
    d = H.move_in(_ctx(engine, codec), seeded["d"], {"hukou_reg_no": "NMJT-00002"})
    with pytest.raises(Refused):
        H.edit(_ctx(engine, codec), d.id, {"hukou_reg_no": "NMJT-00001"}, expected_version=d.version)
    # another agency may use the same number
    ctx_b = Context(Session(engine), Actor("clerkb", COUNTY_B, frozenset({COUNTY_B})),
                    audit_chain.audit_key(codec.keyring), codec)
    _OPEN.append(ctx_b.session)
    assert H.move_in(ctx_b, seeded["b"], {"hukou_reg_no": "NMJT-00001"}).agency_code == COUNTY_B


def test_bad_input_names_every_field_and_writes_nothing(engine, codec, seeded):
    with pytest.raises(FieldErrors) as exc:
        H.move_in(_ctx(engine, codec), seeded["a"], {"settle_date": "2024-02-30", "in_accept_date": "昨天",
                                                     "hukou_reg_no": "X" * 40})
    assert set(exc.value.errors) == {"settle_date", "in_accept_date", "hukou_reg_no"}
    assert "落户时间" in exc.value.errors["settle_date"]
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CollectiveHukou)) == 0
    assert _person(engine, seeded["a"]).collective_hukou is None


def test_card_loan_rules(engine, codec, seeded):
    h = H.move_in(_ctx(engine, codec), seeded["a"], {"hukou_reg_no": "NMJT-00001"})
    loan = H.lend_card(_ctx(engine, codec), h.id, {"borrower": "张三本人", "loan_date": "2026-12-01",
                                                   "due_date": "2026-12-10", "reason": "办理护照"},
                       expected_version=h.version)
    with pytest.raises(Refused) as exc:  # a card already out cannot be lent again
        H.lend_card(_ctx(engine, codec), h.id, {"borrower": "别人"}, expected_version=h.version + 1)
    assert "尚未归还" in exc.value.message
    with pytest.raises(FieldErrors) as exc:
        H.return_card(_ctx(engine, codec), loan.id, {"return_date": "2026-11-30"}, expected_version=h.version + 1)
    assert "早于借出日期" in exc.value.errors["return_date"]
    with pytest.raises(ConflictError):  # a stale household version (the card was lent since the page opened)
        H.return_card(_ctx(engine, codec), loan.id, {}, expected_version=h.version)
    back = H.return_card(_ctx(engine, codec), loan.id, {}, expected_version=h.version + 1)
    assert back.return_date == dt.date(2026, 12, 7)  # empty → today
    with pytest.raises(Refused):
        H.return_card(_ctx(engine, codec), loan.id, {}, expected_version=h.version + 2)
    second = H.lend_card(_ctx(engine, codec), h.id, {"borrower": "王某"}, expected_version=h.version + 2)
    assert second.loan_date == dt.date(2026, 12, 7)
    with pytest.raises(FieldErrors):
        H.lend_card(_ctx(engine, codec), h.id, {"loan_date": "2026-12-05", "due_date": "2026-12-01"})
    assert [a.summary for a in _audits(engine, "户籍卡借阅")][0].endswith("借给 张三本人")
    assert len(_audits(engine, "户籍卡归还")) == 1


def test_dependents_through_the_codec(engine, codec, seeded):
    h = H.move_in(_ctx(engine, codec), seeded["a"], {"hukou_reg_no": "NMJT-00001"})
    with pytest.raises(FieldErrors) as exc:
        H.add_dependent(_ctx(engine, codec), h.id, {"name": "张小明", "id_number": CHILD_ID[:-1] + "0"
                                                    if CHILD_ID[-1] != "0" else CHILD_ID[:-1] + "1",
                                                    "relation": "侄", "birth_date": "2015-06-01"})
    assert set(exc.value.errors) == {"id_number", "relation"}
    d = H.add_dependent(_ctx(engine, codec), h.id, {"name": "张小明", "relation": "子", "id_number": CHILD_ID,
                                                    "birth_date": "2015-06-01", "settle_date": "2016-01-05"})
    with Session(engine) as s:
        row = s.get(HukouDependent, d.id)
        assert CHILD_ID not in (row.id_number_enc or "") and codec.get(row, "id_number") == CHILD_ID
        assert s.scalar(sa.select(HukouDependent.id).where(codec.lookup(HukouDependent, "id_number", CHILD_ID))) == d.id
    after = json.loads(_audits(engine, "子女挂靠落户")[-1].after_data)
    assert after["id_number"] != CHILD_ID and after["id_number"].startswith(CHILD_ID[:3])  # masked
    H.remove_dependent(_ctx(engine, codec), d.id)
    with Session(engine) as s:
        assert s.get(HukouDependent, d.id) is None
    assert json.loads(_audits(engine, "取消子女挂靠")[-1].before_data)["name"] == "张小明"


def test_scope_and_conflict(engine, codec, seeded):
    h = H.move_in(_ctx(engine, codec), seeded["a"], {"hukou_reg_no": "NMJT-00001"})
    other = Context(Session(engine), Actor("clerkb", COUNTY_B, frozenset({COUNTY_B})),
                    audit_chain.audit_key(codec.keyring), codec)
    _OPEN.append(other.session)
    for call in (lambda: H.get_household(other, h.id), lambda: H.edit(other, h.id, {}),
                 lambda: H.move_in(other, seeded["a"], {}), lambda: H.lend_card(other, h.id, {})):
        with pytest.raises(NotFound):
            call()
    H.edit(_ctx(engine, codec, "clerk3"), h.id, {"hukou_reg_no": "NMJT-00001", "employer": "新单位"},
           expected_version=1)
    with pytest.raises(ConflictError) as exc:
        H.edit(_ctx(engine, codec), h.id, {"hukou_reg_no": "NMJT-00001", "move_reason": "就业"}, expected_version=1,
               original={"employer": "", "move_reason": ""}, )
    assert "clerk3" in exc.value.message and "工作单位" in exc.value.message


# -- pages and API --------------------------------------------------------------------------------------------
def _client(app, username):
    c = app.test_client()
    login_ready(c, username, INITIAL_PASSWORD)
    return c


def test_pages_bad_input_conflict_scope_and_api(ops_app, engine, codec, web):
    seeded = web
    c = _client(ops_app, "clerk1")
    page = c.get(f"/hukou/person/{seeded['a']}")
    assert page.status_code == 200 and "集体户迁入" in page.get_data(as_text=True)
    tok = csrf(c, f"/hukou/person/{seeded['a']}")
    bad = c.post(f"/hukou/person/{seeded['a']}/move_in", data={**IN_FORM, "settle_date": "2024-13-01",
                                                               "csrf_token": tok})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'id="settle_date-error"' in text and "落户时间" in text
    assert "南明分局花果园派出所" in text and "贵州省遵义市红花岗区老城街道" in text  # nothing typed lost
    ok = c.post(f"/hukou/person/{seeded['a']}/move_in", data={**IN_FORM, "csrf_token": tok})
    assert ok.status_code == 302
    with Session(engine) as s:
        hid = s.scalar(sa.select(CollectiveHukou.id).where(CollectiveHukou.person_id == seeded["a"]))
    assert ok.location.endswith(f"/hukou/{hid}")
    # two clerks edit the same household: the second is told who changed what, and keeps what they typed
    c3 = _client(ops_app, "clerk3")
    orig = json.dumps({**IN_FORM, "out_accept_date": "", "out_date": "", "out_address": ""}, ensure_ascii=False)
    r = c3.post(f"/hukou/{hid}/edit", data={**IN_FORM, "employer": "贵州新单位有限公司", "version": "1",
                                           "_original": orig, "csrf_token": csrf(c3, f"/hukou/{hid}")})
    assert r.status_code == 302
    r = c.post(f"/hukou/{hid}/edit", data={**IN_FORM, "move_reason": "我填写的迁户原因", "version": "1",
                                          "_original": orig, "csrf_token": tok})
    text = r.get_data(as_text=True)
    assert r.status_code == 409 and "clerk3" in text and "工作单位" in text and "我填写的迁户原因" in text
    # another agency's household and person: 404 by URL and API
    cb = _client(ops_app, "clerkb")
    assert cb.get(f"/hukou/{hid}").status_code == 404
    assert cb.get(f"/hukou/person/{seeded['a']}").status_code == 404
    assert cb.get(f"/api/v1/hukou/{hid}").status_code == 404
    assert cb.post(f"/hukou/{hid}/move_out", data={"csrf_token": csrf(cb, "/hukou/")}).status_code == 404
    # the list: search by 户籍编号 prefix, status, 落户时间 range; a bad date named
    lst = c.get("/hukou/?hukou_reg_no=NMJT&status=在户&settle_from=2024-01-01&settle_to=2024-12-31")
    assert lst.status_code == 200 and f'data-hukou-id="{hid}"' in lst.get_data(as_text=True)
    assert f'data-hukou-id="{hid}"' not in c.get("/hukou/?settle_from=2025-01-01").get_data(as_text=True)
    assert f'data-hukou-id="{hid}"' in c.get("/hukou/?name=张").get_data(as_text=True)
    bad = c.get("/hukou/?settle_from=2024-02-31")
    assert bad.status_code == 400 and 's-settle_from-error' in bad.get_data(as_text=True)
    assert f'data-hukou-id="{hid}"' not in cb.get("/hukou/").get_data(as_text=True)
    # the JSON API: list, lend the card, refused second loan (409), bad field (400)
    api = c.get("/api/v1/hukou/?status=在户").get_json()
    assert [r["id"] for r in api["result"]] == [hid] and "*" in api["result"][0]["id_number"]  # masked
    headers = {"X-CSRFToken": tok}
    version = api["result"][0]["version"]
    r = c.post(f"/api/v1/hukou/{hid}/loans", json={"borrower": "张三本人", "version": version}, headers=headers)
    assert r.status_code == 201 and r.get_json()["result"]["card_loans"][0]["borrower"] == "张三本人"
    r = c.post(f"/api/v1/hukou/{hid}/loans", json={"borrower": "别人"}, headers=headers)
    assert r.status_code == 409 and "尚未归还" in r.get_json()["message"]
    r = c.post(f"/api/v1/hukou/{hid}/dependents", json={"birth_date": "2015-02-30"}, headers=headers)
    assert r.status_code == 400 and set(r.get_json()["errors"]) == {"birth_date"}
    r = c.post(f"/api/v1/hukou/person/{seeded['d']}", json={"hukou_reg_no": "NMJT-00001"}, headers=headers)
    assert r.status_code == 409 and r.get_json()["field"] == "hukou_reg_no"
    assert cb.get(f"/api/v1/hukou/person/{seeded['a']}").status_code == 404
