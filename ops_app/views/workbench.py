"""工作台: the landing page after login, with its five panels, and the actions on them.

常用功能 (the user's own shortcuts: add, remove, move), 已办业务 (the user's
business from the audit log), 通知公告 (received, unread marker, mark read; a
publish form for holders of notice.publish), 业务经办统计 (the user's data
scope), 待办事项 (generated from business state for the day; a 业务负责人
assigns, the assignee finishes; both audited).
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import abort, current_app, flash, g, redirect, url_for
from flask_appbuilder import BaseView, IndexView, expose
from sqlalchemy import func, select

from archives_domain.models import Todo, UserShortcut
from archives_domain.models.base import now_utc
from archives_domain.models.security import Group, User
from archives_domain.todos import generate_todos

from .. import notice_service as ns
from ..access import can, login_required, requires
from ..business_log import record
from ..i18n import Msg, _, menu_label, show
from ..menu import MENU, by_key
from ..scope import visible_agency_codes
from ..security.permissions import can as holds_module
from . import workbench_queries as q
from .forms import ActionForm, AssignForm, QuickNoticeForm, ShortcutForm

log = logging.getLogger(__name__)
BEIJING = dt.timedelta(hours=8)
MODULE_TODO = ("工作台", "待办事项")
MODULE_SHORTCUT = ("工作台", "常用功能")


def beijing(ts: dt.datetime | None) -> str:
    return (ts + BEIJING).strftime("%Y-%m-%d %H:%M:%S") if ts else "—"


def shortcut_choices(taken: set[str]) -> list[tuple[str, str]]:
    """Every module of the menu the user holds (用户权限), except the workbench itself, with its path."""
    out, nodes = [], by_key()
    for root in MENU:
        for _level, node in root.walk():
            if node.key == "workbench" or node.key in taken or not holds_module(node.key):
                continue
            path = node.key.split(".")
            labels = [menu_label(nodes[".".join(path[:i + 1])]) for i in range(len(path))]
            out.append((node.key, " → ".join(labels) + ("" if node.enabled else _("（建设中）"))))
    return out


def assign_choices(s, agency_code: str) -> list[tuple[str, str]]:
    groups = [(f"g:{i}", _("用户组：%(g)s", g=label)) for i, label in ns.group_choices(s)]
    users = [(f"u:{u.id}", _("用户：%(name)s（%(user)s）", name=u.first_name, user=u.username)) for u in s.scalars(
        select(User).where(User.agency_code == agency_code, User.active.is_(True)).order_by(User.username))]
    return groups + users


# Where a to-do opens: the record of its source (source_table → URL pattern of the source's page).
TODO_LINKS = {"dq_review_item": "/review/{id}"}


def todo_link(todo) -> str | None:
    pattern = TODO_LINKS.get(todo.source_table or "")
    return pattern.format(id=todo.source_id) if pattern and todo.source_id else None


def db():
    return current_app.appbuilder.session


class WorkbenchView(IndexView):
    index_template = "workbench.html"

    @expose("/")
    def index(self):
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(url_for("ArchivesAuthDBView.login"))
        s = self.appbuilder.session
        today = q.beijing_today()
        if user.agency_code:
            try:  # the day's to-dos of the agency, from business state (idempotent)
                generate_todos(s, user.agency_code, today)
                s.commit()
            except Exception:  # never keep the workbench from opening; the next visit retries
                s.rollback()
                log.exception("待办事项生成失败（机构 %s）", user.agency_code)
        menu = by_key()
        own = q.shortcuts(s, user.id)
        may_publish, may_assign = can(user, "notice.publish"), can(user, "todo.assign")
        quick = None
        if may_publish:
            quick = QuickNoticeForm()
            quick.group_ids.choices, quick.user_ids.choices = ns.group_choices(s), ns.user_choices(s)
        add_form = ShortcutForm()
        add_form.menu_key.choices = shortcut_choices({sc.menu_key for sc in own})
        assign_form = None
        if may_assign and user.agency_code:
            assign_form = AssignForm()
            assign_form.assignee.choices = assign_choices(s, user.agency_code)
        notices = ns.received(s, user.id)
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, title=_("工作台"),
            shortcuts=[(sc, menu[sc.menu_key]) for sc in own if sc.menu_key in menu and holds_module(sc.menu_key)],
            add_form=add_form, action_form=ActionForm(),
            done=q.done_business(s, user.username),
            notices=notices, unread=sum(1 for n in notices if not n.read), quick=quick,
            counts=q.business_counts(s, visible_agency_codes(s, user), today),
            scope_size=len(visible_agency_codes(s, user)),
            todos=q.todos(s, user.id, user.agency_code, today), assign_form=assign_form, may_assign=may_assign,
            prev_login_at=beijing(user.prev_login_at), prev_login_ip=user.prev_login_ip or "—",
            first_login=user.prev_login_at is None, today=today, todo_link=todo_link)


class WorkbenchActions(BaseView):
    archives_module = "workbench"
    """POST-only actions of the workbench panels (CSRF-checked)."""

    route_base = "/workbench"
    default_view = "shortcut_add"


    def _back(self):
        return redirect(url_for("WorkbenchView.index"))

    # -- 常用功能 -----------------------------------------------------------------
    @expose("/shortcuts/add", methods=["POST"])
    @login_required
    def shortcut_add(self):
        s, user = db(), g.user
        form = ShortcutForm()
        form.menu_key.choices = shortcut_choices({sc.menu_key for sc in q.shortcuts(s, user.id)})
        if not form.validate_on_submit():
            flash(_("请选择一个功能"), "danger")
            return self._back()
        last = s.scalar(select(func.max(UserShortcut.sort_order)).where(UserShortcut.user_id == user.id))
        s.add(UserShortcut(user_id=user.id, menu_key=form.menu_key.data, sort_order=(last or 0) + 1))
        s.commit()
        return self._back()

    def _own_shortcut(self, pk: int) -> UserShortcut:
        sc = db().get(UserShortcut, pk)
        if sc is None or sc.user_id != g.user.id:
            abort(404)
        return sc

    @expose("/shortcuts/<int:pk>/remove", methods=["POST"])
    @login_required
    def shortcut_remove(self, pk: int):
        if not ActionForm().validate_on_submit():
            abort(400)
        db().delete(self._own_shortcut(pk))
        db().commit()
        return self._back()

    @expose("/shortcuts/<int:pk>/move", methods=["POST"])
    @login_required
    def shortcut_move(self, pk: int):
        form = ActionForm()
        if not form.validate_on_submit() or form.direction.data not in ("up", "down"):
            abort(400)
        own = q.shortcuts(db(), g.user.id)
        sc = self._own_shortcut(pk)
        i = own.index(sc)
        j = i - 1 if form.direction.data == "up" else i + 1
        if 0 <= j < len(own):
            own[i], own[j] = own[j], own[i]
        for n, item in enumerate(own, start=1):  # renumber: the order is exactly the list's
            item.sort_order = n
        db().commit()
        return self._back()

    # -- 待办事项 -----------------------------------------------------------------
    def _todo_in_my_agency(self, pk: int) -> Todo:
        t = db().get(Todo, pk)
        if t is None or t.agency_code != g.user.agency_code:
            abort(404)
        return t

    @expose("/todos/<int:pk>/assign", methods=["POST"])
    @requires("todo.assign")
    def todo_assign(self, pk: int):
        s, user = db(), g.user
        t = self._todo_in_my_agency(pk)
        form = AssignForm()
        form.assignee.choices = assign_choices(s, user.agency_code)
        if not form.validate_on_submit():
            flash(_("请选择用户组或用户"), "danger")
            return self._back()
        if t.status == "已办结":
            flash(_("该事项已办结"), "warning")
            return self._back()
        kind, _sep, ident = form.assignee.data.partition(":")
        before = {"分配给用户组": t.assignee_group_id, "分配给用户": t.assignee_user_id, "状态": t.status}
        if kind == "g":
            t.assignee_group_id, t.assignee_user_id = int(ident), None
            target = Msg("用户组 %(g)s", g=s.get(Group, int(ident)).label or s.get(Group, int(ident)).name)
        else:
            t.assignee_group_id, t.assignee_user_id = None, int(ident)
            target = Msg("用户 %(u)s", u=s.get(User, int(ident)).username)
        t.status, t.assigned_by, t.updated_by = "待办理", user.username, user.username
        s.flush()
        record(s, "分配", f"待办事项「{t.title}」分配给{target}", module=MODULE_TODO, object_type="待办事项",
               object_id=t.id, before=before,
               after={"分配给用户组": t.assignee_group_id, "分配给用户": t.assignee_user_id, "状态": t.status})
        s.commit()
        flash(_("已分配给%(target)s", target=show(target)), "success")
        return self._back()

    @expose("/todos/<int:pk>/done", methods=["POST"])
    @login_required
    def todo_done(self, pk: int):
        s, user = db(), g.user
        t = self._todo_in_my_agency(pk)
        if not ActionForm().validate_on_submit():
            abort(400)
        if not (q.is_assignee(s, t, user.id) or can(user, "todo.assign")):
            abort(403)
        if t.status != "已办结":
            before = {"状态": t.status}
            t.status, t.done_by, t.done_at, t.updated_by = "已办结", user.username, now_utc(), user.username
            s.flush()
            record(s, "办结", f"办结待办事项「{t.title}」", module=MODULE_TODO, object_type="待办事项",
                   object_id=t.id, before=before, after={"状态": t.status, "办结人": user.username})
            s.commit()
            flash(_("事项已办结"), "success")
        return self._back()
