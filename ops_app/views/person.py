"""个人快捷受理 → 个人信息管理 → 基础信息: the read-only 人员基础信息 list, its detail page and REST API.

Data scope: every query goes through ops_app.scope (the user's agency, or its
subtree for 业务负责人/查询员/统计分析员); a person of another agency is 404, by
URL and by API. 身份证 is shown masked (PII codec + masking); search by
身份证 is exact, through the blind index — the number is never compared in clear.
Pages and answers carry `Cache-Control: no-store` (personal data).

Beyond reading (each guarded by its own permission on the 用户权限 tree and written to the
audit chain with user, agency, module path, object and id, client IP and result — refusals too):
* 查看完整信息 (POST `/person/<id>/full`, 查看完整身份证号/电话): the page with the whole
  身份证 and 联系电话;
* 打印 (GET `/person/<id>/print`, 打印个人数据): a print-friendly page of the 基础信息 (masked
  unless the user may see the whole numbers);
* 图片上传 (POST `/person/<id>/attachments`, 上传附件): an image into `attachment`
  (owner_type `person`), the file under the var dir (`ops_app.attachments`).
"""
from __future__ import annotations

from flask import current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_wtf import FlaskForm
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose
from sqlalchemy import func, select

from archives_domain.models import Agency, Attachment, Person
from archives_domain.pii.codec import PiiError

from .. import attachments as store
from .. import business_log
from ..access import can, requires
from ..i18n import _
from ..scope import get_in_scope, in_scope
from ..security.permissions import forbidden

PAGE = 20
MAX_PAGE_SIZE = 100
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MODULE = ("个人快捷受理", "个人信息管理", "基础信息")
OBJECT = "人员"


def _codec():
    return current_app.extensions["archives_codec"]


def search_args() -> dict[str, str]:
    return {k: request.args.get(k, "").strip()[:64] for k in ("archive_no", "name", "id_number")}


def search(s, args: dict[str, str], page: int, size: int):
    """Persons in scope matching 档案编号 / 姓名 (exact or prefix) and 身份证 (exact, blind index)."""
    q = select(Person).where(in_scope(Person))
    if args.get("archive_no"):
        q = q.where(Person.archive_no == args["archive_no"])
    if args.get("name"):
        q = q.where(Person.name == args["name"])
    if args.get("id_number"):
        try:
            q = q.where(_codec().lookup(Person, "id_number", args["id_number"]))
        except PiiError:
            q = q.where(False)
    total = s.scalar(select(func.count()).select_from(q.subquery()))
    rows = list(s.scalars(q.order_by(Person.agency_code, Person.archive_no).limit(size).offset((page - 1) * size)))
    return total, rows


def as_dict(p: Person, agencies: dict[str, str], *, full: bool = False) -> dict:
    return {"id": p.id, "archive_no": p.archive_no, "name": p.name, "sex": p.sex,
            "id_number": _codec().display(p, "id_number", full=full),
            "phone": _codec().display(p, "phone", full=full), "employer_name": p.employer_name,
            "archive_status": p.archive_status, "agency_code": p.agency_code,
            "agency_name": agencies.get(p.agency_code)}


def _agencies(s) -> dict[str, str]:
    return dict(s.execute(select(Agency.code, Agency.name)).all())


def _page() -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


class PersonView(BaseView):
    route_base = "/person"
    default_view = "list"

    @expose("/")
    @requires("person.read")
    def list(self):
        s = self.appbuilder.session
        args, page = search_args(), _page()
        total, rows = search(s, args, page, PAGE)
        agencies = _agencies(s)
        return self.render_template("person/list.html", title=_("人员基础信息"), args=args, total=total, page=page,
                                    pages=max((total + PAGE - 1) // PAGE, 1),
                                    rows=[as_dict(p, agencies) for p in rows]), 200, NO_STORE

    @expose("/<int:pk>")
    @requires("person.read")
    def show(self, pk: int):
        s = self.appbuilder.session
        p = get_in_scope(s, Person, pk)
        return self._detail(s, p, full=False)

    def _detail(self, s, p: Person, *, full: bool):
        user = g.user
        files = list(s.scalars(select(Attachment).where(Attachment.owner_type == "person", Attachment.owner_id == p.id,
                                                        in_scope(Attachment)).order_by(Attachment.id)))
        return self.render_template(
            "person/show.html", title=_("人员基础信息") + f" {p.archive_no}", person=p,
            row=as_dict(p, _agencies(s), full=full), full=full, files=files, form=FlaskForm(),
            may_unmask=can(user, "person.unmasked"), may_print=can(user, "person.print"),
            may_upload=can(user, "attachment.upload"), max_mb=store.MAX_BYTES // (1024 * 1024)), 200, NO_STORE

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
        return self._detail(s, p, full=True)

    @expose("/<int:pk>/print")
    @requires("person.read")
    def print_view(self, pk: int):
        """打印: the 基础信息 as a print-friendly page (permission 打印个人数据), audited."""
        s = self.appbuilder.session
        if not can(g.user, "person.print"):
            return self._refuse(s, "打印", pk, "打印个人数据")
        p = get_in_scope(s, Person, pk)
        full = can(g.user, "person.unmasked")
        business_log.record(s, "打印", f"打印人员 {p.archive_no}（{p.name or ''}）的基础信息"
                                      f"{'（完整身份证号和联系电话）' if full else '（脱敏）'}",
                            module=MODULE, object_type=OBJECT, object_id=p.id)
        s.commit()
        from ..views.workbench import beijing
        import datetime as dt
        return self.render_template("person/print.html", person=p, row=as_dict(p, _agencies(s), full=full),
                                    printed_at=beijing(dt.datetime.now(dt.timezone.utc)),
                                    printed_by=g.user.username), 200, NO_STORE

    @expose("/<int:pk>/attachments", methods=["POST"])
    @requires("person.read")
    def upload(self, pk: int):
        """图片上传: an image attached to the person (permission 上传附件), audited with its SM3 digest."""
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


class PersonApi(BaseApi):
    archives_module = "personal.info.basic"  # 个人快捷受理 → 基础信息: the same grant as the page
    """GET /api/v1/person/?archive_no=&name=&id_number=&page=&page_size= and GET /api/v1/person/<id>.

    Session (browser) login; the same scope and masking as the pages."""

    resource_name = "person"
    allow_browser_login = True
    openapi_spec_tag = "人员基础信息"

    @api_expose("/", methods=["GET"])
    @requires("person.read", api=True)
    def get_list(self):
        s = self.appbuilder.session
        try:
            size = min(max(int(request.args.get("page_size", PAGE)), 1), MAX_PAGE_SIZE)
        except ValueError:
            size = PAGE
        page = _page()
        total, rows = search(s, search_args(), page, size)
        agencies = _agencies(s)
        return jsonify(count=total, page=page, page_size=size,
                       result=[as_dict(p, agencies) for p in rows]), 200, NO_STORE

    @api_expose("/<int:pk>", methods=["GET"])
    @requires("person.read", api=True)
    def get(self, pk: int):
        s = self.appbuilder.session
        p = s.scalar(select(Person).where(Person.id == pk, in_scope(Person)))
        if p is None:
            return jsonify(message=_("记录不存在")), 404, NO_STORE
        return jsonify(result=as_dict(p, _agencies(s))), 200, NO_STORE
