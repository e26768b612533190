"""Browser tests (headless /usr/bin/chromium) of TOTP enrolment and login, and of a permission revoked on the
用户权限 tree leaving the menu and answering 403; screenshots of the tree and the audit log."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from archives_domain.accounts.users import create_user
from conftest import COUNTY, INITIAL_PASSWORD
from ops_http import Authenticator
from test_ops_browser import SCREENSHOTS, _login, _logout, _submit, live_url, page  # noqa: F401 (fixtures)

NEW = "Anquan#2026x"


@pytest.fixture
def accounts(engine, ops_settings):
    with Session(engine) as s:
        create_user(s, username="secadm", password=INITIAL_PASSWORD, role_names=["安全管理员"], agency_code=COUNTY)
        create_user(s, username="auditor", password=INITIAL_PASSWORD, role_names=["审计管理员"], agency_code=COUNTY)
        s.commit()


def _first_login_with_totp(page, url, username) -> Authenticator:
    """Password → QR enrolment (code computed like a phone would) → forced password change → workbench."""
    _login(page, url, username, INITIAL_PASSWORD)
    assert page.url.endswith("/totp/enroll/")
    qr = page.locator("#totp-qr")
    assert qr.is_visible() and qr.evaluate("img => img.naturalWidth") > 100  # the PNG data URI rendered (CSP)
    phone = Authenticator(page.locator("#totp-secret").inner_text())
    page.fill("#code", phone.code())
    _submit(page, "#totp-enroll-submit")
    assert page.url.endswith("/password/")
    page.fill("#old_password", INITIAL_PASSWORD)
    page.fill("#new_password", NEW)
    page.fill("#confirm", NEW)
    _submit(page, "#change-submit")
    assert page.url == f"{url}/"
    return phone


def test_totp_enrolment_and_login(page, live_url):
    phone = _first_login_with_totp(page, live_url, "sysadm")
    _logout(page, live_url)
    _login(page, live_url, "sysadm", NEW)
    assert page.url.endswith("/totp/verify/") and "动态口令" in page.content()
    page.fill("#code", phone.wrong_code())
    _submit(page, "#totp-submit")
    assert "动态口令错误" in page.content() and page.url.endswith("/totp/verify/")
    page.fill("#code", phone.code())
    _submit(page, "#totp-submit")
    assert page.url == f"{live_url}/"
    assert page.locator("#panel-todos").is_visible()


def test_permission_revoked_on_the_tree_leaves_the_menu_and_answers_403(page, live_url, accounts, database_url):
    shots = database_url.startswith("sqlite")
    other = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 860})
    auditor = other.new_page()
    _login(auditor, live_url, "clerk1", "Wrong#Pass1")  # a failure for the log to show
    _first_login_with_totp(auditor, live_url, "auditor")
    auditor.click('a[data-menu-key="system"]')
    auditor.click('a[data-menu-key="system.log"]')
    auditor.wait_for_load_state("load")
    assert auditor.url.endswith("/auditlog/") and auditor.locator("#audit-table tbody tr").count() > 3
    auditor.fill('input[name="username"]', "auditor")
    _submit(auditor, "#audit-search-submit")
    assert "启用动态口令" in auditor.locator("#audit-table").inner_text()
    auditor.goto(f"{live_url}/auditlog/")
    if shots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        auditor.screenshot(path=str(SCREENSHOTS / "audit-log.png"), full_page=True)

    _first_login_with_totp(page, live_url, "secadm")
    page.click('a[data-menu-key="system"]')
    page.click('a[data-menu-key="system.permission"]')
    page.wait_for_load_state("load")
    # Checking a 1st-level module checks its whole branch (and unchecking clears it).
    page.click("#role-list >> text=查询员")
    page.wait_for_load_state("load")
    unit = page.locator('input[data-key="unit"]')
    assert not unit.is_checked()
    unit.check()
    assert page.locator('input[data-key="unit.account.staff"]').is_checked()
    page.locator('input[data-key="unit.account.charts"]').uncheck()
    page.locator('input[data-key="unit.account.charts"]').check()
    assert page.locator('input[data-key="unit.account"]').is_checked()
    unit.uncheck()
    assert not page.locator('input[data-key="unit.account.staff"]').is_checked()
    if shots:
        page.locator('input[data-key="unit"]').check()  # a branch being granted, for the picture
        page.mouse.move(1300, 840)
        page.screenshot(path=str(SCREENSHOTS / "permission-tree.png"), full_page=True)
    # Revoke 系统日志 from the single user `auditor`, item by item, on the tree.
    page.click("#user-list >> text=auditor")
    page.wait_for_load_state("load")
    log_box = page.locator('input[data-key="system.log"]')
    assert log_box.is_checked()
    log_box.uncheck()
    _submit(page, "#permission-save")
    assert "权限已保存" in page.content()
    assert not page.locator('input[data-key="system.log"]').is_checked()
    assert "个人收回" in page.locator("#perm-tree").inner_text()

    auditor.goto(f"{live_url}/")
    assert auditor.locator('[data-menu-key="system.log"]').count() == 0
    assert "系统日志" not in auditor.locator(".navbar").inner_text()
    response = auditor.goto(f"{live_url}/auditlog/")
    assert response.status == 403 and "无权访问" in auditor.locator("#error-heading").inner_text()  # ops_app.errors
    assert "请联系安全管理员授权" in auditor.locator("#forbidden").inner_text()
    response = auditor.goto(f"{live_url}/api/v1/audit-log/")
    assert response.status == 403
    other.close()
