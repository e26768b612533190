"""档案转入 and 档案转出 (附件 三.2, 三.4): the commands and the documents' data.

* 档案转入 (`receive`, `update_in`) — the former 预存/机要/正式/暂存档案接收 in one: an archive received for a
  person of the agency or for a new person (created in the clerk's agency; a 身份证 already held by a person of
  the agency links to that person — found through the blind index). The person's 档案状态 becomes 在库 and
  档案接收时间 the 转入日期.
* 档案转出 (`register_out`, `update_out`, `record_receipt`, `cancel_out`) — the former 转出档案/档案转出审核/
  机要档案寄出 in one. Registering writes 转出日期/转往单位/转出原因 to the person and sets 已转出 (三.4) in the
  same transaction, and numbers the 转递通知单; editing keeps the person in step; 撤销 (a permission) restores
  the person's state from before (kept in `prior_state`). An archive 已转出 or 借出 cannot be transferred out.
* `notice_data` — what the 转递通知单 prints (the whole 身份证: the receiving unit needs it; each print is
  audited by the caller through `audit_document`).
"""
from __future__ import annotations

import json

from sqlalchemy import select

from ..models import Agency, ArchiveTransferIn, ArchiveTransferOut, Person
from . import numbering
from .base import (Context, FieldErrors, Refused, audit, check_version, get_in_scope, stamp, transaction)
from .fields import FieldSpec, apply, labels, masked_values, parse

IN_MODULE = ("个人快捷受理", "可办业务", "档案转入")
OUT_MODULE = ("档案转递", "档案转出")
NOTICE_MODULE = ("档案转递", "档案转出", "转递通知单")

RECEIVE_MODES = ("机要通信", "专人送取", "本人携带", "其他")
ARCHIVE_KINDS = ("正式", "暂存", "预存")
DELIVERY_MODES = ("机要通信", "专人送取", "其他")

IN_SPECS = (
    FieldSpec("from_unit", "何处转入"), FieldSpec("confidential_no", "机要编号", max_len=32),
    FieldSpec("receive_mode", "接收方式", "choice", RECEIVE_MODES),
    FieldSpec("archive_kind", "档案类别", "choice", ARCHIVE_KINDS),
    FieldSpec("in_date", "转入日期", "date"), FieldSpec("material_count", "材料份数", "int"),
    FieldSpec("reason", "转入原因"), FieldSpec("shelved_date", "上架日期", "date"),
    FieldSpec("handler", "经办人", max_len=64), FieldSpec("remarks", "备注", "textarea", max_len=2000),
)
# A new person's 基础信息 typed on the 转入 form (the rest on the person page).
PERSON_SPECS = (
    FieldSpec("archive_no", "档案编号", max_len=32), FieldSpec("name", "姓名", max_len=64),
    FieldSpec("sex", "性别", "choice", ("男", "女")), FieldSpec("id_number", "身份证", "id_number", pii=True),
    FieldSpec("birth_date", "出生日期", "date"), FieldSpec("phone", "联系电话", "phone", pii=True),
    FieldSpec("employer_name", "工作单位"),
)
OUT_SPECS = (
    FieldSpec("to_unit", "转往单位"), FieldSpec("request_date", "申请日期", "date",
                                           help="调档函日期：2 个月内应转出"),
    FieldSpec("out_date", "转出日期", "date"), FieldSpec("reason", "转出原因"),
    FieldSpec("confidential_no", "机要编号", max_len=32),
    FieldSpec("delivery_mode", "转递方式", "choice", DELIVERY_MODES),
    FieldSpec("receipt_returned", "转出回执", "bool"), FieldSpec("receipt_date", "回执日期", "date"),
    FieldSpec("handler", "经办人", max_len=64), FieldSpec("remarks", "备注", "textarea", max_len=2000),
)
PERSON_OUT = ("archive_status", "transfer_out_date", "transfer_out_to", "transfer_out_reason")
PERSON_STATE = ("archive_status", "archive_received_date", *PERSON_OUT[1:])


def _person_state(p: Person) -> dict:
    from .base import snapshot
    return snapshot(p, PERSON_STATE)


# -- 档案转入 -----------------------------------------------------------------------------------------------
def receive(ctx: Context, raw, *, person_id=None) -> ArchiveTransferIn:
    """档案转入: for `person_id` (in scope), or for the new person typed in `raw` (PERSON_SPECS)."""
    values = _parse_all(IN_SPECS, raw, PERSON_SPECS if person_id in (None, "") else ())
    with transaction(ctx):
        if person_id not in (None, ""):
            person = get_in_scope(ctx, Person, person_id, "人员", lock=True)
        else:
            person = _new_or_known_person(ctx, {k: values.pop(k) for k in [s.name for s in PERSON_SPECS]})
        if person.archive_status == "借出":
            raise Refused(f"人员 {person.archive_no} 的档案正在借出，不能办理转入；请先归还", "person_id")
        before = _person_state(person)
        row = ArchiveTransferIn(agency_code=person.agency_code, person_id=person.id, status="已接收")
        apply(row, IN_SPECS, values)
        stamp(ctx, row, new=True)
        ctx.session.add(row)
        _receive_into(person, row)
        stamp(ctx, person)
        ctx.session.flush()
        audit(ctx, "转入", f"档案转入：{person.archive_no}（{person.name or ''}）自 {row.from_unit or '—'}",
              module=IN_MODULE, object_type="archive_transfer_in", object_id=row.id,
              before={"person": before}, after={**masked_values(row, IN_SPECS), "person": _person_state(person)})
    return row


def _receive_into(person: Person, row: ArchiveTransferIn) -> None:
    """The person follows the receipt: 在库, 档案接收时间 = 转入日期."""
    person.archive_status = "在库"
    if row.in_date is not None:
        person.archive_received_date = row.in_date


def _parse_all(specs, raw, extra) -> dict:
    """Both groups of fields at once, so that every bad field is named in one answer."""
    errors, values = {}, {}
    for group in (specs, extra):
        try:
            values.update(parse(group, raw))
        except FieldErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FieldErrors(errors)
    return values


def _new_or_known_person(ctx: Context, pv: dict) -> Person:
    """The person of the agency holding this 身份证 (blind index), else a new person in the clerk's agency."""
    agency = ctx.actor.agency_code
    if not agency or agency not in ctx.actor.scope:
        raise Refused("您的账号未归属存档机构，不能登记新人员", "name")
    if pv.get("id_number"):
        known = ctx.session.scalar(select(Person).where(
            Person.agency_code == agency, ctx.codec.lookup(Person, "id_number", pv["id_number"]))
            .order_by(Person.id).limit(1).with_for_update())
        if known is not None:
            return known
    if pv.get("archive_no"):
        taken = ctx.session.scalar(select(Person.name).where(Person.agency_code == agency,
                                                             Person.archive_no == pv["archive_no"]))
        if taken is not None:
            raise FieldErrors({"archive_no": f"档案编号：{pv['archive_no']} 已被本机构人员“{taken}”使用"})
    else:
        pv["archive_no"] = _next_archive_no(ctx, agency)
    number = pv.get("id_number")
    if number and not pv.get("birth_date"):  # 出生日期 and 性别 as the 身份证 states them
        import datetime as dt
        pv["birth_date"] = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    if number and not pv.get("sex"):
        pv["sex"] = "男" if int(number[16]) % 2 else "女"
    person = Person(agency_code=agency, data_source="业务")
    apply(person, PERSON_SPECS, pv, ctx.codec)
    stamp(ctx, person, new=True)
    ctx.session.add(person)
    ctx.session.flush()
    audit(ctx, "新增", f"档案转入时新建人员 {person.archive_no}（{person.name or ''}）", module=IN_MODULE,
          object_type="person", object_id=person.id, after=masked_values(person, PERSON_SPECS, ctx.codec))
    return person


def _next_archive_no(ctx: Context, agency: str) -> str:
    """A 档案编号 for a person registered without one: ZR<year><serial>, unused in the agency."""
    while True:
        n = numbering.next_number(ctx.session, agency, "档案编号", ctx.today.year)
        candidate = f"ZR{ctx.today.year}{n:06d}"
        if ctx.session.scalar(select(Person.id).where(Person.agency_code == agency,
                                                      Person.archive_no == candidate)) is None:
            return candidate


def update_in(ctx: Context, pk, raw, *, expected_version=None, original=None) -> ArchiveTransferIn:
    """Edit a 转入 (乐观锁); the person's 档案接收时间 follows a changed 转入日期."""
    values = parse(IN_SPECS, raw)
    with transaction(ctx):
        row = get_in_scope(ctx, ArchiveTransferIn, pk, "档案转入记录")
        check_version(row, expected_version, original=original, labels=labels(IN_SPECS))
        person = ctx.session.get(Person, row.person_id)
        before, p_before = masked_values(row, IN_SPECS), _person_state(person)
        apply(row, IN_SPECS, values)
        if row.in_date is not None and person.archive_received_date != row.in_date:
            person.archive_received_date = row.in_date
            stamp(ctx, person)
        stamp(ctx, row)
        ctx.session.flush()
        audit(ctx, "修改", f"修改档案转入：{person.archive_no}（{person.name or ''}）", module=IN_MODULE,
              object_type="archive_transfer_in", object_id=row.id, before={**before, "person": p_before},
              after={**masked_values(row, IN_SPECS), "person": _person_state(person)})
    return row


# -- 档案转出 -----------------------------------------------------------------------------------------------
def out_status(row: ArchiveTransferOut) -> str:
    """The state follows the record (rules as data): 已回执 / 已寄出 (转出日期 set) / 待审核 (not yet sent)."""
    if row.status == "已撤销":
        return "已撤销"
    return "已回执" if row.receipt_returned else ("已寄出" if row.out_date else "待审核")


def register_out(ctx: Context, person_id, raw) -> ArchiveTransferOut:
    """档案转出: the record, its 转递通知单 number, and the person's 转出 fields and 已转出 (三.4)."""
    values = parse(OUT_SPECS, raw)
    with transaction(ctx):
        person = get_in_scope(ctx, Person, person_id, "人员", lock=True)
        if person.archive_status in ("已转出", "借出"):
            raise Refused(f"人员 {person.archive_no} 的档案状态为“{person.archive_status}”，不能办理转出", "person_id")
        prior = _person_state(person)
        row = ArchiveTransferOut(agency_code=person.agency_code, person_id=person.id,
                                 prior_state=json.dumps(prior, ensure_ascii=False))
        apply(row, OUT_SPECS, values)
        row.status = out_status(row)
        row.notice_no = numbering.document_no(ctx.session, person.agency_code, "转递通知单", ctx.today.year)
        stamp(ctx, row, new=True)
        ctx.session.add(row)
        _sync_person(ctx, person, row)
        ctx.session.flush()
        from .review import settle_after_transfer  # 一人多档: a transfer settles the pair on both sides
        settle_after_transfer(ctx, person.id)
        audit(ctx, "转出", f"档案转出：{person.archive_no}（{person.name or ''}）转往 {row.to_unit or '—'}，"
                         f"转递通知单 {row.notice_no}", module=OUT_MODULE, object_type="archive_transfer_out",
              object_id=row.id, before={"person": prior},
              after={**masked_values(row, OUT_SPECS), "notice_no": row.notice_no, "status": row.status,
                     "person": _person_state(person)})
    return row


def _sync_person(ctx: Context, person: Person, row: ArchiveTransferOut) -> None:
    """三.4: the person's 转出日期/转往单位/转出原因 are those of the transfer; the archive is 已转出."""
    person.archive_status = "已转出"
    person.transfer_out_date, person.transfer_out_to, person.transfer_out_reason = row.out_date, row.to_unit, row.reason
    stamp(ctx, person)


def update_out(ctx: Context, pk, raw, *, expected_version=None, original=None) -> ArchiveTransferOut:
    """Edit a 转出 (乐观锁); the person is kept in step in the same transaction."""
    values = parse(OUT_SPECS, raw)
    with transaction(ctx):
        row = get_in_scope(ctx, ArchiveTransferOut, pk, "档案转出记录")
        check_version(row, expected_version, original=original, labels=labels(OUT_SPECS))
        if row.status == "已撤销":
            raise Refused("该转出已撤销，不能修改")
        person = ctx.session.get(Person, row.person_id)
        before, p_before = masked_values(row, OUT_SPECS), _person_state(person)
        apply(row, OUT_SPECS, values)
        row.status = out_status(row)
        stamp(ctx, row)
        _sync_person(ctx, person, row)
        ctx.session.flush()
        audit(ctx, "修改", f"修改档案转出：{person.archive_no}（{person.name or ''}）", module=OUT_MODULE,
              object_type="archive_transfer_out", object_id=row.id, before={**before, "person": p_before},
              after={**masked_values(row, OUT_SPECS), "status": row.status, "person": _person_state(person)})
    return row


RECEIPT_SPECS = (FieldSpec("receipt_date", "回执日期", "date"),)


def record_receipt(ctx: Context, pk, raw, *, expected_version=None) -> ArchiveTransferOut:
    """转出回执: the receipt is back (the box ticked) on `回执日期` (today if empty). The image of the receipt
    is uploaded beside it (owner archive_transfer_out, purpose 转出回执)."""
    values = parse(RECEIPT_SPECS, raw)
    with transaction(ctx):
        row = get_in_scope(ctx, ArchiveTransferOut, pk, "档案转出记录")
        check_version(row, expected_version)
        if row.status == "已撤销":
            raise Refused("该转出已撤销，不能登记回执")
        before = masked_values(row, OUT_SPECS)
        row.receipt_returned, row.receipt_date = True, values["receipt_date"] or ctx.today
        row.status = out_status(row)
        stamp(ctx, row)
        ctx.session.flush()
        audit(ctx, "回执", f"登记转出回执：转递通知单 {row.notice_no}，回执日期 {row.receipt_date}",
              module=OUT_MODULE, object_type="archive_transfer_out", object_id=row.id, before=before,
              after={**masked_values(row, OUT_SPECS), "status": row.status})
    return row


def cancel_out(ctx: Context, pk, *, expected_version=None) -> ArchiveTransferOut:
    """撤销转出 (permission 撤销档案转出): the record stays (已撤销), the person's state from before returns."""
    with transaction(ctx):
        row = get_in_scope(ctx, ArchiveTransferOut, pk, "档案转出记录", lock=True)
        check_version(row, expected_version)
        if row.status == "已撤销":
            raise Refused("该转出已撤销")
        person = get_in_scope(ctx, Person, row.person_id, "人员", lock=True)
        p_before = _person_state(person)
        prior = json.loads(row.prior_state or "{}")
        import datetime as dt
        person.archive_status = prior.get("archive_status", "在库")
        for name in PERSON_OUT[1:]:
            v = prior.get(name)
            setattr(person, name, dt.date.fromisoformat(v) if v and name.endswith("_date") else v)
        row.status = "已撤销"
        stamp(ctx, row)
        stamp(ctx, person)
        ctx.session.flush()
        audit(ctx, "撤销", f"撤销档案转出：{person.archive_no}（{person.name or ''}），转递通知单 {row.notice_no}",
              module=OUT_MODULE, object_type="archive_transfer_out", object_id=row.id,
              before={"status": "（撤销前）", "person": p_before}, after={"status": "已撤销",
                                                                       "person": _person_state(person)})
    return row


# -- 转递通知单 ----------------------------------------------------------------------------------------------
def notice_data(ctx: Context, pk) -> dict:
    """The 转递通知单's content: number, the receiving unit, the person (whole 身份证 for the envelope)."""
    row = get_in_scope(ctx, ArchiveTransferOut, pk, "档案转出记录")
    person = ctx.session.get(Person, row.person_id)
    agency = ctx.session.get(Agency, row.agency_code)
    return {"row": row, "person": person, "id_number": ctx.codec.get(person, "id_number") or "",
            "agency_name": agency.name if agency else row.agency_code, "today": ctx.today}


def audit_document(ctx: Context, action: str, kind: str, number: str | None, module, object_type, object_id,
                   person: Person) -> None:
    """打印 / 下载 of a document, one audit entry (committed here: reading the document wrote nothing else)."""
    audit(ctx, action, f"{action}{kind} {number or ''}：{person.archive_no}（{person.name or ''}）",
          module=module, object_type=object_type, object_id=object_id)
    ctx.session.commit()


def notice_pdf(ctx: Context, pk, *, download: bool = False) -> tuple[bytes, str]:
    """转递通知单 as PDF bytes and its file name; the 打印 (inline) or 下载 is audited."""
    from ..documents.pdf import render_pdf
    data = notice_data(ctx, pk)
    row, person = data["row"], data["person"]
    pdf = render_pdf("transfer_notice.html", {**data, "footer": row.notice_no or ""}, title="流动人员人事档案转递通知单")
    audit_document(ctx, "下载" if download else "打印", "转递通知单", row.notice_no, NOTICE_MODULE,
                   "archive_transfer_out", row.id, person)
    return pdf, f"转递通知单-{row.notice_no or row.id}.pdf"
