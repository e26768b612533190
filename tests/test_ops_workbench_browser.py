"""Browser tests of the workbench (headless Chromium, /usr/bin/chromium): a notice published to a group
appears on a member's workbench and not on another user's; a to-do assigned by the 业务负责人 and done by
the assignee. The last one also refreshes docs/screenshots/workbench.png with every panel populated."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from archives_domain.models import ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut, MaterialUse, UserShortcut
from archives_domain.models.security import User
from biz_seed import GROUP, seed_persons, seed_todo_sources, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD
from test_ops_browser import SCREENSHOTS, _login, _logout, _submit, live_url, page  # noqa: F401 (fixtures)

NEW = "Liulan#2026"


def _enter(page, url, username):
    """Log in; at the first login change the password as forced."""
    _logout(page, url)
    _login(page, url, username, INITIAL_PASSWORD)
    if page.url.endswith("/password/"):
        page.fill("#old_password", INITIAL_PASSWORD)
        page.fill("#new_password", NEW)
        page.fill("#confirm", NEW)
        _submit(page, "#change-submit")
    elif "/login/" in page.url:
        _login(page, url, username, NEW)
    assert page.url == f"{url}/", page.url


def test_notice_published_to_a_group_shows_on_members_workbench_only(page, live_url, engine, codec):
    seed_tree_and_users(engine, codec)
    _enter(page, live_url, "leader")
    page.click("text=系统管理")
    page.click('[data-menu-key="system.notice"]')
    page.wait_for_load_state("load")
    page.click("#notice-new")
    page.wait_for_load_state("load")
    page.fill("#title", "关于档案年度审核的通知")
    page.select_option("#notice_type", "通知")
    editor = page.locator("#body-editor")  # the rich-text box over the 正文 textarea
    editor.click()
    page.keyboard.type("请各经办人于本月底前完成")
    page.click('.richtext-toolbar button[title="加粗"]')
    page.keyboard.type("年度审核")
    _submit(page, "#notice-save")
    assert "/publish" in page.url
    assert page.locator(".notice-body b").inner_text() == "年度审核"
    page.select_option("#group_ids", label=GROUP)
    _submit(page, "#publish-submit")
    assert "已发布" in page.locator("#notice-list").inner_text()

    _enter(page, live_url, "clerk1")  # a member of 南明区档案组
    notices = page.locator("#panel-notices")
    assert "关于档案年度审核的通知" in notices.inner_text() and "未读" in notices.inner_text()
    page.click("#panel-notices >> text=关于档案年度审核的通知")
    page.wait_for_load_state("load")
    assert page.locator("#notice-body b").inner_text() == "年度审核"
    _submit(page, "#mark-read")
    page.goto(f"{live_url}/")
    assert "未读" not in page.locator("#panel-notices").inner_text()

    _enter(page, live_url, "clerk3")  # same agency, not in the group
    assert "关于档案年度审核的通知" not in page.locator("#panel-notices").inner_text()


def test_todo_assigned_and_done_and_workbench_screenshot(page, live_url, engine, codec, database_url):
    seed_tree_and_users(engine, codec)
    persons = seed_persons(engine, codec)
    today = (dt.datetime.utcnow() + dt.timedelta(hours=8)).date()
    seed_todo_sources(engine, persons, today)
    with Session(engine) as s:  # some business of the agency for 业务经办统计
        pa = persons["a"]
        for _ in range(3):
            s.add(ArchiveTransferIn(agency_code=COUNTY, person_id=pa, in_date=today, shelved_date=today))
        s.add_all([ArchiveLoan(agency_code=COUNTY, person_id=pa, borrower_unit="贵州大学", loan_date=today),
                   ArchiveTransferOut(agency_code=COUNTY, person_id=pa, to_unit="遵义", out_date=today),
                   MaterialUse(agency_code=COUNTY, person_id=pa, user_name="张三")])
        leader_id = s.query(User.id).filter(User.username == "leader").scalar()
        for n, key in enumerate(("personal.info.basic", "transfer.out", "transfer.loan", "warehouse.consult")):
            s.add(UserShortcut(user_id=leader_id, menu_key=key, sort_order=n))
        s.commit()

    _enter(page, live_url, "leader")
    todos = page.locator("#panel-todos")
    loan = todos.locator("li", has_text="催还借阅档案")
    assert loan.locator(".label").inner_text() == "待分配"
    loan.locator("select[name=assignee]").select_option(label="用户：李经办（clerk3）")
    with page.expect_navigation(wait_until="load"):
        loan.locator("button", has_text="分配").click()
    loan = page.locator("#panel-todos li", has_text="催还借阅档案")
    assert loan.locator(".label").inner_text() == "待办理" and "李经办" in loan.inner_text()

    _enter(page, live_url, "clerk3")
    loan = page.locator("#panel-todos li", has_text="催还借阅档案")
    with page.expect_navigation(wait_until="load"):
        loan.locator("button", has_text="办结").click()
    assert page.locator("#panel-todos li", has_text="催还借阅档案").locator(".label").inner_text() == "已办结"
    assert "办结待办事项" in page.locator("#panel-done").inner_text()

    # The leader publishes from the workbench to the group and to herself, then looks at the workbench.
    _enter(page, live_url, "leader")
    page.click("#quick-toggle")
    page.fill("#quick-form #title", "本周五下午盘库，请各组做好准备")
    page.select_option("#quick-form #notice_type", "提示")
    page.fill("#quick-form #body", "<p>盘库期间暂停档案借阅。</p>")
    page.select_option("#quick-form #group_ids", label=GROUP)
    page.select_option("#quick-form #user_ids", label="王科长（leader，52010201）")
    _submit(page, "#quick-submit")
    assert "本周五下午盘库" in page.locator("#panel-notices").inner_text()
    assert "发布通知公告" in page.locator("#panel-done").inner_text()
    stats = page.locator('#panel-stats tr[data-business="档案转入"]').inner_text()
    assert stats.split() == ["档案转入", "3", "3", "3"]
    assert page.locator("#panel-shortcuts .shortcut").count() == 4
    if database_url.startswith("sqlite"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.mouse.move(700, 5)
        page.screenshot(path=str(SCREENSHOTS / "workbench.png"), full_page=True)
    # The same workbench in English (FAB's /lang/en): headings, buttons and code values translated.
    page.goto(f"{live_url}/lang/en")
    page.goto(f"{live_url}/")
    assert page.locator("#workbench-title").inner_text().startswith("Workbench")
    assert "Archive transfer in" in page.locator("#panel-stats").inner_text()
    if database_url.startswith("sqlite"):
        page.mouse.move(700, 5)
        page.screenshot(path=str(SCREENSHOTS / "workbench-en.png"), full_page=True)
    page.goto(f"{live_url}/lang/zh")
