"""/stats: 档案信息统计 (`/stats/archive`, drill-down `/stats/archive/records`), 报表统计 (`/stats/reports`,
`/stats/reports/<key>?fmt=xlsx|pdf`), 自定义查询 (`/stats/custom`, 下载/打印 `/stats/custom/output`). Each view
is its menu node's permission (`archives_module`); the scope is the user's, checked server-side."""
from __future__ import annotations

import json

from flask import request
from flask_appbuilder import BaseView, expose

from archives_domain.business.base import BusinessError
from archives_domain.paging import PagingError
from archives_domain.statistics import archive_counts as AC, custom_query as CQ, dictionary, export, reports
from archives_domain.statistics.periods import parse_date, parse_period

from .. import business_ui, listing
from ..access import requires
from ..i18n import N_, _, tr
from .common import scope_args, send_table, unmasked

GRAIN_LABELS = {"day": N_("按日"), "month": N_("按月"), "year": N_("按年")}
# the custom query page's texts built by its script (static/stats_custom.js), in the user's language
JS_TEXTS = {"remove": N_("删除"), "rename": N_("改名"), "new_name": N_("新名称"), "saved": N_("已保存"),
            "confirm_delete": N_("删除查询“%(name)s”？"), "comma": N_("多个值用逗号分隔"), "yes_no": N_("是/否"),
            "error": N_("错误"), "empty": N_("（空）"), "shown": N_("共显示 %(n)s 行"), "none": N_("没有符合条件的记录"),
            "cut": N_("（结果较多，仅显示前 %(n)s 行）")}
PAGE = 20


def named(exc):
    """A refusal about a GET's parameter names it (参数 kind 无效：业务类型不存在), as every page of the app does;
    on a POST the field is a form field, whose label the message already names."""
    if request.method == "GET" and getattr(exc, "status", 400) == 400 and getattr(exc, "field", None) \
            and not str(exc.message).startswith("参数 "):
        exc.message = f"参数 {exc.field} 无效：{exc.message}"
    return exc


def _error(exc) -> str:
    named(exc)
    return getattr(exc, "message", None) or str(exc)


class StatsArchiveView(BaseView):
    """综合统计 → 档案信息统计: counts by kind of business and period; each count opens its records."""

    route_base = "/stats/archive"
    default_view = "index"
    archives_module = "stats.archive"

    @expose("/")
    @requires("stats.archive")
    def index(self):
        ctx = business_ui.context()
        args = request.args
        choice, table, error = {"agency": "", "subtree": True, "agencies": []}, None, None
        try:
            codes, choice = scope_args(ctx, args)
            period = parse_period(args, ctx.today)
            table = AC.count_table(ctx.session, codes, period)
        except BusinessError as exc:
            error = exc
        status = 400 if error else 200
        return self.render_template("statistics/archive.html", table=table, choice=choice, error=error,
                                    args=args, grains=GRAIN_LABELS, kinds=AC.K.KINDS), status, business_ui.NO_STORE

    @expose("/records")
    @requires("stats.archive")
    def records(self):
        ctx = business_ui.context()
        args = request.args
        keep = {k: args.get(k, "") for k in ("kind", "date_from", "date_to", "agency", "subtree")}
        try:
            codes, _choice = scope_args(ctx, args)
            kind = AC.kind_of(args.get("kind"))
            start, end = AC.check_range(parse_date(args.get("date_from"), "date_from", "起始日期"),
                                        parse_date(args.get("date_to"), "date_to", "截止日期"))
            req = listing.page_request(2, default_size=PAGE)
            page, total = AC.records(ctx.session, ctx.codec, kind, codes, start, end, req, unmasked=unmasked())
        except (BusinessError, PagingError) as exc:
            return self.render_template("statistics/records.html", error=_error(exc), rows=[], nav=None,
                                        kind=None, keep=keep), 400, business_ui.NO_STORE
        nav = listing.pager(page, total, keep, PAGE, label=lambda n: _("共 %(n)s 条", n=n))
        return self.render_template("statistics/records.html", rows=page.rows, nav=nav, kind=kind, keep=keep,
                                    start=start, end=end, error=None), 200, business_ui.NO_STORE


class StatsReportView(BaseView):
    """综合统计 → 数据概览与报表统计 → 报表统计: the fixed reports, 下载 (xlsx) and 打印 (PDF)."""

    route_base = "/stats/reports"
    default_view = "index"
    archives_module = "stats.overview"

    @expose("/")
    @requires("stats.overview")
    def index(self):
        ctx = business_ui.context()
        args = request.args
        key = args.get("report") or "stock"
        choice, result, error = {"agency": "", "subtree": True, "agencies": []}, None, None
        try:
            codes, choice = scope_args(ctx, args)
            result = reports.run_report(ctx.session, key, codes, args, ctx.today)
        except BusinessError as exc:
            error = named(exc)
        status = getattr(error, "status", 400) if error else 200
        return self.render_template("statistics/reports.html", reports=reports.REPORTS, key=key, result=result,
                                    choice=choice, error=error, args=args), status, business_ui.NO_STORE

    @expose("/<key>")
    @requires("stats.overview")
    def output(self, key):
        ctx = business_ui.context()
        fmt = request.args.get("fmt", "pdf")
        try:  # a BusinessError raised on is the Chinese error page (ops_app.errors), naming the parameter
            if fmt not in ("pdf", "xlsx"):
                raise BusinessError("输出格式应为 pdf 或 xlsx", "fmt")
            codes, _choice = scope_args(ctx, request.args)
            result = reports.run_report(ctx.session, key, codes, request.args, ctx.today)
        except BusinessError as exc:
            raise named(exc) from None
        headers, rows = export.report_tables(result)
        return send_table(ctx, "stats.overview", fmt, result.title, result.subtitle, headers, rows, result.note,
                          landscape=result.landscape, what=f"：{result.subtitle}")


class StatsCustomView(BaseView):
    """综合统计 → 自定义查询: the page (item picker, filters, grouping, preview, saved queries — through the
    JSON API) and 下载/打印 of a definition posted from it."""

    route_base = "/stats/custom"
    default_view = "index"
    archives_module = "stats.custom"

    @expose("/")
    @requires("stats.custom")
    def index(self):
        ctx = business_ui.context()
        _codes, choice = scope_args(ctx, {})
        return self.render_template("statistics/custom.html", groups=dictionary.grouped(),
                                    ops={k: tr(v) for k, v in CQ.OPS.items()},
                                    texts={k: tr(v) for k, v in JS_TEXTS.items()},
                                    ops_by_type=CQ.OPS_BY_TYPE, pii_ops=CQ.PII_OPS, choice=choice,
                                    preview=CQ.PREVIEW, download_max=CQ.DOWNLOAD_MAX), 200, business_ui.NO_STORE

    @expose("/output", methods=["POST"])
    @requires("stats.custom")
    def output(self):
        ctx = business_ui.context()
        fmt = request.form.get("fmt", "xlsx")
        if fmt not in ("pdf", "xlsx"):
            raise BusinessError("输出格式应为 pdf 或 xlsx", "fmt")
        try:
            raw = json.loads(request.form.get("definition") or "{}")
        except ValueError:
            raise BusinessError("查询定义格式无效", "items") from None
        codes, _choice = scope_args(ctx, request.form)
        d = CQ.parse(raw, ctx.codec)
        result = CQ.run(ctx.session, d, codes, ctx.codec, limit=CQ.DOWNLOAD_MAX, unmasked=unmasked())
        note = f"仅输出前 {CQ.DOWNLOAD_MAX:,} 行，结果已截断。" if result.truncated else ""
        return send_table(ctx, "stats.custom", fmt, "自定义查询结果", CQ.describe(d), result.headers, result.rows,
                          note, what=f"：{CQ.describe(d)}")
