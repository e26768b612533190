"""/api/v1/hukou/: the 集体户口代理 commands and queries as JSON (the same commands as the pages).

GET  /api/v1/hukou/?hukou_reg_no=&name=&id_number=&status=&settle_from=&settle_to=&after=|before=|page=&page_size=
GET  /api/v1/hukou/<id>                         the household with its card loans and dependents
GET  /api/v1/hukou/person/<person_id>           the person's households (current first)
POST /api/v1/hukou/person/<person_id>           集体户迁入 (fields of HOUSEHOLD_SPECS)
PUT  /api/v1/hukou/<id>                         修改 (+ version, optional original {field: value})
POST /api/v1/hukou/<id>/move_out                集体户迁出 (+ version)
POST /api/v1/hukou/<id>/loans                   户籍卡借阅 (+ version)
POST /api/v1/hukou/loans/<loan_id>/return       户籍卡归还 (+ version of the household)
POST /api/v1/hukou/<id>/dependents              子女挂靠落户 (+ version)
DELETE /api/v1/hukou/dependents/<dependent_id>?version=   取消挂靠

Session login, CSRF header (X-CSRFToken) on writes; errors {"message", "field", "errors"} with 400/404/409.
"""
from __future__ import annotations

from flask import jsonify, request
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose

from archives_domain.business import fields
from archives_domain.business import hukou as H
from archives_domain.business.base import BusinessError, FieldErrors
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import requires
from .views import list_page, row_dict


def _body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _household(ctx, h) -> dict:
    p = H.get_in_scope(ctx, H.Person, h.person_id, "人员")
    out = row_dict(ctx, h, p) | fields.masked_values(h, H.ALL_SPECS)
    out["card_loans"] = [{"id": x.id, **fields.masked_values(x, H.LOAN_SPECS + H.RETURN_SPECS)}
                         for x in H.loans_of(ctx, h)]
    out["dependents"] = [{"id": d.id, **fields.masked_values(d, H.DEPENDENT_SPECS, ctx.codec)}
                         for d in H.dependents_of(ctx, h)]
    return out


class HukouApi(BaseApi):
    archives_module = "personal.business.hukou"
    resource_name = "hukou"
    allow_browser_login = True
    openapi_spec_tag = "集体户口代理"

    def _call(self, fn, status=200):
        ctx = business_ui.context()
        try:
            h = fn(ctx, _body())
        except BusinessError as exc:
            ctx.session.rollback()
            return business_ui.api_error(exc)
        ctx.session.expire_all()
        return jsonify(result=_household(ctx, H.get_household(ctx, h))), status, business_ui.NO_STORE

    @api_expose("/", methods=["GET"])
    @requires("hukou.manage", api=True)
    def get_list(self):
        ctx = business_ui.context()
        args = {s.name: request.args.get(s.name, "").strip()[:64] for s in H.SEARCH_SPECS}
        try:
            page, total, size = list_page(ctx, args, sizeable=True)
        except FieldErrors as exc:
            return business_ui.api_error(exc)
        except PagingError as exc:
            resp, status = listing.error_json(exc)
            return resp, status, business_ui.NO_STORE
        persons = H.persons_of(ctx, page.rows)
        return jsonify(**listing.api_fields(page, total, size),
                       result=[row_dict(ctx, h, persons.get(h.person_id)) for h in page.rows]), 200, business_ui.NO_STORE

    @api_expose("/<int:hukou_id>", methods=["GET"])
    @requires("hukou.manage", api=True)
    def get(self, hukou_id: int):
        ctx = business_ui.context()
        try:
            return jsonify(result=_household(ctx, H.get_household(ctx, hukou_id))), 200, business_ui.NO_STORE
        except BusinessError as exc:
            return business_ui.api_error(exc)

    @api_expose("/person/<int:person_id>", methods=["GET"])
    @requires("hukou.manage", api=True)
    def of_person(self, person_id: int):
        ctx = business_ui.context()
        try:
            H.get_in_scope(ctx, H.Person, person_id, "人员")
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(result=[_household(ctx, h) for h in H.households_of(ctx, person_id)]), 200, \
            business_ui.NO_STORE

    @api_expose("/person/<int:person_id>", methods=["POST"])
    @requires("hukou.manage", api=True)
    def move_in(self, person_id: int):
        return self._call(lambda ctx, b: H.move_in(ctx, person_id, b).id, 201)

    @api_expose("/<int:hukou_id>", methods=["PUT"])
    @requires("hukou.manage", api=True)
    def edit(self, hukou_id: int):
        return self._call(lambda ctx, b: H.edit(ctx, hukou_id, b, expected_version=b.get("version"),
                                                original=b.get("original") if isinstance(b.get("original"), dict)
                                                else None).id)

    @api_expose("/<int:hukou_id>/move_out", methods=["POST"])
    @requires("hukou.manage", api=True)
    def move_out(self, hukou_id: int):
        return self._call(lambda ctx, b: H.move_out(ctx, hukou_id, b, expected_version=b.get("version")).id)

    @api_expose("/<int:hukou_id>/loans", methods=["POST"])
    @requires("hukou.manage", api=True)
    def lend(self, hukou_id: int):
        return self._call(lambda ctx, b: H.lend_card(ctx, hukou_id, b, expected_version=b.get("version"))
                          .collective_hukou_id, 201)

    @api_expose("/loans/<int:loan_id>/return", methods=["POST"])
    @requires("hukou.manage", api=True)
    def return_card(self, loan_id: int):
        return self._call(lambda ctx, b: H.return_card(ctx, loan_id, b, expected_version=b.get("version"))
                          .collective_hukou_id)

    @api_expose("/<int:hukou_id>/dependents", methods=["POST"])
    @requires("hukou.manage", api=True)
    def add_dependent(self, hukou_id: int):
        return self._call(lambda ctx, b: H.add_dependent(ctx, hukou_id, b, expected_version=b.get("version"))
                          .collective_hukou_id, 201)

    @api_expose("/dependents/<int:dependent_id>", methods=["DELETE"])
    @requires("hukou.manage", api=True)
    def remove_dependent(self, dependent_id: int):
        def run(ctx, _b):
            d = H.get_in_scope(ctx, H.HukouDependent, dependent_id, "挂靠子女")
            hid = d.collective_hukou_id
            H.remove_dependent(ctx, dependent_id, expected_version=request.args.get("version"))
            return hid
        return self._call(run)
