"""档案转递 in the browser as a clerk does it (headless Chromium): 转入 for a new person with an image; 转出 from
the person (the person-page button's URL), 回执 ticked with its image, 转递通知单 printed and downloaded — on
SQLite and MariaDB; 借阅 then 归还. Screenshots of each page in docs/screenshots/transfer-*.png."""
from __future__ import annotations

import io

import pytest
from sqlalchemy.orm import Session

from archives_domain.models import ArchiveTransferOut, Attachment, Person
from biz_seed import add_person, seed_tree_and_users
from conftest import COUNTY
from test_ops_browser import SCREENSHOTS, _submit, live_url, page  # noqa: F401 (fixtures)
from test_ops_workbench_browser import _enter


def _png(color=(40, 90, 160)) -> bytes:
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (640, 420), (250, 250, 245))
    ImageDraw.Draw(img).rectangle((40, 40, 600, 380), outline=color, width=8)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _upload(page, name, purpose=None):
    page.set_input_files(".attachment-upload input[type=file]",
                         files=[{"name": name, "mimeType": "image/png", "buffer": _png()}])
    if purpose is not None:
        page.fill(".attachment-upload input[name=purpose]", purpose)
    _submit(page, ".attachment-submit")


@pytest.fixture
def person(engine, codec):
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        p = add_person(s, codec, COUNTY, "NM2024001", "张三", "52010219900101123X")
        s.commit()
        return p.id


def test_transfer_out_with_receipt_and_notice(page, live_url, engine, person, tmp_path):
    _enter(page, live_url, "clerk1")
    page.goto(f"{live_url}/transfer/out/")
    _submit(page, "#new-record")
    page.fill("#q", "NM2024001")
    _submit(page, "#pick-submit")
    _submit(page, f"tr[data-person-id='{person}'] a.pick")
    assert "/transfer/out/new?person_id=" in page.url
    page.fill("#to_unit", "重庆市人才交流中心")
    page.fill("#request_date", "2026-11-20")
    page.fill("#reason", "工作调动")
    page.fill("#confidential_no", "JY-2026-0815")
    _shot(page, "transfer-out-form")
    _submit(page, "#record-save")
    assert page.locator("#person-status").inner_text() == "已转出"
    page.check("#receipt-tick")
    _submit(page, "#receipt-save")
    assert page.locator("#record-status").inner_text() == "已回执"
    _upload(page, "回执.png")
    assert page.locator(".attachment-thumb").count() == 1
    _shot(page, "transfer-out-show")
    with page.expect_download() as dl:
        page.click("#doc-download")
    target = tmp_path / "notice.pdf"
    dl.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF") and dl.value.suggested_filename.startswith("转递通知单-ZD-")
    printed = page.request.get(live_url + page.locator("#doc-print").get_attribute("href"))
    assert printed.headers["content-disposition"].startswith("inline") and printed.body().startswith(b"%PDF")
    page.goto(f"{live_url}/transfer/out/?confidential_no=JY-2026-0815")
    assert page.locator("#record-list tbody tr[data-record-id]").count() == 1
    _shot(page, "transfer-out-list")
    page.goto(f"{live_url}/transfer/notices/out/")
    assert page.locator(".doc-print").count() == 1
    _shot(page, "transfer-out-notices")
    with Session(engine) as s:
        out = s.query(ArchiveTransferOut).one()
        assert out.receipt_returned and s.get(Person, person).transfer_out_to == "重庆市人才交流中心"
        att = s.query(Attachment).filter_by(owner_type="archive_transfer_out", owner_id=out.id).one()
        assert att.purpose == "转出回执"


@pytest.mark.sqlite_only
def test_transfer_in_new_person_with_image_and_loan_return(page, live_url, engine, person):
    _enter(page, live_url, "clerk1")
    page.goto(f"{live_url}/transfer/in/")
    _submit(page, "#new-record")
    page.fill("#name", "王小丫")
    page.fill("#id_number", "520102199203154625")  # wrong check digit: named, nothing lost
    page.fill("#from_unit", "遵义市人才服务中心")
    page.fill("#material_count", "12")
    _submit(page, "#record-save")
    assert page.locator("#id_number-error").is_visible() and page.input_value("#from_unit") == "遵义市人才服务中心"
    _shot(page, "transfer-in-form")
    page.fill("#id_number", "520102199203154626")
    page.select_option("#receive_mode", "机要通信")
    page.fill("#confidential_no", "JY-IN-01")
    _submit(page, "#record-save")
    assert page.locator("#person-status").inner_text() == "在库"
    _upload(page, "档案袋.png", purpose="档案袋封面")
    assert page.locator(".attachment-thumb").count() == 1
    _shot(page, "transfer-in-show")
    page.goto(f"{live_url}/transfer/in/?name=王")
    assert page.locator("#record-list tbody tr[data-record-id]").count() == 1
    _shot(page, "transfer-in-list")
    # 借阅 then 归还 (the person page's button opens /transfer/loan/new?person_id=…)
    page.goto(f"{live_url}/transfer/loan/new?person_id={person}")
    page.fill("#borrower_unit", "贵州大学组织部")
    page.fill("#reason", "政审考察")
    page.fill("#due_date", "2026-12-31")
    _submit(page, "#record-save")
    assert page.locator("#person-status").inner_text() == "借出"
    _shot(page, "transfer-loan-show")
    printed = page.request.get(live_url + page.locator("#doc-print").get_attribute("href"))
    assert printed.body().startswith(b"%PDF")
    _submit(page, "#return-save")
    assert page.locator("#person-status").inner_text() == "在库"
    assert page.locator("#record-status").inner_text() == "已归还"
    page.goto(f"{live_url}/transfer/loan/")
    _shot(page, "transfer-loan-list")
    page.goto(f"{live_url}/transfer/notices/loan/")
    assert page.locator(".doc-download").count() == 1
