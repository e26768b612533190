"""个人快捷受理 → 个人信息管理: the person list and the person page, one tab per data page.

Reading needs the module 基础信息 (`person.read`); every POST that changes a data page needs 编辑个人信息
(`person.edit`, 403 without it) and goes through the commands of `archives_domain.business.person_pages`
(scope: another agency's person is 404; 乐观锁: a stale save is 409 naming the other editor and the fields,
with everything typed kept; bad input is 400 naming each field, nothing typed lost).

Beyond reading and editing (each guarded by its own permission on the 用户权限 tree and audited — refusals
too): 查看完整信息 (POST `/person/<id>/full`), 打印 (`/person/<id>/print`, whole numbers only by POST),
图片 through `/files/person/<id>` (the `attachments_panel`); the former upload URL `/person/<id>/attachments`
still answers for old clients.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_wtf import FlaskForm

from archives_domain import files as store
from archives_domain import person_search
from archives_domain.business import attachments, person_pages as pages
from archives_domain.business.base import ConflictError, FieldErrors
from archives_domain.models import Attachment, Person
from archives_domain.paging import PagingError

from .. import business_log, business_ui, listing
from ..access import can, requires
from ..i18n import _
from ..scope import get_in_scope
from ..security.permissions import forbidden
from . import tabs as T
from .search import agencies, as_dict, is_id_query, list_page, search_args

NO_STORE = business_ui.NO_STORE
MODULE = pages.MODULE
OBJECT = pages.OBJECT


def _original(form) -> dict:
    """The values the editor's form was built from (hidden `_orig_<field>`), for the conflict message."""
    return {k[len("_orig_"):]: v for k, v in form.items() if k.startswith("_orig_")}


class PersonView(BaseView):
    route_base = "/person"
    default_view = "list"
    archives_module = "personal.info.basic"

    # -- list ------------------------------------------------------------------------------------------------
    @expose("/")
    @requires("person.read")
    def list(self):
        s = self.appbuilder.session
        args = search_args()
        try:
            page, total, size = list_page(s, args)
        except (PagingError, person_search.SearchError) as exc:
            return self._list(args, error=str(exc)), 400, NO_STORE
        names = agencies(s)
        if is_id_query(args["q"]):  # never an ID number in a link or echoed in the page
            args = {**args, "q": ""}
        keep = {k: v for k, v in args.items() if k != "id_number"}
        return self._list(args, rows=[as_dict(p, names) for p in page.rows],
                          nav=listing.pager(page, total, keep, size)), 200, NO_STORE

    def _list(self, args, *, rows=(), nav=None, error=None):
        return self.render_template("person/list.html", title=_("人员基础信息"), args=args, rows=list(rows),
                                    nav=nav, error=error, may_edit=can(g.user, "person.edit"))

    # -- the person page -------------------------------------------------------------------------------------
    @expose("/<int:pk>")
    @requires("person.read")
    def show(self, pk: int):
        ctx = business_ui.context()
        p = pages.get_person(ctx, pk)
        return self._page(ctx, p, T.tab_of(request.args.get("tab")), edit=request.args.get("edit"))

    def _page(self, ctx, p: Person, tab: T.Tab, *, edit=None, full=False, values=None, errors=None,
              message=None, conflict=False, status=200, form_version=None, originals=None):
        user = g.user
        may_edit = can(user, "person.edit")
        edit = edit if may_edit else None
        rows = T.tab_rows(ctx, tab, p.id)
        kind = pages.ROW_KINDS.get(tab.key)
        stored = self._edit_values(ctx, p, tab, kind, rows, edit) if edit else {}
        files = attachments.list_for(ctx, "person", p.id) if tab.kind == "basic" else []
        return self.render_template(
            "person/show.html", title=_("人员基础信息") + f" {p.archive_no}", person=p,
            row=as_dict(p, agencies(ctx.session), full=full), full=full, tab=tab, tabs=T.TABS,
            counts=pages.tab_counts(ctx, p.id), rows=rows, kind=kind, basic_specs=pages.BASIC_SPECS,
            basic_values=pages.form_values(p, pages.BASIC_SPECS, ctx.codec, full_pii=full),
            edit=edit, values=stored if values is None else values, errors=errors or {}, message=message,
            conflict=conflict, originals=stored if originals is None else originals,
            form_version=form_version or (p.version if tab.kind == "basic" else None),
            files=files, form=FlaskForm(), buttons=T.BUTTONS, may_edit=may_edit,
            hukou_columns=T.HUKOU_COLUMNS, material_columns=T.MATERIAL_COLUMNS,
            display=lambda r, specs: pages.form_values(r, specs, ctx.codec),
            may_unmask=can(user, "person.unmasked"), may_print=can(user, "person.print"),
            may_upload=can(user, "attachment.upload"), next_url=url_for(".show", pk=p.id)), status, NO_STORE

    @staticmethod
    def _edit_values(ctx, p, tab, kind, rows, edit) -> dict:
        """What the edit form starts from (and its `_orig_` values): the stored record."""
        if tab.kind == "basic":
            return pages.form_values(p, pages.BASIC_SPECS, ctx.codec)
        if kind is None or edit == "new":
            return {}
        row = next((r for r in rows if str(r.id) == str(edit)), None)
        return pages.form_values(row, kind.specs, ctx.codec) if row is not None else {}

    # -- saving ----------------------------------------------------------------------------------------------
    def _guard_edit(self):
        if not can(g.user, "person.edit"):
            return forbidden(_("您没有编辑个人信息的权限"))
        return None

    def _after_error(self, ctx, pk, tab, edit, exc):
        """A refused save: the page again with everything typed, the bad fields or the conflict named."""
        p = pages.get_person(ctx, pk)
        values = request.form.to_dict()
        if isinstance(exc, ConflictError):  # the form now carries the current version: saving again is deliberate
            return self._page(ctx, p, tab, edit=edit, values=values, message=exc.message, conflict=True,
                              status=exc.status)
        return self._page(ctx, p, tab, edit=edit, values=values, errors=getattr(exc, "errors", None) or (
            {exc.field: exc.message} if exc.field else {}), message=exc.message, status=exc.status,
            form_version=request.form.get("version"), originals=_original(request.form))

    @expose("/<int:pk>/basic", methods=["POST"])
    @requires("person.read")
    def save_basic(self, pk: int):
        """修改基础信息 (update_basic)."""
        refused = self._guard_edit()
        if refused:
            return refused
        ctx = business_ui.context()
        try:
            _p, warnings = pages.update_basic(ctx, pk, request.form.to_dict(), version=request.form.get("version"),
                                              original=_original(request.form))
        except business_ui.NotFound:
            raise
        except business_ui.BusinessError as exc:
            return self._after_error(ctx, pk, T.BY_KEY["basic"], "1", exc)
        flash(_("基础信息已保存"), "success")
        for w in warnings:
            flash(w, "warning")
        return redirect(url_for(".show", pk=pk, tab="basic"))

    @expose("/<int:pk>/rows/<tab>/new", methods=["POST"])
    @expose("/<int:pk>/rows/<tab>/<int:row_id>", methods=["POST"])
    @requires("person.read")
    def save_row(self, pk: int, tab: str, row_id: int | None = None):
        """新增 / 修改 a row of 学习经历, 工作经历, 职称, 家庭成员."""
        refused = self._guard_edit()
        if refused:
            return refused
        if tab not in T.ROW_TABS:
            return forbidden(_("没有这个数据页"))
        ctx = business_ui.context()
        raw = request.form.to_dict()
        try:
            if row_id is None:
                pages.add_row(ctx, tab, pk, raw)
            else:
                pages.update_row(ctx, tab, pk, row_id, raw, version=raw.get("version"),
                                 original=_original(request.form))
        except business_ui.NotFound:
            raise
        except business_ui.BusinessError as exc:
            return self._after_error(ctx, pk, T.BY_KEY[tab], "new" if row_id is None else str(row_id), exc)
        flash(_("已保存"), "success")
        return redirect(url_for(".show", pk=pk, tab=tab))

    @expose("/<int:pk>/rows/<tab>/<int:row_id>/delete", methods=["POST"])
    @requires("person.read")
    def delete_row(self, pk: int, tab: str, row_id: int):
        refused = self._guard_edit()
        if refused:
            return refused
        if tab not in T.ROW_TABS:
            return forbidden(_("没有这个数据页"))
        ctx = business_ui.context()
        try:
            pages.delete_row(ctx, tab, pk, row_id, version=request.form.get("version"))
        except business_ui.NotFound:
            raise
        except business_ui.BusinessError as exc:
            return self._after_error(ctx, pk, T.BY_KEY[tab], None, exc)
        flash(_("已删除"), "success")
        return redirect(url_for(".show", pk=pk, tab=tab))

    @expose("/new", methods=["GET", "POST"])
    @requires("person.read")
    def new(self):
        """新建人员: whatever is filled in; 档案编号 numbered when empty."""
        refused = self._guard_edit()
        if refused:
            return refused
        values, errors, message = {}, {}, None
        if request.method == "POST":
            ctx = business_ui.context()
            values = request.form.to_dict()
            try:
                p, warnings = pages.create_person(ctx, values)
            except FieldErrors as exc:
                errors, message = exc.errors, exc.message
            except business_ui.BusinessError as exc:
                message = exc.message
            else:
                flash(_("人员已建立"), "success")
                for w in warnings:
                    flash(w, "warning")
                return redirect(url_for(".show", pk=p.id))
        specs = pages.EDITABLE_BASIC
        return self.render_template("person/new.html", title=_("新建人员"), specs=specs, values=values,
                                    errors=errors, message=message, form=FlaskForm()), \
            (400 if message else 200), NO_STORE

    # -- 查看完整信息, 打印, the former upload URL -----------------------------------------------------------------
    def _refuse(self, s, action: str, p_id: int, what: str):
        """No permission: 403, and the attempt in the audit chain as 失败 (no object data is read)."""
        business_log.record(s, action, f"无权{what}（人员 ID {p_id}）", module=MODULE, object_type=OBJECT,
                            object_id=p_id, result="失败")
        s.commit()
        return forbidden(_("您没有访问该功能的权限"))

    @expose("/<int:pk>/full", methods=["POST"])
    @requires("person.read")
    def full(self, pk: int):
        """查看完整信息: the whole 身份证 and 联系电话 (permission 查看完整身份证号/电话), audited."""
        s = self.appbuilder.session
        if not can(g.user, "person.unmasked"):
            return self._refuse(s, "查看完整信息", pk, "查看完整身份证号/电话")
        p = get_in_scope(s, Person, pk)
        business_log.record(s, "查看完整信息", f"查看人员 {p.archive_no}（{p.name or ''}）的完整身份证号和联系电话",
                            module=MODULE, object_type=OBJECT, object_id=p.id)
        s.commit()
        return self._page(business_ui.context(), p, T.BY_KEY["basic"], full=True)

    @expose("/<int:pk>/print", methods=["GET", "POST"])
    @requires("person.read")
    def print_view(self, pk: int):
        """打印: the 基础信息 as a print-friendly page (permission 打印个人数据), audited. A GET prints masked
        numbers; whole numbers only by a POST carrying the CSRF token, with 查看完整身份证号/电话."""
        s = self.appbuilder.session
        if not can(g.user, "person.print"):
            return self._refuse(s, "打印", pk, "打印个人数据")
        p = get_in_scope(s, Person, pk)
        full = request.method == "POST" and request.form.get("full") == "1" and can(g.user, "person.unmasked")
        business_log.record(s, "打印", f"打印人员 {p.archive_no}（{p.name or ''}）的基础信息"
                                      f"{'（完整身份证号和联系电话）' if full else '（脱敏）'}",
                            module=MODULE, object_type=OBJECT, object_id=p.id)
        s.commit()
        from ..views.workbench import beijing
        return self.render_template("person/print.html", person=p, row=as_dict(p, agencies(s), full=full),
                                    printed_at=beijing(dt.datetime.now(dt.timezone.utc)),
                                    printed_by=g.user.username), 200, NO_STORE

    @expose("/<int:pk>/attachments", methods=["POST"])
    @requires("person.read")
    def upload(self, pk: int):
        """The former 图片上传 URL (the page now posts to /files/person/<id>): kept for old clients."""
        s = self.appbuilder.session
        if not can(g.user, "attachment.upload"):
            return self._refuse(s, "上传", pk, "上传附件")
        p = get_in_scope(s, Person, pk)
        if not FlaskForm().validate_on_submit():  # the CSRF token (CSRFProtect has checked it already)
            return forbidden(_("表单已过期，请重试"))
        upload = request.files.get("file")
        data = upload.read(store.MAX_BYTES + 1) if upload else b""
        var_dir = current_app.config["ARCHIVES_VAR_DIR"]
        try:
            stored = store.store(var_dir, p.agency_code, upload.filename if upload else None, data)
        except store.UploadError as exc:
            business_log.record(s, "上传", f"上传附件被拒绝：{exc}（人员 {p.archive_no}）", module=MODULE,
                                object_type=OBJECT, object_id=p.id, result="失败")
            s.commit()
            flash(_("未上传：") + _(str(exc)), "danger")
            return redirect(url_for(".show", pk=p.id))
        purpose = (request.form.get("purpose") or "").strip()[:32] or None
        row = Attachment(agency_code=p.agency_code, owner_type="person", owner_id=p.id, purpose=purpose,
                         filename=stored.filename, content_type=stored.content_type, size_bytes=stored.size_bytes,
                         sm3=stored.sm3, storage_key=stored.storage_key, created_by=g.user.username,
                         updated_by=g.user.username)
        try:
            s.add(row)
            s.flush()
            business_log.record(s, "上传", f"为人员 {p.archive_no} 上传附件“{stored.filename}”", module=MODULE,
                                object_type=OBJECT, object_id=p.id,
                                after={"attachment_id": row.id, "filename": stored.filename,
                                       "content_type": stored.content_type, "size_bytes": stored.size_bytes,
                                       "sm3": stored.sm3, "purpose": purpose})
            s.commit()
        except Exception:
            s.rollback()
            store.remove(var_dir, stored.storage_key)
            raise
        flash(_("附件已上传"), "success")
        return redirect(url_for(".show", pk=p.id))
