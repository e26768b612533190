"""个人快捷受理 → 个人信息管理 → 基础信息: the read-only 人员基础信息 list, its detail page and REST API.

Data scope: every query goes through ops_app.scope (the user's agency, or its
subtree for 业务负责人/查询员/统计分析员); a person of another agency is 404, by
URL and by API. 身份证 is shown masked (PII codec + masking); search by
身份证 is exact, through the blind index — the number is never compared in clear.
Pages and answers carry `Cache-Control: no-store` (personal data).

One search box `q` (`archives_domain.person_search`): 身份证 (a malformed one is said so), 姓名 prefix,
拼音首字母 (`gyj` → 郭英杰), 档案编号; the exact fields archive_no / name / id_number still work. The list
pages by keyset and counts at most 1,000 rows (`archives_domain.paging`, `ops_app.listing`): each page
costs the same at 943k persons as at 20.

Beyond reading (each guarded by its own permission on the 用户权限 tree and written to the
audit chain with user, agency, module path, object and id, client IP and result — refusals too):
* 查看完整信息 (POST `/person/<id>/full`, 查看完整身份证号/电话): the page with the whole
  身份证 and 联系电话;
* 打印 (`/person/<id>/print`, 打印个人数据): a print-friendly page of the 基础信息 — masked on a GET;
  whole numbers only by a POST with the CSRF token and `full=1`, by a user who may see them (the rule of
  查看完整信息);
* 图片上传 (POST `/person/<id>/attachments`, 上传附件): an image into `attachment`
  (owner_type `person`), the file under the var dir (`archives_domain.files`).
"""
from __future__ import annotations

from flask import current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_wtf import FlaskForm
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose
from sqlalchemy import false, select

from archives_domain import paging, person_search
from archives_domain.models import Agency, Attachment, Person
from archives_domain.paging import PagingError
from archives_domain.pii.codec import PiiError

from archives_domain import files as store
from .. import business_log, listing
from ..access import can, requires
from ..i18n import _
from ..scope import get_in_scope, in_scope
from ..security.permissions import forbidden

PAGE = 20
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MODULE = ("个人快捷受理", "个人信息管理", "基础信息")
OBJECT = "人员"


def _codec():
    return current_app.extensions["archives_codec"]


SEARCH_FIELDS = ("q", "archive_no", "name", "id_number")
ORDER_DEFAULT = (Person.agency_code, Person.archive_no)  # uq_person_agency_archive_no
ORDER_NAME = (Person.agency_code, Person.name, Person.id)  # ix_person_agency_name (+ the primary key)
ORDER_INITIALS = (Person.agency_code, Person.name_initials, Person.id)  # ix_person_agency_initials


def search_args() -> dict[str, str]:
    return {k: request.args.get(k, "").strip()[:64] for k in SEARCH_FIELDS}


def _id_clause(number: str):
    try:
        return _codec().lookup(Person, "id_number", number)
    except PiiError:
        return false()


def _is_id_query(text: str) -> bool:
    term = person_search.classify(text)
    return term is not None and term.kind == "id_number"


def _starts(column, text: str):
    return column.like(person_search.like_prefix(text), escape=person_search.LIKE_ESCAPE)


def search(args: dict[str, str]):
    """(query, order, problem) of the persons in scope matching the search box `q` (auto-detected: 身份证,
    姓名 prefix, 拼音首字母, 档案编号) and the exact fields 档案编号 / 姓名 / 身份证; `problem` says why a typed
    身份证 cannot be valid (shown if nobody is found). The order follows the filter so that one index serves
    scope, filter and order (no sort, no offset)."""
    q, order, problem = select(Person).where(in_scope(Person)), ORDER_DEFAULT, None
    term = person_search.classify(args.get("q", ""))
    if args.get("id_number"):
        term_id = person_search.Term("id_number", *person_search.id_number(args["id_number"]))
        q, problem = q.where(_id_clause(term_id.value)), term_id.problem
    if term is not None and term.kind == "id_number":
        q, problem = q.where(_id_clause(term.value)), problem or term.problem
    elif term is not None and term.kind == "name_prefix":
        q, order = q.where(_starts(Person.name, term.value)), ORDER_NAME
    elif term is not None and term.kind == "initials":
        q, order = q.where(_starts(Person.name_initials, term.value)), ORDER_INITIALS
    elif term is not None:
        q = q.where(Person.archive_no == term.value)
    if args.get("archive_no"):
        q = q.where(Person.archive_no == args["archive_no"])
    if args.get("name"):
        q, order = q.where(Person.name == args["name"]), ORDER_NAME
    return q, order, problem


def list_page(s, args: dict[str, str], *, sizeable: bool = False):
    """(page, bounded count, size) of the search; PagingError for junk paging parameters, SearchError when
    a malformed 身份证 found nobody."""
    query, order, problem = search(args)
    req = listing.page_request(len(order), default_size=PAGE, sizeable=sizeable)
    page = paging.fetch_page(s, query, order, req)
    if problem and not page.rows:
        raise person_search.SearchError("身份证", problem)
    return page, paging.bounded_count(s, query), req.size


def as_dict(p: Person, agencies: dict[str, str], *, full: bool = False) -> dict:
    return {"id": p.id, "archive_no": p.archive_no, "name": p.name, "sex": p.sex,
            "id_number": _codec().display(p, "id_number", full=full),
            "phone": _codec().display(p, "phone", full=full), "employer_name": p.employer_name,
            "archive_status": p.archive_status, "agency_code": p.agency_code,
            "agency_name": agencies.get(p.agency_code)}


def _agencies(s) -> dict[str, str]:
    return dict(s.execute(select(Agency.code, Agency.name)).all())


class PersonView(BaseView):
    route_base = "/person"
    default_view = "list"

    @expose("/")
    @requires("person.read")
    def list(self):
        s = self.appbuilder.session
        args = search_args()
        try:
            page, total, size = list_page(s, args)
        except (PagingError, person_search.SearchError) as exc:
            return self._list(args, error=str(exc)), 400, NO_STORE
        agencies = _agencies(s)
        if _is_id_query(args["q"]):  # never an ID number in a link or echoed in the page
            args = {**args, "q": ""}
        keep = {k: v for k, v in args.items() if k != "id_number"}
        return self._list(args, rows=[as_dict(p, agencies) for p in page.rows],
                          nav=listing.pager(page, total, keep, size)), 200, NO_STORE

    def _list(self, args, *, rows=(), nav=None, error=None):
        return self.render_template("person/list.html", title=_("人员基础信息"), args=args, rows=list(rows),
                                    nav=nav, error=error)

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

    @expose("/<int:pk>/print", methods=["GET", "POST"])
    @requires("person.read")
    def print_view(self, pk: int):
        """打印: the 基础信息 as a print-friendly page (permission 打印个人数据), audited. The same rule as
        查看完整信息: a GET prints masked numbers; whole numbers only by a POST carrying the CSRF token
        (CSRFProtect checks it) and with the permission 查看完整身份证号/电话."""
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
    """GET /api/v1/person/?q=&archive_no=&name=&id_number=&after=|before=|last=1|page=&page_size= and
    GET /api/v1/person/<id>. The answer's `next` / `prev` are the cursors for `after` / `before`; `count` is
    exact up to 1,000 (`count_exact`), a bad parameter is a 400 whose message names it.

    Session (browser) login; the same scope and masking as the pages."""

    resource_name = "person"
    allow_browser_login = True
    openapi_spec_tag = "人员基础信息"

    @api_expose("/", methods=["GET"])
    @requires("person.read", api=True)
    def get_list(self):
        s = self.appbuilder.session
        try:
            page, total, size = list_page(s, search_args(), sizeable=True)
        except (PagingError, person_search.SearchError) as exc:
            resp, status = listing.error_json(exc)
            return resp, status, NO_STORE
        agencies = _agencies(s)
        return jsonify(**listing.api_fields(page, total, size),
                       result=[as_dict(p, agencies) for p in page.rows]), 200, NO_STORE

    @api_expose("/<int:pk>", methods=["GET"])
    @requires("person.read", api=True)
    def get(self, pk: int):
        s = self.appbuilder.session
        p = s.scalar(select(Person).where(Person.id == pk, in_scope(Person)))
        if p is None:
            return jsonify(message=_("记录不存在")), 404, NO_STORE
        return jsonify(result=as_dict(p, _agencies(s))), 200, NO_STORE
