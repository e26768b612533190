"""档案转递 pages: 档案转入 (/transfer/in/), 档案转出 (/transfer/out/, also under 可办业务 → 档案转出 as
/personal/transfer_out/), 档案借阅 (/transfer/loan/), and the issued 转递通知单 / 借阅告知单 lists.

Each page calls the commands of `archives_domain.business.transfers` / `loans`; nothing here writes a table.
Lists: search fields of 附件 三.2 and newest-first keyset pages (`transfer_search`); forms: FieldSpecs, no
required field, every bad field named and everything typed kept (400), the optimistic lock (409 naming the
other editor); another agency's record is 404 (the commands' scope).
"""
from __future__ import annotations

from flask import g, redirect, request
from flask_appbuilder import BaseView, expose
from flask_wtf import FlaskForm

from archives_domain.business import loans, transfer_search, transfers
from archives_domain.business.base import BusinessError, ConflictError, FieldErrors, get_in_scope
from archives_domain.business.fields import form_values
from archives_domain.models import ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut, Person
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import can
from ..i18n import _, tr
from ..security.permissions import forbidden
from . import common as C

NO_STORE = business_ui.NO_STORE


def _d(v) -> str:
    return v.isoformat() if v else ""


class RecordView(BaseView):
    """One kind of 档案转递 record: list, new, show, edit (configured by the class attributes)."""

    default_view = "list"
    kind: transfer_search.ListKind
    specs: tuple = ()
    model: type
    owner_type: str | None = None
    heading = ""
    columns: tuple = ()  # (label, function(row) → text)
    needs_person = True

    # -- list ---------------------------------------------------------------------------------------------
    @expose("/")
    def list(self):
        ctx = business_ui.context()
        try:
            args, page, total, size = C.search_page(ctx, self.kind, notices_only=self.notices_only())
        except (FieldErrors, PagingError) as exc:
            message, errors = C.list_error(exc)
            raw = {k: request.args.get(k, "") for k in (*self.kind.fields, "notice_no", "date_from", "date_to")}
            return self._list(raw, error=message, errors=errors), 400, NO_STORE
        persons = C.persons_of(ctx.session, page.rows)
        rows = [{"id": r.id, "person": C.person_cells(persons.get(r.person_id)),
                 "cells": [fn(r) for _label, fn in self.columns]} for r in page.rows]
        nav = listing.pager(page, total, C.keep_args(args), size, label=C.count_label)
        return self._list(args, rows=rows, nav=nav), 200, NO_STORE

    def notices_only(self) -> bool:
        return False

    def _list(self, args, *, rows=(), nav=None, error=None, errors=None):
        return self.render_template("transfer/list.html", title=tr(self.heading), heading=self.heading, args=args,
                                    kind=self.kind, rows=list(rows), nav=nav, error=error, errors=errors or {},
                                    columns=[label for label, _fn in self.columns], ep=request.blueprint,
                                    show_ep=self.show_endpoint(), may_new=self.may_new())

    def show_endpoint(self) -> str:
        return C.endpoint("show")

    def may_new(self) -> bool:
        return True

    # -- new ----------------------------------------------------------------------------------------------
    @expose("/new", methods=["GET", "POST"])
    def new(self):
        ctx = business_ui.context()
        person_id = request.values.get("person_id", "").strip()
        person = get_in_scope(ctx, Person, person_id, "人员") if person_id else None
        if person is None and self.needs_person:
            found = C.find_persons(ctx.session, request.args.get("q", ""))
            return self.render_template("transfer/pick.html", title=tr(self.heading), heading=self.heading,
                                        found=found, q=request.args.get("q", ""), ep=request.blueprint), 200, NO_STORE
        if request.method == "GET":
            return self._form(None, person, values=self.defaults(ctx)), 200, NO_STORE
        if not FlaskForm().validate_on_submit():
            return forbidden(_("表单已过期，请重试"))
        try:
            row = self.create(ctx, person.id if person else None, request.form)
        except FieldErrors as exc:
            return self._form(None, person, values=request.form, errors=exc.errors, message=exc.message), 400, NO_STORE
        except BusinessError as exc:
            if exc.status == 404:
                raise
            return self._form(None, person, values=request.form, message=exc.message), exc.status, NO_STORE
        return redirect(C.url("show", pk=row.id))

    def defaults(self, ctx) -> dict:
        return {"handler": g.user.first_name or g.user.username}

    def create(self, ctx, person_id, form):
        raise NotImplementedError

    def update(self, ctx, pk, form, version, original):
        raise NotImplementedError

    def sections(self, row, person) -> list[tuple[str | None, tuple]]:
        """The form's groups of fields (a heading, the FieldSpecs)."""
        return [(None, self.specs)]

    def _form(self, row, person, *, values, errors=None, message=None, conflict=False):
        return self.render_template(
            "transfer/form.html", title=tr(self.heading), heading=self.heading, row=row,
            person=C.person_cells(person) if person else None, sections=self.sections(row, person),
            values=values, errors=errors or {}, message=message, conflict=conflict, form=FlaskForm(),
            **self._lock(row, conflict), ep=request.blueprint)

    def _lock(self, row, conflict: bool) -> dict:
        """The version and original values the form carries: those the editor opened (kept across a 400), or
        after a conflict the current ones — the typed values stay, a second save is a deliberate overwrite."""
        if row is None:
            return {"orig": {}, "version": ""}
        if request.method == "POST" and not conflict:
            return {"orig": {k[6:]: v for k, v in request.form.items() if k.startswith("_orig_")},
                    "version": request.form.get("version", "")}
        return {"orig": C.original(row, self.specs), "version": row.version}

    # -- show / edit --------------------------------------------------------------------------------------
    @expose("/<int:pk>")
    def show(self, pk: int):
        ctx = business_ui.context()
        row = get_in_scope(ctx, self.model, pk, tr(self.heading) + _("记录"))
        person = ctx.session.get(Person, row.person_id)
        files = C.files_panel(ctx, self.owner_type, row.id) if self.owner_type else None
        return self.render_template(
            "transfer/show.html", title=tr(self.heading), heading=self.heading, row=row,
            person=C.person_cells(person), specs=self.specs, values=form_values(row, self.specs), files=files,
            owner_type=self.owner_type, form=FlaskForm(), ep=request.blueprint, extra=self.show_extra(row),
            agencies=C.agency_names(ctx.session)), 200, NO_STORE

    def show_extra(self, row) -> dict:
        return {}

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    def edit(self, pk: int):
        ctx = business_ui.context()
        row = get_in_scope(ctx, self.model, pk, tr(self.heading) + _("记录"))
        person = ctx.session.get(Person, row.person_id)
        if request.method == "GET":
            return self._form(row, person, values=form_values(row, self.specs)), 200, NO_STORE
        if not FlaskForm().validate_on_submit():
            return forbidden(_("表单已过期，请重试"))
        try:
            self.update(ctx, pk, request.form, request.form.get("version"), C.posted_original(self.specs))
        except FieldErrors as exc:
            return self._form(row, person, values=request.form, errors=exc.errors, message=exc.message,
                              conflict=False), 400, NO_STORE
        except ConflictError as exc:
            row = get_in_scope(ctx, self.model, pk)
            return self._form(row, person, values=request.form, message=exc.message, conflict=True), 409, NO_STORE
        except BusinessError as exc:
            if exc.status == 404:
                raise
            return self._form(row, person, values=request.form, message=exc.message), exc.status, NO_STORE
        return redirect(C.url("show", pk=pk))


def _yes(v) -> str:
    return _("已收回") if v else ""


class TransferInView(RecordView):
    """个人快捷受理 → 可办业务 → 档案转入."""

    route_base = "/transfer/in"
    archives_module = "personal.business.transfer_in"
    kind, specs, model, owner_type = transfer_search.IN, transfers.IN_SPECS, ArchiveTransferIn, "archive_transfer_in"
    heading = "档案转入"
    needs_person = False
    columns = (("何处转入", lambda r: r.from_unit or ""), ("转入日期", lambda r: _d(r.in_date)),
               ("机要编号", lambda r: r.confidential_no or ""), ("档案类别", lambda r: r.archive_kind or ""),
               ("材料份数", lambda r: "" if r.material_count is None else str(r.material_count)),
               ("上架日期", lambda r: _d(r.shelved_date)), ("经办人", lambda r: r.handler or ""))

    def sections(self, row, person):
        if row is not None or person is not None:
            return [(None, self.specs)]
        return [("人员信息", transfers.PERSON_SPECS), ("转入信息", self.specs)]

    def defaults(self, ctx):
        return {**super().defaults(ctx), "in_date": ctx.today.isoformat(), "archive_kind": "正式"}

    def create(self, ctx, person_id, form):
        return transfers.receive(ctx, form, person_id=person_id)

    def update(self, ctx, pk, form, version, original):
        return transfers.update_in(ctx, pk, form, expected_version=version, original=original)


class TransferOutView(RecordView):
    """档案转递 → 档案转出 (merged 转出档案/审核/机要寄出), with 回执, 撤销 and the 转递通知单."""

    route_base = "/transfer/out"
    kind, specs, model = transfer_search.OUT, transfers.OUT_SPECS, ArchiveTransferOut
    owner_type = "archive_transfer_out"
    heading = "档案转出"
    columns = (("转往单位", lambda r: r.to_unit or ""), ("转出日期", lambda r: _d(r.out_date)),
               ("机要编号", lambda r: r.confidential_no or ""), ("转递方式", lambda r: r.delivery_mode or ""),
               ("转出回执", lambda r: _yes(r.receipt_returned)), ("状态", lambda r: tr(r.status)),
               ("转递通知单", lambda r: r.notice_no or ""))

    def defaults(self, ctx):
        return {**super().defaults(ctx), "out_date": ctx.today.isoformat(), "delivery_mode": "机要通信"}

    def create(self, ctx, person_id, form):
        return transfers.register_out(ctx, person_id, form)

    def update(self, ctx, pk, form, version, original):
        return transfers.update_out(ctx, pk, form, expected_version=version, original=original)

    def show_extra(self, row):
        return {"notice": True, "receipt": row.status not in ("已撤销",) and not row.receipt_returned,
                "cancel": row.status != "已撤销" and can(g.user, "transfer_out.cancel"),
                "editable": row.status != "已撤销", "today": business_ui.today().isoformat()}

    @expose("/<int:pk>/receipt", methods=["POST"])
    def receipt(self, pk: int):
        """转出回执: tick the box with its date (the image is uploaded in the panel beside it)."""
        if not FlaskForm().validate_on_submit():
            return forbidden(_("表单已过期，请重试"))
        transfers.record_receipt(business_ui.context(), pk, request.form, expected_version=request.form.get("version"))
        return redirect(C.url("show", pk=pk))

    @expose("/<int:pk>/cancel", methods=["POST"])
    def cancel(self, pk: int):
        """撤销 (permission 撤销档案转出): the person's previous state comes back."""
        if not can(g.user, "transfer_out.cancel"):
            return forbidden(_("您没有撤销档案转出的权限"))
        if not FlaskForm().validate_on_submit():
            return forbidden(_("表单已过期，请重试"))
        transfers.cancel_out(business_ui.context(), pk, expected_version=request.form.get("version"))
        return redirect(C.url("show", pk=pk))

    @expose("/<int:pk>/notice.pdf")
    def notice(self, pk: int):
        """转递通知单: 打印 (inline) or 下载 (?download=1), each audited."""
        return C.send_document(transfers.notice_pdf, pk)


class PersonalTransferOutView(TransferOutView):
    """个人快捷受理 → 可办业务 → 档案转出 (图片上传): the same pages under the 4th-level menu entry."""

    route_base = "/personal/transfer_out"
    archives_module = "personal.business.transfer_out"


class LoanView(RecordView):
    """档案转递 → 档案借阅, with 归还 and the 借阅告知单."""

    route_base = "/transfer/loan"
    kind, specs, model = transfer_search.LOAN, loans.LOAN_SPECS, ArchiveLoan
    heading = "档案借阅"
    columns = (("借阅单位", lambda r: r.borrower_unit or ""), ("借阅日期", lambda r: _d(r.loan_date)),
               ("借阅原因", lambda r: r.reason or ""), ("归还日期", lambda r: _d(r.due_date)),
               ("实际归还日期", lambda r: _d(r.return_date)), ("状态", lambda r: tr(r.status)),
               ("借阅告知单", lambda r: r.notice_no or ""))

    def defaults(self, ctx):
        return {**super().defaults(ctx), "loan_date": ctx.today.isoformat()}

    def create(self, ctx, person_id, form):
        return loans.lend(ctx, person_id, form)

    def update(self, ctx, pk, form, version, original):
        return loans.update_loan(ctx, pk, form, expected_version=version, original=original)

    def show_extra(self, row):
        return {"notice": True, "give_back": row.status == "借出", "editable": True,
                "today": business_ui.today().isoformat()}

    @expose("/<int:pk>/return", methods=["POST"])
    def give_back(self, pk: int):
        """归还: the archive is 在库 again."""
        if not FlaskForm().validate_on_submit():
            return forbidden(_("表单已过期，请重试"))
        loans.give_back(business_ui.context(), pk, request.form, expected_version=request.form.get("version"))
        return redirect(C.url("show", pk=pk))

    @expose("/<int:pk>/notice.pdf")
    def notice(self, pk: int):
        return C.send_document(loans.notice_pdf, pk)


class TransferNoticeView(RecordView):
    """档案转出 → 转递通知单: the issued notices by number and date, each with 打印/下载."""

    route_base = "/transfer/notices/out"
    kind, specs, model = transfer_search.OUT, (), ArchiveTransferOut
    heading = "转递通知单"
    doc_endpoint = "TransferOutView"
    columns = (("编号", lambda r: r.notice_no or ""), ("转往单位", lambda r: r.to_unit or ""),
               ("转出日期", lambda r: _d(r.out_date)), ("状态", lambda r: tr(r.status)))

    def notices_only(self):
        return True

    def may_new(self):
        return False

    def show_endpoint(self):
        return f"{self.doc_endpoint}.show"

    # a list only: no new/show/edit of its own (the record's pages are those of 档案转出 / 档案借阅)
    new = show = edit = None

    def render_template(self, template, **kw):
        if template == "transfer/list.html":
            kw.update(notices=True, doc_ep=self.doc_endpoint)
        return super().render_template(template, **kw)


class LoanNoticeView(TransferNoticeView):
    """档案借阅 → 借阅告知单."""

    route_base = "/transfer/notices/loan"
    kind, model = transfer_search.LOAN, ArchiveLoan
    heading = "借阅告知单"
    doc_endpoint = "LoanView"
    columns = (("编号", lambda r: r.notice_no or ""), ("借阅单位", lambda r: r.borrower_unit or ""),
               ("借阅日期", lambda r: _d(r.loan_date)), ("状态", lambda r: tr(r.status)))

