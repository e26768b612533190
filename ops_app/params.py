"""Request parameters parsed within bounds: one error type (`ParamError`, a 400) that names the parameter.

Every view reads numbers, ids and dates from the query string or form through these parsers instead of
`int(...)` / `date.fromisoformat(...)`: a value the database cannot hold (a page past the 64-bit range, an id
"abc", the day after 9999-12-31 once shifted to UTC) would otherwise end in a 500. `ops_app.errors` turns a
`ParamError` into the Chinese 400 page (or `{"message": ...}` under /api/). `BoundedIntConverter` does the
same for `<int:...>` in URL rules: an id past the range matches no rule (404) instead of reaching the database.
"""
from __future__ import annotations

import datetime as dt
import re

from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from .i18n import Msg

MAX_ID = 2**63 - 1          # BIGINT on MariaDB, INTEGER on SQLite: both signed 64-bit
MAX_PAGE = 1_000_000        # with at most 1,000 rows a page: an OFFSET well inside 64 bits
# Dates typed into filters: wide enough for any archive, narrow enough that ±1 day and the shift between
# Beijing time and UTC stay inside Python's and the databases' date range.
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
_INT = re.compile(r"[+-]?[0-9]{1,30}")  # ASCII digits only (int() would take full-width ones)


class ParamError(BadRequest):
    """A request parameter out of its bounds; `message` (a Msg) names the parameter."""

    def __init__(self, message: Msg):
        super().__init__(description=str(message))
        self.message = message


def _source(form: bool):
    return request.values if form else request.args


def parse_int(name: str, raw: str | None, *, lo: int, hi: int, default: int | None = None) -> int | None:
    """`raw` as an integer in [lo, hi]; missing or blank gives `default`."""
    text = (raw or "").strip()
    if not text:
        return default
    if not _INT.fullmatch(text) or not lo <= int(text) <= hi:
        raise ParamError(Msg("参数 %(name)s 须为 %(lo)s 至 %(hi)s 之间的整数", name=name, lo=lo, hi=hi))
    return int(text)


def int_arg(name: str, default: int | None = None, *, lo: int, hi: int, form: bool = False) -> int | None:
    return parse_int(name, _source(form).get(name), lo=lo, hi=hi, default=default)


def page_arg(name: str = "page") -> int:
    """The page number of a list (1 when absent)."""
    return int_arg(name, 1, lo=1, hi=MAX_PAGE)


def page_size_arg(default: int, maximum: int, name: str = "page_size") -> int:
    return int_arg(name, default, lo=1, hi=maximum)


def id_arg(name: str, *, form: bool = False) -> int | None:
    """A database id (None when absent)."""
    return int_arg(name, None, lo=1, hi=MAX_ID, form=form)


def id_list(name: str, *, form: bool = True) -> list[int]:
    """Every value of a repeated id parameter (checkboxes), each checked."""
    return [parse_int(name, raw, lo=1, hi=MAX_ID) for raw in _source(form).getlist(name) if (raw or "").strip()]


def parse_date(name: str, raw: str | None, *, lo: dt.date = MIN_DATE, hi: dt.date = MAX_DATE) -> dt.date | None:
    """`raw` (YYYY-MM-DD) as a date in [lo, hi]; missing or blank gives None."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = dt.date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:  # 2026-02-30, 0000-01-01
        value = None
    if value is None or not lo <= value <= hi:
        raise ParamError(Msg("参数 %(name)s 须为 %(lo)s 至 %(hi)s 之间的有效日期（格式：年-月-日，如 2026-01-31）",
                             name=name, lo=lo.isoformat(), hi=hi.isoformat()))
    return value


def date_arg(name: str, *, form: bool = False) -> dt.date | None:
    return parse_date(name, _source(form).get(name))


class BoundedIntConverter(IntegerConverter):
    """`<int:pk>` that stops at MAX_ID: a larger number matches no rule (404) rather than overflow a query."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (Werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max,
                         signed=signed)
