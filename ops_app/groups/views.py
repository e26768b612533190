"""系统管理 → 用户组 (/groups/): pages over `archives_domain.business.groups`.

Only a 系统管理员 (the module 用户组 is owned by that role, and the page checks the role too: 三员分立);
groups and members are those of the administrator's own agency; another agency's group is a 404.
"""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose

from archives_domain.accounts.roles import SYSTEM_ADMIN
from archives_domain.business import groups as cmd
from archives_domain.business.base import BusinessError, ConflictError, FieldErrors, Refused

from ..business_ui import context
from ..i18n import _
from ..security import permissions as P
from ..views.forms import ActionForm

MODULE = P.GROUP_MODULE


def _only_system_admin():
    if not P.has_role(SYSTEM_ADMIN):
        return P.forbidden(_("只有系统管理员可以管理用户组"))
    return None


class GroupAdminView(BaseView):
    route_base = "/groups"
    default_view = "list"
    archives_module = MODULE

    @expose("/")
    def list(self):
        if (denied := _only_system_admin()) is not None:
            return denied
        ctx = context()
        return self.render_template("groups/list.html", title=_("用户组"), appbuilder=self.appbuilder,
                                    groups=cmd.list_groups(ctx), action_form=ActionForm(), agency=ctx.actor.agency_code)

    @expose("/new", methods=["GET", "POST"])
    def new(self):
        return self._edit(None)

    @expose("/<int:pk>", methods=["GET", "POST"])
    def edit(self, pk):
        return self._edit(pk)

    def _edit(self, pk):
        if (denied := _only_system_admin()) is not None:
            return denied
        ctx = context()
        grp = cmd.get_group(ctx, pk) if pk is not None else None  # NotFound → 404
        form = request.form
        if request.method == "POST":
            if not ActionForm().validate_on_submit():
                return P.forbidden(_("请求无效（缺少 CSRF 令牌）"))
            raw = {"name": form.get("name"), "description": form.get("description"),
                   "members": form.getlist("members")}
            try:
                if grp is None:
                    grp = cmd.create_group(ctx, raw)
                else:
                    cmd.update_group(ctx, pk, raw, version=form.get("version"),
                                     original={k: form.get(f"_orig_{k}") for k in ("name", "description", "members")})
            except BusinessError as exc:
                return self._page(ctx, grp, raw, exc, status=exc.status)
            flash(_("已保存"), "success")
            return redirect(url_for(".list"))
        raw = ({"name": grp.name, "description": grp.description or "",
                "members": [str(m) for m in cmd.member_ids(ctx, grp)]} if grp else {"members": []})
        return self._page(ctx, grp, raw, None)

    def _page(self, ctx, grp, raw, exc, status=200):
        errors = exc.errors if isinstance(exc, FieldErrors) else {}
        original = ({"name": grp.name, "description": grp.description or "",
                     "members": ",".join(map(str, cmd.member_ids(ctx, grp)))} if grp else {})
        if exc is not None and request.method == "POST" and grp is not None:  # keep what the editor first saw
            original = {k: request.form.get(f"_orig_{k}", v) for k, v in original.items()}
        body = self.render_template("groups/form.html", title=_("用户组"), appbuilder=self.appbuilder, group=grp,
                                    values=raw, errors=errors, message=exc.message if exc else None,
                                    conflict=isinstance(exc, ConflictError), users=cmd.member_choices(ctx),
                                    chosen={str(m) for m in raw.get("members") or []}, original=original,
                                    version=request.form.get("version") if exc is not None and grp else
                                    (grp.version if grp else ""), action_form=ActionForm())
        return body, status

    @expose("/<int:pk>/delete", methods=["POST"])
    def delete(self, pk):
        if (denied := _only_system_admin()) is not None:
            return denied
        if not ActionForm().validate_on_submit():
            return P.forbidden(_("请求无效（缺少 CSRF 令牌）"))
        try:
            cmd.delete_group(context(), pk)
        except Refused as exc:
            flash(exc.message, "danger")
        else:
            flash(_("已删除"), "success")
        return redirect(url_for(".list"))
