"""档案转递 lists: the search fields of 档案转入 / 档案转出 / 档案借阅 and their pages, newest first, at any size.

附件 三.2: 档案转出 is searched by 档案编号, 姓名, 身份证, 机要编号, 转档日期; 档案借阅 by 档案编号, 姓名, 身份证,
借阅时间; 档案转入 likewise (its date is 转入日期). The person's fields are matched on `person` through its
indexes (档案编号 exact, 姓名 prefix on (agency_code, name), 身份证 exact through the blind index — the number
is never compared in clear) and the business rows by `person_id`. A date (or range) orders the page by that
date — index (agency_code, <date>, id) —, otherwise by id (the agency_code index); newest first in both.

`fetch_desc` pages a descending order with `archives_domain.paging` (which pages ascending): each request is
mirrored (下一页 of the newest-first list is 上一页 of the oldest-first one), so every page still reads
`size + 1` index entries. Dates in a cursor travel as ISO text and come back as dates.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

import sqlalchemy as sa
from sqlalchemy import Date, select

from .. import paging, person_search
from ..models import ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut, Person
from ..paging import Page, PageRequest, PagingError
from .base import Context, FieldErrors, in_scope
from .fields import parse_date


@dataclass(frozen=True)
class ListKind:
    """One list: its model, the date it is searched and ordered by, and the search fields it offers."""

    model: type
    date_attr: str
    date_label: str
    fields: tuple[str, ...]


IN = ListKind(ArchiveTransferIn, "in_date", "转入日期", ("archive_no", "name", "id_number", "confidential_no"))
OUT = ListKind(ArchiveTransferOut, "out_date", "转档日期", ("archive_no", "name", "id_number", "confidential_no"))
LOAN = ListKind(ArchiveLoan, "loan_date", "借阅时间", ("archive_no", "name", "id_number"))
SEARCH_LABELS = {"archive_no": "档案编号", "name": "姓名", "id_number": "身份证", "confidential_no": "机要编号",
                 "notice_no": "编号", "date_from": "起始日期", "date_to": "截止日期"}
MAX_TEXT = 64


def criteria(raw: Mapping[str, str], kind: ListKind) -> dict:
    """The typed search of a list: text fields trimmed, dates parsed (FieldErrors naming a bad one)."""
    out = {k: (raw.get(k) or "").strip()[:MAX_TEXT] for k in (*kind.fields, "notice_no")}
    errors = {}
    for k in ("date_from", "date_to"):
        text = (raw.get(k) or "").strip()
        try:
            out[k] = parse_date(text, f"{kind.date_label}（{SEARCH_LABELS[k]}）") if text else None
        except ValueError as exc:
            errors[k] = str(exc)
    if not errors and out["date_from"] and out["date_to"] and out["date_from"] > out["date_to"]:
        errors["date_to"] = f"{kind.date_label}：截止日期早于起始日期"
    if errors:
        raise FieldErrors(errors)
    return out


def _persons(ctx: Context, c: dict):
    """The persons in scope matching the person fields of the search, or None when none was given."""
    conds = []
    if c.get("archive_no"):
        conds.append(Person.archive_no == c["archive_no"])
    if c.get("name"):
        conds.append(Person.name.like(person_search.like_prefix(c["name"]), escape=person_search.LIKE_ESCAPE))
    if c.get("id_number"):
        number, _problem = person_search.id_number(c["id_number"])
        conds.append(ctx.codec.lookup(Person, "id_number", number))
    if not conds:
        return None
    return select(Person.id).where(in_scope(ctx, Person), *conds)


def query(ctx: Context, kind: ListKind, c: dict, *, notices_only: bool = False):
    """(select, order) of the rows in scope matching the criteria; the order one index serves."""
    m = kind.model
    q = select(m).where(in_scope(ctx, m))
    persons = _persons(ctx, c)
    if persons is not None:
        q = q.where(m.person_id.in_(persons))
    if c.get("confidential_no") and hasattr(m, "confidential_no"):
        q = q.where(m.confidential_no == c["confidential_no"])
    if notices_only:
        q = q.where(m.notice_no.is_not(None))
        if c.get("notice_no"):
            q = q.where(m.notice_no.like(person_search.like_prefix(c["notice_no"]), escape=person_search.LIKE_ESCAPE))
    day = getattr(m, kind.date_attr)
    if c.get("date_from") or c.get("date_to"):
        q = q.where(day.is_not(None))
        if c.get("date_from"):
            q = q.where(day >= c["date_from"])
        if c.get("date_to"):
            q = q.where(day <= c["date_to"])
        return q, (m.agency_code, day, m.id)
    if notices_only:
        return q, (m.agency_code, m.notice_no, m.id)
    return q, (m.agency_code, m.id)


# -- newest first -------------------------------------------------------------------------------------------
def _key(order):
    def key(row):
        vals = []
        for c in order:
            v = getattr(row, c.key)
            vals.append(v.isoformat() if isinstance(v, dt.date) else v)
        return tuple(vals)
    return key


def _typed(order, values: tuple | None, param: str) -> tuple | None:
    if values is None:
        return None
    out = []
    for c, v in zip(order, values):
        if isinstance(c.type, Date):
            try:
                v = dt.date.fromisoformat(v) if isinstance(v, str) else None
            except ValueError:
                v = None
            if v is None:
                raise PagingError(param, f"参数 {param} 无效：翻页位置无法识别，请从首页重新查询")
        out.append(v)
    return tuple(out)


def fetch_desc(s, q: sa.Select, order, req: PageRequest) -> Page:
    """The page `req` asks for of `q` in the descending `order` (newest first)."""
    key, size = _key(order), req.size
    after, before = _typed(order, req.after, "after"), _typed(order, req.before, "before")
    if req.page:  # a numbered page: an OFFSET within the first COUNT_CAP rows (bounded)
        rows = paging._run(s, q.order_by(*[c.desc() for c in order]).offset((req.page - 1) * size)
                           .limit(size + 1), order)
        return paging._page(rows[:size], has_prev=req.page > 1, has_next=len(rows) > size, key=key,
                            number=req.page)
    mirrored = PageRequest(size=size, after=before, before=after, last=not (after or before or req.last),
                           number=req.number)
    asc = paging.fetch_page(s, q, order, mirrored, key)
    if before is not None and len(asc.rows) < size:  # back at the newest: a full first page
        return fetch_desc(s, q, order, PageRequest(size=size))
    number = 1 if not (after or before or req.last) else (None if req.last else req.number)
    return Page(rows=asc.rows[::-1], has_prev=asc.has_next, has_next=asc.has_prev, first_key=asc.last_key,
                last_key=asc.first_key, number=number)
