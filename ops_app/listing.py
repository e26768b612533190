"""Web glue of the fast lists (`archives_domain.paging`): request parameters → `PageRequest`, the page's
links (首页 / 上一页 / 下一页 / 末页) and the count's text ("共 1,000+ 人"), for every list of the app.

A list view does

    req = listing.page_request()                # PagingError → listing.error_response(...)
    page = paging.fetch_page(s, query, order, req)
    total = paging.bounded_count(s, query)
    nav = listing.pager(page, total, args)      # for the template macro listing/pager.html
    api = listing.api_fields(page, total)       # for a JSON answer

Parameters: `after` / `before` (cursor tokens), `last=1`, `page` (a number, only within the first
`COUNT_CAP` rows), `p` (the page number the links carry, display only), `page_size` (API).
"""
from __future__ import annotations

from flask import jsonify, request

from archives_domain.paging import (
    COUNT_CAP, MAX_PAGE_SIZE, Page, PageRequest, PagingError, decode_cursor, encode_cursor, max_numbered_page,
    parse_int,
)

from .i18n import _

MAX_PAGE_NUMBER = 10 ** 6


def page_request(width: int, *, default_size: int = 20, sizeable: bool = False) -> PageRequest:
    """The paging parameters of the current request for a sort key of `width` columns (PagingError if junk)."""
    args = request.args
    size = parse_int(args.get("page_size"), "page_size", default=default_size, lo=1, hi=MAX_PAGE_SIZE) \
        if sizeable else default_size
    after = args.get("after") or None
    before = args.get("before") or None
    if after and before:
        raise PagingError("before", "参数 before 不能与 after 同时使用")
    last = args.get("last", "") not in ("", "0")
    top = max_numbered_page(size)
    page = parse_int(args.get("page"), "page", default=0, lo=1, hi=MAX_PAGE_NUMBER) if args.get("page") else None
    if page is not None and page > top:
        raise PagingError("page", f"参数 page 超出范围：按页码最多翻到第 {top} 页（前 {COUNT_CAP:,} 条），"
                                  "更后面的记录请用“下一页”或“末页”")
    number = parse_int(args.get("p"), "p", default=0, lo=1, hi=MAX_PAGE_NUMBER) if args.get("p") else None
    return PageRequest(size=size, after=decode_cursor(after, "after", width) if after else None,
                       before=decode_cursor(before, "before", width) if before else None,
                       last=last and not (after or before), page=page if (page or 1) > 1 else None,
                       number=number)


def count_text(total: tuple[int, bool], label=None) -> str:
    """"共 45 人" / "共 1,000+ 人"; another list passes `label(n_text)` for its own noun (条, 件 …)."""
    n, exact = total
    shown = f"{n:,}" if exact else f"{n:,}+"
    return label(shown) if label else _("共 %(n)s 人", n=shown)


def pager(page: Page, total: tuple[int, bool], keep: dict[str, str], size: int, label=None) -> dict:
    """Links and labels of the page bar: each link a dict of query parameters (None when not offered)."""
    n, exact = total
    pages = max((n + size - 1) // size, 1) if exact else None
    number = pages if (page.number is None and not page.has_next and pages) else page.number
    base = {k: v for k, v in keep.items() if v}
    nxt = None if number is None else number + 1
    prv = None if number is None else number - 1
    return {
        "first": dict(base) if page.has_prev else None,
        "prev": {**base, "before": encode_cursor(page.first_key), **({"p": prv} if prv else {})}
        if page.has_prev and page.first_key is not None else None,
        "next": {**base, "after": encode_cursor(page.last_key), **({"p": nxt} if nxt else {})}
        if page.has_next and page.last_key is not None else None,
        # with an exact count the last page is a numbered one (an OFFSET under COUNT_CAP rows), aligned
        # with the others; past it, the last `size` rows (its number unknown)
        "last": ({**base, "page": pages} if pages else {**base, "last": 1}) if page.has_next else None,
        "number": number, "pages": pages, "count": count_text(total, label),
    }


def api_fields(page: Page, total: tuple[int, bool], size: int) -> dict:
    """Paging fields of a JSON list answer: `count` (at most COUNT_CAP), `count_exact`, cursors."""
    n, exact = total
    return {"count": n, "count_exact": exact, "page_size": size, "page": page.number,
            "next": encode_cursor(page.last_key) if page.has_next and page.last_key is not None else None,
            "prev": encode_cursor(page.first_key) if page.has_prev and page.first_key is not None else None}


def error_json(exc: Exception, status: int = 400):
    return jsonify(message=str(exc), field=getattr(exc, "param", None) or getattr(exc, "field", None)), status
