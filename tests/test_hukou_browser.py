"""集体户口代理 in the browser (headless Chromium), as a clerk does it: take a person into the collective
household (迁入, after a refused bad date that loses nothing typed), upload an image of the 户籍卡, lend the
card and take it back, settle a child (子女挂靠), move the person out (迁出); another agency's household is
404. Screenshots: docs/screenshots/hukou-*.png."""
from __future__ import annotations


import pytest
from sqlalchemy.orm import Session

from archives_domain.models import CollectiveHukou, Person
from biz_seed import seed_persons, seed_tree_and_users
from test_hukou import CHILD_ID
from test_ops_browser import SCREENSHOTS, _submit, live_url, page  # noqa: F401 (fixtures)
from test_ops_workbench_browser import _enter

pytestmark = pytest.mark.sqlite_only


def _png(path):
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (900, 560), (236, 230, 214))
    d = ImageDraw.Draw(img)
    d.rectangle((20, 20, 880, 540), outline=(120, 60, 40), width=6)
    for y in range(90, 520, 60):
        d.line((60, y, 840, y), fill=(160, 120, 100), width=2)
    img.save(path, format="PNG")
    return path


def _fill(page, form, values: dict):
    for name, value in values.items():
        sel = f"{form} [name={name}]"
        if page.locator(sel).evaluate("e => e.tagName") == "SELECT":
            page.select_option(sel, value)
        else:
            page.fill(sel, value)


def test_clerk_moves_in_lends_card_settles_child_and_moves_out(page, live_url, engine, codec, tmp_path):
    seed_tree_and_users(engine, codec)
    persons = seed_persons(engine, codec)
    pid = persons["a"]
    _enter(page, live_url, "clerk1")
    # the menu entry opens the list
    page.click("text=个人快捷受理")
    with page.expect_navigation(wait_until="load"):
        page.click('a[data-menu-key="personal.business.hukou"]')
    assert page.url.endswith("/hukou/")
    assert page.locator("#hukou-list").count() == 1
    page.fill("#open-archive-no", "NM2024001")  # the person by 档案编号: no household yet, so the 迁入 form
    _submit(page, "#hukou-open-submit")
    assert page.url.endswith(f"/hukou/person/{pid}") and page.locator("#move-in-form").count() == 1
    form = {"hukou_reg_no": "NMJT-00017", "original_address": "贵州省遵义市红花岗区老城街道中华路 12 号",
            "settle_date": "2024-02-30", "move_reason": "就业落户", "police_station_in": "南明分局花果园派出所",
            "in_accept_date": "2024-03-10"}
    _fill(page, "#move-in-form", form)
    _submit(page, "#move-in-submit")
    assert page.locator("#move-in-form #settle_date-error").inner_text().startswith("落户时间：2024-02-30")
    assert page.input_value("#move-in-form [name=police_station_in]") == "南明分局花果园派出所"  # kept
    page.screenshot(path=str(SCREENSHOTS / "hukou-move-in-error.png"), full_page=True)
    page.fill("#move-in-form [name=settle_date]", "2024-03-15")
    _submit(page, "#move-in-submit")
    assert page.locator("#hukou-status").inner_text() == "在户"
    with Session(engine) as s:
        hid = s.query(CollectiveHukou.id).filter_by(person_id=pid).scalar()
        p = s.get(Person, pid)
        assert (p.collective_hukou, p.hukou_reg_no) == (True, "NMJT-00017")

    # a colleague saves the same household while this form is open: the save is refused naming them and
    # what they changed, and what was typed here stays in the form
    other = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 860}).new_page()
    _enter(other, live_url, "clerk3")
    other.goto(f"{live_url}/hukou/{hid}")
    other.fill("#edit-form [name=employer]", "贵州新单位有限公司")
    _submit(other, "#edit-submit")
    other.context.close()
    page.fill("#edit-form [name=move_reason]", "工作调动落户")
    _submit(page, "#edit-submit")
    msg = page.locator("#conflict-message").inner_text()
    assert "clerk3" in msg and "工作单位" in msg
    assert page.input_value("#edit-form [name=move_reason]") == "工作调动落户"
    page.screenshot(path=str(SCREENSHOTS / "hukou-conflict.png"), full_page=True)
    _submit(page, "#edit-submit")  # seen: saved over knowingly
    assert page.locator("#conflict-message").count() == 0

    # an image of the 户籍卡
    page.set_input_files(f"#attachments-collective_hukou-{hid} input[type=file]", str(_png(tmp_path / "户籍卡.png")))
    _submit(page, f"#attachments-collective_hukou-{hid} .attachment-submit")
    assert page.locator(f"#attachments-collective_hukou-{hid} .attachment-thumb").count() == 1
    # lend the card, then take it back
    _fill(page, "#loan-form", {"borrower": "张三本人", "due_date": "2099-12-31", "reason": "办理护照"})
    _submit(page, "#loan-submit")
    assert page.locator("#card-out").count() == 1 and page.locator("#loan-form").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "hukou-card-lent.png"), full_page=True)
    _submit(page, "#return-submit")
    assert page.locator("#card-in").count() == 1
    assert "未归还" not in page.locator("#loan-history").inner_text()
    # a child settles into the household
    _fill(page, "#dependent-form", {"name": "张小明", "relation": "子", "id_number": CHILD_ID,
                                    "birth_date": "2015-06-01", "settle_date": "2016-01-05"})
    _submit(page, "#dependent-submit")
    row = page.locator("#dependent-list tbody tr").first
    assert "张小明" in row.inner_text() and CHILD_ID not in row.inner_text()  # 身份证 masked
    page.screenshot(path=str(SCREENSHOTS / "hukou-household.png"), full_page=True)
    # the list finds the household by 户籍编号
    page.goto(f"{live_url}/hukou/?hukou_reg_no=NMJT")
    assert page.locator(f'tr[data-hukou-id="{hid}"]').count() == 1
    page.screenshot(path=str(SCREENSHOTS / "hukou-list.png"), full_page=True)
    # move out
    page.goto(f"{live_url}/hukou/person/{pid}")
    _fill(page, "#move-out-form", {"out_accept_date": "2026-04-28", "out_date": "2026-05-01", "out_address": "重庆市渝中区解放碑街道"})
    _submit(page, "#move-out-submit")
    assert page.locator("#hukou-status").inner_text() == "已迁出"
    assert page.locator("#move-out-form").count() == 0 and page.locator("#move-in-again").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "hukou-moved-out.png"), full_page=True)
    with Session(engine) as s:
        assert s.get(Person, pid).collective_hukou is False
    # another agency's clerk: 404
    _enter(page, live_url, "clerkb")
    resp = page.goto(f"{live_url}/hukou/{hid}")
    assert resp.status == 404
