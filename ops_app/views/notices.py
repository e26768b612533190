"""系统管理 → 通知公告: 文字模板, notices written from them, publishing to user groups or users.

Every change is audited (新增/修改/发布) with before/after; 正文 is sanitised
with nh3 when it is saved (ops_app.richtext). Only holders of `notice.publish`
manage notices; any logged-in user reads a notice addressed to them.
Notices and 文字模板 are scoped by agency (ops_app.notice_service: another agency's is a
404); the 发布者 and the addressed users are checked against the scope, the field named.
"""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from sqlalchemy import func, select

from archives_domain.models import Notice, NoticeTemplate
from archives_domain.models.base import now_utc
from archives_domain.models.security import User

from .. import notice_service as ns
from .. import params
from ..access import can, login_required, requires
from ..scope import in_scope
from ..business_log import record
from ..i18n import N_, _
from ..richtext import plain_text, sanitize_html
from .forms import ActionForm, NoticeForm, NoticeTemplateForm, PublishForm, QuickNoticeForm

TOO_LONG = N_("正文过长：保存后为 %(n)s 字节，超过 65535 字节（约 2 万个汉字），请删减")

PAGE = 20


def _snapshot(n: Notice) -> dict:
    return {"标题": n.title, "公告类型": n.notice_type, "发布者ID": n.publisher_id, "状态": n.status,
            "正文": plain_text(n.body)[:200]}


def db():
    return current_app.appbuilder.session


class NoticeView(BaseView):
    route_base = "/notices"
    default_view = "list"


    # -- list and search ------------------------------------------------------
    @expose("/")
    @requires("notice.publish")
    def list(self):
        s = db()
        ntype = request.args.get("notice_type", "")
        publisher = params.id_arg("publisher_id")
        keyword = request.args.get("q", "").strip()[:64]
        page = params.page_arg()
        q = select(Notice).where(in_scope(Notice, ns.scope_codes(s))).order_by(Notice.id.desc())
        if ntype:
            q = q.where(Notice.notice_type == ntype)
        if publisher:
            q = q.where(Notice.publisher_id == publisher)
        if keyword:
            like = "%" + keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            q = q.where(Notice.title.like(like, escape="\\"))
        total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
        rows = list(s.scalars(q.limit(PAGE).offset((page - 1) * PAGE)))
        names = dict(s.execute(select(User.id, User.first_name)).all())
        return self.render_template("notices/list.html", title=_("通知公告"), rows=rows, total=total, page=page,
                                    pages=max((total + PAGE - 1) // PAGE, 1), names=names,
                                    types=ns.NOTICE_TYPES, publishers=ns.publisher_choices(s),
                                    args={"notice_type": ntype, "publisher_id": publisher or "", "q": keyword})

    # -- notices ----------------------------------------------------------------
    def _notice_form(self, notice: Notice | None) -> NoticeForm:
        s = db()
        form = NoticeForm(obj=notice)
        templates = _templates_in_scope(s)
        form.template_id.choices = [(0, _("（不使用模板）"))] + [
            (t.id, _("%(name)s（%(type)s）", name=t.name, type=_(t.notice_type))) for t in templates]
        form.publisher_id.choices = ns.publisher_choices(s)
        if request.method == "GET" and notice is None:
            form.publisher_id.data = g.user.id
            tid = params.id_arg("template_id")
            tpl = next((t for t in templates if t.id == tid), None)  # another agency's template: not offered
            if tpl is not None:  # 以文字模板增加: the template fills 公告类型 and 正文
                form.template_id.data = tpl.id
                form.notice_type.data = tpl.notice_type
                form.body.data = tpl.body
        return form

    def _valid_notice(self, form: NoticeForm) -> bool:
        """The form's own rules, then the scope's: a 发布者 who may publish, a 正文 that fits its column."""
        if not form.validate_on_submit():
            return False
        if form.publisher_id.data not in {i for i, _label in form.publisher_id.choices}:
            form.publisher_id.errors.append(_("发布者须是本机构范围内有发布通知公告权限的用户"))
        body = sanitize_html(form.body.data)
        if ns.body_too_long(body):
            form.body.errors.append(_(TOO_LONG, n=len(body.encode("utf-8"))))
        return not (form.publisher_id.errors or form.body.errors)

    @expose("/new", methods=["GET", "POST"])
    @requires("notice.publish")
    def new(self):
        form = self._notice_form(None)
        if self._valid_notice(form):
            n = Notice(title=form.title.data.strip(), notice_type=form.notice_type.data,
                       body=sanitize_html(form.body.data), publisher_id=form.publisher_id.data,
                       agency_code=g.user.agency_code, status="草稿", created_by=g.user.username,
                       updated_by=g.user.username)
            db().add(n)
            db().flush()
            record(db(), "新增", f"新增通知公告《{n.title}》", module=ns.MODULE, object_type="通知公告",
                   object_id=n.id, after=_snapshot(n))
            db().commit()
            flash(_("通知公告已保存（草稿），请选择发布对象后发布"), "success")
            return redirect(url_for(".publish", pk=n.id))
        return self.render_template("notices/form.html", title=_("增加通知公告"), form=form, notice=None)

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @requires("notice.publish")
    def edit(self, pk: int):
        n = ns.get_in_scope(db(), Notice, pk)
        form = self._notice_form(n)
        if self._valid_notice(form):
            before = _snapshot(n)
            n.title, n.notice_type = form.title.data.strip(), form.notice_type.data
            n.body, n.publisher_id = sanitize_html(form.body.data), form.publisher_id.data
            n.updated_by = g.user.username
            db().flush()
            record(db(), "修改", f"修改通知公告《{n.title}》", module=ns.MODULE, object_type="通知公告",
                   object_id=n.id, before=before, after=_snapshot(n))
            db().commit()
            flash(_("通知公告已修改"), "success")
            return redirect(url_for(".list"))
        return self.render_template("notices/form.html", title=_("修改通知公告"), form=form, notice=n)

    @expose("/<int:pk>/publish", methods=["GET", "POST"])
    @requires("notice.publish")
    def publish(self, pk: int):
        s = db()
        n = ns.get_in_scope(s, Notice, pk)
        form = PublishForm()
        form.group_ids.choices, form.user_ids.choices = ns.group_choices(s), ns.user_choices(s)
        if form.validate_on_submit() and _valid_recipients(form):
            before = _snapshot(n)
            ns.publish(s, n, form.group_ids.data, form.user_ids.data, g.user.username)
            groups, users = ns.recipients(s, n.id)
            record(s, "发布", f"发布通知公告《{n.title}》到 用户组：{'、'.join(groups) or '无'}；"
                              f"用户：{'、'.join(users) or '无'}", module=ns.MODULE, object_type="通知公告",
                   object_id=n.id, before=before, after={**_snapshot(n), "用户组": groups, "用户": users})
            s.commit()
            flash(_("通知公告已发布到所选用户组和用户的工作台"), "success")
            return redirect(url_for(".list"))
        groups, users = ns.recipients(s, n.id, localized=True)
        return self.render_template("notices/publish.html", title=_("发布通知公告"), form=form, notice=n,
                                    groups=groups, users=users)

    @expose("/quick", methods=["POST"])
    @requires("notice.publish")
    def quick(self):
        """The 工作台's publish form: a notice by the current user, published at once."""
        s = db()
        form = QuickNoticeForm()
        form.group_ids.choices, form.user_ids.choices = ns.group_choices(s), ns.user_choices(s)
        if not form.validate_on_submit() or not (form.group_ids.data or form.user_ids.data):
            errors = [str(e) for f in (form.title, form.body) for e in f.errors]
            flash(_("发布失败：请填写标题、正文，并至少选择一个用户组或用户") + "".join(f" {e}" for e in errors), "danger")
            return redirect(url_for("WorkbenchView.index"))
        if not _valid_recipients(form) or ns.body_too_long(sanitize_html(form.body.data)):
            errors = form.user_ids.errors + form.group_ids.errors
            flash(_("发布失败：") + (str(errors[0]) if errors else _(TOO_LONG, n=len(
                sanitize_html(form.body.data).encode("utf-8")))), "danger")
            return redirect(url_for("WorkbenchView.index"))
        n = Notice(title=form.title.data.strip(), notice_type=form.notice_type.data, body=sanitize_html(form.body.data),
                   publisher_id=g.user.id, agency_code=g.user.agency_code, status="草稿",
                   created_by=g.user.username, updated_by=g.user.username)
        s.add(n)
        s.flush()
        record(s, "新增", f"新增通知公告《{n.title}》（工作台）", module=("工作台", "通知公告"), object_type="通知公告",
               object_id=n.id, after=_snapshot(n))
        ns.publish(s, n, form.group_ids.data, form.user_ids.data, g.user.username)
        groups, users = ns.recipients(s, n.id)
        record(s, "发布", f"发布通知公告《{n.title}》到 用户组：{'、'.join(groups) or '无'}；用户：{'、'.join(users) or '无'}",
               module=("工作台", "通知公告"), object_type="通知公告", object_id=n.id,
               after={**_snapshot(n), "用户组": groups, "用户": users})
        s.commit()
        flash(_("通知公告已发布"), "success")
        return redirect(url_for("WorkbenchView.index"))

    # -- 文字模板 ---------------------------------------------------------------------
    @expose("/templates")
    @requires("notice.publish")
    def templates(self):
        rows = _templates_in_scope(db())
        return self.render_template("notices/templates.html", title=_("文字模板"), rows=rows)

    @expose("/templates/new", methods=["GET", "POST"])
    @expose("/templates/<int:pk>/edit", methods=["GET", "POST"])
    @requires("notice.publish")
    def template_form(self, pk: int | None = None):
        s = db()
        tpl = ns.get_in_scope(s, NoticeTemplate, pk) if pk else None
        form = NoticeTemplateForm(obj=tpl)
        if form.validate_on_submit():
            name, body = form.name.data.strip(), sanitize_html(form.body.data)
            agency = tpl.agency_code if tpl else g.user.agency_code
            clash = s.scalar(select(NoticeTemplate.id).where(NoticeTemplate.name == name,
                                                             NoticeTemplate.agency_code == agency))
            if clash is not None and clash != pk:
                form.name.errors.append(_("模板名称已存在"))
            elif ns.body_too_long(body):
                form.body.errors.append(_(TOO_LONG, n=len(body.encode("utf-8"))))
            else:
                self._save_template(s, tpl, name, form.notice_type.data, body)
                flash(_("文字模板已保存"), "success")
                return redirect(url_for(".templates"))
        return self.render_template("notices/template_form.html", title=_("文字模板"), form=form, tpl=tpl,
                                    now=now_utc())

    @staticmethod
    def _save_template(s, tpl: NoticeTemplate | None, name: str, notice_type: str, body: str) -> None:
        before = None if tpl is None else {"名称": tpl.name, "公告类型": tpl.notice_type,
                                           "正文": plain_text(tpl.body)[:200]}
        if tpl is None:
            tpl = NoticeTemplate(created_by=g.user.username, agency_code=g.user.agency_code)
            s.add(tpl)
        tpl.name, tpl.notice_type, tpl.body = name, notice_type, body
        tpl.updated_by = g.user.username
        s.flush()
        record(s, "修改" if before else "新增", f"{'修改' if before else '新增'}通知公告文字模板「{tpl.name}」",
               module=ns.MODULE + ("文字模板",), object_type="通知公告文字模板", object_id=tpl.id,
               before=before, after={"名称": tpl.name, "公告类型": tpl.notice_type,
                                     "正文": plain_text(tpl.body)[:200]})
        s.commit()


def _templates_in_scope(s) -> list[NoticeTemplate]:
    return list(s.scalars(select(NoticeTemplate).where(in_scope(NoticeTemplate, ns.scope_codes(s)))
                          .order_by(NoticeTemplate.name)))


def _valid_recipients(form: PublishForm) -> bool:
    """At least one recipient, and only groups and users offered (the scope's): the field named."""
    if not form.group_ids.data and not form.user_ids.data:
        form.user_ids.errors.append(_("请至少选择一个用户组或用户"))
        return False
    for field, message in ((form.group_ids, _("发布到用户组：所选用户组不存在")),
                           (form.user_ids, _("发布到用户：只能选择本机构范围内的启用用户"))):
        if set(field.data or ()) - {i for i, _label in field.choices}:
            field.errors.append(message)
    return not (form.group_ids.errors or form.user_ids.errors)


class ReceivedNoticeView(BaseView):
    """Reading a notice one has received: part of the 工作台 (通知公告 具备接收…的功能), so it needs
    the workbench grant, not the 系统管理 → 通知公告 one that publishing needs."""

    route_base = "/notices"
    archives_module = "workbench"

    # -- reading -----------------------------------------------------------------
    @expose("/<int:pk>/view")
    @login_required
    def view(self, pk: int):
        s = db()
        n = s.get(Notice, pk)
        addressed = n is not None and n.status == "已发布" and ns.is_recipient(s, pk, g.user.id)
        managed = n is not None and can(g.user, "notice.publish") and n.agency_code in ns.scope_codes(s)
        if n is None or not (addressed or managed):
            abort(404)
        publisher = s.get(User, n.publisher_id) if n.publisher_id else None
        return self.render_template("notices/show.html", title=n.title, notice=n, publisher=publisher,
                                    addressed=addressed, form=ActionForm())

    @expose("/<int:pk>/read", methods=["POST"])
    @login_required
    def read(self, pk: int):
        form = ActionForm()
        if form.validate_on_submit() and ns.mark_read(db(), pk, g.user.id):
            db().commit()
        else:
            abort(404)
        return redirect(request.form.get("next") == "view" and url_for("ReceivedNoticeView.view", pk=pk)
                        or url_for("WorkbenchView.index"))
