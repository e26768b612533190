"""The 404 page in headless Chromium (/usr/bin/chromium): Chinese, inside the app's frame, its way back works
and the page runs under the CSP without errors. Refreshes docs/screenshots/error-404.png (on SQLite)."""
from __future__ import annotations

from conftest import INITIAL_PASSWORD
from test_ops_browser import SCREENSHOTS, _login, _submit, live_url, page  # noqa: F401 (fixtures)

NEW = "Cuowuye#2026"


def test_404_page_in_the_frame_with_a_way_back_and_screenshot(page, live_url, database_url):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    _login(page, live_url, "clerk1", INITIAL_PASSWORD)
    page.fill("#old_password", INITIAL_PASSWORD)  # the forced change at the first login
    page.fill("#new_password", NEW)
    page.fill("#confirm", NEW)
    _submit(page, "#change-submit")
    assert page.url == f"{live_url}/"
    # another agency's person, or nobody's: the same answer; reached from the workbench
    response = page.goto(f"{live_url}/person/987654321", referer=f"{live_url}/")
    assert response.status == 404
    assert page.locator("#error-heading").inner_text() == "404 页面不存在"
    assert "不在您的管辖范围内" in page.locator("#error-message").inner_text()
    assert page.locator('[data-menu-key="workbench"]').first.is_visible()  # the menu of the frame
    assert page.locator("#error-back").inner_text() == "返回上一页"  # came from the workbench
    if database_url.startswith("sqlite"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.mouse.move(700, 5)
        page.screenshot(path=str(SCREENSHOTS / "error-404.png"), full_page=True)
    _submit(page, "#error-home")
    assert page.url == f"{live_url}/" and page.locator("#workbench-title").is_visible()
    assert problems == []


HOSTILE_BODY = ('<p>请<b>年度审核</b></p><img src="/static/x.png" onerror="window.hit=1">'
                '<script>window.hit=2</script><a href="javascript:window.hit=3">链接</a><u>完</u>')


def test_the_notice_editor_copies_only_allowed_markup_and_runs_nothing(page, live_url, engine, codec):
    """richtext.js loads the 正文 into the editor without an HTML sink: even a body that escaped the server's
    sanitiser (simulated by rewriting the page on its way to the browser) yields no image, script or
    javascript: link, only the allowed formatting."""
    from biz_seed import seed_tree_and_users
    from test_ops_workbench_browser import _enter
    seed_tree_and_users(engine, codec)
    _enter(page, live_url, "leader")

    def poison(route):
        response = route.fetch()
        html = response.text().replace("</textarea>", HOSTILE_BODY.replace("<", "&lt;").replace(">", "&gt;")
                                       + "</textarea>", 1)
        route.fulfill(response=response, body=html)

    page.route("**/notices/new", poison)
    page.goto(f"{live_url}/notices/new")
    editor = page.locator("#body-editor")
    assert editor.locator("b").inner_text() == "年度审核" and editor.locator("u").inner_text() == "完"
    assert editor.locator("img, script").count() == 0
    assert editor.locator("a").get_attribute("href") is None and editor.locator("a").inner_text() == "链接"
    assert page.evaluate("window.hit") is None
    assert page.locator('.richtext-toolbar button[title="加粗"] b').inner_text() == "B"  # faces built as nodes
