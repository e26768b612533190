"""系统管理 → 通知公告: 文字模板, notices written from them, publishing to user groups or users.

Every change is audited (新增/修改/发布) with before/after; 正文 is sanitised
with nh3 when it is saved (ops_app.richtext). Only holders of `notice.publish`
manage notices; any logged-in user reads a notice addressed to them.
"""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from sqlalchemy import func, select

from archives_domain.models import Notice, NoticeTemplate
from archives_domain.models.base import now_utc
from archives_domain.models.security import User

from .. import notice_service as ns
from ..access import can, login_required, requires
from ..business_log import record
from ..i18n import _
from ..richtext import plain_text, sanitize_html
from .forms import ActionForm, NoticeForm, NoticeTemplateForm, PublishForm, QuickNoticeForm

PAGE = 20


def _snapshot(n: Notice) -> dict:
    return {"标题": n.title, "公告类型": n.notice_type, "发布者ID": n.publisher_id, "状态": n.status,
            "正文": plain_text(n.body)[:200]}


def _to_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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
        publisher = _to_int(request.args.get("publisher_id"))
        keyword = request.args.get("q", "").strip()[:64]
        page = max(_to_int(request.args.get("page")) or 1, 1)
        q = select(Notice).order_by(Notice.id.desc())
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
                                    types=ns.NOTICE_TYPES, publishers=ns.user_choices(s),
                                    args={"notice_type": ntype, "publisher_id": publisher or "", "q": keyword})

    # -- notices ----------------------------------------------------------------
    def _notice_form(self, notice: Notice | None) -> NoticeForm:
        s = db()
        form = NoticeForm(obj=notice)
        templates = list(s.scalars(select(NoticeTemplate).order_by(NoticeTemplate.name)))
        form.template_id.choices = [(0, _("（不使用模板）"))] + [
            (t.id, _("%(name)s（%(type)s）", name=t.name, type=_(t.notice_type))) for t in templates]
        form.publisher_id.choices = ns.user_choices(s)
        if request.method == "GET" and notice is None:
            form.publisher_id.data = g.user.id
            tid = _to_int(request.args.get("template_id"))
            tpl = s.get(NoticeTemplate, tid) if tid else None
            if tpl is not None:  # 以文字模板增加: the template fills 公告类型 and 正文
                form.template_id.data = tpl.id
                form.notice_type.data = tpl.notice_type
                form.body.data = tpl.body
        return form

    @expose("/new", methods=["GET", "POST"])
    @requires("notice.publish")
    def new(self):
        form = self._notice_form(None)
        if form.validate_on_submit():
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
        n = db().get(Notice, pk) or abort(404)
        form = self._notice_form(n)
        if form.validate_on_submit():
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
        n = s.get(Notice, pk) or abort(404)
        form = PublishForm()
        form.group_ids.choices, form.user_ids.choices = ns.group_choices(s), ns.user_choices(s)
        if form.validate_on_submit():
            if not form.group_ids.data and not form.user_ids.data:
                flash(_("请至少选择一个用户组或用户"), "danger")
            else:
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
            flash(_("发布失败：请填写标题、正文，并至少选择一个用户组或用户"), "danger")
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
        rows = list(db().scalars(select(NoticeTemplate).order_by(NoticeTemplate.name)))
        return self.render_template("notices/templates.html", title=_("文字模板"), rows=rows)

    @expose("/templates/new", methods=["GET", "POST"])
    @expose("/templates/<int:pk>/edit", methods=["GET", "POST"])
    @requires("notice.publish")
    def template_form(self, pk: int | None = None):
        s = db()
        tpl = (s.get(NoticeTemplate, pk) or abort(404)) if pk else None
        form = NoticeTemplateForm(obj=tpl)
        if form.validate_on_submit():
            name = form.name.data.strip()
            clash = s.scalar(select(NoticeTemplate.id).where(NoticeTemplate.name == name))
            if clash is not None and clash != pk:
                flash(_("模板名称已存在"), "danger")
            else:
                before = None if tpl is None else {"名称": tpl.name, "公告类型": tpl.notice_type,
                                                   "正文": plain_text(tpl.body)[:200]}
                if tpl is None:
                    tpl = NoticeTemplate(created_by=g.user.username)
                    s.add(tpl)
                tpl.name, tpl.notice_type, tpl.body = name, form.notice_type.data, sanitize_html(form.body.data)
                tpl.updated_by = g.user.username
                s.flush()
                record(s, "修改" if before else "新增", f"{'修改' if before else '新增'}通知公告文字模板「{tpl.name}」",
                       module=ns.MODULE + ("文字模板",), object_type="通知公告文字模板", object_id=tpl.id,
                       before=before, after={"名称": tpl.name, "公告类型": tpl.notice_type,
                                             "正文": plain_text(tpl.body)[:200]})
                s.commit()
                flash(_("文字模板已保存"), "success")
                return redirect(url_for(".templates"))
        return self.render_template("notices/template_form.html", title=_("文字模板"), form=form, tpl=tpl,
                                    now=now_utc())


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
        if n is None or not (addressed or can(g.user, "notice.publish")):
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
