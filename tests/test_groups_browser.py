"""Browser tests (headless /usr/bin/chromium, SQLite): the 系统管理员 creates a 用户组 of its agency from the
menu and fills it; a notice the 业务负责人 publishes to that group reaches its member and no one else; the
deadline clock's to-dos on the workbench, linked to their records. Screenshots docs/screenshots/groups.png
and docs/screenshots/workbench-deadlines.png."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from archives_domain.models import ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut
from biz_seed import seed_persons, seed_tree_and_users
from conftest import COUNTY
from test_ops_browser import SCREENSHOTS, _submit, live_url, page  # noqa: F401 (fixtures)
from test_ops_browser_security import _first_login_with_totp
from test_ops_workbench_browser import _enter

pytestmark = pytest.mark.sqlite_only


def test_admin_creates_a_group_and_a_notice_to_it_reaches_its_members(page, live_url, engine, codec):
    seed_tree_and_users(engine, codec)
    _first_login_with_totp(page, live_url, "sysadm")
    page.click("text=系统管理")
    page.click('[data-menu-key="system.group"]')
    page.wait_for_load_state("load")
    assert page.url.endswith("/groups/")
    page.click("#group-new")
    page.wait_for_load_state("load")
    page.fill("#name", "档案接收组")
    page.fill("#description", "负责档案转入与上架")
    page.check('#members label:has-text("李经办（clerk3）") input')
    _submit(page, "#group-save")
    row = page.locator('#group-table tr[data-group="档案接收组"]')
    assert row.locator(".members").inner_text() == "1"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(700, 5)
    page.screenshot(path=str(SCREENSHOTS / "groups.png"), full_page=True)

    _enter(page, live_url, "leader")
    page.click("#quick-toggle")
    page.fill("#quick-form #title", "请接收组本周完成上架")
    page.select_option("#quick-form #notice_type", "通知")
    page.fill("#quick-form #body", "<p>逾期未上架的档案请本周内上架。</p>")
    page.select_option("#quick-form #group_ids", label="档案接收组")
    _submit(page, "#quick-submit")

    _enter(page, live_url, "clerk3")  # the member
    assert "请接收组本周完成上架" in page.locator("#panel-notices").inner_text()
    _enter(page, live_url, "clerk1")  # same agency, not a member
    assert "请接收组本周完成上架" not in page.locator("#panel-notices").inner_text()


def test_deadline_todos_on_the_workbench_link_to_their_records(page, live_url, engine, codec):
    seed_tree_and_users(engine, codec)
    pa = seed_persons(engine, codec)["a"]
    today = (dt.datetime.utcnow() + dt.timedelta(hours=8)).date()
    ago = lambda days: today - dt.timedelta(days=days)
    with Session(engine) as s:
        late_out = ArchiveTransferOut(agency_code=COUNTY, person_id=pa, request_date=ago(70), status="已审核",
                                      to_unit="重庆市人才交流中心")
        no_receipt = ArchiveTransferOut(agency_code=COUNTY, person_id=pa, request_date=ago(50), out_date=ago(40),
                                        status="已寄出", to_unit="四川省人才交流中心")
        unshelved = ArchiveTransferIn(agency_code=COUNTY, person_id=pa, in_date=ago(65), from_unit="遵义市人才服务中心")
        loan = ArchiveLoan(agency_code=COUNTY, person_id=pa, loan_date=ago(20), due_date=ago(3), borrower_unit="贵州大学")
        s.add_all([late_out, no_receipt, unshelved, loan])
        s.commit()
        ids = {"out": late_out.id, "receipt": no_receipt.id, "in": unshelved.id, "loan": loan.id}

    _enter(page, live_url, "leader")
    todos = page.locator("#panel-todos")
    for kind, href in (("转出超期", f"/transfer/out/{ids['out']}"), ("回执超期", f"/transfer/out/{ids['receipt']}"),
                       ("上架超期", f"/transfer/in/{ids['in']}"), ("借阅逾期", f"/transfer/loan/{ids['loan']}")):
        item = todos.locator("li", has_text=f"[{kind}]")
        assert item.count() == 1, kind
        assert item.locator("a.todo-link").get_attribute("href") == href
        assert "NM2024001 张三" in item.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(5, 700)  # off the menu (no 建设中 tooltip)
    page.screenshot(path=str(SCREENSHOTS / "workbench-deadlines.png"), full_page=True)
