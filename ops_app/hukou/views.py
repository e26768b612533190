"""/hukou: the 集体户口代理 list and the household page of a person (迁入, 修改, 迁出, 户籍卡借阅/归还, 子女挂靠,
images). Every write calls a command of `archives_domain.business.hukou`; a refused one re-shows the page
with everything typed and each bad field named (400), a stale form the other editor's change (409).

URLs (contract with the other modules): `/hukou/` (list + search), `/hukou/person/<person_id>` (the person's
household: 迁入 when there is none), `/hukou/<id>` (one household, also a moved-out one).
"""
from __future__ import annotations

import json

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_wtf import FlaskForm

from archives_domain import paging
from archives_domain.business import attachments, fields
from archives_domain.business import hukou as H
from archives_domain.business.base import BusinessError, ConflictError, FieldErrors
from archives_domain.models import Person
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import can, requires
from ..i18n import N_, _

MODULE_KEY = "personal.business.hukou"
# the field labels and values of archives_domain.business.hukou, shown through tr(): marked for the catalogue
LABELS = (N_("户籍编号"), N_("户籍原所在地"), N_("落户时间"), N_("工作单位"), N_("迁户原因"), N_("迁入派出所"), N_("迁入受理时间"),
          N_("迁入经办人"), N_("备注"), N_("迁出受理时间"), N_("迁出时间"), N_("迁出地址"), N_("借用人"), N_("借出日期"),
          N_("应还日期"), N_("借用原因"), N_("经办人"), N_("归还日期"), N_("姓名"), N_("与户主关系"), N_("身份证"),
          N_("出生日期"), N_("状态"), N_("落户时间（起）"), N_("落户时间（止）"), N_("在户"), N_("已迁出"), N_("子"),
          N_("女"))
PAGE = 20


def _search_args() -> dict[str, str]:
    return {s.name: request.args.get(s.name, "").strip()[:64] for s in H.SEARCH_SPECS}


def list_page(ctx, args: dict, *, sizeable: bool = False):
    query, order = H.search(ctx, args)
    req = listing.page_request(len(order), default_size=PAGE, sizeable=sizeable)
    page = paging.fetch_page(ctx.session, query, order, req)
    return page, paging.bounded_count(ctx.session, query), req.size


def row_dict(ctx, h, person) -> dict:
    return {"id": h.id, "person_id": h.person_id, "archive_no": person.archive_no if person else None,
            "name": person.name if person else None,
            "id_number": ctx.codec.display(person, "id_number", full=False) if person else None,
            "hukou_reg_no": h.hukou_reg_no, "settle_date": h.settle_date.isoformat() if h.settle_date else None,
            "employer": h.employer, "status": h.status, "out_date": h.out_date.isoformat() if h.out_date else None,
            "agency_code": h.agency_code, "version": h.version}


def _original(raw: dict) -> dict | None:
    try:
        data = json.loads(raw.get("_original") or "null")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class HukouView(BaseView):
    route_base = "/hukou"
    default_view = "list"
    archives_module = MODULE_KEY

    # -- list ------------------------------------------------------------------------------------------------
    @expose("/")
    @requires("hukou.manage")
    def list(self):
        ctx = business_ui.context()
        args = _search_args()
        try:
            page, total, size = list_page(ctx, args)
        except FieldErrors as exc:
            return self._list(args, errors=exc.errors), 400, business_ui.NO_STORE
        except (PagingError, BusinessError) as exc:
            return self._list(args, error=str(exc)), 400, business_ui.NO_STORE
        persons = H.persons_of(ctx, page.rows)
        rows = [row_dict(ctx, h, persons.get(h.person_id)) for h in page.rows]
        keep = {k: v for k, v in args.items() if k != "id_number"}  # never an ID number in a link
        nav = listing.pager(page, total, keep, size, label=lambda n: _("共 %(n)s 户", n=n))
        return self._list({**args, "id_number": ""}, rows=rows, nav=nav), 200, business_ui.NO_STORE

    def _list(self, args, *, rows=(), nav=None, error=None, errors=None):
        return self.render_template("hukou/list.html", title=_("集体户口代理"), args=args, rows=list(rows), nav=nav,
                                    error=error, errors=errors or {}, specs=H.SEARCH_SPECS,
                                    statuses=H.STATUSES)

    @expose("/open")
    @requires("hukou.manage")
    def by_archive_no(self):
        """The household page of the person with this 档案编号 (迁入 when none): the list's 打开 box."""
        ctx = business_ui.context()
        p = H.person_by_archive_no(ctx, request.args.get("archive_no", ""))
        return redirect(url_for("HukouView.person", person_id=p.id))

    # -- pages -----------------------------------------------------------------------------------------------
    @expose("/person/<int:person_id>")
    @requires("hukou.manage")
    def person(self, person_id: int):
        ctx = business_ui.context()
        p = H.get_in_scope(ctx, Person, person_id, "人员")
        current = H.current_household(ctx, p.id)
        if current is not None:
            return self._page(ctx, p, current)
        return self._page(ctx, p, None)

    @expose("/<int:hukou_id>")
    @requires("hukou.manage")
    def show(self, hukou_id: int):
        ctx = business_ui.context()
        h = H.get_household(ctx, hukou_id)
        return self._page(ctx, H.get_in_scope(ctx, Person, h.person_id, "人员"), h)

    def _page(self, ctx, p, h, *, form=None, values=None, errors=None, message=None, conflict=False, status=200):
        """The household page; `form` names the form whose `values` (as typed) and `errors` are shown."""
        user = g.user
        history = [x for x in H.households_of(ctx, p.id) if h is None or x.id != h.id]
        defaults = {"employer": p.employer_name or "", "in_handler": business_ui.actor().label,
                    "in_accept_date": ctx.today.isoformat()}
        forms = {
            "move_in": defaults, "loan": {"loan_date": ctx.today.isoformat(), "handler": business_ui.actor().label},
            "move_out": {"out_accept_date": ctx.today.isoformat()}, "dependent": {},
            "return": {"return_date": ctx.today.isoformat()},
        }
        if h is not None:
            specs = H.ALL_SPECS if h.status == H.OUT else H.HOUSEHOLD_SPECS
            forms["edit"] = fields.form_values(h, specs, ctx.codec)
        if form:
            forms[form] = values or {}
        # the edit form's lock: what the editor's form was built from; after a conflict the current row (the
        # message named the other's change; saving again now overwrites it knowingly)
        original = json.dumps(fields.form_values(h, H.ALL_SPECS, ctx.codec), ensure_ascii=False) if h else ""
        edit_version, edit_original = (h.version if h else ""), original
        if form == "edit" and not conflict:
            edit_version = (values or {}).get("version", edit_version)
            edit_original = (values or {}).get("_original", original)
        files = attachments.list_for(ctx, "collective_hukou", h.id) if h is not None else []
        loans = H.loans_of(ctx, h) if h is not None else []
        deps = H.dependents_of(ctx, h) if h is not None else []
        return self.render_template(
            "hukou/household.html", title=_("集体户口代理") + f" {p.name or ''}", person=p, h=h, history=history,
            id_display=ctx.codec.display(p, "id_number", full=False), forms=forms, active=form,
            errors=errors or {}, message=message, conflict=conflict, loans=loans,
            open_loan=next((x for x in loans if x.return_date is None), None), deps=deps,
            dep_ids={d.id: ctx.codec.display(d, "id_number", full=False) for d in deps},
            specs={"household": H.HOUSEHOLD_SPECS, "all": H.ALL_SPECS, "out": H.MOVE_OUT_SPECS,
                   "loan": H.LOAN_SPECS, "return": H.RETURN_SPECS, "dependent": H.DEPENDENT_SPECS},
            edit_version=edit_version, edit_original=edit_original,
            files=files, csrf_form=FlaskForm(), may_upload=can(user, "attachment.upload"),
            next_url=request.path), status, business_ui.NO_STORE

    def _run(self, person_id: int | None, hukou_id: int | None, form: str, fn, done: str):
        """Call a command with the posted form; on success back to the household page, else the page again
        with what was typed (400 bad fields / 409 refused or stale)."""
        ctx = business_ui.context()
        raw = request.form.to_dict()
        try:
            h = fn(ctx, raw)
        except BusinessError as exc:
            if exc.status == 404:  # another agency's record or a missing one: the 404 page
                raise
            ctx.session.rollback()
            if hukou_id is not None:
                hh = H.get_household(ctx, hukou_id)
                p = H.get_in_scope(ctx, Person, hh.person_id, "人员")
            else:
                p, hh = H.get_in_scope(ctx, Person, person_id, "人员"), None
            errors = exc.errors if isinstance(exc, FieldErrors) else ({exc.field: exc.message} if exc.field else {})
            return self._page(ctx, p, hh, form=form, values=raw, errors=errors, message=exc.message,
                              conflict=isinstance(exc, ConflictError), status=exc.status)
        flash(done, "success")
        return redirect(url_for("HukouView.show", hukou_id=h))

    # -- writes ----------------------------------------------------------------------------------------------
    @expose("/person/<int:person_id>/move_in", methods=["POST"])
    @requires("hukou.manage")
    def move_in(self, person_id: int):
        return self._run(person_id, None, "move_in", lambda ctx, raw: H.move_in(ctx, person_id, raw).id,
                         _("已办理集体户迁入"))

    @expose("/<int:hukou_id>/edit", methods=["POST"])
    @requires("hukou.manage")
    def edit(self, hukou_id: int):
        return self._run(None, hukou_id, "edit", lambda ctx, raw: H.edit(
            ctx, hukou_id, raw, expected_version=raw.get("version"), original=_original(raw)).id, _("已保存"))

    @expose("/<int:hukou_id>/move_out", methods=["POST"])
    @requires("hukou.manage")
    def move_out(self, hukou_id: int):
        return self._run(None, hukou_id, "move_out", lambda ctx, raw: H.move_out(
            ctx, hukou_id, raw, expected_version=raw.get("version")).id, _("已办理集体户迁出"))

    @expose("/<int:hukou_id>/loans", methods=["POST"])
    @requires("hukou.manage")
    def lend(self, hukou_id: int):
        return self._run(None, hukou_id, "loan", lambda ctx, raw: H.lend_card(
            ctx, hukou_id, raw, expected_version=raw.get("version")).collective_hukou_id, _("户籍卡已借出"))

    @expose("/<int:hukou_id>/loans/<int:loan_id>/return", methods=["POST"])
    @requires("hukou.manage")
    def return_card(self, hukou_id: int, loan_id: int):
        return self._run(None, hukou_id, "return", lambda ctx, raw: H.return_card(
            ctx, loan_id, raw, expected_version=raw.get("version")).collective_hukou_id, _("户籍卡已归还"))

    @expose("/<int:hukou_id>/dependents", methods=["POST"])
    @requires("hukou.manage")
    def add_dependent(self, hukou_id: int):
        return self._run(None, hukou_id, "dependent", lambda ctx, raw: H.add_dependent(
            ctx, hukou_id, raw, expected_version=raw.get("version")).collective_hukou_id, _("已办理子女挂靠落户"))

    @expose("/<int:hukou_id>/dependents/<int:dependent_id>/remove", methods=["POST"])
    @requires("hukou.manage")
    def remove_dependent(self, hukou_id: int, dependent_id: int):
        def run(ctx, raw):
            H.remove_dependent(ctx, dependent_id, expected_version=raw.get("version"))
            return hukou_id
        return self._run(None, hukou_id, "remove", run, _("已取消子女挂靠"))
