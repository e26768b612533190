"""经办记录: a person's business history across the business tables (the 经办记录 tab of the person page;
附件 三.7 removed the 经办记录 button, its function lives here).

Each source is data (`SOURCES`): the table, its date column, the kind shown, how a row reads as a summary and
where it opens. One small query per table by the indexed `person_id` (hukou_card_loan through its
collective_hukou row), only when the tab is open; the tab mark counts them in the page's one count statement.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import func, select

from ..models import (ArchiveConsultation, ArchiveLoan, ArchiveMaterial, ArchiveTransferIn, ArchiveTransferOut,
                      Certificate, CollectiveHukou, HukouCardLoan, MaterialUse)
from .base import Context, in_scope


@dataclass(frozen=True)
class Source:
    key: str
    model: type
    kind: str
    date: str  # the column that dates the business
    summary: Callable[[object], tuple[str, ...]]
    link: Callable[[object], str | None]


def _j(*parts) -> tuple[str, ...]:
    """The summary as parts (record values, or a few fixed words the page translates), empty ones left out."""
    return tuple(p.isoformat() if isinstance(p, (dt.date, dt.datetime)) else str(p)
                 for p in parts if p not in (None, "", False))


RECEIPT, REVOKED, NOT_RETURNED = "已收回执", "已作废", "未归还"
SOURCES: tuple[Source, ...] = (
    Source("transfer_in", ArchiveTransferIn, "档案转入", "in_date",
           lambda r: _j(r.from_unit, r.archive_kind, r.status, r.confidential_no), lambda r: f"/transfer/in/{r.id}"),
    Source("transfer_out", ArchiveTransferOut, "档案转出", "out_date",
           lambda r: _j(r.to_unit, r.reason, r.status, r.receipt_returned and RECEIPT),
           lambda r: f"/transfer/out/{r.id}"),
    Source("loan", ArchiveLoan, "档案借阅", "loan_date",
           lambda r: _j(r.borrower_unit, r.reason, r.status, r.return_date), lambda r: f"/transfer/loan/{r.id}"),
    Source("certificate", Certificate, "出具证明", "issued_on",
           lambda r: _j(r.cert_type, r.cert_no, r.revoked and REVOKED), lambda r: f"/certificates/{r.id}"),
    Source("hukou", CollectiveHukou, "集体户口代理", "settle_date",
           lambda r: _j(r.hukou_reg_no, r.move_reason, r.status), lambda r: f"/hukou/{r.id}"),
    Source("material", ArchiveMaterial, "档案材料", "received_date",
           lambda r: _j(r.category_code, r.title, r.stage), lambda r: f"/materials/person/{r.person_id}"),
    Source("consultation", ArchiveConsultation, "档案查阅", "consult_time",
           lambda r: _j(r.kind, r.consult_unit, r.reason), lambda r: None),
    Source("material_use", MaterialUse, "材料利用", "use_time",
           lambda r: _j(r.user_name, r.use_mode), lambda r: None),
)


@dataclass(frozen=True)
class Entry:
    date: dt.date | None
    kind: str
    summary: tuple[str, ...]
    handler: str | None
    link: str | None
    at: dt.datetime | None  # when the row was written (the order within a day)


def _as_date(v) -> dt.date | None:
    return v.date() if isinstance(v, dt.datetime) else v


def history(ctx: Context, person_id: int) -> list[Entry]:
    """The person's business, newest first (by the business date, else the day it was recorded)."""
    out: list[Entry] = []
    for src in SOURCES:
        m = src.model
        for r in ctx.session.scalars(select(m).where(m.person_id == person_id, in_scope(ctx, m))):
            out.append(Entry(_as_date(getattr(r, src.date)) or _as_date(r.created_at), src.kind, src.summary(r),
                             getattr(r, "handler", None) or r.created_by, src.link(r), r.created_at))
    loans = select(HukouCardLoan).join(CollectiveHukou, CollectiveHukou.id == HukouCardLoan.collective_hukou_id) \
        .where(CollectiveHukou.person_id == person_id, in_scope(ctx, HukouCardLoan))
    for r in ctx.session.scalars(loans):
        out.append(Entry(r.loan_date or _as_date(r.created_at), "户籍卡借阅",
                         _j(r.borrower, r.reason, r.return_date or NOT_RETURNED),
                         r.handler or r.created_by, f"/hukou/{r.collective_hukou_id}", r.created_at))
    out.sort(key=lambda e: (e.date or dt.date.min, e.at or dt.datetime.min), reverse=True)
    return out


def history_count_columns(person_id: int) -> list:
    """Scalar count subqueries (labelled h_<key>) for the page's one count statement."""
    cols = [select(func.count()).select_from(s.model).where(s.model.person_id == person_id)
            .scalar_subquery().label(f"h_{s.key}") for s in SOURCES]
    cols.append(select(func.count()).select_from(HukouCardLoan)
                .join(CollectiveHukou, CollectiveHukou.id == HukouCardLoan.collective_hukou_id)
                .where(CollectiveHukou.person_id == person_id).scalar_subquery().label("h_card_loan"))
    return cols
