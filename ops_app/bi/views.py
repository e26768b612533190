"""综合统计 → 数据概览 (/bi/overview): the bundle's dashboards as tabs, each embedded with Superset's embedded
SDK; /bi/guest-token/<slug> asks Superset (service account) for a guest token of that one dashboard whose RLS
clause is the user's data scope. Permission: the menu node `stats.overview` (access_guard)."""
from __future__ import annotations

import time
from pathlib import Path

from flask import current_app, g, jsonify
from flask_appbuilder import BaseView, expose

from archives_domain.analytics_access import service_credentials
from archives_domain.analytics_scope import rls_clause, scope_agency_codes
from archives_domain.superset_api import SupersetClient, SupersetError

from ..i18n import _
from .dashboards import BUNDLE, by_slug, dashboards

MODULE = "stats.overview"
UUID_REUSE = 300  # s: the embedded uuid of a dashboard changes only when someone re-enables embedding


def superset_client() -> SupersetClient:
    ext = current_app.extensions
    if "archives_superset" not in ext:
        username, password = service_credentials(ext["archives_settings"])
        ext["archives_superset"] = SupersetClient(current_app.config["ARCHIVES_SUPERSET_URL"], username, password)
    return ext["archives_superset"]


def bundle() -> Path:
    return Path(current_app.config.get("ARCHIVES_BI_BUNDLE") or BUNDLE)


def embedded_uuid(slug: str) -> str | None:
    cache = current_app.extensions.setdefault("archives_embedded_uuids", {})
    hit = cache.get(slug)
    if hit and time.monotonic() - hit[0] < UUID_REUSE:
        return hit[1]
    uuid = superset_client().embedded_uuid(slug)
    if uuid:
        cache[slug] = (time.monotonic(), uuid)
    return uuid


class BiView(BaseView):
    route_base = "/bi"
    default_view = "overview"
    archives_module = MODULE

    @expose("/overview")
    def overview(self):
        return self.render_template("bi/overview.html", title=_("数据概览"), appbuilder=self.appbuilder,
                                    dashboards=dashboards(bundle()),
                                    superset_url=current_app.config["ARCHIVES_SUPERSET_URL"].rstrip("/"))

    @expose("/guest-token/<slug>")
    def guest_token(self, slug):
        board = by_slug(slug, bundle())
        if board is None:
            return jsonify(message=_("没有该仪表板")), 404
        session = current_app.appbuilder.sm.session
        codes = scope_agency_codes(session, g.user)
        if not codes:
            return jsonify(message=_("您的账号没有数据范围，不能查看仪表板")), 403
        try:
            uuid = embedded_uuid(slug)
            if uuid is None:
                return jsonify(message=_("仪表板“%(title)s”尚未开启嵌入（请运行 archives superset sync）",
                                         title=board.title)), 503
            user = g.user
            token = superset_client().guest_token(uuid, {
                "username": user.username, "first_name": user.first_name or "", "last_name": user.last_name or ""},
                rls_clause(codes))
        except SupersetError as exc:
            current_app.logger.warning("guest token for %s: %s", slug, exc)
            return jsonify(message=_("统计分析平台暂不可用，请稍后再试")), 503
        return jsonify(token=token, uuid=uuid)
