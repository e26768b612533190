"""/api/v1/certificate/: the same commands as the pages (session login, CSRF header on POST, same scope).

GET /                 ?q=&kind=&date_from=&date_to=&after=|before=|last=1|page=&page_size=
GET /<id>             the certificate, its content snapshot (masked 身份证) and whether the signature holds
POST /                {"person_id", "kind", "purpose", "recipient_unit", "member_ids": [...], "sections": [...]}
POST /<id>/revoke     {"reason", "version"} (permission 作废证明)
Errors: {"message", "field", "errors"} with 400/403/404/409.
"""
from __future__ import annotations

from flask import g, jsonify, request
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose

from archives_domain.business import certificates
from archives_domain.business.base import BusinessError, NotFound
from archives_domain.models import Person
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import can, requires
from ..i18n import _
from . import web

NO_STORE = business_ui.NO_STORE


def _detail(ctx, cert) -> dict:
    person = ctx.session.get(Person, cert.person_id)
    return {**web.as_dict(cert, person, ctx.codec), "content": certificates.snapshot_of(cert),
            "digest": cert.digest, "signing_key_id": cert.signing_key_id,
            "signature_ok": certificates.signature_ok(ctx.session, cert), "verify_url": web.verify_url(cert)}


class CertificateApi(BaseApi):
    archives_module = "personal.certificate"
    resource_name = "certificate"
    allow_browser_login = True
    openapi_spec_tag = "出具相关证明"

    @api_expose("/", methods=["GET"])
    @requires("certificate.read", api=True)
    def get_list(self):
        ctx = business_ui.context()
        try:
            page, total, size = web.list_page(ctx, web.search_args(), sizeable=True)
        except BusinessError as exc:
            return business_ui.api_error(exc)
        except PagingError as exc:
            resp, status = listing.error_json(exc)
            return resp, status, NO_STORE
        persons = certificates.persons_of(ctx.session, page.rows)
        return jsonify(**listing.api_fields(page, total, size),
                       result=[web.as_dict(c, persons.get(c.person_id), ctx.codec) for c in page.rows]), 200, NO_STORE

    @api_expose("/<int:pk>", methods=["GET"])
    @requires("certificate.read", api=True)
    def get(self, pk: int):
        ctx = business_ui.context()
        try:
            cert = certificates.get(ctx, pk)
        except NotFound as exc:
            return business_ui.api_error(exc)
        return jsonify(result=_detail(ctx, cert)), 200, NO_STORE

    @api_expose("/", methods=["POST"])
    @requires("certificate.read", api=True)
    def post(self):
        ctx = business_ui.context()
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(message=_("请求内容应为 JSON 对象")), 400, NO_STORE
        try:
            cert = certificates.issue(ctx, **web.issue_input(body))
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(result=_detail(ctx, cert)), 201, NO_STORE

    @api_expose("/<int:pk>/revoke", methods=["POST"])
    @requires("certificate.read", api=True)
    def revoke(self, pk: int):
        if not can(g.user, "certificate.revoke"):
            return jsonify(message=_("您没有作废证明的权限")), 403, NO_STORE
        ctx = business_ui.context()
        body = request.get_json(silent=True) or {}
        try:
            cert = certificates.revoke(ctx, pk, body.get("reason"), expected_version=body.get("version"))
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(result=_detail(ctx, cert)), 200, NO_STORE
