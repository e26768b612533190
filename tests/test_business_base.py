"""The shape every business command shares (archives_domain.business): fields named in errors, the optimistic
lock naming the other editor, one transaction with the audit entry, document numbers, the PDF mechanism,
images (upload, thumbnail, view, tampering, scope). On SQLite and MariaDB."""
from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archives_domain import audit as audit_chain
from archives_domain.business import attachments, fields, numbering
from archives_domain.business.base import (Actor, ConflictError, Context, FieldErrors, NotFound, audit, check_version,
                                           get_in_scope, transaction)
from archives_domain.documents import pdf
from archives_domain.models import AuditLog, Person
from biz_seed import COUNTY_B, ID_A, add_person, seed_tree_and_users
from conftest import COUNTY, seed_agencies_and_users

SPECS = (fields.FieldSpec("name", "姓名", max_len=4), fields.FieldSpec("birth_date", "出生日期", "date"),
         fields.FieldSpec("id_number", "身份证", "id_number", pii=True),
         fields.FieldSpec("sex", "性别", "choice", choices=("男", "女")), fields.FieldSpec("pages", "页数", "int"))


def test_parse_names_every_bad_field_and_keeps_empty_fields_empty():
    with pytest.raises(FieldErrors) as exc:
        fields.parse(SPECS, {"name": "欧阳娜娜娜娜", "birth_date": "2023-02-30", "id_number": "520102199001011235",
                             "sex": "未知", "pages": "3页"})
    errors = exc.value.errors
    assert set(errors) == {"name", "birth_date", "id_number", "sex", "pages"}
    assert errors["birth_date"].startswith("出生日期：2023-02-30 不是有效日期")
    assert errors["id_number"].startswith("身份证：") and "校验" in errors["id_number"]
    assert errors["sex"].startswith("性别：")
    values = fields.parse(SPECS, {"name": "", "birth_date": "2023/2/28", "id_number": "", "sex": "女"})
    assert values == {"name": None, "birth_date": dt.date(2023, 2, 28), "id_number": None, "sex": "女", "pages": None}
    assert fields.parse(SPECS, {"id_number": "52010219900101123x"})["id_number"] == "52010219900101123X"


_OPEN: list[Session] = []


def _ctx(engine, codec, scope, tmp_path, username="clerk1") -> Context:
    key = audit_chain.audit_key(codec.keyring)
    session = Session(engine)
    _OPEN.append(session)
    return Context(session, Actor(username, COUNTY, frozenset(scope)), key, codec, tmp_path / "var")


@pytest.fixture(autouse=True)
def _close_sessions(request):
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine")  # set up after the database, so torn down before it is dropped
    yield
    while _OPEN:  # an open MySQL transaction would hold the test database's drop
        _OPEN.pop().close()


@pytest.fixture
def seeded(engine, codec):
    seed_agencies_and_users(engine, {"clerk1": ["档案经办人"]})
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        a = add_person(s, codec, COUNTY, "NM1", "张三", ID_A)
        b = add_person(s, codec, COUNTY_B, "YY1", "李四", "520103198502023456")
        s.commit()
        return {"a": a.id, "b": b.id}


def test_scope_conflict_and_one_transaction(engine, codec, seeded, tmp_path):
    ctx = _ctx(engine, codec, {COUNTY}, tmp_path)
    with pytest.raises(NotFound):
        get_in_scope(ctx, Person, seeded["b"], "人员")  # another agency's record looks missing
    other = _ctx(engine, codec, {COUNTY}, tmp_path, username="clerk3")
    p = get_in_scope(other, Person, seeded["a"])
    with transaction(other):
        p.employer_name, p.updated_by = "新单位有限公司", "clerk3"
        audit(other, "修改", "改工作单位", module=("个人快捷受理",), object_type="person", object_id=p.id)
    ctx.session.rollback()  # the next request of the first editor (a fresh transaction, MySQL's snapshot too)
    mine = get_in_scope(ctx, Person, seeded["a"])
    with pytest.raises(ConflictError) as exc:
        check_version(mine, 1, original={"employer_name": "贵州某某科技有限公司", "name": "张三"},
                      labels={"employer_name": "工作单位", "name": "姓名"})
    assert "clerk3" in exc.value.message and "工作单位" in exc.value.message and "姓名" not in exc.value.changed
    # a failing command writes nothing: neither the change nor its audit entry
    ctx.session.rollback()  # a new request: the current row
    mine = get_in_scope(ctx, Person, seeded["a"])
    before = ctx.session.scalar(select(func.count()).select_from(AuditLog))
    with pytest.raises(RuntimeError):
        with transaction(ctx):
            mine.name = "张叁"
            audit(ctx, "修改", "改姓名", module=("个人快捷受理",))
            raise RuntimeError("boom")
    assert ctx.session.scalar(select(func.count()).select_from(AuditLog)) == before
    assert ctx.session.get(Person, seeded["a"]).name == "张三"
    # a concurrent write between read and flush (the version counter) is the same conflict
    stale = get_in_scope(ctx, Person, seeded["a"])
    with Session(engine) as s2:
        s2.get(Person, seeded["a"]).remarks = "并发修改"
        s2.commit()
    with pytest.raises(ConflictError):
        with transaction(ctx):
            stale.remarks = "我的修改"


def test_document_numbers_are_sequential_per_agency_kind_and_year(engine, codec, seeded):
    with Session(engine) as s:
        got = [numbering.document_no(s, COUNTY, "转递通知单", 2026) for _ in range(3)]
        got.append(numbering.document_no(s, COUNTY, "借阅告知单", 2026))
        got.append(numbering.document_no(s, COUNTY, "转递通知单", 2027))
        s.commit()
    assert got == [f"ZD-{COUNTY}-2026-000001", f"ZD-{COUNTY}-2026-000002", f"ZD-{COUNTY}-2026-000003",
                   f"JY-{COUNTY}-2026-000001", f"ZD-{COUNTY}-2027-000001"]


def test_pdf_mechanism_embeds_the_cjk_font_and_renders(tmp_path):
    t = pdf.from_string('{% extends "_page.html" %}{% block body %}<h1>存档证明</h1>'
                        '<p class="body">兹证明张三的人事档案存放于我中心。</p><img src="{{ qr }}" width="80">'
                        '{% endblock %}')
    data = pdf.render_pdf(t, {"qr": pdf.png_data_uri(pdf.qr_png("https://example.invalid/v/1")),
                              "footer": "CD-1"}, title="存档证明")
    assert data.startswith(b"%PDF")
    out = tmp_path / "doc.pdf"
    out.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Serif-CJK-SC" in fonts and " yes yes " in fonts  # embedded, subset
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "存档证明" in text and "兹证明张三" in text
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", str(out), str(tmp_path / "page")], check=True)
    from PIL import Image
    with Image.open(tmp_path / "page.png") as img:
        assert img.getextrema() != ((255, 255), (255, 255), (255, 255))  # ink on the page
    with pytest.raises(pdf.DocumentError):  # no template reaches outside
        pdf.render_pdf(pdf.from_string('{% extends "_page.html" %}{% block body %}'
                                       '<img src="file:///etc/passwd">{% endblock %}'), {})


def _png() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def test_images_upload_thumbnail_view_audited_and_scoped(engine, codec, seeded, tmp_path):
    ctx = _ctx(engine, codec, {COUNTY}, tmp_path)
    att = attachments.attach_image(ctx, "person", seeded["a"], "../../回执.png", _png(), purpose="转出回执")
    assert att.filename == "回执.png" and att.agency_code == COUNTY
    thumb = attachments.thumbnail(ctx, att)
    from PIL import Image
    with Image.open(io.BytesIO(thumb)) as img:
        assert max(img.size) == attachments.THUMB_PX and img.format == "JPEG"
    _, data = attachments.view_image(ctx, att.id)
    assert data == _png()
    actions = [r.action for r in ctx.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions[-2:] == ["上传", "查看"]
    with pytest.raises(NotFound):
        attachments.attach_image(ctx, "person", seeded["b"], "x.png", _png())
    outsider = _ctx(engine, codec, {COUNTY_B}, tmp_path, username="clerkb")
    with pytest.raises(NotFound):
        attachments.get(outsider, att.id)
    with pytest.raises(Exception) as exc:
        attachments.attach_image(ctx, "person", seeded["a"], "a.txt", b"not an image")
    assert "图片" in str(exc.value)
    (tmp_path / "var" / att.storage_key).write_bytes(b"changed")
    with pytest.raises(Exception) as exc:
        attachments.read_bytes(ctx, att)
    assert "SM3" in str(exc.value)
