"""综合统计 pages and JSON API (ops_app/statistics) on SQLite and MariaDB: the three modules answer their
permission (403 without it), counts and drill-down stay in the user's scope through page and API, a code
outside the scope is refused, the custom query refuses unknown keys with a Chinese 400 and masks PII by
permission, saved queries are each user's own, 下载/打印 give xlsx/PDF with the rows and are audited."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import pytest
from sqlalchemy.orm import Session

from archives_domain.accounts.users import create_user
from biz_seed import COUNTY_B, ID_A, seed_persons, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD, relax_totp
from ops_http import audit_rows, csrf, login_ready
from test_statistics import seed_business

RANGE = {"date_from": "2026-01-01", "date_to": "2026-12-07"}


@pytest.fixture
def web(ops_app, engine, codec):
    seed_tree_and_users(engine, codec)
    persons = seed_persons(engine, codec)
    seed_business(engine, persons)
    with Session(engine) as s:
        create_user(s, username="store1", password=INITIAL_PASSWORD, role_names=["库房管理员"], agency_code=COUNTY)
        s.commit()
    relax_totp(engine, codec.keyring, "库房管理员")
    return persons


def _client(app, username):
    c = app.test_client()
    login_ready(c, username, INITIAL_PASSWORD)
    return c


def _post_json(c, path, body, token):
    return c.post(path, data=json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token})


def test_permissions_403(ops_app, web):
    store = _client(ops_app, "store1")  # 库房管理员: no 综合统计
    for path in ("/stats/archive/", "/stats/reports/", "/stats/custom/", "/api/v1/stats/archive/",
                 "/api/v1/stats/reports/stock", "/api/v1/stats/custom/dictionary"):
        assert store.get(path).status_code == 403, path
    prov = _client(ops_app, "prov")  # 查询员: 档案信息统计 only
    assert prov.get("/stats/archive/").status_code == 200
    assert prov.get("/stats/custom/").status_code == 403
    assert prov.get("/api/v1/stats/custom/saved").status_code == 403
    clerk = _client(ops_app, "clerk1")
    page = clerk.get("/stats/custom/")
    assert page.status_code == 200 and "自定义查询" in page.get_data(as_text=True)
    nav = clerk.get("/").get_data(as_text=True)
    assert "/stats/archive/" in nav and "/stats/custom/" in nav


def test_counts_and_drilldown_stay_in_scope(ops_app, web):
    a, b = _client(ops_app, "clerk1"), _client(ops_app, "clerkb")
    page = a.get("/stats/archive/?grain=year&date_from=2026-01-01&date_to=2026-12-07").get_data(as_text=True)
    row = re.search(r'data-kind="transfer_in".*?</tr>', page, re.S).group(0)
    assert re.findall(r">(\d+)</a>", row) == ["2", "2"]  # county A's two of 2026, not B's
    body = a.get("/api/v1/stats/archive/", query_string={**RANGE, "grain": "year"}).get_json()
    kinds = {k["key"]: k["total"] for k in body["kinds"]}
    assert kinds["transfer_in"] == 2 and kinds["transfer_out"] == 3 and body["agencies"] == [COUNTY]
    rec = a.get("/api/v1/stats/archive/records", query_string={**RANGE, "kind": "transfer_out"}).get_json()
    assert rec["count"] == 3 and {r["agency_code"] for r in rec["result"]} == {COUNTY}
    assert {r["name"] for r in rec["result"]} == {"张*"}
    html = a.get("/stats/archive/records", query_string={**RANGE, "kind": "transfer_out"}).get_data(as_text=True)
    assert html.count("data-record-id=") == 3 and f'href="/person/{web["a"]}"' in html and "李" not in html
    recb = b.get("/api/v1/stats/archive/records", query_string={**RANGE, "kind": "transfer_out"}).get_json()
    assert recb["count"] == 1 and recb["result"][0]["agency_code"] == COUNTY_B
    # another agency chosen by hand: refused, never widened
    bad = a.get("/api/v1/stats/archive/records", query_string={**RANGE, "kind": "transfer_out", "agency": COUNTY_B})
    assert bad.status_code == 400 and bad.get_json()["field"] == "agency"
    assert a.get("/stats/archive/records", query_string={**RANGE, "kind": "transfer_out",
                                                         "agency": COUNTY_B}).status_code == 400
    assert a.get("/api/v1/stats/archive/records", query_string={**RANGE, "kind": "x"}).status_code == 400
    leader = _client(ops_app, "leader")  # 业务负责人: 查看完整身份证号/电话
    full = leader.get("/api/v1/stats/archive/records", query_string={**RANGE, "kind": "transfer_out"}).get_json()
    assert {r["name"] for r in full["result"]} == {"张三"} and full["result"][0]["id_number"] == ID_A


def test_custom_query_api(ops_app, engine, web):
    a = _client(ops_app, "clerk1")
    token = csrf(a, "/stats/custom/")
    d = {"items": ["person.name", "person.id_number", "transfer_out.out_date"],
         "filters": [{"item": "transfer_out.out_date", "op": "range", "value": ["2026-01-01", ""]}], "group_by": []}
    res = _post_json(a, "/api/v1/stats/custom/preview", {"definition": d}, token)
    body = res.get_json()
    assert res.status_code == 200 and len(body["rows"]) == 3 and body["rows"][0][0] == "张*"
    assert body["rows"][0][1].startswith("520102") and "*" in body["rows"][0][1]
    for bad in ("person.name); DROP TABLE person; --", "person.id_number_enc"):
        res = _post_json(a, "/api/v1/stats/custom/preview", {"definition": {**d, "items": [bad]}}, token)
        assert res.status_code == 400 and res.get_json()["field"] == "items" and "未知的数据项" in res.get_json()["message"]
    g = {"items": [], "filters": [{"item": "person.sex", "op": "eq", "value": "男"}], "group_by": ["person.agency_code"]}
    res = _post_json(a, "/api/v1/stats/custom/preview", {"definition": g, "agency": COUNTY_B}, token)
    assert res.status_code == 400
    res = _post_json(a, "/api/v1/stats/custom/preview", {"definition": g}, token)
    assert res.get_json()["rows"] == [[COUNTY, 1]]
    leader = _client(ops_app, "leader")
    ltoken = csrf(leader, "/stats/custom/")
    body = _post_json(leader, "/api/v1/stats/custom/preview", {"definition": d}, ltoken).get_json()
    assert body["rows"][0][:2] == ["张三", ID_A]
    # 下载 through the page's form: xlsx with the rows, audited
    import openpyxl
    out = a.post("/stats/custom/output", data={"csrf_token": token, "fmt": "xlsx", "definition": json.dumps(d)})
    assert out.status_code == 200 and out.headers["Content-Type"].startswith("application/vnd.openxml")
    ws = openpyxl.load_workbook(io.BytesIO(out.data)).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[2] == ["姓名", "公民身份号码", "转出日期（转递）"] and len(rows) == 6 and rows[3][0] == "张*"
    bad = a.post("/stats/custom/output", data={"csrf_token": token, "fmt": "xlsx",
                                               "definition": json.dumps({"items": ["nope"]})})
    assert bad.status_code == 400 and "未知的数据项" in bad.get_data(as_text=True)
    assert [r.action for r in audit_rows(engine) if r.action == "下载"] == ["下载"]


def test_saved_queries_are_each_users_own(ops_app, web):
    a, other = _client(ops_app, "clerk1"), _client(ops_app, "clerk3")  # the same agency, another user
    ta, to = csrf(a, "/stats/custom/"), csrf(other, "/stats/custom/")
    d = {"items": ["person.sex"], "filters": [], "group_by": []}
    saved = _post_json(a, "/api/v1/stats/custom/saved", {"name": "我的查询", "definition": d}, ta).get_json()
    qid = saved["id"]
    assert [q["name"] for q in a.get("/api/v1/stats/custom/saved").get_json()["result"]] == ["我的查询"]
    assert other.get("/api/v1/stats/custom/saved").get_json()["result"] == []
    assert other.get(f"/api/v1/stats/custom/saved/{qid}").status_code == 404
    assert other.delete(f"/api/v1/stats/custom/saved/{qid}", headers={"X-CSRFToken": to}).status_code == 404
    res = other.put(f"/api/v1/stats/custom/saved/{qid}", data=json.dumps({"name": "x"}),
                    content_type="application/json", headers={"X-CSRFToken": to})
    assert res.status_code == 404
    res = a.put(f"/api/v1/stats/custom/saved/{qid}", data=json.dumps({"name": "改名", "version": saved["version"]}),
                content_type="application/json", headers={"X-CSRFToken": ta})
    assert res.status_code == 200 and res.get_json()["name"] == "改名"
    assert a.get(f"/api/v1/stats/custom/saved/{qid}").get_json()["definition"]["items"] == ["person.sex"]
    assert a.delete(f"/api/v1/stats/custom/saved/{qid}", headers={"X-CSRFToken": ta}).status_code == 200
    assert a.get("/api/v1/stats/custom/saved").get_json()["result"] == []


def test_reports_page_download_and_print(ops_app, engine, web, tmp_path):
    import openpyxl
    a = _client(ops_app, "clerk1")
    page = a.get("/stats/reports/?report=transfer&date_from=2026-01-01&date_to=2026-12-07")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "档案转递统计表" in html and 'href="/bi/overview"' in html
    api = a.get("/api/v1/stats/reports/transfer", query_string=RANGE).get_json()
    assert api["rows"][0]["out_total"] == 3 and api["rows"][0]["receipt_overdue"] == 1
    x = a.get("/stats/reports/transfer", query_string={**RANGE, "fmt": "xlsx"})
    ws = openpyxl.load_workbook(io.BytesIO(x.data)).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0][0] == "档案转递统计表" and rows[3][0] == "贵阳市南明区人才服务中心" and rows[3][3] == 3
    p = a.get("/stats/reports/volume", query_string={"year": "2026", "fmt": "pdf"})
    assert p.status_code == 200 and p.data.startswith(b"%PDF")
    assert a.get("/stats/reports/stock", query_string={"month": "2026-13", "fmt": "pdf"}).status_code == 400
    missing = a.get("/api/v1/stats/reports/nope")   # no such report: a missing resource
    assert missing.status_code == 404 and missing.get_json()["message"] == "报表不存在"
    bad = a.get("/stats/reports/stock", query_string={"month": "2026-13"})   # a bad parameter is named
    assert bad.status_code == 400 and "参数 month" in bad.get_data(as_text=True)
    actions = [r.action for r in audit_rows(engine) if r.action in ("下载", "打印")]
    assert actions == ["下载", "打印"]
    if shutil.which("pdftoppm"):
        (tmp_path / "r.pdf").write_bytes(p.data)
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(tmp_path / "r.pdf"),
                        str(tmp_path / "r")], check=True)
        assert list(tmp_path.glob("r*.png"))


def test_domain_labels_are_marked_for_the_catalogue():
    """Every text of archives_domain.statistics a page shows through tr() is marked in ops_app/statistics/labels.py
    (so the English catalogue holds it)."""
    from archives_domain.statistics import custom_query, dictionary, kinds, reports
    from ops_app.statistics.labels import LABELS
    shown = {k.label for k in kinds.KINDS} | {e.label for e in dictionary.ENTITIES.values()} \
        | {i.label for i in dictionary.ITEMS.values()} | set(custom_query.OPS.values()) \
        | {r.title for r in reports.REPORTS.values()} | {c.label for r in reports.REPORTS.values() for c in r.columns}
    assert shown <= set(LABELS), shown - set(LABELS)
