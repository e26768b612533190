"""个人快捷受理 → 个人信息管理 → 基础信息: the read-only 人员基础信息 list, its detail page and REST API.

Data scope: every query goes through ops_app.scope (the user's agency, or its
subtree for 业务负责人/查询员/统计分析员); a person of another agency is 404, by
URL and by API. 身份证 is shown masked (PII codec + masking); search by
身份证 is exact, through the blind index — the number is never compared in clear.
Pages and answers carry `Cache-Control: no-store` (personal data).
"""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose
from sqlalchemy import func, select

from archives_domain.models import Agency, Person
from archives_domain.pii.codec import PiiError

from ..access import requires
from ..scope import get_in_scope, in_scope

PAGE = 20
MAX_PAGE_SIZE = 100
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


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


def as_dict(p: Person, agencies: dict[str, str]) -> dict:
    return {"id": p.id, "archive_no": p.archive_no, "name": p.name, "sex": p.sex,
            "id_number": _codec().display(p, "id_number", full=False), "employer_name": p.employer_name,
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
        return self.render_template("person/list.html", title="人员基础信息", args=args, total=total, page=page,
                                    pages=max((total + PAGE - 1) // PAGE, 1),
                                    rows=[as_dict(p, agencies) for p in rows]), 200, NO_STORE

    @expose("/<int:pk>")
    @requires("person.read")
    def show(self, pk: int):
        s = self.appbuilder.session
        p = get_in_scope(s, Person, pk)
        return self.render_template("person/show.html", title=f"人员基础信息 {p.archive_no}", person=p,
                                    row=as_dict(p, _agencies(s))), 200, NO_STORE


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
            return jsonify(message="记录不存在"), 404, NO_STORE
        return jsonify(result=as_dict(p, _agencies(s))), 200, NO_STORE
