"""/review: the 待核实 queue (filters, keyset pages, bounded counts per category), the decision page of an item
(the form's value and the feeds' candidates side by side: accept / choose / type / reject) and the 一人多档 pair
page (both records, the other agency's minimally; settle by a transfer or by marking two different persons).

Module 个人快捷受理 → 个人信息管理 → 待核实 (`personal.info.review`); deciding is what the module is for, so the
module permission is the decision's. Another agency's item is a 404 — its pair page is open to an agency
holding one of the pair's records (minimal view)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_wtf import FlaskForm

from archives_domain import paging
from archives_domain.business import review
from archives_domain.business.base import BusinessError, ConflictError, FieldErrors, NotFound, Refused
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import can, requires
from ..business_ui import NO_STORE
from ..i18n import _
from .common import STATUS_ALL, filters_from, keep_args

PAGE = 20
TEMPLATE = "review/item.html"


def _full() -> bool:
    return can(g.user, "person.unmasked")


class ReviewView(BaseView):
    route_base = "/review"
    archives_module = "personal.info.review"
    default_view = "queue"

    @expose("/")
    @requires("review.decide")
    def queue(self):
        ctx = business_ui.context()
        try:
            f = filters_from(request.args)
            req = listing.page_request(1, default_size=PAGE)
        except PagingError as exc:
            return self._queue(ctx, review.Filters(), error=str(exc)), 400, NO_STORE
        page = review.queue(ctx, f, req)
        total = paging.bounded_count(ctx.session, review.filtered(ctx, f))
        nav = listing.pager(page, total, keep_args(f), PAGE, label=lambda n: _("共 %(n)s 条", n=n))
        return self._queue(ctx, f, page=page, nav=nav), 200, NO_STORE

    def _queue(self, ctx, f, *, page=None, nav=None, error=None):
        rows = page.rows if page else []
        return self.render_template(
            "review/queue.html", title=_("待核实"), rows=rows, nav=nav, error=error, f=f,
            names=review.names_of(ctx.session, [r.person_id for r in rows if r.person_id]),
            counts=review.category_counts(ctx), statuses=(*review.STATUSES, STATUS_ALL), sheets=review.SHEETS)

    @expose("/<int:item_id>", methods=["GET", "POST"])
    @requires("review.decide")
    def item(self, item_id: int):
        ctx = business_ui.context()
        if request.method == "GET":
            d = review.detail(ctx, item_id, full=_full())  # NotFound → the 404 page
            if d.item.rule == review.MULTI_RULE:
                return redirect(url_for(".pair", item_id=item_id))
            return self._item(ctx, d), 200, NO_STORE
        form = request.form
        choice = form.get("choice", "")
        try:
            review.decide(ctx, item_id, choice, value=form.get("value"), candidate=form.get("candidate"),
                          expected_version=form.get("version"), person_version=form.get("person_version"))
        except NotFound:
            abort(404)
        except FieldErrors as exc:
            return self._item(ctx, review.detail(ctx, item_id, full=_full()), errors=exc.errors,
                              message=exc.message), 400, NO_STORE
        except ConflictError as exc:
            ctx.session.rollback()
            return self._item(ctx, review.detail(ctx, item_id, full=_full()), message=exc.message,
                              conflict=True), 409, NO_STORE
        except BusinessError as exc:
            ctx.session.rollback()
            status = exc.status if isinstance(exc, Refused) else 400
            return self._item(ctx, review.detail(ctx, item_id, full=_full()), message=exc.message,
                              errors={exc.field: exc.message} if exc.field else None), status, NO_STORE
        flash(_("已处理：%(what)s", what=_(review.CHOICES[choice][1])), "success")
        return redirect(url_for(".item", item_id=item_id))

    def _item(self, ctx, d: review.Detail, *, errors=None, message=None, conflict=False):
        form = request.form if request.method == "POST" else {}
        nxt = review.queue(ctx, review.Filters(), paging.PageRequest(size=1, after=(d.item.id,))).rows
        return self.render_template(
            TEMPLATE, title=_("待核实") + f" {d.item.archive_no or ''}", d=d, form=FlaskForm(), typed=form,
            errors=errors or {}, message=message, conflict=conflict, full=_full(),
            decision=review.decision_of(ctx, d.item, full=_full()), next_item=nxt[0].id if nxt else None,
            version=form.get("version") or d.item.version,
            person_version=form.get("person_version") or (d.person.version if d.person else None))

    @expose("/pair/<int:item_id>")
    @requires("review.decide")
    def pair(self, item_id: int):
        ctx = business_ui.context()
        return self._pair(ctx, review.pair(ctx, item_id)), 200, NO_STORE

    def _pair(self, ctx, p: review.Pair, *, message=None):
        own = p.item if p.item.agency_code in ctx.actor.scope else None
        return self.render_template("review/pair.html", title=_("一人多档"), p=p, own=own, form=FlaskForm(),
                                    message=message, may_transfer=own is not None and own.status == review.PENDING)

    @expose("/pair/<int:item_id>/different", methods=["POST"])
    @requires("review.decide")
    def different(self, item_id: int):
        ctx = business_ui.context()
        try:
            review.mark_different(ctx, item_id, expected_version=request.form.get("version"))
        except NotFound:
            abort(404)
        except BusinessError as exc:
            ctx.session.rollback()
            return self._pair(ctx, review.pair(ctx, item_id), message=exc.message), exc.status, NO_STORE
        flash(_("已标记为不同人员，双方的一人多档事项已关闭"), "success")
        return redirect(url_for(".pair", item_id=item_id))
