"""个人信息管理 → 基础信息, the list: one search box and keyset pages over the data scope.

One search box `q` (`archives_domain.person_search`): 身份证 (exact, through the blind index — the number is
never compared in clear; a malformed one is said so), 姓名 prefix, 拼音首字母 (`gyj` → 郭英杰), 档案编号; the exact
fields archive_no / name / id_number still work. The list pages by keyset and counts at most 1,000 rows
(`archives_domain.paging`, `ops_app.listing`): each page costs the same at 943k persons as at 20.
"""
from __future__ import annotations

from flask import current_app, request
from sqlalchemy import false, select

from archives_domain import paging, person_search
from archives_domain.models import Agency, Person
from archives_domain.pii.codec import PiiError

from .. import listing
from ..scope import in_scope

PAGE = 20


def _codec():
    return current_app.extensions["archives_codec"]


SEARCH_FIELDS = ("q", "archive_no", "name", "id_number")
ORDER_DEFAULT = (Person.agency_code, Person.archive_no)  # uq_person_agency_archive_no
ORDER_NAME = (Person.agency_code, Person.name, Person.id)  # ix_person_agency_name (+ the primary key)
ORDER_INITIALS = (Person.agency_code, Person.name_initials, Person.id)  # ix_person_agency_initials


def search_args() -> dict[str, str]:
    return {k: request.args.get(k, "").strip()[:64] for k in SEARCH_FIELDS}


def _id_clause(number: str):
    try:
        return _codec().lookup(Person, "id_number", number)
    except PiiError:
        return false()


def is_id_query(text: str) -> bool:
    term = person_search.classify(text)
    return term is not None and term.kind == "id_number"


def _starts(column, text: str):
    return column.like(person_search.like_prefix(text), escape=person_search.LIKE_ESCAPE)


def search(args: dict[str, str]):
    """(query, order, problem) of the persons in scope matching the search box `q` (auto-detected: 身份证,
    姓名 prefix, 拼音首字母, 档案编号) and the exact fields 档案编号 / 姓名 / 身份证; `problem` says why a typed
    身份证 cannot be valid (shown if nobody is found). The order follows the filter so that one index serves
    scope, filter and order (no sort, no offset)."""
    q, order, problem = select(Person).where(in_scope(Person)), ORDER_DEFAULT, None
    term = person_search.classify(args.get("q", ""))
    if args.get("id_number"):
        term_id = person_search.Term("id_number", *person_search.id_number(args["id_number"]))
        q, problem = q.where(_id_clause(term_id.value)), term_id.problem
    if term is not None and term.kind == "id_number":
        q, problem = q.where(_id_clause(term.value)), problem or term.problem
    elif term is not None and term.kind == "name_prefix":
        q, order = q.where(_starts(Person.name, term.value)), ORDER_NAME
    elif term is not None and term.kind == "initials":
        q, order = q.where(_starts(Person.name_initials, term.value)), ORDER_INITIALS
    elif term is not None:
        q = q.where(Person.archive_no == term.value)
    if args.get("archive_no"):
        q = q.where(Person.archive_no == args["archive_no"])
    if args.get("name"):
        q, order = q.where(Person.name == args["name"]), ORDER_NAME
    return q, order, problem


def list_page(s, args: dict[str, str], *, sizeable: bool = False):
    """(page, bounded count, size) of the search; PagingError for junk paging parameters, SearchError when
    a malformed 身份证 found nobody."""
    query, order, problem = search(args)
    req = listing.page_request(len(order), default_size=PAGE, sizeable=sizeable)
    page = paging.fetch_page(s, query, order, req)
    if problem and not page.rows:
        raise person_search.SearchError("身份证", problem)
    return page, paging.bounded_count(s, query), req.size


def as_dict(p: Person, agencies: dict[str, str], *, full: bool = False) -> dict:
    return {"id": p.id, "archive_no": p.archive_no, "name": p.name, "sex": p.sex,
            "id_number": _codec().display(p, "id_number", full=full),
            "phone": _codec().display(p, "phone", full=full), "employer_name": p.employer_name,
            "archive_status": p.archive_status, "agency_code": p.agency_code,
            "agency_name": agencies.get(p.agency_code)}


def agencies(s) -> dict[str, str]:
    return dict(s.execute(select(Agency.code, Agency.name)).all())
