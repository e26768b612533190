"""/api/v1/review/: the 待核实 queue as JSON — the same commands, scope and masking as the pages.

GET /api/v1/review/?status=&category=&field=&sheet=&after=|before=|last=1&page_size= → {result, count, next, …}
GET /api/v1/review/<id> → the item with the form's value and the candidates (PII masked without 查看完整身份证号/电话)
POST /api/v1/review/<id>/decide {"choice": accept|choose|type|reject, "candidate", "value", "version",
"person_version"} (session login; the CSRF token in the X-CSRFToken header) → the decided item; errors
{"message", "field", "errors"} with 400 / 404 / 409."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_appbuilder.api import BaseApi, expose as api_expose

from archives_domain import paging
from archives_domain.business import review
from archives_domain.business.base import BusinessError
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import can, requires
from ..business_ui import NO_STORE
from .common import detail_dict, filters_from, item_row


class ReviewApi(BaseApi):
    archives_module = "personal.info.review"
    resource_name = "review"
    allow_browser_login = True
    openapi_spec_tag = "待核实"

    @api_expose("/", methods=["GET"])
    @requires("review.decide", api=True)
    def get_list(self):
        ctx = business_ui.context()
        try:
            f = filters_from(request.args)
            req = listing.page_request(1, default_size=20, sizeable=True)
        except PagingError as exc:
            resp, status = listing.error_json(exc)
            return resp, status, NO_STORE
        page = review.queue(ctx, f, req)
        total = paging.bounded_count(ctx.session, review.filtered(ctx, f))
        names = review.names_of(ctx.session, [r.person_id for r in page.rows if r.person_id])
        return jsonify(**listing.api_fields(page, total, req.size),
                       result=[item_row(r, names) for r in page.rows]), 200, NO_STORE

    @api_expose("/<int:pk>", methods=["GET"])
    @requires("review.decide", api=True)
    def get(self, pk: int):
        ctx = business_ui.context()
        try:
            d = review.detail(ctx, pk, full=can(g.user, "person.unmasked"))
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(result=detail_dict(d)), 200, NO_STORE

    @api_expose("/<int:pk>/decide", methods=["POST"])
    @requires("review.decide", api=True)
    def decide(self, pk: int):
        ctx = business_ui.context()
        body = request.get_json(silent=True) or {}
        try:
            review.decide(ctx, pk, str(body.get("choice") or ""), value=body.get("value"),
                          candidate=body.get("candidate"), expected_version=body.get("version"),
                          person_version=body.get("person_version"))
            d = review.detail(ctx, pk, full=can(g.user, "person.unmasked"))
        except BusinessError as exc:
            ctx.session.rollback()
            return business_ui.api_error(exc)
        return jsonify(result=detail_dict(d)), 200, NO_STORE
