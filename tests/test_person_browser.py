"""个人信息管理 in the browser as a clerk works it (Chromium, SQLite): open a person from the list, edit
基础信息, add a 工作经历 row and a 家庭成员, see the tabs marked; screenshots of every tab into docs/screenshots."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from archives_domain.models import ArchiveLoan, ArchiveMaterial, CollectiveHukou, PersonStudy, PersonWork
from biz_seed import ID_A, add_person, seed_tree_and_users
from conftest import COUNTY
from test_ops_browser import SCREENSHOTS, _submit, live_url, page  # noqa: F401 (fixtures)
from test_ops_workbench_browser import _enter

pytestmark = pytest.mark.sqlite_only


def _seed(engine, codec) -> int:
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        p = add_person(s, codec, COUNTY, "NM2024001", "张三", ID_A, birth_date=dt.date(1990, 1, 1),
                       education_level="大学本科", school="贵州大学")
        s.add_all([
            PersonStudy(agency_code=COUNTY, person_id=p.id, school="贵州大学", major="法学", education_level="大学本科",
                        degree="学士", start_date=dt.date(2008, 9, 1), end_date=dt.date(2012, 7, 1), source="采集表", seq=1),
            PersonWork(agency_code=COUNTY, person_id=p.id, employer="贵阳某某建设有限公司", position="技术员",
                       start_date=dt.date(2012, 8, 1), end_date=dt.date(2019, 12, 31), source="采集表", seq=1),
            CollectiveHukou(agency_code=COUNTY, person_id=p.id, hukou_reg_no="NMJT000123", settle_date=dt.date(2013, 3, 2),
                            move_reason="工作调动"),
            ArchiveMaterial(agency_code=COUNTY, person_id=p.id, category_code="1", seq=1, title="干部履历表",
                            material_date=dt.date(2012, 8, 1), pages=4, stage="归档", received_date=dt.date(2012, 9, 1)),
            ArchiveMaterial(agency_code=COUNTY, person_id=p.id, category_code="4-1", seq=1, title="高中学籍档案",
                            pages=6, stage="归档", received_date=dt.date(2012, 9, 1)),
            ArchiveLoan(agency_code=COUNTY, person_id=p.id, borrower_unit="贵州大学人事处", reason="政审",
                        loan_date=dt.date(2025, 6, 3), handler="李经办")])
        s.commit()
        return p.id


def _shot(page, tab):
    page.screenshot(path=str(SCREENSHOTS / f"person-{tab}.png"), full_page=True)


def test_clerk_edits_every_data_page_in_the_browser(page, live_url, engine, codec):  # noqa: F811
    pid = _seed(engine, codec)
    _enter(page, live_url, "clerk1")
    page.goto(f"{live_url}/person/?q=张三")
    _submit(page, f'tr[data-person-id="{pid}"] a')
    assert page.locator('#person-tabs li[data-tab="study"] .tab-mark').inner_text() == "1"
    assert page.locator('#person-tabs li[data-tab="title"] .tab-mark').count() == 0  # nothing there, no mark
    # 基础信息: edit, a bad date named beside its field, then saved
    _submit(page, "#basic-edit")
    page.fill("#former_name", "张老三")
    page.fill("#graduation_date", "2012-02-30")
    page.select_option("#entrust_mode", "个人委托")
    _submit(page, "#basic-save")
    assert "不是有效日期" in page.locator("#graduation_date-error").inner_text()
    assert page.input_value("#former_name") == "张老三"  # what was typed is kept
    _shot(page, "basic-edit")
    page.fill("#graduation_date", "2012-07-01")
    _submit(page, "#basic-save")
    assert page.locator("#person-former-name").inner_text() == "张老三"
    assert page.locator("#person-entrust-mode").inner_text() == "个人委托"
    _shot(page, "basic")
    # 工作经历: add a row
    _submit(page, "#tab-work")
    _submit(page, "#row-new")
    page.fill("#start_date", "2020-01-06")
    page.fill("#employer", "贵州大数据产业有限公司")
    page.fill("#position", "数据分析师")
    _submit(page, "#row-save")
    assert "贵州大数据产业有限公司" in page.locator("#rows-work").inner_text()
    assert page.locator('#person-tabs li[data-tab="work"] .tab-mark').inner_text() == "2"
    _shot(page, "work")
    # 家庭成员及主要社会关系: add a member (身份证 through the codec, shown masked)
    _submit(page, "#tab-family")
    _submit(page, "#row-new")
    page.fill("#relation", "母亲")
    page.fill("#name", "王芳")
    page.fill("#id_number", "11010519491231002X")
    page.fill("#employer", "贵阳市第一中学 教师")
    _submit(page, "#row-save")
    text = page.locator("#rows-family").inner_text()
    assert "王芳" in text and "110105********002X" in text and "11010519491231002X" not in text
    assert page.locator('#person-tabs li[data-tab="family"] .tab-mark').inner_text() == "1"
    _shot(page, "family")
    # 职称: a row opened for editing (the form under the list)
    _submit(page, "#tab-title")
    _submit(page, "#row-new")
    page.select_option("#kind", "职称")
    page.fill("#name", "工程师")
    page.fill("#level", "中级")
    _submit(page, "#row-save")
    _shot(page, "title")
    for tab in ("study", "hukou", "materials", "history"):
        _submit(page, f"#tab-{tab}")
        _shot(page, tab)
    assert "贵州大学人事处" in page.locator("#rows-history").inner_text()
