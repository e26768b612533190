"""个人快捷受理 → 档案材料管理 (with 补充材料): find a person, their 目录, 收集 / 鉴别 / 归档 / 修改 / 删除.

* `/materials/` — one search box (档案编号, 姓名, 身份证, 拼音首字母: the person list's search) and, without a
  search, the agency's materials waiting for 鉴别 (`?waiting=identify`) or 归档 (`?waiting=archive`), keyset pages.
* `/materials/person/<person_id>` — the 目录 in the standard order (grouped by class), the materials not yet
  archived with checkboxes for a batch 鉴别 / 归档, and the 收集 form (several rows at once).
* `/materials/<id>/edit`, `/materials/<id>/delete` — 修改 (optimistic lock: version + the values the form was
  built from) and 删除 (only before 归档).

Every write is a command of `archives_domain.business.materials` (audited there). Bad input answers 400 with
each bad field named beside it; a stale version 409 naming the other editor; nothing typed is lost.
"""
from __future__ import annotations

import json

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_wtf import FlaskForm

from archives_domain import person_search
from archives_domain.business import fields, material_classes, materials
from archives_domain.business.base import BusinessError, ConflictError, FieldErrors
from archives_domain.paging import PagingError

from .. import business_ui, listing
from ..access import can, requires
from ..i18n import N_, _
from ..security.permissions import forbidden
from ..person import search as person_views

NO_STORE = business_ui.NO_STORE
# Texts held as data (field labels, stages, conclusions, class names) that the pages show through `tr()`.
DATA_TEXTS = (N_("材料名称"), N_("类别"), N_("形成时间"), N_("页数"), N_("份数"), N_("收到日期"), N_("补充材料"),
              N_("经办人"), N_("备注"), N_("收集"), N_("鉴别"), N_("归档"), N_("合格归档"), N_("退回补充"),
              N_("不予归档"), N_("待鉴别"), N_("待归档"),
              N_("第一类 履历材料"), N_("第二类 自传和思想材料"), N_("第三类 考核鉴定材料"),
              N_("第四类 学历学位、专业技术职务（职称）、学术评鉴和教育培训材料"), N_("第五类 政审、审计和审核材料"),
              N_("第六类 党、团材料"), N_("第七类 表彰奖励材料"), N_("第八类 违规违纪违法处理处分材料"),
              N_("第九类 工资、任免、出国和会议代表等材料"), N_("第十类 其他可供组织参考的材料"),
              N_("履历材料"), N_("自传和思想材料"), N_("考核鉴定材料"), N_("学历学位材料"),
              N_("职业（执业）资格和专业技术职务（职称）材料"), N_("学术评鉴和科研学术成果材料"), N_("教育培训材料"),
              N_("政审、审计和审核材料"), N_("党、团材料"), N_("表彰奖励材料"), N_("违规违纪违法处理处分材料"),
              N_("工资待遇审批材料"), N_("录用、聘用、任免、转任、职务职级晋升、调动、退（离）休材料"),
              N_("出国（境）审批材料"), N_("当选代表会议代表或者委员材料"), N_("其他可供组织参考的材料"))
ADD_ROWS = 3  # rows of the 收集 form (a clerk adds several materials at once)
WAITING_LABELS = {"identify": "待鉴别", "archive": "待归档"}


def rows_from_form(form) -> list[dict[str, str]]:
    """The 收集 form's rows (`rows-<i>-<field>`) as a list of dicts, in row order."""
    n = min(max(int(form.get("rows-count") or ADD_ROWS) if str(form.get("rows-count", "")).isdigit() else ADD_ROWS,
                1), 20)
    return [{s.name: form.get(f"rows-{i}-{s.name}", "") for s in materials.MATERIAL_FIELDS} for i in range(n)]


def _versions(form, ids) -> dict[str, str]:
    return {str(i): form.get(f"v-{i}") for i in ids}


def _ids(form) -> list[int]:
    return [int(x) for x in form.getlist("ids") if str(x).isdigit()][:500]


class MaterialsView(BaseView):
    route_base = "/materials"
    default_view = "index"
    archives_module = "personal.materials"

    # -- find a person; the lists of materials waiting -----------------------------------------------------
    @expose("/")
    @requires("material.read")
    def index(self):
        args = {"q": request.args.get("q", "").strip()[:64]}
        waiting = request.args.get("waiting") or "identify"
        if waiting not in WAITING_LABELS:
            waiting = "identify"
        if args["q"]:
            return self._search(args)
        ctx = business_ui.context()
        try:
            req = listing.page_request(len(materials.PENDING_ORDER))
            page, total, persons = materials.pending(ctx, waiting, req)
        except PagingError as exc:
            return self._index(args, waiting, error=str(exc)), 400, NO_STORE
        nav = listing.pager(page, total, {"waiting": waiting}, req.size,
                            label=lambda n: _("共 %(n)s 份材料", n=n))
        return self._index(args, waiting, pending=page.rows, persons=persons, nav=nav), 200, NO_STORE

    def _search(self, args):
        s = self.appbuilder.session
        try:
            page, total, size = person_views.list_page(s, args)
        except (PagingError, person_search.SearchError) as exc:
            return self._index(args, None, error=str(exc)), 400, NO_STORE
        agencies = person_views.agencies(s)
        rows = [person_views.as_dict(p, agencies) for p in page.rows]
        keep = {} if person_views.is_id_query(args["q"]) else args  # never an ID number in a link
        shown = {"q": ""} if person_views.is_id_query(args["q"]) else args
        return self._index(shown, None, persons_found=rows,
                           nav=listing.pager(page, total, keep, size)), 200, NO_STORE

    def _index(self, args, waiting, *, pending=(), persons=None, persons_found=None, nav=None, error=None):
        return self.render_template("materials/index.html", title=_("档案材料管理"), args=args, waiting=waiting,
                                    waiting_labels=WAITING_LABELS, pending=list(pending), persons=persons or {},
                                    persons_found=persons_found, nav=nav, error=error,
                                    classes=material_classes.by_code())

    # -- the person's 目录 and forms --------------------------------------------------------------------------
    @expose("/person/<int:person_id>")
    @requires("material.read")
    def person(self, person_id: int):
        return self._person_page(person_id)

    def _person_page(self, person_id: int, *, status: int = 200, add_values=None, add_errors=None, batch=None,
                     batch_errors=None, message=None, conflict=False, selected=()):
        ctx = business_ui.context()
        person, sections, rest = materials.catalogue(ctx, person_id)
        user = g.user
        today = ctx.today.isoformat()
        # a material for a file that already holds archived ones is a 补充材料 (the clerk may untick it)
        supplement = "1" if sections else ""
        add_values = add_values or [{"received_date": today, "handler": ctx.actor.label, "is_supplement": supplement}
                                    for _ in range(ADD_ROWS)]
        batch = batch or {"identified_by": ctx.actor.label, "identified_date": today, "archived_date": today}
        return self.render_template(
            "materials/person.html", title=_("档案材料") + f" {person.archive_no}", person=person,
            sections=sections, rest=rest, classes=material_classes.filing_classes(),
            class_names={c.code: c.name for c in material_classes.classes()}, add_specs=materials.MATERIAL_FIELDS,
            add_values=add_values, add_errors=add_errors or {}, batch=batch, batch_errors=batch_errors or {},
            results=materials.RESULTS, message=message, conflict=conflict, selected={int(i) for i in selected},
            may_identify=can(user, "material.identify"), may_archive=can(user, "material.archive"),
            refusal=materials.refusal, form=FlaskForm()), status, NO_STORE

    @expose("/person/<int:person_id>/collect", methods=["POST"])
    @requires("material.read")
    def collect(self, person_id: int):
        rows = rows_from_form(request.form)
        try:
            added = materials.collect(business_ui.context(), person_id, rows)
        except FieldErrors as exc:
            return self._person_page(person_id, status=400, add_values=rows, add_errors=exc.errors,
                                     message=_("材料未保存，请按提示修改"))
        except BusinessError as exc:
            if exc.status == 404:
                raise
            return self._person_page(person_id, status=exc.status, add_values=rows,
                                     add_errors={exc.field: exc.message} if exc.field else {}, message=exc.message)
        flash(_("已收集 %(n)s 份材料", n=len(added)), "success")
        return redirect(url_for(".person", person_id=person_id) + "#pending")

    @expose("/person/<int:person_id>/batch", methods=["POST"])
    @requires("material.read")
    def batch(self, person_id: int):
        """鉴别 or 归档 of the selected materials (`op` = identify | archive)."""
        op = request.form.get("op")
        if op not in ("identify", "archive"):
            return forbidden(_("未知的操作"))
        if not can(g.user, f"material.{op}"):
            return forbidden(_("您没有鉴别档案材料的权限") if op == "identify" else _("您没有档案材料归档的权限"))
        ids = _ids(request.form)
        command = materials.identify if op == "identify" else materials.archive
        specs = materials.IDENTIFY_FIELDS if op == "identify" else materials.ARCHIVE_FIELDS
        typed = {s.name: request.form.get(s.name, "") for s in materials.IDENTIFY_FIELDS + materials.ARCHIVE_FIELDS}
        ctx = business_ui.context()
        try:
            done = command(ctx, ids, {s.name: typed[s.name] for s in specs}, _versions(request.form, ids))
        except BusinessError as exc:
            if exc.status == 404:
                raise
            errors = exc.errors if isinstance(exc, FieldErrors) else {}
            return self._person_page(person_id, status=exc.status, batch=typed, batch_errors=errors,
                                     message=exc.message, conflict=isinstance(exc, ConflictError), selected=ids)
        flash((_("已鉴别 %(n)s 份材料", n=len(done)) if op == "identify" else _("已归档 %(n)s 份材料", n=len(done))),
              "success")
        return redirect(url_for(".person", person_id=person_id) + ("#pending" if op == "identify" else "#catalogue"))

    # -- one material: 修改, 删除 ----------------------------------------------------------------------------
    @expose("/<int:material_id>/edit", methods=["GET", "POST"])
    @requires("material.read")
    def edit(self, material_id: int):
        ctx = business_ui.context()
        m = materials.get(ctx, material_id)
        if request.method == "GET":
            values = fields.form_values(m, materials.MATERIAL_FIELDS)
            return self._edit_page(m, values, version=m.version, original=_original(values))
        typed = {s.name: request.form.get(s.name, "") for s in materials.MATERIAL_FIELDS}
        version, original = request.form.get("version"), _load_original(request.form.get("_orig"))
        try:
            materials.edit(ctx, material_id, request.form, version, original)
        except BusinessError as exc:
            if exc.status == 404:
                raise
            ctx.session.rollback()
            m = materials.get(ctx, material_id)
            conflict = isinstance(exc, ConflictError)
            if conflict:  # "请核对后再保存": the typed values stay; a second save applies to the current record
                version, original = m.version, _original(fields.form_values(m, materials.MATERIAL_FIELDS))
            return self._edit_page(m, typed, version=version, original=original, message=exc.message,
                                   errors=getattr(exc, "errors", None) or {}, conflict=conflict, status=exc.status)
        flash(_("材料已保存"), "success")
        return redirect(url_for(".person", person_id=m.person_id) + f"#material-{m.id}")

    def _edit_page(self, m, values, *, version, original, message=None, errors=None, conflict=False, status=200):
        return self.render_template(
            "materials/edit.html", title=_("修改档案材料"), m=m, values=values, errors=errors or {},
            specs=materials.MATERIAL_FIELDS, classes=material_classes.filing_classes(), version=version,
            original=json.dumps(original or {}, ensure_ascii=False), message=message, conflict=conflict,
            may_delete=materials.refusal("delete", m) is None, form=FlaskForm()), status, NO_STORE

    @expose("/<int:material_id>/delete", methods=["POST"])
    @requires("material.read")
    def delete(self, material_id: int):
        ctx = business_ui.context()
        m = materials.get(ctx, material_id)
        person_id, title = m.person_id, m.title
        try:
            materials.delete(ctx, material_id, request.form.get("version"))
        except BusinessError as exc:
            if exc.status == 404:
                raise
            return self._person_page(person_id, status=exc.status, message=exc.message,
                                     conflict=isinstance(exc, ConflictError))
        flash(_("已删除材料“%(title)s”", title=title or ""), "success")
        return redirect(url_for(".person", person_id=person_id) + "#pending")


def _original(values: dict[str, str]) -> dict[str, str]:
    """What the edit form was built from, in the terms of `check_version` (a flag as 1/0)."""
    return {k: ("1" if v else "0") if k == "is_supplement" else v for k, v in values.items()}


def _load_original(text: str | None) -> dict | None:
    try:
        data = json.loads(text or "")
    except ValueError:
        return None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None
