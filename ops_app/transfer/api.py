"""JSON API of 档案转递: /api/v1/transfer_in/, /api/v1/transfer_out/, /api/v1/loan/ — list (the pages' search
fields and cursors), get, and POST calling the same commands as the pages (session login; a POST carries the
CSRF token in `X-CSRFToken`, as every POST of the app). Errors: {"message", "field", "errors"}."""
from __future__ import annotations

from flask import jsonify, request
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose

from archives_domain.business import loans, transfer_search, transfers
from archives_domain.business.base import BusinessError, FieldErrors, get_in_scope
from archives_domain.business.fields import masked_values
from archives_domain.models import ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut, Person
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import requires
from . import common as C

NO_STORE = business_ui.NO_STORE


class _RecordApi(BaseApi):
    allow_browser_login = True
    capability = ""
    kind: transfer_search.ListKind
    model: type
    specs: tuple = ()

    def _dict(self, row, person) -> dict:
        return {"id": row.id, "version": row.version, "agency_code": row.agency_code, "person_id": row.person_id,
                "person": C.person_cells(person), "status": getattr(row, "status", None),
                "notice_no": getattr(row, "notice_no", None), **masked_values(row, self.specs)}

    def _list(self):
        ctx = business_ui.context()
        try:
            _args, page, total, size = C.search_page(ctx, self.kind)
        except FieldErrors as exc:
            return business_ui.api_error(exc)
        except PagingError as exc:
            resp, status = listing.error_json(exc)
            return resp, status, NO_STORE
        persons = C.persons_of(ctx.session, page.rows)
        return jsonify(**listing.api_fields(page, total, size),
                       result=[self._dict(r, persons.get(r.person_id)) for r in page.rows]), 200, NO_STORE

    def _get(self, pk):
        ctx = business_ui.context()
        try:
            row = get_in_scope(ctx, self.model, pk)
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(result=self._dict(row, ctx.session.get(Person, row.person_id))), 200, NO_STORE

    def _post(self, command):
        ctx = business_ui.context()
        body = request.get_json(silent=True) or request.form.to_dict()
        try:
            row = command(ctx, body)
        except BusinessError as exc:
            return business_ui.api_error(exc)
        return jsonify(result=self._dict(row, ctx.session.get(Person, row.person_id))), 201, NO_STORE


class TransferInApi(_RecordApi):
    """档案转入: POST {person_id} or the new person's fields, with the 转入 fields."""

    resource_name = "transfer_in"
    archives_module = "personal.business.transfer_in"
    openapi_spec_tag = "档案转入"
    kind, model, specs = transfer_search.IN, ArchiveTransferIn, transfers.IN_SPECS

    @api_expose("/", methods=["GET"])
    @requires("transfer.in", api=True)
    def get_list(self):
        return self._list()

    @api_expose("/<int:pk>", methods=["GET"])
    @requires("transfer.in", api=True)
    def get(self, pk: int):
        return self._get(pk)

    @api_expose("/", methods=["POST"])
    @requires("transfer.in", api=True)
    def post(self):
        return self._post(lambda ctx, b: transfers.receive(ctx, b, person_id=b.get("person_id")))


class TransferOutApi(_RecordApi):
    """档案转出: POST {person_id, to_unit, out_date, …} registers it (the person follows, 三.4)."""

    resource_name = "transfer_out"
    archives_module = "transfer.out"
    openapi_spec_tag = "档案转出"
    kind, model, specs = transfer_search.OUT, ArchiveTransferOut, transfers.OUT_SPECS

    @api_expose("/", methods=["GET"])
    @requires("transfer.out", api=True)
    def get_list(self):
        return self._list()

    @api_expose("/<int:pk>", methods=["GET"])
    @requires("transfer.out", api=True)
    def get(self, pk: int):
        return self._get(pk)

    @api_expose("/", methods=["POST"])
    @requires("transfer.out", api=True)
    def post(self):
        return self._post(lambda ctx, b: transfers.register_out(ctx, b.get("person_id"), b))


class LoanApi(_RecordApi):
    """档案借阅: POST {person_id, borrower_unit, loan_date, due_date, …}; POST /<id>/return 归还."""

    resource_name = "loan"
    archives_module = "transfer.loan"
    openapi_spec_tag = "档案借阅"
    kind, model, specs = transfer_search.LOAN, ArchiveLoan, loans.LOAN_SPECS

    def _dict(self, row, person):
        return {**super()._dict(row, person), "return_date": row.return_date.isoformat() if row.return_date else None}

    @api_expose("/", methods=["GET"])
    @requires("transfer.loan", api=True)
    def get_list(self):
        return self._list()

    @api_expose("/<int:pk>", methods=["GET"])
    @requires("transfer.loan", api=True)
    def get(self, pk: int):
        return self._get(pk)

    @api_expose("/", methods=["POST"])
    @requires("transfer.loan", api=True)
    def post(self):
        return self._post(lambda ctx, b: loans.lend(ctx, b.get("person_id"), b))

    @api_expose("/<int:pk>/return", methods=["POST"])
    @requires("transfer.loan", api=True)
    def give_back(self, pk: int):
        return self._post(lambda ctx, b: loans.give_back(ctx, pk, b, expected_version=b.get("version")))
