"""个人快捷受理 → 出具相关证明: the pages. Every read and write through `archives_domain.business.certificates`;
another agency's certificate or person is 404; 作废 needs the permission 作废证明."""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_wtf import FlaskForm
from sqlalchemy import select

from archives_domain.business import certificates
from archives_domain.business.base import BusinessError, FieldErrors, NotFound
from archives_domain.models import Agency, Person, PersonFamily
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import can, requires
from ..i18n import _, tr
from ..security.permissions import forbidden
from . import web

NO_STORE = business_ui.NO_STORE


def _agencies(s) -> dict[str, str]:
    return dict(s.execute(select(Agency.code, Agency.name)).all())


class CertificateView(BaseView):
    route_base = "/certificates"
    default_view = "list"
    archives_module = "personal.certificate"

    @expose("/")
    @requires("certificate.read")
    def list(self):
        ctx = business_ui.context()
        args = web.search_args()
        try:
            page, total, size = web.list_page(ctx, args)
        except FieldErrors as exc:
            return self._list(args, errors=exc.errors), 400, NO_STORE
        except PagingError as exc:
            return self._list(args, errors={exc.param: str(exc)}), 400, NO_STORE
        persons = certificates.persons_of(ctx.session, page.rows)
        rows = [web.as_dict(c, persons.get(c.person_id), ctx.codec) for c in page.rows]
        shown = dict(args)
        if shown.get("q") and any(ch.isdigit() for ch in shown["q"]) and len(shown["q"]) >= 15:
            shown["q"] = ""  # never a 身份证 number echoed in the page or its links
        nav = listing.pager(page, total, shown, size, label=lambda n: _("共 %(n)s 份", n=n))
        return self._list(shown, rows=rows, nav=nav), 200, NO_STORE

    def _list(self, args, *, rows=(), nav=None, errors=None):
        return self.render_template("certificates/list.html", title=_("出具相关证明"), args=args, rows=list(rows),
                                    nav=nav, errors=errors or {}, kinds=list(certificates.KINDS))

    # -- issuing ------------------------------------------------------------------------------------------
    @expose("/new", methods=["GET", "POST"])
    @requires("certificate.read")
    def new(self):
        ctx = business_ui.context()
        data = request.form if request.method == "POST" else request.args
        person_id = data.get("person_id")
        if not person_id:
            flash(_("请先在人员基础信息中打开人员，再点击“出具证明”"), "info")
            return redirect(url_for("PersonView.list"))
        try:
            person = certificates.get_person(ctx, person_id)
        except NotFound:
            abort(404)
        values = {k: data.get(k, "") for k in ("kind", "purpose", "recipient_unit")}
        values["kind"] = values["kind"] or "存档证明"
        values["member_ids"] = data.getlist("member_ids")
        values["sections"] = data.getlist("sections") if request.method == "POST" else list(certificates.SECTIONS)
        if request.method == "GET":
            return self._form(ctx, person, values), 200, NO_STORE
        try:
            cert = certificates.issue(ctx, **web.issue_input(request.form))
        except FieldErrors as exc:
            return self._form(ctx, person, values, errors=exc.errors, message=exc.message), 400, NO_STORE
        except NotFound:
            abort(404)
        except BusinessError as exc:
            errors = {exc.field: exc.message} if exc.field else {}
            return self._form(ctx, person, values, errors=errors, message=exc.message), exc.status, NO_STORE
        flash(_("已出具%(kind)s %(no)s", kind=tr(cert.cert_type), no=cert.cert_no), "success")
        return redirect(url_for(".show", pk=cert.id))

    def _form(self, ctx, person, values, *, errors=None, message=None):
        family = list(ctx.session.scalars(select(PersonFamily).where(PersonFamily.person_id == person.id)
                                          .order_by(PersonFamily.seq, PersonFamily.id)))
        return self.render_template(
            "certificates/new.html", title=_("出具证明"), person=person, family=family, values=values,
            errors=errors or {}, message=message, kinds=list(certificates.KINDS), sections=certificates.SECTIONS,
            specs=certificates.SPECS, id_masked=ctx.codec.display(person, "id_number", full=False),
            form=FlaskForm())

    # -- one certificate ----------------------------------------------------------------------------------
    @expose("/<int:pk>")
    @requires("certificate.read")
    def show(self, pk: int):
        ctx = business_ui.context()
        cert = self._get(ctx, pk)
        return self._show(ctx, cert), 200, NO_STORE

    def _show(self, ctx, cert, *, errors=None, reason=""):
        person = ctx.session.get(Person, cert.person_id)
        return self.render_template(
            "certificates/show.html", title=_("证明") + f" {cert.cert_no}", cert=cert,
            snap=certificates.snapshot_of(cert), person=person, signature_ok=certificates.signature_ok(ctx.session, cert),
            verify_url=web.verify_url(cert), may_revoke=can(g.user, "certificate.revoke"), errors=errors or {},
            reason=reason, agency_name=_agencies(ctx.session).get(cert.agency_code, cert.agency_code),
            form=FlaskForm())

    @staticmethod
    def _get(ctx, pk):
        try:
            return certificates.get(ctx, pk)
        except NotFound:
            abort(404)

    @expose("/<int:pk>/pdf")
    @requires("certificate.read")
    def pdf(self, pk: int):
        """打印 (inline: the browser's viewer prints it) or 下载 (`?download=1`), audited."""
        ctx = business_ui.context()
        cert = self._get(ctx, pk)
        download = request.args.get("download") == "1"
        data = certificates.render_pdf(cert, web.verify_url(cert))
        certificates.record_print(ctx, cert, download=download)
        return business_ui.send_pdf(data, f"{cert.cert_no}.pdf", download=download)

    @expose("/<int:pk>/revoke", methods=["POST"])
    @requires("certificate.read")
    def revoke(self, pk: int):
        ctx = business_ui.context()
        cert = self._get(ctx, pk)
        if not can(g.user, "certificate.revoke"):
            return forbidden(_("您没有作废证明的权限"))
        reason = request.form.get("reason", "")
        try:
            certificates.revoke(ctx, pk, reason, expected_version=request.form.get("version"))
        except NotFound:
            abort(404)
        except BusinessError as exc:
            ctx.session.rollback()
            cert = self._get(ctx, pk)
            errors = getattr(exc, "errors", None) or {exc.field or "reason": exc.message}
            return self._show(ctx, cert, errors=errors, reason=reason), exc.status, NO_STORE
        flash(_("证明 %(no)s 已作废", no=cert.cert_no), "warning")
        return redirect(url_for(".show", pk=pk))
