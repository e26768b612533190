"""/api/v1/person/: the list (search + keyset), one person, PATCH of 基础信息, and each tab's records.

GET /api/v1/person/?q=&archive_no=&name=&id_number=&after=|before=|last=1|page=&page_size= — the answer's
`next` / `prev` are the cursors for `after` / `before`; `count` is exact up to 1,000 (`count_exact`); a bad
parameter is a 400 whose message names it.
GET /api/v1/person/<id> — 基础信息 (PII masked), `version` and the tab counts (附件 三.6 marks).
PATCH /api/v1/person/<id> — JSON {"version": n, <field>: value, …}: `update_basic` with only the given
fields (编辑个人信息); 400 {"errors": {field: message}}, 409 on a stale version, 404 outside the scope.
GET /api/v1/person/<id>/<tab> — the records of study|work|title|family|hukou|materials|history.
Session (browser) login; the same scope, masking and commands as the pages.
"""
from __future__ import annotations

import datetime as dt

from flask import jsonify, request
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose

from archives_domain import person_search
from archives_domain.business import person_pages as pages
from archives_domain.business.base import BusinessError, NotFound
from archives_domain.business.fields import masked_values
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import requires
from ..i18n import _
from . import tabs as T
from .search import agencies, as_dict, list_page, search_args

NO_STORE = business_ui.NO_STORE


def _plain(v):
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v


def _detail(ctx, p) -> dict:
    return {**as_dict(p, agencies(ctx.session)), **masked_values(p, pages.BASIC_SPECS, ctx.codec),
            "version": p.version, "counts": pages.tab_counts(ctx, p.id)}


def _records(ctx, tab: T.Tab, person_id: int) -> list[dict]:
    rows = T.tab_rows(ctx, tab, person_id)
    if tab.kind == "rows":
        kind = pages.kind_of(tab.key)
        return [{"id": r.id, "version": r.version, **masked_values(r, kind.specs, ctx.codec),
                 **({"source": r.source} if kind.sourced else {})} for r in rows]
    if tab.kind == "history":
        return [{"date": _plain(e.date), "kind": e.kind, "summary": list(e.summary), "handler": e.handler,
                 "link": e.link} for e in rows]
    columns = [c for c, _label in (T.HUKOU_COLUMNS if tab.kind == "hukou" else T.MATERIAL_COLUMNS)]
    return [{"id": r.id, **{c: _plain(getattr(r, c)) for c in columns}} for r in rows]


class PersonApi(BaseApi):
    archives_module = "personal.info.basic"  # 个人快捷受理 → 基础信息: the same grant as the page
    resource_name = "person"
    allow_browser_login = True
    openapi_spec_tag = "人员基础信息"

    @api_expose("/", methods=["GET"])
    @requires("person.read", api=True)
    def get_list(self):
        s = self.appbuilder.session
        try:
            page, total, size = list_page(s, search_args(), sizeable=True)
        except (PagingError, person_search.SearchError) as exc:
            resp, status = listing.error_json(exc)
            return resp, status, NO_STORE
        names = agencies(s)
        return jsonify(**listing.api_fields(page, total, size),
                       result=[as_dict(p, names) for p in page.rows]), 200, NO_STORE

    @api_expose("/<int:pk>", methods=["GET"])
    @requires("person.read", api=True)
    def get(self, pk: int):
        ctx = business_ui.context()
        try:
            p = pages.get_person(ctx, pk)
        except NotFound:
            return jsonify(message=_("记录不存在")), 404, NO_STORE
        return jsonify(result=_detail(ctx, p)), 200, NO_STORE

    @api_expose("/<int:pk>", methods=["PATCH"])
    @requires("person.edit", api=True)
    def patch(self, pk: int):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(message=_("请求体须为 JSON 对象")), 400, NO_STORE
        if body.get("version") in (None, ""):
            return jsonify(message="缺少 version（乐观锁版本号）", field="version"), 400, NO_STORE
        raw = {k: ("" if v is None else str(v)) for k, v in body.items() if k != "version"}
        ctx = business_ui.context()
        try:
            p, warnings = pages.update_basic(ctx, pk, raw, version=body["version"], only_present=True)
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(result=_detail(ctx, p), warnings=warnings), 200, NO_STORE

    @api_expose("/<int:pk>/<tab>", methods=["GET"])
    @requires("person.read", api=True)
    def get_tab(self, pk: int, tab: str):
        if tab not in T.BY_KEY or tab == "basic":
            return jsonify(message=_("没有这个数据页")), 404, NO_STORE
        ctx = business_ui.context()
        try:
            p = pages.get_person(ctx, pk)
        except NotFound:
            return jsonify(message=_("记录不存在")), 404, NO_STORE
        return jsonify(tab=tab, result=_records(ctx, T.BY_KEY[tab], p.id)), 200, NO_STORE
