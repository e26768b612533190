"""档案材料 over HTTP (pages and /api/v1/material/), on SQLite and MariaDB: the menu entry, 收集 with bad input
named and kept (400), stage refusals (409), the optimistic-lock conflict on 修改 (409, the other editor named,
typed values kept), another agency's person and material 404 by URL and by API, the JSON API's 收集 → 鉴别 →
归档 → 目录; and in the browser (SQLite) a clerk's whole flow with screenshots docs/screenshots/materials-*.png."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from archives_domain import audit as audit_chain
from archives_domain.business import materials
from archives_domain.business.base import Actor, Context
from archives_domain.models import ArchiveMaterial
from biz_seed import seed_persons, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD
from ops_http import csrf, login_ready
from test_ops_browser import SCREENSHOTS, _submit, live_url, page  # noqa: F401 (fixtures)
from test_ops_workbench_browser import _enter


@pytest.fixture
def biz(ops_app, engine, codec):
    seed_tree_and_users(engine, codec)
    return seed_persons(engine, codec)


def _client(app, username):
    c = app.test_client()
    login_ready(c, username, INITIAL_PASSWORD)
    return c


def _ctx(engine, codec, username):
    return Context(Session(engine), Actor(username, COUNTY, frozenset({COUNTY})),
                   audit_chain.audit_key(codec.keyring), codec)


def _text(resp):
    return resp.get_data(as_text=True)


def _materials(engine, person_id):
    with Session(engine) as s:
        return {m.title: (m.id, m.version, m.stage, m.seq) for m in
                s.scalars(select(ArchiveMaterial).where(ArchiveMaterial.person_id == person_id))}


def test_pages_bad_input_refusals_conflict_and_scope(ops_app, engine, biz):
    clerk = _client(ops_app, "clerk1")
    home = _text(clerk.get("/"))
    assert 'data-menu-key="personal.materials"' in home and "/materials/" in home
    a, b = biz["a"], biz["b"]
    page = clerk.get(f"/materials/person/{a}")
    assert page.status_code == 200 and "收集材料" in _text(page)
    token = csrf(clerk, f"/materials/person/{a}")
    bad = clerk.post(f"/materials/person/{a}/collect", data={
        "csrf_token": token, "rows-count": "3", "rows-0-title": "干部履历表", "rows-0-category_code": "1",
        "rows-0-material_date": "2015-02-30", "rows-1-title": "学位证书", "rows-1-category_code": "4-1",
        "rows-1-pages": "两页", "rows-2-title": "年度考核登记表", "rows-2-category_code": "3"})
    body = _text(bad)
    assert bad.status_code == 400
    assert 'id="rows-0-material_date-error"' in body and "第 1 行 形成时间：2015-02-30 不是有效日期" in body
    assert 'id="rows-1-pages-error"' in body and "第 2 行 页数：两页" in body
    assert 'value="年度考核登记表"' in body and 'value="学位证书"' in body  # nothing typed is lost
    assert _materials(engine, a) == {}
    ok = clerk.post(f"/materials/person/{a}/collect", data={
        "csrf_token": token, "rows-count": "2", "rows-0-title": "干部履历表", "rows-0-category_code": "1",
        "rows-0-material_date": "2015-02-28", "rows-0-pages": "6", "rows-1-title": "学位证书",
        "rows-1-category_code": "4-1", "rows-1-material_date": "2012-07-01"})
    assert ok.status_code == 302
    got = _materials(engine, a)
    # 归档 before 鉴别: refused, named, nothing written
    ids = [got["干部履历表"][0], got["学位证书"][0]]
    refused = clerk.post(f"/materials/person/{a}/batch", data={"csrf_token": token, "op": "archive", "ids": ids,
                                                               "archived_date": "2026-12-07"})
    assert refused.status_code == 409 and "尚未鉴别" in _text(refused) and "干部履历表" in _text(refused)
    # two editors: clerk3 saves first; clerk1's stale save is a 409 naming clerk3, with clerk1's typing kept
    mid = got["干部履历表"][0]
    edit_page = _text(clerk.get(f"/materials/{mid}/edit"))
    orig = re.search(r'name="_orig" value="([^"]+)"', edit_page).group(1).replace("&#34;", '"').replace("&quot;", '"')
    other = _client(ops_app, "clerk3")
    resp = other.post(f"/materials/{mid}/edit", data={
        "csrf_token": csrf(other, f"/materials/{mid}/edit"), "version": "1", "_orig": orig, "title": "干部履历表",
        "category_code": "1", "material_date": "2015-02-28", "pages": "8"})
    assert resp.status_code == 302
    stale = clerk.post(f"/materials/{mid}/edit", data={
        "csrf_token": token, "version": "1", "_orig": orig, "title": "干部履历表（正本）", "category_code": "1",
        "material_date": "2015-02-28", "pages": "6", "remarks": "我的备注"})
    text = _text(stale)
    assert stale.status_code == 409 and 'id="conflict-message"' in text
    assert "clerk3" in text and "页数" in text and "干部履历表（正本）" in text and "我的备注" in text
    # another agency's person and material: 404 by URL and by API
    theirs = _client(ops_app, "clerkb")
    tb = csrf(theirs, f"/materials/person/{b}")
    assert theirs.post(f"/materials/person/{b}/collect", data={"csrf_token": tb, "rows-0-title": "乙",
                                                                "rows-0-category_code": "1"}).status_code == 302
    their_mid = _materials(engine, b)["乙"][0]
    assert clerk.get(f"/materials/person/{b}").status_code == 404
    assert clerk.get(f"/materials/{their_mid}/edit").status_code == 404
    assert clerk.post(f"/materials/person/{b}/collect", data={"csrf_token": token, "rows-0-title": "x"}
                      ).status_code == 404
    assert clerk.post(f"/materials/person/{a}/batch", data={"csrf_token": token, "op": "identify",
                                                            "ids": [their_mid], "identify_result": "合格归档"}
                      ).status_code == 404
    assert clerk.get(f"/api/v1/material/person/{b}").status_code == 404
    assert clerk.get(f"/api/v1/material/{their_mid}").status_code == 404
    # search and the pending list
    found = _text(clerk.get("/materials/?q=NM2024001"))
    assert f"/materials/person/{a}" in found
    pending = _text(clerk.get("/materials/?waiting=identify"))
    assert "干部履历表" in pending and "乙" not in pending
    assert clerk.get("/materials/?waiting=identify&after=junk").status_code == 400


def test_json_api_collect_identify_archive_and_catalogue(ops_app, engine, biz):
    clerk = _client(ops_app, "clerk1")
    a = biz["a"]
    h = {"X-CSRFToken": csrf(clerk, f"/materials/person/{a}")}
    resp = clerk.post(f"/api/v1/material/person/{a}", headers=h, json={"materials": [
        {"title": "入党志愿书", "category_code": "6", "material_date": "2018-05-04", "pages": 4},
        {"title": "干部履历表", "category_code": "1", "material_date": "2015-02-28"},
        {"title": "出国（境）审批表", "category_code": "9-3", "material_date": "2019-01-01"}]})
    assert resp.status_code == 201, _text(resp)
    rows = resp.get_json()["result"]
    versions = {r["id"]: r["version"] for r in rows}
    bad = clerk.post(f"/api/v1/material/person/{a}", headers=h, json={"title": "x", "pages": "-1",
                                                                       "category_code": "11"})
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"rows-0-pages", "rows-0-category_code"}
    resp = clerk.post("/api/v1/material/identify", headers=h, json={"ids": list(versions), "versions": versions,
                                                                     "identify_result": "合格归档"})
    assert resp.status_code == 200, _text(resp)
    versions = {r["id"]: r["version"] for r in resp.get_json()["result"]}
    stale = clerk.post("/api/v1/material/archive", headers=h, json={"ids": list(versions),
                                                                    "versions": {k: 1 for k in versions}})
    assert stale.status_code == 409 and "修改" in stale.get_json()["message"]
    resp = clerk.post("/api/v1/material/archive", headers=h, json={"ids": list(versions), "versions": versions})
    assert resp.status_code == 200, _text(resp)
    cat = clerk.get(f"/api/v1/material/person/{a}").get_json()
    assert [(r["类号"], r["序号"], r["材料名称"]) for r in cat["catalogue"]] == [
        ("1", 1, "干部履历表"), ("6", 1, "入党志愿书"), ("9-3", 1, "出国（境）审批表")]
    assert set(cat["catalogue"][0]) == {"序号", "类号", "材料名称", "材料形成时间", "页数", "备注"}
    one = cat["materials"][1]
    gone = clerk.delete(f"/api/v1/material/{one['id']}?version={one['version']}", headers=h)
    assert gone.status_code == 409 and "已归档，不能删除" in gone.get_json()["message"]
    patched = clerk.patch(f"/api/v1/material/{one['id']}", headers=h, json={"version": one["version"],
                                                                            "remarks": "原件"})
    assert patched.status_code == 200 and patched.get_json()["result"]["remarks"] == "原件"
    assert patched.get_json()["result"]["title"] == "入党志愿书"  # PATCH leaves absent fields alone
    waiting = clerk.get("/api/v1/material/?waiting=archive").get_json()
    assert waiting["result"] == [] and waiting["count"] == 0


@pytest.mark.sqlite_only
def test_browser_clerk_collects_identifies_and_archives_three_materials(page, live_url, engine, codec):  # noqa: F811
    seed_tree_and_users(engine, codec)
    persons = seed_persons(engine, codec)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _enter(page, live_url, "clerk1")
    page.click("text=个人快捷受理")
    page.click('[data-menu-key="personal.materials"]')
    page.wait_for_load_state("load")
    page.fill("#q", "NM2024001")
    _submit(page, "#materials-search-submit")
    page.screenshot(path=str(SCREENSHOTS / "materials-search.png"), full_page=True)
    _submit(page, "#materials-persons .open-materials")
    assert page.url.endswith(f"/materials/person/{persons['a']}")
    # three materials of different classes, one with an impossible date first
    rows = [("年度考核登记表", "3", "2021-12-20", "2"), ("干部履历表", "1", "2016-02-30", "6"),
            ("学士学位证书复印件", "4-1", "2012-07-01", "1")]
    for i, (title, cls, day, pages) in enumerate(rows):
        page.fill(f"#rows-{i}-title", title)
        page.select_option(f"#rows-{i}-category_code", cls)
        page.fill(f"#rows-{i}-material_date", day)
        page.fill(f"#rows-{i}-pages", pages)
    page.check("#rows-0-is_supplement")
    _submit(page, "#collect-submit")
    assert "不是有效日期" in page.locator("#rows-1-material_date-error").inner_text()
    assert page.input_value("#rows-2-title") == "学士学位证书复印件" and page.is_checked("#rows-0-is_supplement")
    page.screenshot(path=str(SCREENSHOTS / "materials-bad-input.png"), full_page=True)
    page.fill("#rows-1-material_date", "2016-02-29")
    _submit(page, "#collect-submit")
    assert page.locator("#pending-table .pending-row").count() == 3
    page.screenshot(path=str(SCREENSHOTS / "materials-collected.png"), full_page=True)
    person_url = page.url
    page.goto(f"{live_url}/materials/?waiting=identify")  # the agency's materials waiting for 鉴别
    assert page.locator("#materials-pending tr[data-material-id]").count() == 3
    page.screenshot(path=str(SCREENSHOTS / "materials-pending.png"), full_page=True)
    page.goto(person_url)
    # 归档 before 鉴别 is refused and named
    page.check("#select-all")
    _submit(page, "#archive-submit")
    assert "尚未鉴别" in page.locator("#form-error").inner_text()
    page.check("#select-all")
    page.select_option("#identify_result", "合格归档")
    _submit(page, "#identify-submit")
    assert page.locator("#pending-table .result").all_inner_texts() == ["合格归档"] * 3
    page.check("#select-all")
    _submit(page, "#archive-submit")
    assert page.locator("#pending-table .pending-row").count() == 0
    headings = page.locator("#catalogue-table .class-heading").all_inner_texts()
    assert [h.split()[0] for h in headings] == ["第一类", "第三类", "第四类"]
    titles = page.locator("#catalogue-table .catalogue-row .title").all_inner_texts()
    assert titles == ["干部履历表", "年度考核登记表", "学士学位证书复印件"]
    assert page.locator("#catalogue-table .catalogue-row .class-no").all_inner_texts() == ["1", "3", "4-1"]
    assert page.locator("#catalogue-table .catalogue-row .seq").all_inner_texts() == ["1", "1", "1"]
    page.screenshot(path=str(SCREENSHOTS / "materials-catalogue.png"), full_page=True)
    # 修改 while another clerk saves the same material: 409 names them, what was typed stays, a second save wins
    page.click("#catalogue-table tr:has-text('干部履历表') >> text=修改")
    page.wait_for_load_state("load")
    mid = int(page.url.split("/")[-2])
    ctx = _ctx(engine, codec, "clerk3")
    materials.edit(ctx, mid, {"pages": "7"}, only_present=True)
    ctx.session.close()
    page.fill("#remarks", "原件，已核对")
    _submit(page, "#edit-save")
    assert "clerk3" in page.locator("#conflict-message").inner_text()
    assert "（页数）" in page.locator("#conflict-message").inner_text()
    assert page.input_value("#remarks") == "原件，已核对" and page.input_value("#pages") == "6"
    page.screenshot(path=str(SCREENSHOTS / "materials-conflict.png"), full_page=True)
    page.fill("#pages", "7")
    _submit(page, "#edit-save")
    assert page.locator(f"#material-{mid} td").nth(5).inner_text() == "原件，已核对"
    page.goto(f"{live_url}/materials/person/{persons['b']}")  # another agency's person
    assert "页面不存在" in page.content()
    with Session(engine) as s:
        supplement = s.scalar(select(ArchiveMaterial).where(ArchiveMaterial.title == "年度考核登记表"))
        assert supplement.is_supplement and supplement.stage == "归档" and supplement.received_date is not None
