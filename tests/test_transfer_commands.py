"""档案转入 / 档案转出 / 档案借阅 commands (archives_domain.business.transfers, loans) on SQLite and MariaDB:
三.4 (the person follows the transfer, 撤销 restores it), the state rules, numbers, scope, the lists' search
and newest-first paging, and both documents rendered (pdftoppm) and read back (pdftotext)."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from archives_domain import audit as audit_chain
from archives_domain.business import loans, transfer_search, transfers
from archives_domain.business.base import Actor, ConflictError, Context, FieldErrors, NotFound, Refused
from archives_domain.models import ArchiveTransferOut, AuditLog, Person
from archives_domain.paging import PageRequest
from biz_seed import COUNTY_B, ID_B, add_person, seed_tree_and_users
from conftest import COUNTY, seed_agencies_and_users

ID_NEW = "520102199203154423"  # valid check digit
ID_OK = "52010219900101123X"
SCREENSHOTS = __import__("pathlib").Path(__file__).resolve().parent.parent / "docs" / "screenshots"
_OPEN: list[Session] = []


def _ctx(engine, codec, tmp_path, scope=(COUNTY,), username="clerk1", agency=COUNTY) -> Context:
    s = Session(engine)
    _OPEN.append(s)
    return Context(s, Actor(username, agency, frozenset(scope)), audit_chain.audit_key(codec.keyring), codec,
                   tmp_path / "var", today=dt.date(2026, 12, 7))


@pytest.fixture(autouse=True)
def _close_sessions(request):
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine")
    yield
    while _OPEN:
        _OPEN.pop().close()


@pytest.fixture
def seeded(engine, codec):
    seed_agencies_and_users(engine, {"clerk1": ["档案经办人"]})
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        a = add_person(s, codec, COUNTY, "NM1", "张三", ID_OK)
        b = add_person(s, codec, COUNTY_B, "YY1", "李四", ID_B)
        s.commit()
        return {"a": a.id, "b": b.id}


def _actions(s) -> list[str]:
    return [r.action for r in s.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_transfer_out_sync_cancel_and_state_rules(engine, codec, seeded, tmp_path):
    ctx = _ctx(engine, codec, tmp_path)
    row = transfers.register_out(ctx, seeded["a"], {"to_unit": "重庆市人才交流中心", "out_date": "2026-12-01",
                                                    "reason": "调动", "confidential_no": "JY-001",
                                                    "delivery_mode": "机要通信", "request_date": "2026-11-20"})
    assert row.notice_no == f"ZD-{COUNTY}-2026-000001" and row.status == "已寄出"
    p = ctx.session.get(Person, seeded["a"])
    assert (p.archive_status, p.transfer_out_date, p.transfer_out_to, p.transfer_out_reason) == \
        ("已转出", dt.date(2026, 12, 1), "重庆市人才交流中心", "调动")
    with pytest.raises(Refused) as exc:  # already 已转出
        transfers.register_out(ctx, seeded["a"], {"to_unit": "x"})
    assert "已转出" in exc.value.message
    # editing keeps the person in step; a stale version names the other editor
    transfers.update_out(ctx, row.id, {"to_unit": "成都市人才中心", "out_date": "2026-12-02", "reason": "调动"},
                         expected_version=row.version)
    ctx.session.expire_all()
    assert ctx.session.get(Person, seeded["a"]).transfer_out_to == "成都市人才中心"
    other = _ctx(engine, codec, tmp_path, username="clerk3")
    with pytest.raises(ConflictError) as exc:
        transfers.update_out(other, row.id, {"to_unit": "昆明"}, expected_version=1,
                             original={"to_unit": "重庆市人才交流中心"})
    assert "clerk1" in exc.value.message and "转往单位" in exc.value.message
    # 回执, then 撤销 restores the person as before (在库, no 转出 fields)
    row = transfers.record_receipt(ctx, row.id, {"receipt_date": "2026-12-05"})
    assert row.receipt_returned and row.status == "已回执"
    transfers.cancel_out(ctx, row.id)
    ctx.session.expire_all()
    p = ctx.session.get(Person, seeded["a"])
    assert (p.archive_status, p.transfer_out_date, p.transfer_out_to) == ("在库", None, None)
    assert ctx.session.get(ArchiveTransferOut, row.id).status == "已撤销"
    with pytest.raises(Refused):
        transfers.update_out(ctx, row.id, {"to_unit": "x"})
    assert _actions(ctx.session)[-4:] == ["转出", "修改", "回执", "撤销"]
    # a lent archive cannot go out; another agency's person is not found
    loans.lend(ctx, seeded["a"], {"borrower_unit": "贵州大学"})
    with pytest.raises(Refused) as exc:
        transfers.register_out(ctx, seeded["a"], {})
    assert "借出" in exc.value.message
    with pytest.raises(NotFound):
        transfers.register_out(ctx, seeded["b"], {})
    with pytest.raises(FieldErrors) as exc:
        transfers.register_out(ctx, seeded["a"], {"out_date": "2026-02-30", "receipt_date": "x"})
    assert set(exc.value.errors) == {"out_date", "receipt_date"}
    second = transfers.register_out(_ctx(engine, codec, tmp_path, scope=(COUNTY_B,), username="clerkb",
                                         agency=COUNTY_B), seeded["b"], {})
    assert second.notice_no == f"ZD-{COUNTY_B}-2026-000001"  # numbered per agency


def test_loan_and_return(engine, codec, seeded, tmp_path):
    ctx = _ctx(engine, codec, tmp_path)
    loan = loans.lend(ctx, seeded["a"], {"borrower_unit": "贵州大学", "loan_date": "2026-12-01",
                                         "due_date": "2026-12-20", "reason": "政审"})
    assert loan.notice_no == f"JY-{COUNTY}-2026-000001" and loan.status == "借出"
    assert ctx.session.get(Person, seeded["a"]).archive_status == "借出"
    with pytest.raises(Refused) as exc:  # only 在库 may be lent
        loans.lend(ctx, seeded["a"], {})
    assert "在库" in exc.value.message
    with pytest.raises(FieldErrors) as exc:
        loans.give_back(ctx, loan.id, {"return_date": "2026-11-01"})
    assert "return_date" in exc.value.errors
    loans.give_back(ctx, loan.id, {})
    ctx.session.expire_all()
    assert ctx.session.get(Person, seeded["a"]).archive_status == "在库"
    loan = ctx.session.get(type(loan), loan.id)
    assert (loan.status, loan.return_date) == ("已归还", dt.date(2026, 12, 7))
    with pytest.raises(Refused):
        loans.give_back(ctx, loan.id, {})
    assert loans.lend(ctx, seeded["a"], {}).notice_no.endswith("-000002")


def test_receive_new_known_and_existing_person(engine, codec, seeded, tmp_path):
    ctx = _ctx(engine, codec, tmp_path)
    row = transfers.receive(ctx, {"name": "王小丫", "id_number": ID_NEW, "from_unit": "遵义市人才中心",
                                  "in_date": "2026-12-03", "material_count": "12", "archive_kind": "正式",
                                  "receive_mode": "机要通信", "confidential_no": "JY-9"})
    p = ctx.session.get(Person, row.person_id)
    assert (p.agency_code, p.name, p.archive_status, p.archive_received_date, p.sex, p.birth_date) == \
        (COUNTY, "王小丫", "在库", dt.date(2026, 12, 3), "女", dt.date(1992, 3, 15))
    assert p.archive_no == "ZR2026000001" and codec.get(p, "id_number") == ID_NEW
    again = transfers.receive(ctx, {"name": "王小丫", "id_number": ID_NEW.lower(), "in_date": "2026-12-04"})
    assert again.person_id == p.id  # the same 身份证 in the agency: the same person
    known = transfers.receive(ctx, {"in_date": "2026-12-05", "from_unit": "x"}, person_id=seeded["a"])
    assert known.person_id == seeded["a"]
    with pytest.raises(FieldErrors) as exc:
        transfers.receive(ctx, {"name": "某", "archive_no": "NM1", "id_number": "520102199203154424",
                                "in_date": "2026-13-01", "material_count": "三"})
    assert set(exc.value.errors) == {"id_number", "in_date", "material_count"}
    with pytest.raises(FieldErrors) as exc:
        transfers.receive(ctx, {"name": "某", "archive_no": "NM1"})
    assert "已被本机构人员" in exc.value.errors["archive_no"]
    with pytest.raises(NotFound):
        transfers.receive(ctx, {}, person_id=seeded["b"])
    transfers.update_in(ctx, row.id, {"in_date": "2026-12-06", "from_unit": "遵义"}, expected_version=row.version)
    ctx.session.expire_all()
    assert ctx.session.get(Person, row.person_id).archive_received_date == dt.date(2026, 12, 6)


def test_lists_search_and_page_newest_first(engine, codec, seeded, tmp_path):
    ctx = _ctx(engine, codec, tmp_path)
    with Session(engine) as s:
        ids = [add_person(s, codec, COUNTY, f"P{i:03d}", f"赵{i}", None).id for i in range(25)]
        s.commit()
    made = [transfers.register_out(ctx, pid, {"out_date": f"2026-11-{(i % 28) + 1:02d}", "confidential_no": f"J{i}"})
            for i, pid in enumerate(ids)]
    transfers.register_out(_ctx(engine, codec, tmp_path, scope=(COUNTY_B,), username="clerkb", agency=COUNTY_B),
                           seeded["b"], {"out_date": "2026-11-02"})

    def run(raw, req=PageRequest(size=10)):
        c = transfer_search.criteria(raw, transfer_search.OUT)
        q, order = transfer_search.query(ctx, transfer_search.OUT, c)
        return transfer_search.fetch_desc(ctx.session, q, order, req)

    first = run({})
    assert [r.id for r in first.rows] == [m.id for m in made[::-1][:10]] and first.has_next and not first.has_prev
    second = run({}, PageRequest(size=10, after=first.last_key, number=2))
    assert [r.id for r in second.rows] == [m.id for m in made[::-1][10:20]] and second.has_prev
    back = run({}, PageRequest(size=10, before=second.first_key))
    assert [r.id for r in back.rows] == [r.id for r in first.rows]
    last = run({}, PageRequest(size=10, last=True))
    assert [r.id for r in last.rows] == [m.id for m in made[:10][::-1]] and not last.has_next  # the oldest 10
    assert [r.id for r in run({"archive_no": "P003"}).rows] == [made[3].id]
    assert [r.id for r in run({"name": "赵2"}).rows] == [made[24].id, made[23].id, made[22].id, made[21].id,
                                                          made[20].id, made[2].id]
    assert [r.id for r in run({"id_number": ID_OK}).rows] == []
    assert [r.id for r in run({"confidential_no": "J7"}).rows] == [made[7].id]
    dated = run({"date_from": "2026-11-03", "date_to": "2026-11-04"})
    assert sorted(r.id for r in dated.rows) == sorted([made[2].id, made[3].id])
    paged = run({"date_from": "2026-11-01"})
    nxt = run({"date_from": "2026-11-01"}, PageRequest(size=10, after=paged.last_key))
    dates = [r.out_date for r in paged.rows + nxt.rows]
    assert dates == sorted(dates, reverse=True) and len(set(r.id for r in paged.rows + nxt.rows)) == 20
    with pytest.raises(FieldErrors) as exc:
        transfer_search.criteria({"date_from": "2026-02-30", "date_to": "x"}, transfer_search.OUT)
    assert set(exc.value.errors) == {"date_from", "date_to"}


def _pdf_text_and_png(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(path), str(tmp_path / name)], check=True)
    from PIL import Image
    with Image.open(tmp_path / f"{name}.png") as img:
        assert img.convert("L").getextrema()[0] < 100  # ink on the page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp_path / f"{name}.png", SCREENSHOTS / f"{name}.png")
    return text


@pytest.mark.sqlite_only
def test_documents_render_with_their_content_and_are_audited(engine, codec, seeded, tmp_path):
    ctx = _ctx(engine, codec, tmp_path)
    row = transfers.register_out(ctx, seeded["a"], {"to_unit": "重庆市人才交流中心", "out_date": "2026-12-01",
                                                    "reason": "工作调动", "confidential_no": "JY-2026-0815",
                                                    "delivery_mode": "机要通信", "handler": "李经办"})
    data, filename = transfers.notice_pdf(ctx, row.id, download=True)
    assert filename == f"转递通知单-{row.notice_no}.pdf"
    text = _pdf_text_and_png(data, tmp_path, "transfer-notice")
    for expected in ("流动人员人事档案转递通知单", row.notice_no, "重庆市人才交流中心", "现将", "张三",
                     "同志的档案转去，请按档案目录清点查收，并将回执退回", ID_OK, "NM1", "JY-2026-0815", "工作调动",
                     "转出单位（盖章）", "回", "执", "同志的档案已收到", "接收单位（盖章）", "2026年12月1日",
                     "共 1 页"):  # the form and its 回执 stub on one sheet
        assert expected in text, expected
    loan = loans.lend(ctx, _lendable(ctx, engine, codec),
                      {"borrower_unit": "贵州大学", "loan_date": "2026-12-01",
                       "due_date": "2026-12-31", "reason": "政审考察", "handler": "李经办"})
    data, _ = loans.notice_pdf(ctx, loan.id)
    text = _pdf_text_and_png(data, tmp_path, "loan-notice")
    for expected in ("档案借阅告知单", loan.notice_no, "贵州大学", "政审考察", "2026年12月31日", "不得涂改",
                     "借阅人（签字）"):
        assert expected in text, expected
    assert _actions(ctx.session)[-1:] == ["打印"] and "下载" in _actions(ctx.session)


def _lendable(ctx, engine, codec) -> int:
    with Session(engine) as s:
        p = add_person(s, codec, COUNTY, "NM9", "钱七", ID_NEW)
        s.commit()
        return p.id
