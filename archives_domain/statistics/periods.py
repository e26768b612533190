"""统计期间: a date range cut into days, months or years (Beijing calendar), checked with messages naming
the field; a day of a UTC timestamp is its Beijing day."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ..business.base import BusinessError, FieldErrors

GRAINS = {"day": "日", "month": "月", "year": "年"}
MAX_BUCKETS = {"day": 400, "month": 120, "year": 30}
BEIJING = dt.timedelta(hours=8)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    grain: str = "month"

    def buckets(self) -> list[tuple[str, dt.date, dt.date]]:
        """(label, first day, last day) of each day/month/year of the range, cut to the range."""
        out, d = [], self.start
        while d <= self.end:
            if self.grain == "day":
                nxt = d + dt.timedelta(days=1)
                label = d.isoformat()
            elif self.grain == "month":
                nxt = (d.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
                label = f"{d.year}-{d.month:02d}"
            else:
                nxt = d.replace(year=d.year + 1, month=1, day=1)
                label = str(d.year)
            out.append((label, d, min(nxt - dt.timedelta(days=1), self.end)))
            d = nxt
        return out

    def label_of(self, day: dt.date) -> str:
        return day.isoformat() if self.grain == "day" else f"{day.year}-{day.month:02d}" \
            if self.grain == "month" else str(day.year)


def parse_date(raw, field: str, label: str) -> dt.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise FieldErrors({field: f"{label}不是有效日期（应为 YYYY-MM-DD）"}) from None


def parse_period(args, today: dt.date) -> Period:
    """`grain` (day/month/year), `date_from`, `date_to` (default: this year to today)."""
    grain = (args.get("grain") or "month").strip()
    if grain not in GRAINS:
        raise FieldErrors({"grain": "统计周期应为 日、月 或 年"})
    start = parse_date(args.get("date_from"), "date_from", "起始日期") or today.replace(month=1, day=1)
    end = parse_date(args.get("date_to"), "date_to", "截止日期") or today
    if end < start:
        raise FieldErrors({"date_to": "截止日期早于起始日期"})
    period = Period(start, end, grain)
    if len(period.buckets()) > MAX_BUCKETS[grain]:
        raise BusinessError(f"按{GRAINS[grain]}统计时期间最多 {MAX_BUCKETS[grain]} 个{GRAINS[grain]}，请缩短日期范围",
                            "date_from")
    return period


def day_bounds(col, start: dt.date, end: dt.date) -> list:
    """`col` within the Beijing days start..end: dates directly, UTC timestamps shifted by 8 hours."""
    if isinstance(col.type, sa.DateTime):
        lo = dt.datetime.combine(start, dt.time()) - BEIJING
        hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time()) - BEIJING
        return [col >= lo, col < hi]
    return [col >= start, col <= end]


def beijing_day(col, dialect: str):
    """The Beijing calendar day of `col` as an SQL expression (for GROUP BY)."""
    if not isinstance(col.type, sa.DateTime):
        return col
    if dialect == "sqlite":
        return sa.func.date(col, "+8 hours")
    return sa.func.date(sa.func.date_add(col, sa.text("INTERVAL 8 HOUR")))
