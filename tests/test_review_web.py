"""/review pages and /api/v1/review/ (Flask test client, SQLite and MariaDB): the queue with filters and keyset
pages, the decision page (bad typed value named with the typed text kept; stale version 409), another
agency's item 404 by URL and API while the 一人多档 pair shows both sides (the other minimally), the API's
decide, the workbench's [数据核实] to-do opening /review/<id>, and the module refused to a 查询员."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain.models import Person
from archives_domain.models.quality import ReviewItem
from biz_seed import COUNTY_B, add_person, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD
from ops_http import csrf, login_ready
from test_review import GOOD_ID, _item


def _text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def web(ops_app, engine, codec):
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        p = add_person(s, codec, COUNTY, "NM1", "张三", "520302197703034567", data_source="采集表")
        ids = {"person": p.id,
               "employer": _item(s, codec, p, "工作单位", current="贵州某某科技有限公司",
                                 cands=["贵州某某科技股份有限公司", "贵州某某有限公司"]),
               "birth": _item(s, codec, p, "出生日期", current="1977.03", category="日期只有年月", feed=None)}
        a = add_person(s, codec, COUNTY, "NM7", "欧阳娜娜", GOOD_ID)
        b = add_person(s, codec, COUNTY_B, "YY7", "欧阳娜娜", GOOD_ID)
        ids["pair_a"] = _item(s, codec, a, "公民身份号码", category="一人多档", rule="multi_archive", feed=None,
                              cands=[f"{COUNTY_B}/YY7"])
        ids["pair_b"] = _item(s, codec, b, "公民身份号码", category="一人多档", rule="multi_archive", feed=None,
                              cands=[f"{COUNTY}/NM7"])
        ids["other"] = _item(s, codec, b, "工作单位", current="某单位")
        s.commit()
    return ids


def client_for(app, username):
    c = app.test_client()
    login_ready(c, username, INITIAL_PASSWORD)
    return c


def test_queue_filters_pages_and_decision_page(ops_app, engine, web):
    c = client_for(ops_app, "clerk1")
    page = _text(c.get("/review/"))
    assert f'data-item-id="{web["employer"]}"' in page and f'data-item-id="{web["other"]}"' not in page
    assert "一人多档" in page and 'data-category="日期只有年月"' in page
    assert f'href="/review/pair/{web["pair_a"]}"' in page
    only = _text(c.get("/review/?category=日期只有年月"))
    assert f'data-item-id="{web["birth"]}"' in only and f'data-item-id="{web["employer"]}"' not in only
    first = c.get("/review/?page_size=1")  # the page is 20 rows; keyset links carry the cursor
    assert first.status_code == 200
    assert c.get("/review/?status=乱写").status_code == 400 and c.get("/review/?after=junk").status_code == 400
    item = _text(c.get(f"/review/{web['employer']}"))
    assert "贵州某某科技股份有限公司" in item and "贵州某某有限公司" in item and "0.90" in item and "工商" in item
    token = csrf(c, f"/review/{web['birth']}")
    bad = c.post(f"/review/{web['birth']}", data={"csrf_token": token, "choice": "type", "value": "1977-02-30",
                                                 "version": "1", "person_version": "1"})
    assert bad.status_code == 400
    assert "出生日期：1977-02-30 不是有效日期" in _text(bad) and 'value="1977-02-30"' in _text(bad)
    ok = c.post(f"/review/{web['birth']}", data={"csrf_token": token, "choice": "type", "value": "1977-03-04",
                                                "version": "1", "person_version": "1"})
    assert ok.status_code == 302
    stale = c.post(f"/review/{web['employer']}", data={"csrf_token": token, "choice": "accept", "version": "1",
                                                      "person_version": "1"})  # the person moved on (v2)
    assert stale.status_code == 409 and "clerk1" in _text(stale)
    with Session(engine) as s:
        p = s.get(Person, web["person"])
        assert p.birth_date == dt.date(1977, 3, 4) and p.clerk_fields == "出生日期"
        assert s.get(ReviewItem, web["birth"]).status == "已修改"
    assert "已修改" in _text(c.get(f"/review/{web['birth']}"))
    # the workbench's [数据核实] to-do opens the decision page of its item
    home = _text(c.get("/"))
    assert f'href="/review/{web["employer"]}"' in home and "[数据核实]" in home


def test_scope_pair_both_sides_api_and_permissions(ops_app, engine, web):
    a, b = client_for(ops_app, "clerk1"), client_for(ops_app, "clerkb")
    assert b.get(f"/review/{web['employer']}").status_code == 404
    assert b.get(f"/api/v1/review/{web['employer']}").status_code == 404
    assert f'data-item-id="{web["employer"]}"' not in _text(b.get("/review/"))
    # the pair: each side sees its own record whole, the other's minimally
    pa = _text(a.get(f"/review/pair/{web['pair_a']}"))
    assert "欧阳娜娜" in pa and "欧***" in pa and "贵阳市云岩区人才服务中心" in pa and "/transfer/out/new?person_id=" in pa
    pb = b.get(f"/review/pair/{web['pair_a']}")  # B may open the pair through A's item, minimal
    assert pb.status_code == 200 and "mark-different" not in _text(pb)
    assert b.get(f"/review/{web['pair_a']}").status_code == 404
    token = csrf(b, f"/review/pair/{web['pair_b']}")
    assert b.post(f"/review/pair/{web['pair_a']}/different", data={"csrf_token": token}).status_code == 404
    assert b.post(f"/review/pair/{web['pair_b']}/different", data={"csrf_token": token}).status_code == 302
    seen = _text(a.get(f"/review/pair/{web['pair_a']}"))
    assert "不同人员" in seen and "clerkb" in seen and "mark-different" not in seen
    # the API: list, get, decide (CSRF token in the header)
    lst = a.get("/api/v1/review/?sheet=基本信息&page_size=1").get_json()
    assert lst["count"] == 2 and len(lst["result"]) == 1 and lst["next"]
    got = a.get(f"/api/v1/review/{web['employer']}").get_json()["result"]
    assert [x["value"] for x in got["candidates"]] == ["贵州某某科技股份有限公司", "贵州某某有限公司"]
    token = csrf(a, "/review/")
    resp = a.post(f"/api/v1/review/{web['employer']}/decide", data=json.dumps({"choice": "choose", "candidate": 1}),
                  content_type="application/json", headers={"X-CSRFToken": token})
    assert resp.status_code == 200 and resp.get_json()["result"]["status"] == "已采纳"
    again = a.post(f"/api/v1/review/{web['employer']}/decide", data=json.dumps({"choice": "reject"}),
                   content_type="application/json", headers={"X-CSRFToken": token})
    assert again.status_code == 409 and "已处理" in again.get_json()["message"]
    assert b.post(f"/api/v1/review/{web['employer']}/decide", data=json.dumps({"choice": "reject"}),
                  content_type="application/json", headers={"X-CSRFToken": csrf(b, "/review/")}).status_code == 404
    with engine.connect() as conn:
        assert conn.execute(sa.text("select employer_name from person where id = :i"),
                            {"i": web["person"]}).scalar() == "贵州某某有限公司"
    # a 查询员 does not hold 待核实
    assert client_for(ops_app, "prov").get("/review/").status_code == 403

