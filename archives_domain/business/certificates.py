"""出具相关证明 (附件 一.2, 二.5): 存档证明, 经历证明, 亲属关系证明 — issued, signed, verified, revoked.

`issue` reads the person's facts in scope (档案接收时间 and 档案编号; the 学习/工作经历 rows; the chosen
PersonFamily rows), fills the kind's fixed texts (`certificate_texts`), takes the next number
(`numbering.document_no`: CD-/JL-/QS-<agency>-<year>-NNNNNN) and stores the facts printed as a content
snapshot (canonical JSON). The snapshot's SM3 digest and its SM2 signature by the agency's key
(`signing`) make any later change visible — to us (`signature_ok`), to the public verification page, and to
anyone with OpenSSL and the agency's public key. The 身份证 is printed masked (520102********1234): the
snapshot is stored in clear, and a whole ID number may live only in the codec's columns.

`revoke` (permission 作废证明) marks it 已作废 with a reason; `verify` answers the public page (no login):
number, kind, agency, date, masked name, status and whether the signature holds — nothing else.
"""
from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import false, select

from .. import person_search
from ..pii.masking import mask_name
from ..documents import pdf
from ..models import Agency, Certificate, Person, PersonFamily, PersonStudy, PersonWork
from ..models.base import now_utc
from ..pii.masking import mask_id
from . import numbering, signing
from .base import (BusinessError, Context, FieldErrors, NotFound, Refused, audit, check_version, get_in_scope,
                   in_scope, stamp, transaction)
from .certificate_texts import KINDS, PURPOSE, REVOKED_MARK, VALIDITY, CertKind
from .fields import FieldSpec, parse

MODULE = ("个人快捷受理", "出具相关证明")
OBJECT = "证明"
SPECS = (FieldSpec("purpose", "用途", max_len=255), FieldSpec("recipient_unit", "出具给（接收单位）", max_len=255))
REVOKE_SPECS = (FieldSpec("reason", "作废原因", "textarea", max_len=255),)
SECTIONS = ("学习经历", "工作经历")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper
CODE_LEN = 10


# -- issuing ---------------------------------------------------------------------------------------------------
def issue(ctx: Context, person_id: Any, kind: str, purpose: str | None = None, recipient_unit: str | None = None,
          *, member_ids: Iterable[Any] | None = None, sections: Iterable[str] | None = None) -> Certificate:
    """出具证明: numbered, content snapshotted, digest signed by the agency's SM2 key, audited."""
    spec = KINDS.get(kind or "")
    if spec is None:
        raise FieldErrors({"kind": f"证明类型：{kind or '（空）'} 不是可出具的证明（{'、'.join(KINDS)}）"})
    values = parse(SPECS, {"purpose": purpose, "recipient_unit": recipient_unit})
    with transaction(ctx):
        person = get_in_scope(ctx, Person, person_id, "人员")
        facts = _FACTS[kind](ctx, person, member_ids=member_ids, sections=sections)
        cert_no = numbering.document_no(ctx.session, person.agency_code, kind, ctx.today.year)
        agency_name = ctx.session.scalar(select(Agency.name).where(Agency.code == person.agency_code)) or ""
        snap = _snapshot(spec, person, agency_name, cert_no, ctx.today, values, facts, ctx.actor.username)
        text = canonical(snap)
        key = signing.agency_key(ctx, person.agency_code)
        cert = Certificate(agency_code=person.agency_code, person_id=person.id, cert_type=kind, cert_no=cert_no,
                           purpose=values["purpose"], recipient_unit=values["recipient_unit"],
                           content=body_text(snap), issued_on=ctx.today, handler=ctx.actor.username,
                           revoked=False, verify_code=new_code(), content_snapshot=text,
                           digest=signing.sm3_hex(text.encode("utf-8")), signing_key_id=key.key_id,
                           signature=signing.sign_with(ctx, key, text.encode("utf-8")))
        stamp(ctx, cert, new=True)
        ctx.session.add(cert)
        ctx.session.flush()
        audit(ctx, "出具证明", f"为人员 {person.archive_no} 出具{kind} {cert_no}", module=MODULE,
              object_type=OBJECT, object_id=cert.id,
              after={"cert_no": cert_no, "cert_type": kind, "person_id": person.id, "archive_no": person.archive_no,
                     "purpose": cert.purpose, "recipient_unit": cert.recipient_unit, "digest": cert.digest,
                     "signing_key_id": key.key_id, "rows": len(facts["rows"])})
    return cert


def canonical(snapshot: dict) -> str:
    """The signed text: JSON with sorted keys, no spaces, UTF-8 characters as they are."""
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LEN))


def _snapshot(spec: CertKind, p: Person, agency_name: str, cert_no: str, today: dt.date, values: dict,
              facts: dict, handler: str) -> dict:
    fill = {"name": p.name or "", "sex_part": f"{p.sex}，" if p.sex else "", "id_number": facts["id_masked"] or "——",
            "archive_no": p.archive_no, "agency_name": agency_name, **facts["fill"]}
    paragraphs = [spec.opening.format(**fill)]
    tail = ([PURPOSE.format(purpose=values["purpose"])] if values["purpose"] else []) + [spec.closing]
    return {"v": 1, "cert_no": cert_no, "kind": spec.name, "agency_code": p.agency_code, "agency_name": agency_name,
            "issued_on": today.isoformat(), "recipient_unit": values["recipient_unit"] or "",
            "purpose": values["purpose"] or "", "handler": handler,
            "person": {"name": p.name or "", "sex": p.sex or "", "id_number": facts["id_masked"] or "",
                       "archive_no": p.archive_no},
            "paragraphs": paragraphs, "columns": [list(c) for c in spec.columns], "rows": facts["rows"],
            "tail": tail, "validity": VALIDITY}


def _id_masked(ctx: Context, p: Person) -> str | None:
    return mask_id(ctx.codec.get(p, "id_number")) if ctx.codec is not None else None


def _archive_facts(ctx: Context, p: Person, **_kw) -> dict:
    if p.archive_status == "已转出":
        raise Refused("该人员的档案已转出，不能出具存档证明", "person_id")
    since = f"自{pdf.cn_date(p.archive_received_date)}起" if p.archive_received_date else "现"
    status = "（目前借出在外，由我机构管理）" if p.archive_status == "借出" else ""
    return {"id_masked": _id_masked(ctx, p), "rows": [],
            "fill": {"since_part": since, "status_part": status}}


def _month(d: dt.date | None) -> str:
    return f"{d.year}年{d.month}月" if d else ""


def _period(start, end) -> str:
    return f"{_month(start) or '？'}—{_month(end) or '至今'}"


def _experience_facts(ctx: Context, p: Person, *, sections=None, **_kw) -> dict:
    chosen = set(sections or SECTIONS)
    bad = chosen - set(SECTIONS)
    if bad:
        raise FieldErrors({"sections": f"证明内容：{'、'.join(sorted(bad))} 不是可选的经历（{'、'.join(SECTIONS)}）"})
    rows: list[tuple] = []
    if "学习经历" in chosen:
        for r in ctx.session.scalars(select(PersonStudy).where(PersonStudy.person_id == p.id)):
            what = "，".join(x for x in (r.major, r.education_level, r.degree) if x)
            rows.append((r.start_date or dt.date.min, 0, r.seq, {"period": _period(r.start_date, r.end_date),
                         "kind": "学习", "where": r.school or "", "what": what}))
    if "工作经历" in chosen:
        for r in ctx.session.scalars(select(PersonWork).where(PersonWork.person_id == p.id)):
            what = "，".join(x for x in (r.department, r.position) if x)
            rows.append((r.start_date or dt.date.min, 1, r.seq, {"period": _period(r.start_date, r.end_date),
                         "kind": "工作", "where": r.employer or "", "what": what}))
    if not rows:
        raise Refused("该人员没有所选的学习经历或工作经历记录，不能出具经历证明", "sections")
    rows.sort(key=lambda t: t[:3])
    return {"id_masked": _id_masked(ctx, p), "rows": [t[3] for t in rows], "fill": {}}


def _family_facts(ctx: Context, p: Person, *, member_ids=None, **_kw) -> dict:
    members = list(ctx.session.scalars(select(PersonFamily).where(PersonFamily.person_id == p.id)
                                       .order_by(PersonFamily.seq, PersonFamily.id)))
    if not members:
        raise Refused("该人员没有家庭成员记录，不能出具亲属关系证明", "member_ids")
    if member_ids:  # none chosen: every member (no field is required, 附件 三.5)
        wanted = {str(m) for m in member_ids}
        unknown = wanted - {str(m.id) for m in members}
        if unknown:
            raise FieldErrors({"member_ids": "家庭成员：所选成员不属于该人员"})
        members = [m for m in members if str(m.id) in wanted]
    rows = [{"relation": m.relation or "", "name": m.name or "", "birth_date": pdf.cn_date(m.birth_date)}
            for m in members]
    return {"id_masked": _id_masked(ctx, p), "rows": rows, "fill": {}}


_FACTS = {"存档证明": _archive_facts, "经历证明": _experience_facts, "亲属关系证明": _family_facts}


def body_text(snap: dict) -> str:
    """证明正文 as plain text (certificate.content): the paragraphs, the table rows, the closing lines."""
    lines = [snap["recipient_unit"] + "：" if snap.get("recipient_unit") else "", *snap["paragraphs"]]
    keys = [k for k, _h in snap["columns"]]
    lines += ["  ".join(str(r.get(k, "")) for k in keys) for r in snap["rows"]]
    lines += snap["tail"]
    return "\n".join(x for x in lines if x)


# -- revoking --------------------------------------------------------------------------------------------------
def revoke(ctx: Context, cert_id: Any, reason: str | None, *, expected_version: Any = None) -> Certificate:
    """作废证明: the certificate stays (and stays signed); its status becomes 已作废 with who, when, why."""
    values = parse(REVOKE_SPECS, {"reason": reason})
    if not values["reason"]:  # a revocation without a reason cannot be explained later
        raise FieldErrors({"reason": "作废原因：请写明作废的原因"})
    with transaction(ctx):
        cert = get_in_scope(ctx, Certificate, cert_id, "证明", lock=True)
        check_version(cert, expected_version)
        if cert.revoked:
            raise Refused(f"证明 {cert.cert_no} 已于此前作废", "reason")
        before = {"revoked": False}
        cert.revoked, cert.revoked_at = True, now_utc()
        cert.revoked_by, cert.revoked_reason = ctx.actor.username, values["reason"]
        stamp(ctx, cert)
        audit(ctx, "作废证明", f"作废{cert.cert_type} {cert.cert_no}：{values['reason']}", module=MODULE,
              object_type=OBJECT, object_id=cert.id, before=before,
              after={"revoked": True, "revoked_reason": values["reason"], "cert_no": cert.cert_no})
    return cert


def record_print(ctx: Context, cert: Certificate, *, download: bool = False) -> None:
    """打印/下载 a certificate: one audit entry (the document holds personal data)."""
    with transaction(ctx):
        audit(ctx, "下载" if download else "打印", f"{'下载' if download else '打印'}{cert.cert_type} {cert.cert_no}",
              module=MODULE, object_type=OBJECT, object_id=cert.id)


# -- checking --------------------------------------------------------------------------------------------------
def signature_ok(session, cert: Certificate) -> bool:
    """The snapshot still hashes to the digest and the agency's key's signature over it holds."""
    if not cert.content_snapshot or not cert.signature:
        return False
    data = cert.content_snapshot.encode("utf-8")
    if signing.sm3_hex(data) != cert.digest:
        return False
    return signing.verify(signing.public_key_of(session, cert.signing_key_id) or "", data, cert.signature)


def masked_name(name: str | None) -> str:
    """张三 → 张*: enough to recognise one's own certificate, not to learn a name (pii.masking.mask_name)."""
    return mask_name(name) or ""


@dataclass(frozen=True)
class Verification:
    """What the public verification page may show."""

    cert_no: str
    kind: str
    agency_name: str
    issued_on: dt.date
    masked_name: str
    revoked: bool
    revoked_on: dt.date | None
    signature_ok: bool


def verify(session, cert_no: str | None, code: str | None) -> Verification | None:
    """The public check (no login, any agency): None for an unknown number or a wrong code alike."""
    cert_no, code = (cert_no or "").strip()[:32], (code or "").strip().upper()[:32]
    if not cert_no or not code:
        return None
    cert = session.scalar(select(Certificate).where(Certificate.cert_no == cert_no))
    if cert is None or not cert.verify_code or not hmac.compare_digest(cert.verify_code.encode(), code.encode()):
        return None
    snap = json.loads(cert.content_snapshot or "{}")
    agency = snap.get("agency_name") or session.scalar(select(Agency.name).where(Agency.code == cert.agency_code))
    return Verification(cert.cert_no, cert.cert_type, agency or "", cert.issued_on,
                        masked_name(snap.get("person", {}).get("name")), bool(cert.revoked),
                        cert.revoked_at.date() if cert.revoked_at else None, signature_ok(session, cert))


def verify_path(cert: Certificate) -> str:
    return f"/verify/{cert.cert_no}?c={cert.verify_code}"


# -- reading ---------------------------------------------------------------------------------------------------
def get(ctx: Context, cert_id: Any) -> Certificate:
    return get_in_scope(ctx, Certificate, cert_id, "证明")


def get_person(ctx: Context, person_id: Any) -> Person:
    """The person a certificate is to be issued for (in scope, else NotFound)."""
    return get_in_scope(ctx, Person, person_id, "人员")


def snapshot_of(cert: Certificate) -> dict:
    return json.loads(cert.content_snapshot or "{}")


ORDER_ID = (Certificate.agency_code, Certificate.id)  # ix_certificate_agency_code (+ the primary key)
ORDER_DATE = (Certificate.agency_code, Certificate.issued_on, Certificate.id)  # ix_certificate_agency_issued
ORDER_KIND = (Certificate.agency_code, Certificate.cert_type, Certificate.id)  # ix_certificate_agency_type
SEARCH_FIELDS = ("q", "kind", "date_from", "date_to")


def search(ctx: Context, args: dict[str, str]):
    """(query, order) of the certificates in scope matching: `q` — 证明编号 (exact), 身份证 (blind index),
    姓名 (prefix) or 档案编号; `kind`; 出具日期 `date_from`–`date_to`. FieldErrors names a bad date or kind."""
    from .fields import parse_date
    q, order, errors = select(Certificate).where(in_scope(ctx, Certificate)), ORDER_ID, {}
    text = (args.get("q") or "").strip()
    if text:
        q = q.where(_text_clause(ctx, text))
    if args.get("kind"):
        if args["kind"] not in KINDS:
            errors["kind"] = f"证明类型：{args['kind']} 不是可选的类型"
        else:
            q, order = q.where(Certificate.cert_type == args["kind"]), ORDER_KIND
    for name, label, op in (("date_from", "出具日期起", "__ge__"), ("date_to", "出具日期止", "__le__")):
        if args.get(name):
            try:
                q = q.where(getattr(Certificate.issued_on, op)(parse_date(args[name].strip(), label)))
                order = ORDER_DATE
            except ValueError as exc:
                errors[name] = str(exc)
    if errors:
        raise FieldErrors(errors)
    return q, order


def _text_clause(ctx: Context, text: str):
    if "-" in text and text[:2].isalpha() and text[:2].isascii():
        return Certificate.cert_no == text.upper()
    term = person_search.classify(text)
    people = select(Person.id).where(in_scope(ctx, Person))
    if term.kind == "id_number":
        try:
            people = people.where(ctx.codec.lookup(Person, "id_number", term.value))
        except Exception:  # a number the codec cannot normalise finds nobody
            return false()
    elif term.kind == "name_prefix":
        people = people.where(Person.name.like(person_search.like_prefix(term.value),
                                               escape=person_search.LIKE_ESCAPE))
    else:
        people = people.where(Person.archive_no == text)
    return Certificate.person_id.in_(people)


def persons_of(session, certs: Iterable[Certificate]) -> dict[int, Person]:
    ids = {c.person_id for c in certs}
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}


# -- the document ----------------------------------------------------------------------------------------------
def render_pdf(cert: Certificate, verify_url: str) -> bytes:
    """The certificate as PDF, printed from its snapshot (what was signed), with the QR code of `verify_url`."""
    snap = snapshot_of(cert)
    spec = KINDS.get(cert.cert_type)
    if spec is None:
        raise BusinessError(f"证明类型 {cert.cert_type} 没有模板")
    ctx = {"snap": snap, "kind": spec, "cert_no": cert.cert_no, "issued_on": cert.issued_on,
           "qr": pdf.png_data_uri(pdf.qr_png(verify_url, box=4, border=1)), "verify_url": verify_url,
           "fingerprint": signing.fingerprint(cert.signature), "key_id": cert.signing_key_id or "",
           "revoked": bool(cert.revoked), "revoked_mark": REVOKED_MARK, "footer": cert.cert_no}
    return pdf.render_pdf(spec.template, ctx, title=spec.name)


__all__ = ["issue", "revoke", "verify", "signature_ok", "render_pdf", "search", "get", "masked_name",
           "verify_path", "KINDS", "SECTIONS", "SPECS", "REVOKE_SPECS", "NotFound", "Verification"]
