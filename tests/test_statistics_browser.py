"""综合统计 in the browser (headless Chromium): a clerk opens 自定义查询 from the menu, picks items, adds a
filter, previews, groups, saves the query and downloads the result as xlsx; 档案信息统计 and 报表统计 render.
Screenshots: docs/screenshots/stats-*.png."""
from __future__ import annotations

import io

import pytest

from biz_seed import seed_persons, seed_tree_and_users
from test_ops_browser import SCREENSHOTS, live_url, page  # noqa: F401 (fixtures)
from test_ops_workbench_browser import _enter
from test_statistics import seed_business

pytestmark = pytest.mark.sqlite_only


def test_custom_query_pick_filter_group_preview_download(page, live_url, engine, codec):
    import openpyxl
    seed_tree_and_users(engine, codec)
    seed_business(engine, seed_persons(engine, codec))
    _enter(page, live_url, "clerk1")
    page.click("text=综合统计")
    with page.expect_navigation(wait_until="load"):
        page.click('a[data-menu-key="stats.custom"]')
    assert page.url.endswith("/stats/custom/")
    for key in ("person.archive_no", "person.name", "transfer_out.out_date"):
        page.check(f'.pick-item[value="{key}"]')
    page.select_option("#filter-item", "transfer_out.out_date")
    page.click("#add-filter")
    row = page.locator('.filter-row[data-item="transfer_out.out_date"]')
    row.locator(".filter-op").select_option("range")
    row.locator(".filter-value").fill("2026-01-01")
    row.locator(".filter-value2").fill("2026-12-31")
    page.click("#run-preview")
    page.wait_for_selector("#preview-table tbody tr")
    assert page.locator("#preview-table tbody tr").count() == 3  # county A's three, not county B's
    assert page.locator("#preview-table tbody tr").first.locator("td").nth(1).inner_text() == "张*"
    assert "共显示 3 行" in page.locator("#custom-info").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "stats-custom-preview.png"), full_page=True)
    # grouped by 性别 and 跨省转出 with counts
    page.select_option("#group-by", ["person.sex", "transfer_out.cross_province"])
    page.click("#run-preview")
    page.wait_for_selector('#preview-table thead th:has-text("记录数")')
    cells = sorted(tuple(td.inner_text() for td in r.locator("td").all())
                   for r in page.locator("#preview-table tbody tr").all())
    assert cells == [("男", "否", "2"), ("男", "是", "1")]
    page.screenshot(path=str(SCREENSHOTS / "stats-custom-grouped.png"), full_page=True)
    # an unknown filter value is refused, in Chinese, naming the item
    row.locator(".filter-value").fill("2026-02-30")
    page.click("#run-preview")
    page.wait_for_selector("#custom-error:visible")
    assert "转出日期（转递）" in page.locator("#custom-error").inner_text()
    row.locator(".filter-value").fill("2026-01-01")
    # saved, listed, and downloaded
    page.fill("#save-name", "今年转出按性别")
    page.click("#save-query")
    page.wait_for_selector('#saved-list li a:has-text("今年转出按性别")')
    with page.expect_download() as dl:
        page.click("#run-xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(open(dl.value.path(), "rb").read())).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[2] == ["性别", "跨省转出", "记录数"] and sorted(rows[3:5]) == [["男", "否", 2], ["男", "是", 1]]


def test_archive_counts_and_reports_pages(page, live_url, engine, codec):
    seed_tree_and_users(engine, codec)
    seed_business(engine, seed_persons(engine, codec))
    _enter(page, live_url, "leader")
    page.goto(f"{live_url}/stats/archive/?grain=month&date_from=2026-01-01&date_to=2026-06-30")
    assert page.locator('#stats-archive-table tr[data-kind="transfer_out"] td.total').inner_text() == "3"
    page.screenshot(path=str(SCREENSHOTS / "stats-archive.png"), full_page=True)
    with page.expect_navigation(wait_until="load"):
        page.click('#stats-archive-table tr[data-kind="transfer_out"] td.total a')
    assert page.locator("#stats-records tbody tr").count() == 3
    assert page.locator("#stats-records tbody tr").first.locator("td").nth(3).inner_text() == "张三"  # unmasked
    page.goto(f"{live_url}/stats/reports/?report=transfer&date_from=2026-01-01&date_to=2026-12-07")
    assert "档案转递统计表" in page.locator("#report-title").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "stats-reports.png"), full_page=True)
