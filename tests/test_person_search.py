"""人员基础信息 list and search (issue 13): keyset pages (首页/上一页/下一页/末页), a bounded count, 姓名 prefix
and 拼音首字母 search, a malformed 身份证 said so, junk paging parameters refused by name, and printing whole
numbers only by POST (defect 12). SQLite and MariaDB."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain.models import Person
from archives_domain.paging import COUNT_CAP
from archives_domain.pinyin import name_initials
from biz_seed import COUNTY_B, ID_A, add_person, seed_persons, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD
from ops_http import csrf, login_ready

import pytest

ROW = re.compile(r'<tr data-person-id="(\d+)">')


@pytest.fixture
def biz(ops_app, engine, codec):
    ids = seed_tree_and_users(engine, codec)
    ids["persons"] = seed_persons(engine, codec)  # 张三 NM2024001 at COUNTY, 李四 at COUNTY_B, 王五 at COUNTY_C
    return ids


def client_for(app, username):
    c = app.test_client()
    login_ready(c, username, INITIAL_PASSWORD)
    return c


def _text(resp):
    return resp.get_data(as_text=True)


def bulk_persons(engine, agency: str, n: int, prefix: str = "Z", name: str = "测试") -> None:
    rows = [{"agency_code": agency, "archive_no": f"{prefix}{i:05d}", "name": f"{name}{i}",
             "name_initials": name_initials(f"{name}{i}"), "data_source": "业务", "version": 1} for i in range(n)]
    with engine.begin() as conn:
        conn.execute(sa.insert(Person.__table__), rows)


def link(page: str, rel: str, pager: str = "pager-top") -> str | None:
    m = re.search(rf'id="{pager}-{rel}" href="\?([^"]*)"', page)
    return None if m is None else "/person/?" + m.group(1).replace("&amp;", "&")


def ids_on(page: str) -> list[int]:
    return [int(i) for i in ROW.findall(page)]


def test_keyset_pages_walk_the_whole_list_forward_and_back(ops_app, engine, biz):
    bulk_persons(engine, COUNTY, 44)  # + 张三 NM2024001: 45 persons at the clerk's agency, 3 pages of 20
    clerk = client_for(ops_app, "clerk1")
    first = _text(clerk.get("/person/"))
    assert "共 45 人" in first and "第 1 / 3 页" in first
    assert link(first, "prev") is None and link(first, "first") is None
    second = _text(clerk.get(link(first, "next")))
    assert "第 2 / 3 页" in second
    third = _text(clerk.get(link(second, "next")))
    assert "第 3 / 3 页" in third and link(third, "next") is None and link(third, "last") is None
    seen = ids_on(first) + ids_on(second) + ids_on(third)
    with Session(engine) as s:
        expected = list(s.scalars(sa.select(Person.id).where(Person.agency_code == COUNTY)
                                  .order_by(Person.archive_no)))
    assert seen == expected  # every person once, in 档案编号 order
    last = _text(clerk.get(link(first, "last")))
    assert ids_on(last) == ids_on(third) and "第 3 / 3 页" in last
    back = _text(clerk.get(link(last, "prev")))
    assert ids_on(back) == ids_on(second)
    again = _text(clerk.get(link(back, "prev")))
    assert ids_on(again) == ids_on(first)
    assert ids_on(_text(clerk.get(link(third, "first")))) == ids_on(first)
    # the API pages the same way with its cursors
    api = clerk.get("/api/v1/person/?page_size=20").get_json()
    assert [r["id"] for r in api["result"]] == ids_on(first) and api["count"] == 45 and api["count_exact"]
    api2 = clerk.get(f"/api/v1/person/?page_size=20&after={api['next']}").get_json()
    assert [r["id"] for r in api2["result"]] == ids_on(second)


def test_the_count_stops_at_1000(ops_app, engine, biz):
    bulk_persons(engine, COUNTY, COUNT_CAP + 5)
    clerk = client_for(ops_app, "clerk1")
    page = _text(clerk.get("/person/"))
    assert "共 1,000+ 人" in page and len(ids_on(page)) == 20
    api = clerk.get("/api/v1/person/").get_json()
    assert api["count"] == COUNT_CAP and api["count_exact"] is False
    last = _text(clerk.get(link(page, "last")))
    with Session(engine) as s:
        tail = list(s.scalars(sa.select(Person.id).where(Person.agency_code == COUNTY)
                              .order_by(Person.archive_no.desc()).limit(20)))
    assert ids_on(last) == tail[::-1]
    assert "第 50 页" in _text(clerk.get("/person/?page=50"))  # numbered pages within the first 1,000 rows


def test_name_prefix_and_pinyin_initials_search(ops_app, engine, codec, biz):
    with Session(engine) as s:
        for no, name in (("G1", "郭英"), ("G2", "郭英杰"), ("G3", "郭艳"), ("S1", "单田芳"), ("S2", "曾国藩")):
            add_person(s, codec, COUNTY, no, name, ID_A)
        add_person(s, codec, COUNTY_B, "G9", "郭英", ID_A)  # another agency: out of the clerk's scope
        s.commit()
    clerk = client_for(ops_app, "clerk1")

    def names(q):
        return [r["name"] for r in clerk.get("/api/v1/person/", query_string={"q": q}).get_json()["result"]]

    assert names("郭英") == ["郭英", "郭英杰"]  # prefix, the exact name first
    assert sorted(names("郭")) == ["郭艳", "郭英", "郭英杰"]
    assert sorted(names("gy")) == ["郭艳", "郭英", "郭英杰"]
    assert names("gyj") == ["郭英杰"] and names("GYJ") == ["郭英杰"]
    assert names("stf") == ["单田芳"] and names("dtf") == [] and names("zgf") == ["曾国藩"]
    assert names("G2") == ["郭英杰"]  # 档案编号, exact
    assert names("郭%") == [] and names("g_") == []  # LIKE wildcards are plain text
    page = _text(clerk.get("/person/", query_string={"q": "gy"}))
    assert "共 3 人" in page and "郭英杰" in page


def test_a_malformed_id_number_is_said_so(ops_app, engine, biz):
    clerk = client_for(ops_app, "clerk1")
    wrong_check = ID_A[:-1] + ("5" if ID_A[-1] != "5" else "6")
    resp = clerk.get("/person/", query_string={"q": wrong_check})
    page = _text(resp)
    assert resp.status_code == 400 and "身份证号码格式不正确：校验码错误" in page and "共 0 人" not in page
    assert wrong_check not in page  # the typed number is not echoed
    resp = clerk.get("/person/", query_string={"q": ID_A[:16]})
    assert resp.status_code == 400 and "身份证号码格式不正确：长度错误" in _text(resp)
    api = clerk.get("/api/v1/person/", query_string={"id_number": wrong_check})
    assert api.status_code == 400 and api.get_json()["field"] == "身份证" and "校验码" in api.get_json()["message"]
    found = clerk.get("/person/", query_string={"q": ID_A})
    assert found.status_code == 200 and "共 1 人" in _text(found) and "张三" in _text(found)
    assert ID_A not in _text(found)  # neither in the box nor in a link


JUNK = [
    ({"page": "99999999999999999999999"}, "page"), ({"page": "9223372036854775808"}, "page"),
    ({"page": "abc"}, "page"), ({"page": "-1"}, "page"), ({"page": "1e3"}, "page"), ({"page": "51"}, "page"),
    ({"after": "not-a-cursor"}, "after"), ({"before": "W10"}, "before"), ({"after": "x" * 600}, "after"),
    ({"after": "WyJhIl0", "before": "WyJhIl0"}, "before"), ({"p": "zz"}, "p"),
]


def test_junk_paging_parameters_get_a_message_naming_them(ops_app, engine, biz):
    clerk = client_for(ops_app, "clerk1")
    for query, param in JUNK:
        resp = clerk.get("/person/", query_string=query)
        assert resp.status_code == 400 and f"参数 {param}" in _text(resp), query
        api = clerk.get("/api/v1/person/", query_string=query)
        assert api.status_code == 400 and api.get_json()["field"] == param, query
        assert f"参数 {param}" in api.get_json()["message"], query


def test_api_page_size_is_checked(ops_app, engine, biz):
    clerk = client_for(ops_app, "clerk1")
    for bad in ("0", "101", "x", "99999999999999999999"):
        resp = clerk.get("/api/v1/person/", query_string={"page_size": bad})
        assert resp.status_code == 400 and resp.get_json()["field"] == "page_size"


def test_print_shows_whole_numbers_only_after_a_post_with_the_csrf_token(ops_app, engine, biz):
    """Defect 12: the same rule as 查看完整信息."""
    pa = biz["persons"]["a"]
    leader = client_for(ops_app, "leader")  # may print and see whole numbers
    plain = leader.get(f"/person/{pa}/print")
    assert plain.status_code == 200 and ID_A not in _text(plain) and "520102********1234" in _text(plain)
    assert leader.get(f"/person/{pa}/print?full=1").get_data(as_text=True).count(ID_A) == 0
    assert leader.post(f"/person/{pa}/print", data={"full": "1"}).status_code == 400  # no CSRF token
    token = csrf(leader, f"/person/{pa}")
    assert 'id="print-full-form"' in _text(leader.get(f"/person/{pa}"))
    whole = leader.post(f"/person/{pa}/print", data={"full": "1", "csrf_token": token})
    assert whole.status_code == 200 and ID_A in _text(whole)
    clerk = client_for(ops_app, "clerk1")  # may print, may not see whole numbers: masked even by POST
    masked = clerk.post(f"/person/{pa}/print", data={"full": "1", "csrf_token": csrf(clerk, f"/person/{pa}")})
    assert masked.status_code == 200 and ID_A not in _text(masked)
    assert 'id="print-full-form"' not in _text(clerk.get(f"/person/{pa}"))
    with engine.connect() as conn:
        summaries = conn.execute(sa.text("select username, summary from audit_log where action = '打印' "
                                         "order by id")).all()
    assert [(u, "完整" in s) for u, s in summaries] == [("leader", False), ("leader", False), ("leader", True),
                                                         ("clerk1", False)]


def test_list_pages_read_an_index_in_order_on_mysql(engine):
    """No list page sorts the agency: the connection speaks the tables' collation (utf8mb4_unicode_ci), so
    `agency_code IN ('…')` fixes the index's first column and the keyset query walks the index in order
    (with utf8mb4_general_ci MariaDB 10.11 answered with 'Using filesort' over the whole agency)."""
    if engine.dialect.name != "mysql":
        pytest.skip("a MySQL / MariaDB query plan")
    from ops_app.person.search import ORDER_DEFAULT, ORDER_INITIALS, _starts
    from archives_domain import paging

    with engine.begin() as conn:
        conn.execute(sa.text("insert into agency (code, name, level, region_code, active) values "
                             "('52000001', '省', '省级', '520000', 1), ('52000002', '另', '省级', '520000', 1)"))
    bulk_persons(engine, "52000001", 3000)
    bulk_persons(engine, "52000002", 3000)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select @@collation_connection")).scalar() == "utf8mb4_unicode_ci"
        conn.execute(sa.text("analyze table person"))
        base = sa.select(Person.agency_code).where(Person.agency_code.in_(["52000001"]))
        plans = [
            base.with_only_columns(*ORDER_DEFAULT, Person.id).order_by(*ORDER_DEFAULT).limit(21),
            base.with_only_columns(*ORDER_DEFAULT, Person.id).where(
                paging.after_key(ORDER_DEFAULT, ("52000001", "Z01000"))).order_by(*ORDER_DEFAULT).limit(21),
            base.with_only_columns(*ORDER_DEFAULT, Person.id).order_by(*[c.desc() for c in ORDER_DEFAULT]).limit(21),
            base.with_only_columns(*ORDER_INITIALS).where(_starts(Person.name_initials, "cs"))
            .order_by(*ORDER_INITIALS).limit(21),
        ]
        for q in plans:
            extra = " ".join(str(r._mapping["Extra"]) for r in conn.execute(sa.text(
                "EXPLAIN " + str(q.compile(engine, compile_kwargs={"literal_binds": True})))))
            assert "filesort" not in extra, (str(q), extra)
