"""通知公告 by agency (issue 13, defect 2) and a 正文 too long for its column (defect 8), on SQLite and MariaDB.

A 业务负责人 of county B cannot list, read, edit, republish, re-address or re-attribute county A's notices or
templates (404, as if they did not exist); the 发布者 is a user of the scope who may publish — never the
系统管理员 nor another agency's user — and only the scope's users can be addressed.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain.accounts.users import create_user
from biz_seed import COUNTY_B, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD, PROVINCE
from ops_http import csrf, login_ready


def _text(resp):
    return resp.get_data(as_text=True)


def _one(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).first()


def _uid(engine, username):
    return _one(engine, "select id from ab_user where username = :u", u=username)[0]


@pytest.fixture
def world(ops_app, engine, codec):
    """County A's leader with a notice (published to clerk3) and a template; leaders of county B and the province."""
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        for username, agency in (("leaderb", COUNTY_B), ("provlead", PROVINCE), ("leader2", COUNTY)):
            create_user(s, username=username, password=INITIAL_PASSWORD, role_names=["业务负责人"],
                        agency_code=agency)
        s.commit()
    clients = {}
    for name in ("leader", "leaderb", "provlead"):
        clients[name] = ops_app.test_client()
        login_ready(clients[name], name, INITIAL_PASSWORD)
    a = clients["leader"]
    a.post("/notices/templates/new", data={"name": "甲模板", "notice_type": "通知", "body": "<p>甲模板正文</p>",
                                           "csrf_token": csrf(a, "/notices/templates/new")})
    resp = a.post("/notices/new", data={"template_id": 0, "title": "南明区内部通知", "notice_type": "通知",
                                        "publisher_id": _uid(engine, "leader"), "body": "<p>甲</p>",
                                        "csrf_token": csrf(a, "/notices/new")})
    nid = int(re.search(r"/notices/(\d+)/publish", resp.location).group(1))
    a.post(f"/notices/{nid}/publish", data={"user_ids": _uid(engine, "clerk3"),
                                            "csrf_token": csrf(a, f"/notices/{nid}/publish")})
    tid = _one(engine, "select id from notice_template where name='甲模板'")[0]
    return clients, nid, tid


def _notice(engine, nid):
    return _one(engine, "select title, publisher_id, status, updated_by from notice where id = :n", n=nid)


def test_another_agencys_leader_cannot_touch_a_notice_by_any_verb(engine, world):
    clients, nid, tid = world
    b = clients["leaderb"]
    before = tuple(_notice(engine, nid))
    recipients = _one(engine, "select count(*) from notice_recipient where notice_id = :n", n=nid)[0]
    token = csrf(b, "/password/")
    assert "南明区内部通知" not in _text(b.get("/notices/")) and "共 0 条" in _text(b.get("/notices/"))
    assert "南明区内部通知" not in _text(b.get("/notices/?q=南明区"))
    assert b.get(f"/notices/{nid}/view").status_code == 404
    assert b.get(f"/notices/{nid}/edit").status_code == 404
    assert b.post(f"/notices/{nid}/edit", data={"template_id": 0, "title": "被改了", "notice_type": "通知",
                                                "publisher_id": _uid(engine, "leaderb"), "body": "<p>乙</p>",
                                                "csrf_token": token}).status_code == 404
    assert b.get(f"/notices/{nid}/publish").status_code == 404
    assert b.post(f"/notices/{nid}/publish", data={"user_ids": _uid(engine, "clerkb"),
                                                   "csrf_token": token}).status_code == 404
    assert tuple(_notice(engine, nid)) == before
    assert _one(engine, "select count(*) from notice_recipient where notice_id = :n", n=nid)[0] == recipients
    # Its 文字模板 too: not listed, not editable, not usable.
    assert "甲模板" not in _text(b.get("/notices/templates"))
    assert b.get(f"/notices/templates/{tid}/edit").status_code == 404
    assert b.post(f"/notices/templates/{tid}/edit", data={"name": "乙", "notice_type": "通知", "body": "x",
                                                          "csrf_token": token}).status_code == 404
    assert "甲模板正文" not in _text(b.get(f"/notices/new?template_id={tid}"))
    # The same name is free in county B (names are unique per agency).
    resp = b.post("/notices/templates/new", data={"name": "甲模板", "notice_type": "提示", "body": "<p>乙</p>",
                                                  "csrf_token": token})
    assert resp.status_code == 302
    # The province's leader (the agencies below are its scope) manages it; the addressee reads it.
    p = clients["provlead"]
    assert "南明区内部通知" in _text(p.get("/notices/")) and p.get(f"/notices/{nid}/edit").status_code == 200
    assert p.get(f"/notices/{nid}/view").status_code == 200


def test_the_publisher_is_a_user_of_the_scope_who_may_publish(engine, world):
    clients, nid, _tid = world
    a = clients["leader"]
    page = _text(a.get(f"/notices/{nid}/edit"))
    offered = set(re.findall(r'<option[^>]*value="(\d+)"', page[page.index('name="publisher_id"'):]
                             [:page[page.index('name="publisher_id"'):].index("</select>")]))
    assert offered == {str(_uid(engine, "leader")), str(_uid(engine, "leader2"))}
    for who in ("sysadm", "leaderb", "clerk3", "prov"):
        resp = a.post(f"/notices/{nid}/edit", data={"template_id": 0, "title": "改名了", "notice_type": "通知",
                                                    "publisher_id": _uid(engine, who), "body": "<p>甲</p>",
                                                    "csrf_token": csrf(a, f"/notices/{nid}/edit")})
        assert resp.status_code == 200, who
        assert "发布者须是本机构范围内有发布通知公告权限的用户" in _text(resp)
        assert 'value="改名了"' in _text(resp)  # what was typed is shown again
    assert _notice(engine, nid).publisher_id == _uid(engine, "leader") and _notice(engine, nid).title == "南明区内部通知"
    resp = a.post("/notices/new", data={"template_id": 0, "title": "冒名", "notice_type": "通知",
                                        "publisher_id": _uid(engine, "sysadm"), "body": "<p>x</p>",
                                        "csrf_token": csrf(a, "/notices/new")})
    assert resp.status_code == 200 and _one(engine, "select id from notice where title='冒名'") is None
    # Another publisher of the scope is accepted.
    resp = a.post(f"/notices/{nid}/edit", data={"template_id": 0, "title": "南明区内部通知", "notice_type": "通知",
                                                "publisher_id": _uid(engine, "leader2"), "body": "<p>甲</p>",
                                                "csrf_token": csrf(a, f"/notices/{nid}/edit")})
    assert resp.status_code == 302 and _notice(engine, nid).publisher_id == _uid(engine, "leader2")


def test_only_the_scopes_users_can_be_addressed(engine, world):
    clients, nid, _tid = world
    a = clients["leader"]
    page = _text(a.get(f"/notices/{nid}/publish"))
    assert "clerk3" in page and "clerkb" not in page and "provlead" not in page
    resp = a.post(f"/notices/{nid}/publish", data={"user_ids": [_uid(engine, "clerk3"), _uid(engine, "clerkb")],
                                                   "csrf_token": csrf(a, f"/notices/{nid}/publish")})
    assert resp.status_code == 200 and "发布到用户：只能选择本机构范围内的启用用户" in _text(resp)
    assert _one(engine, "select count(*) from notice_recipient where user_id = :u", u=_uid(engine, "clerkb"))[0] == 0
    resp = a.post("/notices/quick", data={"title": "快讯", "notice_type": "通知", "body": "x",
                                          "user_ids": _uid(engine, "clerkb"), "csrf_token": csrf(a, "/")},
                  follow_redirects=True)
    assert "发布到用户：只能选择本机构范围内的启用用户" in _text(resp)
    assert _one(engine, "select id from notice where title='快讯'") is None


def test_a_body_longer_than_its_column_is_refused_naming_the_field(engine, world):
    clients, nid, _tid = world
    a = clients["leader"]
    long_body = "<p>" + "档" * 30000 + "</p>"  # 30,000 characters (under the form's limit): 90,007 bytes
    resp = a.post("/notices/new", data={"template_id": 0, "title": "长文通知", "notice_type": "通知",
                                        "publisher_id": _uid(engine, "leader"), "body": long_body,
                                        "csrf_token": csrf(a, "/notices/new")})
    assert resp.status_code == 200 and "正文过长" in _text(resp) and "65535 字节" in _text(resp)
    assert 'value="长文通知"' in _text(resp) and "档" * 100 in _text(resp)
    assert _one(engine, "select id from notice where title='长文通知'") is None
    resp = a.post(f"/notices/{nid}/edit", data={"template_id": 0, "title": "南明区内部通知", "notice_type": "通知",
                                                "publisher_id": _uid(engine, "leader"), "body": long_body,
                                                "csrf_token": csrf(a, f"/notices/{nid}/edit")})
    assert resp.status_code == 200 and "正文过长" in _text(resp)
    resp = a.post("/notices/templates/new", data={"name": "长模板", "notice_type": "通知", "body": long_body,
                                                  "csrf_token": csrf(a, "/notices/templates/new")})
    assert resp.status_code == 200 and "正文过长" in _text(resp) and 'value="长模板"' in _text(resp)
    resp = a.post("/notices/quick", data={"title": "长快讯", "notice_type": "通知", "body": long_body,
                                          "user_ids": _uid(engine, "clerk3"), "csrf_token": csrf(a, "/")},
                  follow_redirects=True)
    assert "正文过长" in _text(resp) and _one(engine, "select id from notice where title='长快讯'") is None
    resp = a.post("/notices/new", data={"template_id": 0, "title": "题" * 129, "notice_type": "通知",
                                        "publisher_id": _uid(engine, "leader"), "body": "<p>x</p>",
                                        "csrf_token": csrf(a, "/notices/new")})
    assert resp.status_code == 200 and "标题不能超过 128 个字" in _text(resp)
