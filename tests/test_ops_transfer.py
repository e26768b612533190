"""档案转递 pages and API over HTTP, on SQLite and MariaDB: search by each field of 附件 三.2, the optimistic-lock
conflict (409, the other editor named, typed values kept), bad input named (400, nothing lost), another
agency's records 404 (page, document, API), 撤销 only with its permission, the documents inline/download and
audited, the menu entries built (no 建设中), the JSON API calling the commands."""
from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from archives_domain.models import Person
from biz_seed import COUNTY_B, ID_B, add_person, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD
from ops_http import audit_rows, csrf, login_ready

ID_OK = "52010219900101123X"


def _text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def biz(ops_app, engine, codec):
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        a = add_person(s, codec, COUNTY, "NM2024001", "张三", ID_OK)
        a2 = add_person(s, codec, COUNTY, "NM2024002", "张丽", "520102199203154423", sex="女")
        b = add_person(s, codec, COUNTY_B, "YY2024001", "李四", ID_B)
        s.commit()
        return {"a": a.id, "a2": a2.id, "b": b.id}


def client_for(app, username):
    c = app.test_client()
    login_ready(c, username, INITIAL_PASSWORD)
    return c


def _new_out(c, person_id, **fields):
    path = f"/transfer/out/new?person_id={person_id}"
    data = {"person_id": person_id, "csrf_token": csrf(c, path), **fields}
    return c.post(path, data=data)


def _id_of(resp) -> int:
    return int(re.search(r"/(\d+)$", resp.location).group(1))


def test_out_flow_search_conflict_bad_input_scope_and_documents(ops_app, engine, biz):
    c = client_for(ops_app, "clerk1")
    resp = _new_out(c, biz["a"], to_unit="重庆市人才交流中心", out_date="2026-11-30", reason="调动",
                    confidential_no="JY-77", delivery_mode="机要通信")
    assert resp.status_code == 302, _text(resp)
    out_id = _id_of(resp)
    page = _text(c.get(f"/transfer/out/{out_id}"))
    assert "重庆市人才交流中心" in page and "已转出" in page and "ZD-" in page and "520102********123X" in page
    # bad input: every bad field named, nothing typed lost
    resp = _new_out(c, biz["a2"], to_unit="成都市人才中心", out_date="2026-02-30", receipt_date="昨天",
                    remarks="急件")
    body = _text(resp)
    assert resp.status_code == 400 and 'id="out_date-error"' in body and 'id="receipt_date-error"' in body
    assert "2026-02-30 不是有效日期" in body and 'value="成都市人才中心"' in body and "急件" in body
    # an archive already 已转出 is refused in Chinese
    resp = _new_out(c, biz["a"], to_unit="x")
    assert resp.status_code == 409 and "不能办理转出" in _text(resp)
    # search by each field
    for query in ("archive_no=NM2024001", "name=张", "id_number=" + ID_OK, "confidential_no=JY-77",
                  "date_from=2026-11-30", "date_from=2026-11-01&date_to=2026-12-01"):
        listed = _text(c.get("/transfer/out/?" + query))
        assert f'data-record-id="{out_id}"' in listed, query
    for query in ("archive_no=NM2024002", "confidential_no=JY-78", "date_from=2026-12-01", "id_number=" + ID_B):
        assert f'data-record-id="{out_id}"' not in _text(c.get("/transfer/out/?" + query)), query
    resp = c.get("/transfer/out/?date_from=2026-13-01")
    assert resp.status_code == 400 and "转档日期" in _text(resp)
    # optimistic lock: two editors open the form; the second save is refused naming the first, typed kept
    other = client_for(ops_app, "clerk3")
    form1, form2 = _text(c.get(f"/transfer/out/{out_id}/edit")), _text(other.get(f"/transfer/out/{out_id}/edit"))

    def fields(html):
        return dict(re.findall(r'name="(_orig_\w+|version|csrf_token)" (?:type="hidden" )?value="([^"]*)"', html))
    f1, f2 = fields(form1), fields(form2)
    assert f1["version"] == f2["version"]
    ok = c.post(f"/transfer/out/{out_id}/edit", data={**f1, "to_unit": "昆明市人才中心", "out_date": "2026-11-30"})
    assert ok.status_code == 302
    clash = other.post(f"/transfer/out/{out_id}/edit", data={**f2, "to_unit": "南宁市人才中心", "remarks": "我的备注"})
    body = _text(clash)
    assert clash.status_code == 409 and "clerk1" in body and "转往单位" in body
    assert 'value="南宁市人才中心"' in body and "我的备注" in body
    again = fields(body)  # the conflict form carries the current version: saving again is a deliberate overwrite
    assert int(again["version"]) == int(f2["version"]) + 1
    assert other.post(f"/transfer/out/{out_id}/edit", data={**again, "to_unit": "昆明市人才中心",
                                                             "out_date": "2026-11-30"}).status_code == 302
    with Session(engine) as s:
        assert s.get(Person, biz["a"]).transfer_out_to == "昆明市人才中心"  # 三.4 kept in step
    # documents: 打印 inline, 下载 attachment, both audited
    pdf = c.get(f"/transfer/out/{out_id}/notice.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("inline")
    dl = c.get(f"/transfer/out/{out_id}/notice.pdf?download=1")
    assert dl.headers["Content-Disposition"].startswith("attachment")
    assert [r.action for r in audit_rows(engine) if "转递通知单" in (r.summary or "")][-2:] == ["打印", "下载"]
    notices = _text(c.get("/transfer/notices/out/"))
    assert "ZD-" in notices and f"/transfer/out/{out_id}/notice.pdf" in notices
    # another agency's clerk: 404 by URL, by document and by API
    b = client_for(ops_app, "clerkb")
    assert b.get(f"/transfer/out/{out_id}").status_code == 404
    assert b.get(f"/transfer/out/{out_id}/notice.pdf").status_code == 404
    assert b.get(f"/api/v1/transfer_out/{out_id}").status_code == 404
    assert f'data-record-id="{out_id}"' not in _text(b.get("/transfer/out/"))
    assert b.get(f"/transfer/out/new?person_id={biz['a2']}").status_code == 404
    # 撤销 needs its permission (业务负责人 holds it by default; the clerk does not)
    tok = csrf(c, f"/transfer/out/{out_id}")
    assert c.post(f"/transfer/out/{out_id}/cancel", data={"csrf_token": tok}).status_code == 403
    leader = client_for(ops_app, "leader")
    tok = csrf(leader, f"/transfer/out/{out_id}")
    assert leader.post(f"/transfer/out/{out_id}/cancel", data={"csrf_token": tok}).status_code == 302
    with Session(engine) as s:
        p = s.get(Person, biz["a"])
        assert (p.archive_status, p.transfer_out_to) == ("在库", None)
    # a role without the module (查询员) is refused the pages and the API
    prov = client_for(ops_app, "prov")
    assert prov.get("/transfer/out/").status_code == 403 and prov.get("/api/v1/transfer_out/").status_code == 403
    # the same pages under 个人快捷受理 → 可办业务 → 档案转出
    assert f'data-record-id="{out_id}"' in _text(c.get("/personal/transfer_out/"))


def test_in_and_loan_pages_and_the_api(ops_app, engine, biz):
    c = client_for(ops_app, "clerk1")
    path = "/transfer/in/new"
    resp = c.post(path, data={"csrf_token": csrf(c, path), "name": "王小丫", "id_number": "520102199203154424",
                              "in_date": "2026-12-01", "from_unit": "遵义市人才中心"})
    body = _text(resp)
    assert resp.status_code == 400 and 'id="id_number-error"' in body and 'value="遵义市人才中心"' in body
    resp = c.post(path, data={"csrf_token": csrf(c, path), "name": "王小丫", "id_number": "520102199203154626",
                              "in_date": "2026-12-01", "from_unit": "遵义市人才中心", "material_count": "8"})
    assert resp.status_code == 302, _text(resp)
    in_id = _id_of(resp)
    assert "王小丫" in _text(c.get(f"/transfer/in/{in_id}"))
    assert f'data-record-id="{in_id}"' in _text(c.get("/transfer/in/?name=王小"))
    # loan: lend, the 在库 rule, return
    path = f"/transfer/loan/new?person_id={biz['a2']}"
    resp = c.post(path, data={"csrf_token": csrf(c, path), "person_id": biz["a2"], "borrower_unit": "贵州大学",
                              "loan_date": "2026-12-01", "due_date": "2026-12-20", "reason": "政审"})
    loan_id = _id_of(resp)
    resp = c.post(path, data={"csrf_token": csrf(c, path), "person_id": biz["a2"], "borrower_unit": "x"})
    assert resp.status_code == 409 and "只有在库的档案可以借阅" in _text(resp)
    for query in ("archive_no=NM2024002", "name=张丽", "id_number=520102199203154423", "date_from=2026-12-01"):
        assert f'data-record-id="{loan_id}"' in _text(c.get("/transfer/loan/?" + query)), query
    assert c.get(f"/transfer/loan/{loan_id}/notice.pdf").data.startswith(b"%PDF")
    tok = csrf(c, f"/transfer/loan/{loan_id}")
    assert c.post(f"/transfer/loan/{loan_id}/return", data={"csrf_token": tok, "return_date": ""}).status_code == 302
    with Session(engine) as s:
        assert s.get(Person, biz["a2"]).archive_status == "在库"
    # API: list, get, post through the same commands; another agency 404
    api = c.get("/api/v1/loan/?name=张").get_json()
    assert api["count"] == 1 and api["result"][0]["status"] == "已归还"
    assert api["result"][0]["person"]["id_number"] == "520102********4423"
    headers = {"X-CSRFToken": csrf(c, "/transfer/out/")}
    resp = c.post("/api/v1/transfer_out/", json={"person_id": biz["a2"], "to_unit": "成都", "out_date": "2026-02-30"},
                  headers=headers)
    assert resp.status_code == 400 and "out_date" in resp.get_json()["errors"]
    resp = c.post("/api/v1/transfer_out/", json={"person_id": biz["a2"], "to_unit": "成都"}, headers=headers)
    assert resp.status_code == 201 and resp.get_json()["result"]["notice_no"].startswith("ZD-")
    assert c.post("/api/v1/transfer_out/", json={"person_id": biz["b"]}, headers=headers).status_code == 404
    assert c.get("/api/v1/transfer_in/").get_json()["count"] == 1
    # the menu: every entry of 档案转递 and 可办业务 转入/转出 is built
    home = _text(c.get("/"))
    for target in ("/transfer/in/", "/personal/transfer_out/", "/transfer/out/", "/transfer/notices/out/",
                   "/transfer/loan/", "/transfer/notices/loan/"):
        assert f'href="{target}"' in home, target
