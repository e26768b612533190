"""/api/v1/stats/…: 综合统计 as JSON, calling the same domain functions as the pages.

GET  /api/v1/stats/archive/?grain=&date_from=&date_to=&agency=&subtree=      counts by kind and period
GET  /api/v1/stats/archive/records?kind=&date_from=&date_to=&agency=&after=  the records behind a count
GET  /api/v1/stats/reports/                                                  the reports (key, title, parameter)
GET  /api/v1/stats/reports/<key>?month=|year=|date_from=&date_to=&agency=    one report's rows
GET  /api/v1/stats/custom/dictionary                                         the data dictionary
POST /api/v1/stats/custom/preview   {"definition": {...}, "agency", "subtree"}  first 50 rows (or groups)
GET|POST /api/v1/stats/custom/saved   own saved queries / save {"name", "definition"}
GET|PUT|DELETE /api/v1/stats/custom/saved/<id>   load / rename {"name", "version"} / delete (own only)

Session login, CSRF header (X-CSRFToken) on writes; errors {"message", "field"} with 400/404/409.
"""
from __future__ import annotations

from flask import jsonify, request
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose

from archives_domain.business.base import BusinessError
from archives_domain.paging import PagingError
from archives_domain.statistics import archive_counts as AC, custom_query as CQ, dictionary, reports
from archives_domain.statistics import saved_queries as SQ
from archives_domain.statistics.periods import parse_date, parse_period

from .views import named

from .. import business_ui, listing
from ..access import requires
from .common import scope_args, unmasked


def _body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _answer(fn):
    ctx = business_ui.context()
    try:
        return jsonify(fn(ctx)), 200, business_ui.NO_STORE
    except BusinessError as exc:
        ctx.session.rollback()
        return business_ui.api_error(named(exc))
    except PagingError as exc:
        return listing.error_json(exc)


class StatsArchiveApi(BaseApi):
    archives_module = "stats.archive"
    resource_name = "stats_archive"
    route_base = "/api/v1/stats/archive"
    allow_browser_login = True
    openapi_spec_tag = "档案信息统计"

    @api_expose("/", methods=["GET"])
    @requires("stats.archive", api=True)
    def counts(self):
        def run(ctx):
            codes, _ = scope_args(ctx, request.args)
            return AC.count_table(ctx.session, codes, parse_period(request.args, ctx.today)).as_dict()
        return _answer(run)

    @api_expose("/records", methods=["GET"])
    @requires("stats.archive", api=True)
    def records(self):
        def run(ctx):
            a = request.args
            codes, _ = scope_args(ctx, a)
            kind = AC.kind_of(a.get("kind"))
            start, end = AC.check_range(parse_date(a.get("date_from"), "date_from", "起始日期"),
                                        parse_date(a.get("date_to"), "date_to", "截止日期"))
            req = listing.page_request(2, default_size=20, sizeable=True)
            page, total = AC.records(ctx.session, ctx.codec, kind, codes, start, end, req, unmasked=unmasked())
            return {"kind": kind.key, "label": kind.label, "result": page.rows,
                    **listing.api_fields(page, total, req.size)}
        return _answer(run)


class StatsReportApi(BaseApi):
    archives_module = "stats.overview"
    resource_name = "stats_reports"
    route_base = "/api/v1/stats/reports"
    allow_browser_login = True
    openapi_spec_tag = "报表统计"

    @api_expose("/", methods=["GET"])
    @requires("stats.overview", api=True)
    def list(self):
        return jsonify(result=[{"key": r.key, "title": r.title, "param": r.param}
                               for r in reports.REPORTS.values()]), 200, business_ui.NO_STORE

    @api_expose("/<key>", methods=["GET"])
    @requires("stats.overview", api=True)
    def report(self, key):
        def run(ctx):
            codes, _ = scope_args(ctx, request.args)
            return reports.run_report(ctx.session, key, codes, request.args, ctx.today).as_dict()
        return _answer(run)


def _saved(row) -> dict:
    return {"id": row.id, "name": row.name, "version": row.version, "definition": SQ.definition_of(row),
            "updated_at": row.updated_at.isoformat() if row.updated_at else None}


class StatsCustomApi(BaseApi):
    archives_module = "stats.custom"
    resource_name = "stats_custom"
    route_base = "/api/v1/stats/custom"
    allow_browser_login = True
    openapi_spec_tag = "自定义查询"

    @api_expose("/dictionary", methods=["GET"])
    @requires("stats.custom", api=True)
    def dictionary(self):
        return jsonify(items=[i.as_dict() for i in dictionary.ITEMS.values()], ops=CQ.OPS,
                       ops_by_type=CQ.OPS_BY_TYPE, pii_ops=CQ.PII_OPS, preview=CQ.PREVIEW,
                       download_max=CQ.DOWNLOAD_MAX), 200, business_ui.NO_STORE

    @api_expose("/preview", methods=["POST"])
    @requires("stats.custom", api=True)
    def preview(self):
        def run(ctx):
            body = _body()
            codes, _ = scope_args(ctx, body)
            d = CQ.parse(body.get("definition"), ctx.codec)
            return CQ.run(ctx.session, d, codes, ctx.codec, unmasked=unmasked()).as_dict()
        return _answer(run)

    @api_expose("/saved", methods=["GET", "POST"])
    @requires("stats.custom", api=True)
    def saved(self):
        if request.method == "GET":
            return _answer(lambda ctx: {"result": [_saved(r) for r in SQ.list_own(ctx)]})
        body = _body()
        return _answer(lambda ctx: _saved(SQ.save(ctx, body.get("name"), body.get("definition"))))

    @api_expose("/saved/<int:query_id>", methods=["GET", "PUT", "DELETE"])
    @requires("stats.custom", api=True)
    def saved_one(self, query_id):
        if request.method == "GET":
            return _answer(lambda ctx: _saved(SQ.get_own(ctx, query_id)))
        if request.method == "PUT":
            body = _body()
            return _answer(lambda ctx: _saved(SQ.rename(ctx, query_id, body.get("name"), body.get("version"))))

        def delete(ctx):
            SQ.delete(ctx, query_id)
            return {"deleted": query_id}
        return _answer(delete)
