"""Browser tests in headless Chromium (Playwright, /usr/bin/chromium): login, forced password change,
lockout and the Chinese workbench, against the app served on each test database."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from conftest import INITIAL_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def _serve(app):
    """Serve `app` on a free port in a thread; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def live_url(make_ops_app):
    yield from _serve(make_ops_app())


@pytest.fixture
def live_url_no_delay(make_ops_app):
    """Failed logins without the growing delays, to reach the lock quickly."""
    yield from _serve(make_ops_app(ARCHIVES_LOGIN_DELAY_SECONDS=0))


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright
    if not CHROMIUM.exists():  # installed by `make setup`; a missing browser is a failure, never a skip
        pytest.fail("needs /usr/bin/chromium: run `make setup` (apt-get install chromium)", pytrace=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-background-networking"])
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 860})
        yield context.new_page()
        browser.close()


def _login(page, url, username, password):
    page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    _submit(page, "#login-submit")


def _logout(page, url):
    """Log out if signed in: GET /logout/ only asks; its button POSTs the form with the CSRF token."""
    page.goto(f"{url}/logout/")
    if page.locator("#logout-confirm").count():
        _submit(page, "#logout-confirm")


def _submit(page, selector):
    # Wait for the answer page to load completely before looking at it.
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def test_login_forced_change_and_chinese_workbench(page, live_url, database_url):
    _login(page, live_url, "clerk1", INITIAL_PASSWORD)
    assert page.url.endswith("/password/")
    assert "首次登录" in page.content()
    page.fill("#old_password", INITIAL_PASSWORD)
    page.fill("#new_password", "clerk1Pass!")  # contains the username: refused
    page.fill("#confirm", "clerk1Pass!")
    _submit(page, "#change-submit")
    assert "不得包含用户名" in page.content()
    page.fill("#old_password", INITIAL_PASSWORD)
    page.fill("#new_password", "Liulan#2026")
    page.fill("#confirm", "Liulan#2026")
    _submit(page, "#change-submit")
    assert page.url == f"{live_url}/"
    for panel in ("#panel-shortcuts", "#panel-done", "#panel-notices", "#panel-stats", "#panel-todos"):
        assert page.locator(panel).is_visible()
    assert page.locator("#panel-stats").inner_text().count("档案转") == 2
    # Unbuilt modules are greyed out, not links, with the tooltip 建设中.
    page.click("text=单位管理")
    staff = page.locator('[data-menu-key="unit.account.staff"]')
    assert staff.is_visible() and staff.get_attribute("title") == "建设中"
    assert staff.evaluate("e => e.tagName") == "SPAN"
    page.keyboard.press("Escape")
    # docs/screenshots/workbench.png is taken by test_ops_workbench_browser.py, with the panels populated.
    # The next login shows when and from where the previous one was.
    # Logout is the nav's button: a POST form with the CSRF token.
    page.click("#user-menu")
    _submit(page, "#logout-link")
    assert "已安全退出" in page.content()
    _login(page, live_url, "clerk1", "Liulan#2026")
    assert "上次登录：" in page.locator("#last-login").inner_text()


def test_lockout_after_five_failures(page, live_url_no_delay):
    live_url = live_url_no_delay
    for _ in range(5):
        _login(page, live_url, "clerk1", "Wrong#Pass9")
    assert "连续 5 次登录失败，请 15 分钟后再试" in page.content()
    _login(page, live_url, "clerk1", INITIAL_PASSWORD)  # this address is locked out of the name …
    assert "登录失败次数过多" in page.content() and page.url.endswith("/login/")
    for _ in range(6):  # … and a name that does not exist gets exactly the same answers
        _login(page, live_url, "nobody", "Wrong#Pass9")
    assert "登录失败次数过多" in page.content()


def test_idle_session_timeout_lands_on_the_login_page(page, live_url, monkeypatch):
    """The server's clock moves 31 minutes past the last request: the next page load is the login page."""
    import time as real_time

    from ops_app.security import session_guard
    _login(page, live_url, "clerk1", INITIAL_PASSWORD)
    page.fill("#old_password", INITIAL_PASSWORD)
    page.fill("#new_password", "Liulan#2026")
    page.fill("#confirm", "Liulan#2026")
    _submit(page, "#change-submit")
    assert page.url == f"{live_url}/" and page.locator("#panel-todos").is_visible()

    class Clock:  # the session guard's view of time only; the browser and the test keep the real clock
        offset = 0.0

        @staticmethod
        def time():
            return real_time.time() + Clock.offset
    monkeypatch.setattr(session_guard, "time", Clock)
    Clock.offset = 29 * 60
    page.reload(wait_until="load")
    assert page.url == f"{live_url}/"  # 29 minutes idle: still signed in (and the clock of activity restarts)
    Clock.offset = 29 * 60 + 31 * 60
    page.reload(wait_until="load")
    assert "/login/" in page.url
    assert "超过 30 分钟无操作，已自动退出，请重新登录" in page.content()
    page.goto(f"{live_url}/")
    assert "/login/" in page.url  # the session is gone, not only the page
