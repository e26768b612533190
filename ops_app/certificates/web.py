"""What the certificate pages and the API share: list rows, the verification URL, request → command input."""
from __future__ import annotations

import dataclasses
import datetime as dt

from flask import current_app, request

from archives_domain import paging
from archives_domain.paging import PagingError
from archives_domain.business import certificates
from archives_domain.models import Certificate

from .. import listing
from ..i18n import N_

PAGE = 20
# Texts of archives_domain.business.certificates shown through tr(): marked here for the catalogue.
DOMAIN_TEXTS = (N_("存档证明"), N_("经历证明"), N_("亲属关系证明"), N_("学习经历"), N_("工作经历"), N_("起止时间"),
                N_("类别"), N_("学校（单位）"), N_("专业（部门、职务）"), N_("出生日期"), N_("用途"))


def public_base_url() -> str:
    """ARCHIVES_PUBLIC_BASE_URL, else the host the clerk's request came to (without a trailing slash)."""
    return (current_app.config.get("ARCHIVES_PUBLIC_BASE_URL") or request.host_url).rstrip("/")


def verify_url(cert: Certificate) -> str:
    return public_base_url() + certificates.verify_path(cert)


def search_args() -> dict[str, str]:
    return {k: (request.args.get(k) or "").strip()[:64] for k in certificates.SEARCH_FIELDS}


def list_page(ctx, args: dict[str, str], *, sizeable: bool = False):
    """(page, bounded count, size); FieldErrors for a bad date/kind, PagingError for junk paging parameters."""
    query, order = certificates.search(ctx, args)
    req = _typed(listing.page_request(len(order), default_size=PAGE, sizeable=sizeable), order)
    page = paging.fetch_page(ctx.session, query, order, req,
                             key=lambda c: tuple(_key(getattr(c, col.key)) for col in order))
    return page, paging.bounded_count(ctx.session, query), req.size


def _typed(req, order):
    """Cursors carry dates as ISO text; the 出具日期 column compares with dates."""
    at = [i for i, c in enumerate(order) if c.key == "issued_on"]
    if not at:
        return req

    def fix(cursor):
        if cursor is None:
            return None
        try:
            return tuple(dt.date.fromisoformat(v) if i in at else v for i, v in enumerate(cursor))
        except (TypeError, ValueError):
            raise PagingError("after", "参数 after 无效：翻页位置无法识别，请从首页重新查询") from None
    return dataclasses.replace(req, after=fix(req.after), before=fix(req.before))


def _key(v):
    return v.isoformat() if hasattr(v, "isoformat") else v


def as_dict(cert: Certificate, person, codec, agencies: dict[str, str] | None = None) -> dict:
    """A list/API row: no whole ID number (masked), no snapshot."""
    return {"id": cert.id, "cert_no": cert.cert_no, "cert_type": cert.cert_type,
            "issued_on": cert.issued_on.isoformat(), "person_id": cert.person_id,
            "name": getattr(person, "name", None), "archive_no": getattr(person, "archive_no", None),
            "id_number": codec.display(person, "id_number", full=False) if person is not None else None,
            "purpose": cert.purpose, "recipient_unit": cert.recipient_unit, "handler": cert.handler,
            "status": "已作废" if cert.revoked else "有效", "revoked": bool(cert.revoked),
            "revoked_reason": cert.revoked_reason, "agency_code": cert.agency_code,
            "agency_name": (agencies or {}).get(cert.agency_code), "version": cert.version}


def issue_input(data) -> dict:
    """The command's arguments from a form (MultiDict) or a JSON object."""
    def many(name):
        if hasattr(data, "getlist"):
            return [v for v in data.getlist(name) if v]
        v = data.get(name)
        return [x for x in (v if isinstance(v, list) else [v] if v else []) if x]
    return {"person_id": data.get("person_id"), "kind": data.get("kind"), "purpose": data.get("purpose"),
            "recipient_unit": data.get("recipient_unit"), "member_ids": many("member_ids") or None,
            "sections": many("sections") or None}
