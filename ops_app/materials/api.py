"""JSON API of 档案材料 (/api/v1/material/): the same commands and scope as the pages.

GET  /api/v1/material/?waiting=identify|archive&after=|before=|last=1   the agency's materials waiting
GET  /api/v1/material/person/<person_id>                                the 目录 (fixed columns) and the rest
POST /api/v1/material/person/<person_id>   {"materials": [{title, category_code, …}, …]} or one object: 收集
POST /api/v1/material/identify             {"ids": [...], "versions": {id: v}, "identify_result", …}: 鉴别
POST /api/v1/material/archive              {"ids": [...], "versions": {id: v}, "archived_date"}: 归档
GET  /api/v1/material/<id>;  PATCH /api/v1/material/<id> {"version", "original"?, fields…};  DELETE ?version=

Session (browser) login; writes carry the CSRF token (`X-CSRFToken`). Errors: {"message", "field", "errors"}
with 400 (bad fields, each named), 404 (not in scope), 409 (stage rule or another editor's change).
"""
from __future__ import annotations

from flask import g, jsonify, request
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose

from archives_domain.business import fields, materials
from archives_domain.business.base import BusinessError
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import can, requires
from ..i18n import _

NO_STORE = business_ui.NO_STORE


def as_dict(m) -> dict:
    return {"id": m.id, "person_id": m.person_id, "version": m.version, "stage": m.stage, "seq": m.seq,
            **fields.masked_values(m, materials.MATERIAL_FIELDS + materials.IDENTIFY_FIELDS
                                   + materials.ARCHIVE_FIELDS)}


def _body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


class MaterialApi(BaseApi):
    archives_module = "personal.materials"
    resource_name = "material"
    allow_browser_login = True
    openapi_spec_tag = "档案材料"

    @api_expose("/", methods=["GET"])
    @requires("material.read", api=True)
    def pending_list(self):
        ctx = business_ui.context()
        try:
            req = listing.page_request(len(materials.PENDING_ORDER), sizeable=True)
            page, total, persons = materials.pending(ctx, request.args.get("waiting") or "identify", req)
        except PagingError as exc:
            resp, status = listing.error_json(exc)
            return resp, status, NO_STORE
        except BusinessError as exc:
            return business_ui.api_error(exc)
        result = [{**as_dict(m), "archive_no": persons[m.person_id].archive_no, "name": persons[m.person_id].name}
                  for m in page.rows]
        return jsonify(**listing.api_fields(page, total, req.size), result=result), 200, NO_STORE

    @api_expose("/person/<int:person_id>", methods=["GET"])
    @requires("material.read", api=True)
    def catalogue(self, person_id: int):
        try:
            person, sections, rest = materials.catalogue(business_ui.context(), person_id)
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(person={"id": person.id, "archive_no": person.archive_no, "name": person.name},
                       catalogue=materials.catalogue_rows(sections),
                       materials=[as_dict(m) for s in sections for m in s.entries],
                       not_archived=[as_dict(m) for m in rest]), 200, NO_STORE

    @api_expose("/person/<int:person_id>", methods=["POST"])
    @requires("material.read", api=True)
    def collect(self, person_id: int):
        body = _body()
        rows = body.get("materials") if isinstance(body.get("materials"), list) else [body]
        rows = [r if isinstance(r, dict) else {} for r in rows][:100]
        try:
            added = materials.collect(business_ui.context(), person_id, rows)
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(result=[as_dict(m) for m in added]), 201, NO_STORE

    @api_expose("/identify", methods=["POST"])
    @requires("material.read", api=True)
    def identify(self):
        return self._batch("identify", materials.identify)

    @api_expose("/archive", methods=["POST"])
    @requires("material.read", api=True)
    def archive(self):
        return self._batch("archive", materials.archive)

    def _batch(self, op, command):
        if not can(g.user, f"material.{op}"):
            return jsonify(message=str(_("无权访问"))), 403, NO_STORE
        body = _body()
        ids = body.get("ids") if isinstance(body.get("ids"), list) else []
        versions = body.get("versions") if isinstance(body.get("versions"), dict) else {}
        try:
            done = command(business_ui.context(), ids[:500], body, versions)
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(result=[as_dict(m) for m in done]), 200, NO_STORE

    @api_expose("/<int:material_id>", methods=["GET"])
    @requires("material.read", api=True)
    def get(self, material_id: int):
        try:
            return jsonify(result=as_dict(materials.get(business_ui.context(), material_id))), 200, NO_STORE
        except BusinessError as exc:
            return business_ui.api_error(exc)

    @api_expose("/<int:material_id>", methods=["PATCH"])
    @requires("material.read", api=True)
    def patch(self, material_id: int):
        body = _body()
        original = body.get("original") if isinstance(body.get("original"), dict) else None
        try:
            m = materials.edit(business_ui.context(), material_id, body, body.get("version"), original,
                               only_present=True)
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(result=as_dict(m)), 200, NO_STORE

    @api_expose("/<int:material_id>", methods=["DELETE"])
    @requires("material.read", api=True)
    def delete(self, material_id: int):
        try:
            materials.delete(business_ui.context(), material_id, request.args.get("version"))
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(message="已删除"), 200, NO_STORE
