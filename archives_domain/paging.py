"""Lists that stay fast at any size (分页): keyset pagination and a bounded count, for every list.

Why: an OFFSET page and a `count(*)` over a whole agency cost time that grows with the page number and
with the agency (202 ms and 5 requests/s at 132,549 persons). Here every query reads at most
`size + 1` rows of an index in its order, plus at most `COUNT_CAP + 1` index entries for the count:

* **Keyset (游标).** A page is "the `size` rows after (or before) this sort key". The sort key is a tuple
  of columns that is unique over the listed rows (end it with the primary key) and NOT NULL in them,
  and an index must serve the scope filter and that order — then 首页, 下一页, 上一页 and 末页 (the
  order reversed) each read `size + 1` index entries, whatever the page.
* **Bounded count.** `bounded_count` counts at most `COUNT_CAP + 1` rows: "共 1,000+ 人" past it.
* **Page numbers only where cheap.** A numbered page (`page=`) is an OFFSET within the first `COUNT_CAP`
  rows (bounded cost); further pages are reached by cursor.
* **Parameters are checked.** Junk, out-of-range or forged values raise `PagingError`, naming the parameter
  in Chinese — never a 500.

Pure query building: no Flask, nothing connects at import. `ops_app.listing` is the web glue; the portal
API can use this module as it is.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

COUNT_CAP = 1000
MAX_PAGE_SIZE = 100
MAX_CURSOR_CHARS = 512


class PagingError(ValueError):
    """A paging parameter is malformed or out of range; `param` names it, the message is Chinese."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


def parse_int(raw: str | None, param: str, *, default: int, lo: int, hi: int) -> int:
    """An integer parameter in [lo, hi] (absent or empty → `default`), else PagingError naming it."""
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    if not text.isascii() or not text.lstrip("+").isdigit() or len(text) > 18:
        if text.lstrip("+").isdigit() or (text.startswith("-") and text[1:].isdigit()):
            raise PagingError(param, f"参数 {param} 超出范围：应为 {lo}–{hi} 之间的整数")
        raise PagingError(param, f"参数 {param} 应为整数（{lo}–{hi}），收到的值无法识别")
    value = int(text)
    if not lo <= value <= hi:
        raise PagingError(param, f"参数 {param} 超出范围：应为 {lo}–{hi} 之间的整数")
    return value


def encode_cursor(values: Sequence) -> str:
    """A row's sort key as an opaque URL-safe token (not a secret: the values are the row's own, in scope)."""
    raw = json.dumps(list(values), ensure_ascii=False, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, param: str, width: int) -> tuple:
    """The sort key in a token from `encode_cursor`; PagingError (naming `param`) if it is not one."""
    bad = PagingError(param, f"参数 {param} 无效：翻页位置无法识别，请从首页重新查询")
    if len(token) > MAX_CURSOR_CHARS:
        raise bad
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(values, list) or len(values) != width or \
            not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
        raise bad
    return tuple(values)


def after_key(columns: Sequence, values: Sequence, *, reverse: bool = False):
    """Rows strictly after `values` in the order of `columns` (before them if `reverse`), written as
    `a > x OR (a = x AND b > y) …` — a form both MySQL and MariaDB turn into index ranges (row-value
    comparisons they do not always)."""
    terms = []
    for i, col in enumerate(columns):
        step = col < values[i] if reverse else col > values[i]
        terms.append(sa.and_(*[columns[j] == values[j] for j in range(i)], step))
    return sa.or_(*terms)


@dataclass
class Page:
    """One page: its rows in list order, whether there are rows before / after, and how it was reached."""

    rows: list
    has_prev: bool
    has_next: bool
    first_key: tuple | None = None
    last_key: tuple | None = None
    number: int | None = None  # the page number when it is known cheaply
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PageRequest:
    """What the user asked for: `after` / `before` a cursor, the `last` page, a numbered `page`, or page 1."""

    size: int = 20
    after: tuple | None = None
    before: tuple | None = None
    last: bool = False
    page: int | None = None  # a numbered page (OFFSET within COUNT_CAP rows)
    number: int | None = None  # the page number the links carried (display only)


def fetch_page(s: Session, query: sa.Select, order: Sequence, req: PageRequest, key=None) -> Page:
    """The page `req` asks for of `query` (a select of entities or rows, already filtered) in `order`.

    `key(row)` gives a row's sort key (default: the `order` columns' attributes of an ORM entity)."""
    key = key or (lambda row: tuple(getattr(row, c.key) for c in order))
    size = req.size
    if req.after is not None or req.page:
        q = query.where(after_key(order, req.after)) if req.after is not None else query
        q = q.order_by(*order).limit(size + 1)
        if req.page:
            q = q.offset((req.page - 1) * size)
        rows = _run(s, q, order)
        number = req.page or req.number
        return _page(rows[:size], has_prev=req.after is not None or (req.page or 1) > 1,
                     has_next=len(rows) > size, key=key, number=number)
    if req.before is not None or req.last:
        q = query.where(after_key(order, req.before, reverse=True)) if req.before is not None else query
        q = q.order_by(*[c.desc() for c in order]).limit(size + 1)
        rows = _run(s, q, order)
        if req.before is not None and len(rows) < size:  # back at the start: show a full first page
            return fetch_page(s, query, order, PageRequest(size=size, number=1), key)
        page_rows = rows[:size][::-1]
        return _page(page_rows, has_prev=len(rows) > size, has_next=req.before is not None, key=key,
                     number=None if req.last else req.number)
    rows = _run(s, query.order_by(*order).limit(size + 1), order)
    return _page(rows[:size], has_prev=False, has_next=len(rows) > size, key=key, number=1)


def _run(s: Session, q: sa.Select, order: Sequence) -> list:
    """The rows of a page. A select of one ORM entity runs in two steps: the sort key and primary key alone
    (an index-only read, in index order), then the rows by primary key. Asked for whole rows at once,
    MariaDB 10.11 picks the agency index and sorts the agency's 130k rows for every page (seen in EXPLAIN at
    943k); asked for what the index holds, it walks the index and stops after `size + 1` entries."""
    desc = q.column_descriptions
    if not (len(desc) == 1 and desc[0].get("entity") is not None and desc[0].get("type") is desc[0]["entity"]):
        return list(s.execute(q))
    entity = desc[0]["entity"]
    pk = sa.inspect(entity).primary_key[0]
    cols = list(order) if any(getattr(c, "key", None) == pk.key for c in order) else [*order, pk]
    at = next(i for i, c in enumerate(cols) if getattr(c, "key", None) == pk.key)
    ids = [row[at] for row in s.execute(q.with_only_columns(*cols))]
    if not ids:
        return []
    by_id = {getattr(o, pk.key): o for o in s.scalars(sa.select(entity).where(pk.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def _page(rows: list, *, has_prev: bool, has_next: bool, key, number: int | None) -> Page:
    return Page(rows=rows, has_prev=has_prev, has_next=has_next,
                first_key=key(rows[0]) if rows else None, last_key=key(rows[-1]) if rows else None,
                number=number)


def bounded_count(s: Session, query: sa.Select, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(n, exact): the number of rows of `query`, counting at most `cap + 1` of them; `exact` is False
    past `cap` (then n == cap: shown as "1,000+")."""
    inner = query.with_only_columns(sa.literal(1)).order_by(None).limit(cap + 1).subquery()
    n = s.scalar(sa.select(sa.func.count()).select_from(inner)) or 0
    return (cap, False) if n > cap else (n, True)


def max_numbered_page(size: int, cap: int = COUNT_CAP) -> int:
    """The last page a number may reach: its OFFSET stays within the first `cap` rows."""
    return max((cap + size - 1) // size, 1)
