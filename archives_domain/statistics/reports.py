"""报表统计: the fixed reports agencies hand in, as data (title, parameters, columns) and one builder each.

档案存量（月末）by agency and status, 业务量（按月）per kind of business, 转递统计 (转入/转出, 跨省, 按时转出 and
回执 against the deadlines of 《流动人员人事档案管理服务规定》: `archives_domain.deadlines.RULES` — 调档函 + 2
months, 转出 + 1 month). Each builder takes the session, the agency codes in scope and the parameters, and
returns a `ReportResult` (headers and rows) that `export` writes as xlsx or PDF.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import deadlines
from ..business.base import FieldErrors, NotFound
from ..models import Agency, ArchiveTransferIn, ArchiveTransferOut, Person
from . import kinds as K
from .archive_counts import count_table
from .periods import Period, parse_date

RULES = {r.business_type: r for r in deadlines.RULES}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = True


@dataclass
class ReportResult:
    title: str
    subtitle: str
    columns: list[Column]
    rows: list[dict]
    landscape: bool = False
    note: str = ""

    def as_dict(self) -> dict:
        return {"title": self.title, "subtitle": self.subtitle, "note": self.note,
                "columns": [{"key": c.key, "label": c.label} for c in self.columns], "rows": self.rows}


@dataclass(frozen=True)
class Report:
    """A fixed report: `key` (URL), Chinese `title`, the parameter it takes (`month` YYYY-MM, `year`, or a
    `range` of dates), its columns and its builder."""

    key: str
    title: str
    param: str
    columns: tuple[Column, ...]
    build: Callable = field(compare=False)
    landscape: bool = False
    note: str = ""


AGENCY = Column("agency", "存档机构", numeric=False)


# -- parameters ----------------------------------------------------------------------------------------------
def month_of(raw, today: dt.date) -> tuple[dt.date, dt.date]:
    """`YYYY-MM` → (first day, last day); default the month before this one (the one handed in)."""
    if not raw:
        first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    else:
        try:
            first = dt.datetime.strptime(str(raw).strip()[:7], "%Y-%m").date()
        except ValueError:
            raise FieldErrors({"month": "统计月份不是有效月份（应为 YYYY-MM）"}) from None
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def year_of(raw, today: dt.date) -> int:
    if not raw:
        return today.year
    text = str(raw).strip()
    if not (text.isdigit() and 2000 <= int(text) <= today.year + 1):
        raise FieldErrors({"year": f"统计年度应为 2000–{today.year + 1} 之间的年份"})
    return int(text)


def range_of(args, today: dt.date) -> tuple[dt.date, dt.date]:
    start = parse_date(args.get("date_from"), "date_from", "起始日期") or today.replace(month=1, day=1)
    end = parse_date(args.get("date_to"), "date_to", "截止日期") or today
    if end < start:
        raise FieldErrors({"date_to": "截止日期早于起始日期"})
    return start, end


def _agency_names(s: Session, codes: list[str]) -> dict[str, str]:
    return dict(s.execute(sa.select(Agency.code, Agency.name).where(Agency.code.in_(codes))).all()) if codes else {}


def _total_row(rows: list[dict], columns, label_key: str) -> dict:
    total = {c.key: sum(r.get(c.key) or 0 for r in rows) for c in columns if c.numeric}
    return {label_key: "合计", **total}


# -- 档案存量（月末） -------------------------------------------------------------------------------------------
STOCK_COLUMNS = (AGENCY, Column("stock", "月末存量"), Column("received", "本月接收"), Column("out", "本月转出"),
                 Column("in_store", "当前在库"), Column("lent", "当前借出"), Column("gone", "当前已转出"))


def build_stock(s: Session, codes: list[str], args, today: dt.date) -> ReportResult:
    first, last = month_of(args.get("month"), today)
    names = _agency_names(s, codes)
    rows = {c: {"agency": names.get(c, c), **{k.key: 0 for k in STOCK_COLUMNS[1:]}} for c in codes}
    if codes:
        p = Person
        kept = sa.or_(p.transfer_out_date.is_(None), p.transfer_out_date > last)
        q = (sa.select(p.agency_code,
                       sa.func.sum(sa.case((sa.and_(p.archive_received_date <= last, kept), 1), else_=0)),
                       sa.func.sum(sa.case((p.archive_received_date.between(first, last), 1), else_=0)),
                       sa.func.sum(sa.case((p.transfer_out_date.between(first, last), 1), else_=0)))
             .where(p.agency_code.in_(codes)).group_by(p.agency_code))
        for code, stock, received, out in s.execute(q):
            rows[code].update(stock=int(stock or 0), received=int(received or 0), out=int(out or 0))
        by_status = {"在库": "in_store", "借出": "lent", "已转出": "gone"}
        q = (sa.select(p.agency_code, p.archive_status, sa.func.count()).where(p.agency_code.in_(codes))
             .group_by(p.agency_code, p.archive_status))
        for code, status, n in s.execute(q):
            if status in by_status:
                rows[code][by_status[status]] = int(n)
    out = list(rows.values())
    out.append(_total_row(out, STOCK_COLUMNS, "agency"))
    return ReportResult("档案存量统计表（月末）", f"统计月份：{first:%Y年%m月}（截至 {last.isoformat()}）",
                        list(STOCK_COLUMNS), out,
                        note="月末存量：档案接收时间在月末以前且月末时未转出的人员数；当前状态为制表时的档案状态。")


# -- 业务量（按月） ---------------------------------------------------------------------------------------------
VOLUME_COLUMNS = (Column("month", "月份", numeric=False), *(Column(k.key, k.label) for k in K.KINDS))


def build_volume(s: Session, codes: list[str], args, today: dt.date) -> ReportResult:
    year = year_of(args.get("year"), today)
    end = min(dt.date(year, 12, 31), today) if year == today.year else dt.date(year, 12, 31)
    table = count_table(s, codes, Period(dt.date(year, 1, 1), end, "month"))
    rows = [{"month": label, **{k.key: table.cells[k.key][i] for k in K.KINDS}}
            for i, (label, _, _) in enumerate(table.buckets)]
    rows.append(_total_row(rows, VOLUME_COLUMNS, "month"))
    return ReportResult("业务量统计表（按月）", f"统计年度：{year}年", list(VOLUME_COLUMNS), rows, landscape=True,
                        note="各类业务按其办理日期计数；“其中：政审考察”已含在“档案查阅”内。")


# -- 转递统计 ---------------------------------------------------------------------------------------------------
TRANSFER_COLUMNS = (AGENCY, Column("in_total", "转入"), Column("in_cross", "其中跨省转入"),
                    Column("out_total", "转出"), Column("out_cross", "其中跨省转出"),
                    Column("out_on_time", "按时转出"), Column("out_late", "超期转出"),
                    Column("receipt_on_time", "回执按时"), Column("receipt_late", "回执逾期"),
                    Column("receipt_overdue", "未回执已超期"), Column("receipt_pending", "未回执未到期"))


def _transfer_out_counts(row: dict, r, today: dt.date) -> None:
    row["out_total"] += 1
    row["out_cross"] += 1 if r.cross_province else 0
    if r.request_date:  # 调档函 + 2 months
        on_time = r.out_date <= deadlines.add_months(r.request_date, RULES["转出超期"].months)
        row["out_on_time" if on_time else "out_late"] += 1
    due = deadlines.add_months(r.out_date, RULES["回执超期"].months)  # 转出 + 1 month
    if r.receipt_returned and r.receipt_date:
        row["receipt_on_time" if r.receipt_date <= due else "receipt_late"] += 1
    elif r.receipt_returned:
        row["receipt_on_time"] += 1  # returned, date not recorded: counted as in time
    else:
        row["receipt_overdue" if due < today else "receipt_pending"] += 1


def build_transfer(s: Session, codes: list[str], args, today: dt.date) -> ReportResult:
    start, end = range_of(args, today)
    names = _agency_names(s, codes)
    rows = {c: {"agency": names.get(c, c), **{k.key: 0 for k in TRANSFER_COLUMNS[1:]}} for c in codes}
    if codes:
        t = ArchiveTransferIn
        q = (sa.select(t.agency_code, sa.func.count(), sa.func.sum(sa.case((t.cross_province.is_(True), 1), else_=0)))
             .where(t.agency_code.in_(codes), t.in_date.between(start, end), t.status != "已退回")
             .group_by(t.agency_code))
        for code, n, cross in s.execute(q):
            rows[code].update(in_total=int(n), in_cross=int(cross or 0))
        o = ArchiveTransferOut
        q = (sa.select(o.agency_code, o.request_date, o.out_date, o.receipt_date, o.receipt_returned,
                       o.cross_province)
             .where(o.agency_code.in_(codes), o.out_date.between(start, end), o.status != "已撤销"))
        for r in s.execute(q):
            _transfer_out_counts(rows[r.agency_code], r, today)
    out = list(rows.values())
    out.append(_total_row(out, TRANSFER_COLUMNS, "agency"))
    return ReportResult("档案转递统计表", f"统计期间：{start.isoformat()} 至 {end.isoformat()}",
                        list(TRANSFER_COLUMNS), out, landscape=True,
                        note="按时转出：转出日期不晚于调档函日期后2个月；回执按时：回执日期不晚于转出日期后1个月"
                             "（《流动人员人事档案管理服务规定》人社部发〔2021〕112号）。")


REPORTS: dict[str, Report] = {r.key: r for r in (
    Report("stock", "档案存量统计表（月末）", "month", STOCK_COLUMNS, build_stock),
    Report("volume", "业务量统计表（按月）", "year", VOLUME_COLUMNS, build_volume, landscape=True),
    Report("transfer", "档案转递统计表", "range", TRANSFER_COLUMNS, build_transfer, landscape=True),
)}


def report_of(key: str | None) -> Report:
    if key not in REPORTS:
        raise NotFound("报表")
    return REPORTS[key]


def run_report(s: Session, key: str, codes: list[str], args, today: dt.date) -> ReportResult:
    """The report `key` over the agencies `codes` with the parameters `args` (month / year / date range)."""
    return report_of(key).build(s, codes, args, today)
