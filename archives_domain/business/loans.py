"""档案借阅 (附件 三.2): lend (借阅, with its 借阅告知单 number), edit, return (归还).

Rules (as data): only an archive 在库 can be lent; while out the person's 档案状态 is 借出; 归还 brings it back
to 在库 with the 归还日期 (today if not typed). `due_date` is the 归还日期 the borrower promised (应还日期):
past it the deadline clock makes a to-do. The 借阅告知单 prints `notice_data`.
"""
from __future__ import annotations

from ..models import Agency, ArchiveLoan, Person
from . import numbering
from .base import Context, Refused, audit, check_version, get_in_scope, snapshot, stamp, transaction
from .fields import FieldSpec, apply, labels, masked_values, parse

MODULE = ("档案转递", "档案借阅")
NOTICE_MODULE = ("档案转递", "档案借阅", "借阅告知单")
LENDABLE = ("在库",)

LOAN_SPECS = (
    FieldSpec("borrower_unit", "借阅单位"), FieldSpec("loan_date", "借阅日期", "date"),
    FieldSpec("reason", "借阅原因"), FieldSpec("due_date", "归还日期", "date", help="应归还的日期"),
    FieldSpec("handler", "经办人", max_len=64), FieldSpec("remarks", "备注", "textarea", max_len=2000),
)
RETURN_SPECS = (FieldSpec("return_date", "实际归还日期", "date"),)


def _state(p: Person) -> dict:
    return snapshot(p, ("archive_status",))


def lend(ctx: Context, person_id, raw) -> ArchiveLoan:
    """借阅: the record and its 借阅告知单 number; the archive becomes 借出."""
    values = parse(LOAN_SPECS, raw)
    with transaction(ctx):
        person = get_in_scope(ctx, Person, person_id, "人员", lock=True)
        if person.archive_status not in LENDABLE:
            raise Refused(f"人员 {person.archive_no} 的档案状态为“{person.archive_status or '未登记'}”，"
                          "只有在库的档案可以借阅", "person_id")
        before = _state(person)
        row = ArchiveLoan(agency_code=person.agency_code, person_id=person.id, status="借出")
        apply(row, LOAN_SPECS, values)
        if row.loan_date is None:
            row.loan_date = ctx.today
        row.notice_no = numbering.document_no(ctx.session, person.agency_code, "借阅告知单", ctx.today.year)
        stamp(ctx, row, new=True)
        ctx.session.add(row)
        person.archive_status = "借出"
        stamp(ctx, person)
        ctx.session.flush()
        audit(ctx, "借阅", f"档案借阅：{person.archive_no}（{person.name or ''}）借予 {row.borrower_unit or '—'}，"
                         f"借阅告知单 {row.notice_no}", module=MODULE, object_type="archive_loan", object_id=row.id,
              before={"person": before}, after={**masked_values(row, LOAN_SPECS), "notice_no": row.notice_no,
                                                 "person": _state(person)})
    return row


def update_loan(ctx: Context, pk, raw, *, expected_version=None, original=None) -> ArchiveLoan:
    values = parse(LOAN_SPECS, raw)
    with transaction(ctx):
        row = get_in_scope(ctx, ArchiveLoan, pk, "档案借阅记录")
        check_version(row, expected_version, original=original, labels=labels(LOAN_SPECS))
        before = masked_values(row, LOAN_SPECS)
        apply(row, LOAN_SPECS, values)
        stamp(ctx, row)
        ctx.session.flush()
        person = ctx.session.get(Person, row.person_id)
        audit(ctx, "修改", f"修改档案借阅：{person.archive_no}（{person.name or ''}）", module=MODULE,
              object_type="archive_loan", object_id=row.id, before=before, after=masked_values(row, LOAN_SPECS))
    return row


def give_back(ctx: Context, pk, raw=None, *, expected_version=None) -> ArchiveLoan:
    """归还: 归还日期 (today if empty), 已归还, the archive 在库 again."""
    values = parse(RETURN_SPECS, raw or {})
    with transaction(ctx):
        row = get_in_scope(ctx, ArchiveLoan, pk, "档案借阅记录", lock=True)
        check_version(row, expected_version)
        if row.status != "借出":
            raise Refused(f"该借阅已于 {row.return_date or ''} 归还")
        back = values["return_date"] or ctx.today
        if row.loan_date and back < row.loan_date:
            from .base import FieldErrors
            raise FieldErrors({"return_date": f"实际归还日期：{back} 早于借阅日期 {row.loan_date}"})
        person = get_in_scope(ctx, Person, row.person_id, "人员", lock=True)
        before = {"status": row.status, "person": _state(person)}
        row.return_date, row.status = back, "已归还"
        person.archive_status = "在库"
        stamp(ctx, row)
        stamp(ctx, person)
        ctx.session.flush()
        audit(ctx, "归还", f"档案归还：{person.archive_no}（{person.name or ''}）于 {back} 归还", module=MODULE,
              object_type="archive_loan", object_id=row.id, before=before,
              after={"status": row.status, "return_date": back.isoformat(), "person": _state(person)})
    return row


def notice_data(ctx: Context, pk) -> dict:
    """The 借阅告知单's content."""
    row = get_in_scope(ctx, ArchiveLoan, pk, "档案借阅记录")
    person = ctx.session.get(Person, row.person_id)
    agency = ctx.session.get(Agency, row.agency_code)
    return {"row": row, "person": person, "agency_name": agency.name if agency else row.agency_code,
            "id_number": ctx.codec.display(person, "id_number", full=False) or "", "today": ctx.today}


def notice_pdf(ctx: Context, pk, *, download: bool = False) -> tuple[bytes, str]:
    """借阅告知单 as PDF bytes and its file name; the 打印 (inline) or 下载 is audited."""
    from ..documents.pdf import render_pdf
    from .transfers import audit_document
    data = notice_data(ctx, pk)
    row, person = data["row"], data["person"]
    pdf = render_pdf("loan_notice.html", {**data, "footer": row.notice_no or ""}, title="档案借阅告知单")
    audit_document(ctx, "下载" if download else "打印", "借阅告知单", row.notice_no, NOTICE_MODULE, "archive_loan",
                   row.id, person)
    return pdf, f"借阅告知单-{row.notice_no or row.id}.pdf"
