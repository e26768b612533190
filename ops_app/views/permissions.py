"""系统管理 → 用户权限: the module tree with checkboxes, for a role or a single user (安全管理员 only)."""
from __future__ import annotations

import json

from flask import flash, g, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from sqlalchemy import select

from archives_domain.accounts import confirmation, grants
from archives_domain.accounts.roles import ADMIN_ROLES, BUILTIN_ROLES, SECURITY_ADMIN
from archives_domain.models.security import Role, User

from ..i18n import Msg, _, show
from ..menu import MENU
from ..params import id_arg
from ..security import events
from ..security import permissions as P
from .forms import ActionForm

MODULE_PATH = ("系统管理", "用户权限")


def _special_value(perm: grants.Perm) -> str:
    return f"{perm[0]}@{perm[1]}"


class PermissionTreeView(BaseView):
    route_base = "/permissions"
    default_view = "index"
    archives_module = P.PERMISSION_MODULE

    def _session(self):
        return self.appbuilder.sm.session

    def _guard(self):
        # Beyond the module permission: only a 安全管理员 manages roles and permissions (三员分立).
        if not P.has_role(SECURITY_ADMIN):
            return P.forbidden(_("只有安全管理员可以管理角色与权限"))
        return None

    def _subject(self):
        s = self._session()
        if (user_id := id_arg("user", form=True)) is not None:  # ids parsed within bounds (400 otherwise)
            user = s.get(User, user_id)
            return ("user", user) if user else (None, None)
        role_id = id_arg("role", form=True)
        role = s.get(Role, role_id) if role_id else s.scalar(select(Role).where(Role.name == BUILTIN_ROLES[3]))
        return ("role", role) if role else (None, None)

    def _role_names(self, user: User) -> set[str]:
        s = self._session()
        return set(s.scalars(select(Role.name).where(Role.id.in_(grants.user_role_ids(s, user.id)))))

    def _state(self, kind, subject):
        """(held permissions, permissions from roles (users only), own overrides (users only))."""
        s, key = self._session(), P.seal_key()
        if kind == "role":
            return grants.role_grants(s, key, [subject.id]).perms & P.universe(), set(), {}
        from_roles = grants.role_grants(s, key, grants.user_role_ids(s, subject.id)).perms & P.universe()
        overrides, _bad = grants.user_overrides(s, key, subject.id)
        held = set(from_roles)
        for perm, granted in overrides.items():
            (held.add if granted else held.discard)(perm)
        return held & P.universe(), from_roles, overrides

    @expose("/", methods=["GET"])
    def index(self):
        if (denied := self._guard()) is not None:
            return denied
        s = self._session()
        kind, subject = self._subject()
        if subject is None:
            return P.forbidden(_("角色或用户不存在"))
        held, from_roles, overrides = self._state(kind, subject)
        policy = grants.role_policy(s, P.seal_key(), subject) if kind == "role" else None
        roles = list(s.scalars(select(Role).where(Role.name != self.appbuilder.sm.auth_role_public)
                               .order_by(Role.id)))
        users = list(s.scalars(select(User).order_by(User.username)))
        return self.render_template(
            "permission_tree.html", title=_("用户权限"), appbuilder=self.appbuilder, menu=MENU, kind=kind,
            subject=subject, held={v for a, v in held if a == P.MODULE_ACTION},
            held_special={_special_value(p) for p in held if p[0] != P.MODULE_ACTION},
            from_roles={v for a, v in from_roles}, overrides={v: on for (a, v), on in overrides.items()},
            special=[(_special_value(p), label) for p, label in P.SPECIAL],
            actions=[(_special_value(p), label) for p, label in P.ACTIONS], policy=policy,
            admin_role=kind == "role" and subject.name in ADMIN_ROLES, roles=roles, users=users,
            user_roles=self._role_names(subject) if kind == "user" else set())

    @expose("/", methods=["POST"])
    def save(self):
        if (denied := self._guard()) is not None:
            return denied
        s, key = self._session(), P.seal_key()
        kind, subject = self._subject()
        if subject is None:
            return P.forbidden(_("角色或用户不存在"))
        nodes = {n.key for top in MENU for _, n in top.walk()}
        desired = {P.module_perm(k) for k in request.form.getlist("module") if k in nodes}
        specials = {_special_value(p): p for p, _ in (*P.SPECIAL, *P.ACTIONS)}
        desired |= {specials[v] for v in request.form.getlist("special") if v in specials}
        back = url_for(".index", **{kind: subject.id})
        held, from_roles, _own = self._state(kind, subject)
        try:
            if kind == "role":
                P.check_grantable({subject.name}, desired, subject=subject.name)
                grants.set_role_grants(s, key, subject, desired, P.universe())
                label = f"角色“{subject.name}”"
            else:
                if subject.id == g.user.id:
                    raise P.GrantError(Msg("不能修改自己的权限"))
                P.check_grantable(self._role_names(subject), desired, subject=subject.username)
                overrides = {p: True for p in desired - from_roles} | {p: False for p in from_roles - desired}
                grants.set_user_overrides(s, key, subject, overrides, P.universe(), g.user.username)
                label = f"用户“{subject.username}”"
            changed = held != desired
            if changed:
                added, removed = desired - held, held - desired
                events.record_plain(
                    s, "授权", f"修改{label}的权限：授予 {P.describe(added) if added else '无'}；"
                               f"收回 {P.describe(removed) if removed else '无'}",
                    object_type="角色" if kind == "role" else "用户", object_id=str(subject.id),
                    before=P.describe(held), after=P.describe(desired), module=MODULE_PATH)
            if kind == "role":
                changed |= self._save_totp(subject)
            s.commit()
        except (P.GrantError, ValueError) as exc:
            s.rollback()
            events.record_plain(s, "授权", f"权限修改被拒绝：{exc}", result="失败",
                                object_type="角色" if kind == "role" else "用户", object_id=str(subject.id),
                                module=MODULE_PATH)
            s.commit()
            flash(_("未保存：") + show(exc), "danger")
            return redirect(back)
        flash(_("权限已保存") if changed else _("没有变化"), "success" if changed else "info")
        return redirect(back)

    def _save_totp(self, role: Role) -> bool:
        s, key = self._session(), P.seal_key()
        wanted = request.form.get("totp_required") == "1"
        before = grants.role_policy(s, key, role)
        if wanted == before.totp_required:
            return False
        grants.set_role_policy(s, key, role, totp_required=wanted, by=g.user.username)
        state = {True: "必须使用动态口令", False: "不强制动态口令"}
        events.record_plain(s, "配置", f"角色“{role.name}”的登录策略：{state[before.totp_required]} → {state[wanted]}",
                            object_type="角色", object_id=str(role.id), before=state[before.totp_required],
                            after=state[wanted], module=MODULE_PATH)
        return True

    # -- 待确认账号: roles proposed by the 系统管理员 (三员分立, archives_domain.accounts.confirmation) ----------
    @expose("/confirm/", methods=["GET"])
    def pending(self):
        if (denied := self._guard()) is not None:
            return denied
        return self._pending_page(None)

    def _pending_page(self, issued):
        s = self._session()
        rows = [(u, c, confirmation.role_names(s, u.id)) for u, c in confirmation.pending(s)]
        return self.render_template("permission_confirm.html", title=_("待确认账号"), appbuilder=self.appbuilder,
                                    rows=rows, form=ActionForm(), issued=issued)

    @expose("/confirm/<int:pk>", methods=["POST"])
    def confirm(self, pk: int):
        if (denied := self._guard()) is not None:
            return denied
        s = self._session()
        user = s.get(User, pk)
        if user is None or not ActionForm().validate_on_submit():
            return P.forbidden(_("用户不存在或请求无效"))
        row = s.get(confirmation.RoleConfirmation, pk)
        before = {"状态": row.status if row else confirmation.CONFIRMED, "角色": confirmation.role_names(s, pk),
                  "机构": user.agency_code, "启用": bool(user.active),
                  "提议人": row.proposed_by if row else None, "原因": row.reason if row else None}
        try:
            password = confirmation.confirm(s, user, by=g.user.username, by_user_id=g.user.id)
        except confirmation.ConfirmationError as exc:
            s.rollback()
            events.record_plain(s, "确认角色", f"确认用户“{user.username}”的角色被拒绝：{exc}", result="失败",
                                object_type="用户", object_id=str(pk), module=MODULE_PATH)
            s.commit()
            flash(_("未确认：") + show(exc), "danger")
            return redirect(url_for(".pending"))
        after = {**before, "状态": confirmation.CONFIRMED, "启用": True,
                 "初始口令": "已生成一次性口令（仅向确认人显示一次）" if password else "沿用原口令"}
        events.record_plain(s, "确认角色", f"确认用户“{user.username}”的角色：{'、'.join(before['角色'])}，账号启用",
                            object_type="用户", object_id=str(pk), module=MODULE_PATH,
                            before=json.dumps(before, ensure_ascii=False), after=json.dumps(after, ensure_ascii=False))
        s.commit()
        flash(_("已确认 %(user)s 的角色，账号已启用", user=user.username), "success")
        if password is None:
            return redirect(url_for(".pending"))
        # Shown once, to the 安全管理员 only, never stored in clear nor cached: hand it over in person.
        resp = make_response(self._pending_page((user, password)))
        resp.headers["Cache-Control"] = "no-store"
        return resp
