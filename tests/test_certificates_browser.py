"""出具相关证明 in headless Chromium (SQLite), as a clerk does it: open the person, 出具证明 → 存档证明, print it;
open the QR code's address in a logged-out browser (有效); 作废 with a reason; the same address says 已作废.
Screenshots: docs/screenshots/certificates-{new,show,list,verify}.png."""
from __future__ import annotations

import re
import subprocess

import pytest

from biz_seed import seed_tree_and_users
from test_certificates import seed_people
from test_ops_browser import SCREENSHOTS, _serve, _submit, page  # noqa: F401  (fixtures)
from test_ops_workbench_browser import _enter


@pytest.fixture
def live_url(make_ops_app):
    yield from _serve(make_ops_app())


def qr_url_of(pdf_bytes: bytes, tmp_path) -> str:
    """The verification address printed by the QR code: decoded from the page image where a QR decoder is
    installed (OpenCV), else read from the PDF's text (the same address is printed under the code)."""
    path = tmp_path / "cert.pdf"
    path.write_bytes(pdf_bytes)
    try:
        import cv2  # not a dependency of the project: used when present
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "p")], check=True)
        found, *_ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(tmp_path / "p.png")))
        if found:
            return found
    except ImportError:
        pass
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"核验地址：(https?://\S+?\?c=[A-Z0-9]{10})", text.replace("\n", ""))  # a code is 10 characters
    assert m, text
    return m.group(1)


@pytest.mark.sqlite_only
def test_clerk_issues_prints_checks_and_revokes_a_certificate(page, live_url, engine, codec, tmp_path):  # noqa: F811
    seed_tree_and_users(engine, codec)
    people = seed_people(engine, codec)
    _enter(page, live_url, "clerk1")
    page.goto(f"{live_url}/person/{people['a']}")
    button = page.locator('a[href^="/certificates/new"]')
    if button.count():  # the person page's 出具证明 button (the person module's); else its address directly
        with page.expect_navigation():
            button.first.click()
    else:
        page.goto(f"{live_url}/certificates/new?person_id={people['a']}")
    assert "110105********002X" in page.inner_text("#certificate-person")
    page.check('input[name="kind"][value="存档证明"]')
    page.fill("#purpose", "办理人才引进")
    page.fill("#recipient_unit", "贵州省某某局")
    page.screenshot(path=str(SCREENSHOTS / "certificates-new.png"), full_page=True)
    _submit(page, "#certificate-issue")
    assert page.inner_text("#certificate-status") == "有效"
    assert "自2015年3月2日起存放于" in page.inner_text("#certificate-content")
    assert page.get_attribute("#certificate-signature", "data-ok") == "1"
    page.screenshot(path=str(SCREENSHOTS / "certificates-show.png"), full_page=True)
    show_url = page.url
    # 打印: the PDF the button opens (inline), fetched with the clerk's session
    pdf = page.request.get(live_url + page.get_attribute("#certificate-print", "href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    url = qr_url_of(pdf.body(), tmp_path)
    assert url.startswith(f"{live_url}/verify/CD-") and "?c=" in url
    # a logged-out browser opens the QR code's address
    public = page.context.browser.new_context(locale="zh-CN", viewport={"width": 480, "height": 760}).new_page()
    public.goto(url)
    assert public.get_attribute("#verify-status", "data-status") == "valid"
    assert public.inner_text("#verify-name") == "张*" and "张三" not in public.content()
    public.screenshot(path=str(SCREENSHOTS / "certificates-verify.png"), full_page=True)
    # 作废 with a reason
    page.goto(show_url)
    page.fill("#reason", "接收单位名称有误，重新出具")
    _submit(page, "#revoke-submit")
    assert page.inner_text("#certificate-status") == "已作废"
    assert "接收单位名称有误" in page.inner_text("#revocation")
    public.reload()
    assert public.get_attribute("#verify-status", "data-status") == "revoked" and "已作废" in public.content()
    public.screenshot(path=str(SCREENSHOTS / "certificates-verify-revoked.png"), full_page=True)
    # the list shows it, searchable by 证明编号
    cert_no = page.inner_text("#certificate-no")
    page.goto(f"{live_url}/certificates/")
    page.fill("#q", cert_no)
    _submit(page, "#certificate-search button[type=submit]")
    rows = page.locator("#certificate-list tbody tr")
    assert rows.count() == 1 and "已作废" in rows.first.inner_text()
    page.goto(f"{live_url}/certificates/")
    page.screenshot(path=str(SCREENSHOTS / "certificates-list.png"), full_page=True)
