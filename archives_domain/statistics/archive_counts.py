"""档案信息统计: how many of each kind of business (可办业务) an agency or subtree did per day, month or year,
and the records behind each count (drill-down, keyset pages).

Counted on the operational tables, not the analytics schema's `fact_business_event`: each count is one range
scan of an (agency_code, date) index (`models.counting`) — index-only, a few thousand entries per agency and
month at 943k persons —, it is exact up to the last business done (the fact table is as old as the last
`archives analytics build`), and the drill-down reads the same rows, so a count and its records always agree.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import paging
from ..business.base import BusinessError, FieldErrors
from ..models import Agency, Person
from ..pii.masking import mask_name, mask_value
from . import kinds as K
from .periods import Period, beijing_day, day_bounds


@dataclass
class CountTable:
    """Rows = kinds, columns = the period's buckets; `cells[kind key]` the counts per bucket."""

    period: Period
    codes: list[str]
    buckets: list[tuple[str, dt.date, dt.date]]
    cells: dict[str, list[int]] = field(default_factory=dict)

    def total(self, key: str) -> int:
        return sum(self.cells.get(key, ()))

    def as_dict(self) -> dict:
        return {"grain": self.period.grain, "date_from": self.period.start.isoformat(),
                "date_to": self.period.end.isoformat(), "agencies": self.codes,
                "periods": [{"label": b[0], "from": b[1].isoformat(), "to": b[2].isoformat()} for b in self.buckets],
                "kinds": [{"key": k.key, "label": k.label, "counts": self.cells[k.key], "total": self.total(k.key)}
                          for k in K.KINDS]}


def _as_date(v) -> dt.date:
    return v if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else dt.date.fromisoformat(str(v)[:10])


def count_kind(s: Session, kind: K.Kind, codes: list[str], start: dt.date, end: dt.date) -> dict[dt.date, int]:
    """Beijing day → number of `kind` done that day in `codes` (one grouped range scan of the index)."""
    if not codes:
        return {}
    day = beijing_day(kind.date_col, s.get_bind().dialect.name)
    q = (sa.select(day.label("d"), sa.func.count()).select_from(kind.model)
         .where(kind.model.agency_code.in_(codes), *day_bounds(kind.date_col, start, end), *kind.filters())
         .group_by(day))
    out: dict[dt.date, int] = {}
    for d, n in s.execute(q):
        out[_as_date(d)] = out.get(_as_date(d), 0) + int(n)
    return out


def count_table(s: Session, codes: list[str], period: Period) -> CountTable:
    """档案信息统计: every kind of business by bucket of `period` in the agencies `codes`."""
    table = CountTable(period, codes, period.buckets())
    for kind in K.KINDS:
        by_day = count_kind(s, kind, codes, period.start, period.end)
        table.cells[kind.key] = [sum(n for d, n in by_day.items() if lo <= d <= hi) for _, lo, hi in table.buckets]
    return table


def kind_of(key: str | None) -> K.Kind:
    if key not in K.BY_KEY:
        raise FieldErrors({"kind": "业务类型不存在"})
    return K.BY_KEY[key]


def records_query(kind: K.Kind, codes: list[str], start: dt.date, end: dt.date):
    """The rows behind a count: the record, its date, agency and person (archive_no, name, 身份证 token)."""
    q = sa.select(kind.model.id.label("id"), kind.date_col.label("day"), kind.model.agency_code.label("agency_code"))
    q, pid = K.with_person(kind, q.select_from(kind.model))
    q = q.add_columns(pid.label("person_id"), Person.archive_no, Person.name, Person.id_number_enc,
                      Agency.name.label("agency_name"))
    q = q.outerjoin(Person, Person.id == pid).join(Agency, Agency.code == kind.model.agency_code)
    where = [kind.model.agency_code.in_(codes), *day_bounds(kind.date_col, start, end), *kind.filters()]
    return q.where(*where) if codes else q.where(sa.false()), (kind.date_col, kind.model.id)


def _typed_key(kind: K.Kind, values: tuple | None) -> tuple | None:
    """A cursor's (date text, id) back to the column's type (the cursor carries text)."""
    if values is None:
        return None
    try:
        day = dt.datetime.fromisoformat(values[0]) if kind.is_timestamp else dt.date.fromisoformat(values[0])
        return day, int(values[1])
    except (TypeError, ValueError):
        raise paging.PagingError("after", "参数 after 无效：翻页位置无法识别，请从首页重新查询") from None


def records(s: Session, codec, kind: K.Kind, codes: list[str], start: dt.date, end: dt.date,
            req: paging.PageRequest, *, unmasked: bool = False) -> tuple[paging.Page, tuple[int, bool]]:
    """A keyset page of the records behind a count, names and 身份证 masked unless `unmasked`; decrypted only
    for the rows of the page."""
    query, order = records_query(kind, codes, start, end)
    import dataclasses
    req = dataclasses.replace(req, after=_typed_key(kind, req.after), before=_typed_key(kind, req.before))
    page = paging.fetch_page(s, query, order, req, key=lambda r: (str(r.day), r.id))
    page.rows = [record_dict(r, codec, unmasked) for r in page.rows]
    return page, paging.bounded_count(s, query)


def record_dict(r, codec, unmasked: bool) -> dict:
    id_number = codec.decrypt("id_number", r.id_number_enc) if r.id_number_enc else None
    return {"id": r.id, "date": str(r.day)[:19], "agency_code": r.agency_code, "agency_name": r.agency_name,
            "person_id": r.person_id, "archive_no": r.archive_no,
            "name": r.name if unmasked else mask_name(r.name),
            "id_number": id_number if unmasked else mask_value("id_number", id_number),
            "person_url": f"/person/{r.person_id}" if r.person_id else None}


def check_range(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    if start is None or end is None:
        raise BusinessError("请给出起止日期", "date_from")
    if end < start:
        raise FieldErrors({"date_to": "截止日期早于起始日期"})
    return start, end
