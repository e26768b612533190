"""Browser flow of 待核实 (headless Chromium, SQLite): a clerk opens the to-do "[数据核实] …" on the workbench,
lands on the decision page, chooses the second candidate, sees it decided and the value on the person; the queue
through the menu; the 一人多档 pair page, marked as two persons. Screenshots docs/screenshots/review-*.png."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from archives_domain.models import Person
from archives_domain.models.quality import ReviewItem
from biz_seed import COUNTY_B, add_person, seed_tree_and_users
from conftest import COUNTY
from test_ops_browser import SCREENSHOTS, _submit, live_url, page  # noqa: F401 (fixtures)
from test_ops_workbench_browser import _enter
from test_review import GOOD_ID, _item


def _shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(700, 5)
    page.screenshot(path=str(SCREENSHOTS / f"review-{name}.png"), full_page=True)


@pytest.mark.sqlite_only
def test_a_clerk_opens_the_todo_and_chooses_a_candidate(page, live_url, engine, codec):
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        p = add_person(s, codec, COUNTY, "NM2024001", "张三", "520302197703034567", data_source="采集表",
                       employer_name="贵州黔程科技公司")
        item = _item(s, codec, p, "工作单位", current="贵州黔程科技公司", category="单位名称待核实",
                     cands=["贵州黔程科技有限公司", ["贵州黔程信息技术有限公司", 0.72, "社保"]], confidence=0.86,
                     reason="采集表单位名称在工商登记中有多个近似企业")
        _item(s, codec, p, "出生日期", current="1977.03", category="日期只有年月", feed=None,
              reason="标准化未能确定规范值（日期只有年月）：1977.03")
        a = add_person(s, codec, COUNTY, "NM2024007", "欧阳娜娜", GOOD_ID, archive_status="在库",
                       archive_received_date=dt.date(2024, 3, 15))
        b = add_person(s, codec, COUNTY_B, "YY2019033", "欧阳娜娜", GOOD_ID, archive_status="在库",
                       archive_received_date=dt.date(2019, 7, 1))
        pair_a = _item(s, codec, a, "公民身份号码", category="一人多档", rule="multi_archive", feed=None,
                       reason=f"同一公民身份号码另有档案：{COUNTY_B}/YY2019033")
        _item(s, codec, b, "公民身份号码", category="一人多档", rule="multi_archive", feed=None,
              reason=f"同一公民身份号码另有档案：{COUNTY}/NM2024007")
        s.commit()
        person_id = p.id

    _enter(page, live_url, "clerk1")
    todo = page.locator("#panel-todos li", has_text="[数据核实]").filter(has_text="工作单位")
    with page.expect_navigation(wait_until="load"):
        todo.locator("a.todo-link").click()
    assert page.url.endswith(f"/review/{item}")
    assert "贵州黔程信息技术有限公司" in page.locator("#candidates").inner_text()
    assert page.locator("#form-value").inner_text() == "贵州黔程科技公司"
    page.check("#candidate-1")
    _shot(page, "item")
    _submit(page, "#choose")
    assert page.locator("#item-status").inner_text() == "已采纳"
    assert "贵州黔程信息技术有限公司" in page.locator("#decision").inner_text()
    _shot(page, "decided")
    with Session(engine) as s:
        assert s.get(Person, person_id).employer_name == "贵州黔程信息技术有限公司"
        assert s.get(ReviewItem, item).decided_by == "clerk1"

    # the queue from the menu, then a typed date refused with the field named and the text kept
    page.click("text=个人快捷受理")
    page.click('[data-menu-key="personal.info.review"]')
    page.wait_for_load_state("load")
    assert page.locator("#review-list tbody tr").count() == 2
    _shot(page, "queue")
    with page.expect_navigation(wait_until="load"):
        page.locator("#review-list tbody tr", has_text="出生日期").locator("a").click()
    page.fill("#value", "1977-02-30")
    _submit(page, "#type")
    assert "不是有效日期" in page.locator("#value-error").inner_text()
    assert page.locator("#value").input_value() == "1977-02-30"

    # 一人多档: both records, the other agency's minimally; marked as two persons
    page.goto(f"{live_url}/review/pair/{pair_a}")
    rows = page.locator("#pair-records tbody tr")
    assert rows.count() == 2 and "欧***" in rows.nth(1).inner_text()
    _shot(page, "pair")
    _submit(page, "#mark-different")
    assert "不同人员" in page.locator("#pair-settled").inner_text()
