"""What the three 档案转递 record pages share: the list with its search form and newest-first pages, the
person block of each row, the edit form's optimistic lock (version + the values the editor saw), the person
finder of a new record, and the document answers (打印 inline, 下载 attachment)."""
from __future__ import annotations

from flask import current_app, g, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select

from archives_domain.business import attachments, transfer_search
from archives_domain.business.base import FieldErrors
from archives_domain.business.fields import form_values
from archives_domain.models import Agency, Person
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import can
from ..i18n import _

PAGE = 20


def codec():
    return current_app.extensions["archives_codec"]


def persons_of(s, rows) -> dict[int, Person]:
    ids = sorted({r.person_id for r in rows})
    if not ids:
        return {}
    return {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(ids)))}


def person_cells(p: Person | None) -> dict:
    """The person's 档案编号, 姓名 and masked 身份证 for a list row or a page head."""
    if p is None:
        return {"archive_no": "", "name": "", "id_number": ""}
    return {"archive_no": p.archive_no, "name": p.name or "", "id_number": codec().display(p, "id_number", full=False)
            or "", "id": p.id, "archive_status": p.archive_status or ""}


def search_page(ctx, kind: transfer_search.ListKind, *, notices_only: bool = False):
    """(args, page, total, size) of the list's search in the request; FieldErrors/PagingError name the bad one."""
    raw = {k: request.args.get(k, "") for k in (*kind.fields, "notice_no", "date_from", "date_to")}
    c = transfer_search.criteria(raw, kind)
    q, order = transfer_search.query(ctx, kind, c, notices_only=notices_only)
    req = listing.page_request(len(order), default_size=PAGE, sizeable=request.path.startswith("/api/"))
    page = transfer_search.fetch_desc(ctx.session, q, order, req)
    from archives_domain import paging
    return raw, page, paging.bounded_count(ctx.session, q), req.size


def list_error(exc) -> tuple[str, dict]:
    if isinstance(exc, FieldErrors):
        return exc.message, exc.errors
    if isinstance(exc, PagingError):
        return str(exc), {}
    return getattr(exc, "message", str(exc)), {}


def keep_args(args: dict) -> dict:
    """Search parameters carried by the page links: never a 身份证 (it would land in logs and history)."""
    return {k: v for k, v in args.items() if v and k != "id_number"}


def count_label(n: str) -> str:
    return _("共 %(n)s 条", n=n)


def original(row, specs) -> dict[str, str]:
    """The values the editor sees, carried in hidden `_orig_<field>` inputs (booleans as 1/0)."""
    vals = form_values(row, specs)
    for s in specs:
        if s.kind == "bool":
            vals[s.name] = "1" if getattr(row, s.name) else "0"
    return vals


def posted_original(specs) -> dict[str, str]:
    return {s.name: request.form.get(f"_orig_{s.name}", "") for s in specs if f"_orig_{s.name}" in request.form}


def find_persons(s, text: str, limit: int = 10) -> list[dict]:
    """The person finder of a new 转出/借阅/转入: the person list's one search box (档案编号, 姓名, 身份证 …)."""
    if not text.strip():
        return []
    from ..person.search import search as person_search
    q, order, _problem = person_search({"q": text.strip()[:64], "archive_no": "", "name": "", "id_number": ""})
    return [person_cells(p) for p in s.scalars(q.order_by(*order).limit(limit))]


def files_panel(ctx, owner_type: str, owner_id: int) -> dict:
    return {"files": attachments.list_for(ctx, owner_type, owner_id), "may_upload": can(g.user, "attachment.upload"),
            "csrf_form": FlaskForm(), "next_url": request.path}


def agency_names(s) -> dict[str, str]:
    return dict(s.execute(select(Agency.code, Agency.name)).all())


def send_document(make, pk: int):
    """打印 (inline: the browser's PDF viewer prints it) or 下载 (`?download=1`), audited by the command."""
    download = request.args.get("download", "") not in ("", "0")
    data, filename = make(business_ui.context(), pk, download=download)
    return business_ui.send_pdf(data, filename, download=download)


def endpoint(name: str) -> str:
    """The endpoint `name` of the blueprint serving this request (a view served under two menu entries)."""
    return f"{request.blueprint}.{name}"


def url(name: str, **kw) -> str:
    return url_for(endpoint(name), **kw)
