"""系统管理 → 存档机构管理 and 用户管理 (系统管理员 only; 三员分立).

* 存档机构管理: list/search, create, edit the three-level agencies (省级 ⊃ 市级 ⊃ 县级).
  Level rules: a 省级 agency has no parent; a 市级 agency's parent is 省级; a 县级
  agency's parent is 市级 or 省级; the parent must be active. Agencies are never
  deleted: they are deactivated (refused while active agencies or users hang below).
* 用户管理: list/search (username, name, agency, role), create an account bound to an
  agency and propose its roles, edit name/agency/roles/active, unlock a locked account,
  reset the TOTP second factor (lost phone: re-enrolment at next login), reset a password.
* No administrator alone gets a usable business account (issue 13, 三员分立;
  archives_domain.accounts.confirmation): a new account has no password and stays disabled
  until a 安全管理员 confirms its roles (用户权限 → 待确认账号), which issues a one-time
  password; a change of roles or agency, re-enabling, or a password reset puts it back there.
* 三员分立: only a 系统管理员 may use these pages (besides the module permission); the
  web page assigns business roles only — an administrator role (系统管理员, 安全管理员,
  审计管理员) is never given or taken here (they are created from the shell,
  `archives users create`); no account ends up with two administrator roles; a
  系统管理员 cannot change its own roles, deactivate itself or reset its own TOTP.
* Every change goes into the audit chain with before/after (`ops_app.business_log`);
  refused changes are audited as 失败.
"""
from __future__ import annotations

import re

from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from sqlalchemy import delete, func, insert, or_, select

from archives_domain.accounts import confirmation
from archives_domain.accounts.passwords import PasswordPolicyError
from archives_domain.accounts.roles import ADMIN_ROLES, BUSINESS_ROLES, SYSTEM_ADMIN, RoleConflictError, \
    check_role_combination
from archives_domain.accounts.users import AccountError, create_user
from archives_domain.models import Agency
from archives_domain.models.base import now_utc
from archives_domain.models.security import Role, User, user_role

from ..business_log import record
from ..i18n import N_, Msg, _, show
from ..params import page_arg
from ..security import permissions as P
from .forms import ActionForm, AgencyForm, UserForm

AGENCY_MODULE, USER_MODULE = "system.agency", "system.user"
AGENCY_PATH, USER_PATH = ("系统管理", "存档机构管理"), ("系统管理", "用户管理")
LEVELS = ("省级", "市级", "县级")
PARENT_LEVELS = {"省级": (), "市级": ("省级",), "县级": ("市级", "省级")}
PAGE = 50


def db():
    return current_app.appbuilder.sm.session


def like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _arg(name: str) -> str:
    return (request.args.get(name) or "").strip()[:64]


def _only_system_admin():
    if not P.has_role(SYSTEM_ADMIN):
        return P.forbidden(_("只有系统管理员可以管理存档机构与用户"))
    return None


# -- 存档机构 ------------------------------------------------------------------------------------------------
def agency_snapshot(a: Agency) -> dict:
    return {"代码": a.code, "名称": a.name, "级别": a.level, "行政区划": a.region_code, "上级机构": a.parent_code,
            "地址": a.address, "联系电话": a.phone, "联系人": a.contact, "启用": bool(a.active)}


def check_agency(s, *, code: str, level: str, parent_code: str | None, region_code: str, active: bool) -> None:
    """The level/parent rules; raises ValueError with a message for the user."""
    if not re.fullmatch(r"\d{8}", code or ""):
        raise ValueError(Msg("机构代码须为 8 位数字"))
    if not re.fullmatch(r"\d{6}", region_code or ""):
        raise ValueError(Msg("行政区划代码须为 6 位数字"))
    if level not in LEVELS:
        raise ValueError(Msg("级别须为省级、市级或县级"))
    allowed = PARENT_LEVELS[level]
    if not allowed:
        if parent_code:
            raise ValueError(Msg("省级机构不能有上级机构"))
    else:
        if not parent_code:
            raise ValueError(Msg("%(level)s机构须选择上级机构（%(allowed)s）", level=level, allowed="或".join(allowed)))
        if parent_code == code:
            raise ValueError(Msg("上级机构不能是自己"))
        parent = s.get(Agency, parent_code)
        if parent is None:
            raise ValueError(Msg("上级机构 %(code)s 不存在", code=parent_code))
        if parent.level not in allowed:
            raise ValueError(Msg("%(level)s机构的上级须为%(allowed)s机构，%(parent)s是%(plevel)s", level=level,
                                 allowed="或".join(allowed), parent=parent.name, plevel=parent.level))
        if not parent.active and active:
            raise ValueError(Msg("上级机构 %(name)s 已停用", name=parent.name))
    children = list(s.scalars(select(Agency).where(Agency.parent_code == code))) if code else []
    for child in children:
        if level not in PARENT_LEVELS.get(child.level, ()):
            raise ValueError(Msg("下级机构 %(name)s（%(clevel)s）的上级不能是%(level)s机构", name=child.name,
                                 clevel=child.level, level=level))
    if not active:
        if any(c.active for c in children):
            raise ValueError(Msg("仍有启用的下级机构，不能停用"))
        users = s.scalar(select(func.count()).select_from(User).where(User.agency_code == code,
                                                                      User.active.is_(True))) if code else 0
        if users:
            raise ValueError(Msg("仍有 %(n)s 个启用的用户属于该机构，不能停用", n=users))


def _parent_choices(s, exclude: str | None = None):
    rows = s.scalars(select(Agency).order_by(Agency.code))  # every agency: the level rules answer in Chinese
    return [("", _("（无）"))] + [(a.code, _agency_label(a)) for a in rows if a.code != exclude]


def _agency_label(a) -> str:
    if a.active:
        return _("%(code)s %(name)s（%(level)s）", code=a.code, name=a.name, level=_(a.level))
    return _("%(code)s %(name)s（%(level)s，已停用）", code=a.code, name=a.name, level=_(a.level))


class AgencyAdminView(BaseView):
    route_base = "/system/agencies"
    default_view = "list"
    archives_module = AGENCY_MODULE

    @expose("/")
    def list(self):
        if (denied := _only_system_admin()) is not None:
            return denied
        s = db()
        f = {"q": _arg("q"), "level": _arg("level"), "active": _arg("active")}
        q = select(Agency)
        if f["q"]:
            q = q.where(or_(Agency.code.like(like(f["q"]), escape="\\"), Agency.name.like(like(f["q"]), escape="\\"),
                            Agency.region_code.like(like(f["q"]), escape="\\")))
        if f["level"] in LEVELS:
            q = q.where(Agency.level == f["level"])
        if f["active"] in ("1", "0"):
            q = q.where(Agency.active.is_(f["active"] == "1"))
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        page = page_arg()
        rows = list(s.scalars(q.order_by(Agency.code).limit(PAGE).offset((page - 1) * PAGE)))
        names = dict(s.execute(select(Agency.code, Agency.name)).all())
        return self.render_template("system/agencies.html", title=_("存档机构管理"), appbuilder=self.appbuilder,
                                    rows=rows, f=f, levels=LEVELS, total=total, page=page, names=names,
                                    more=page * PAGE < total)

    def _form(self, agency: Agency | None):
        s = db()
        form = AgencyForm(obj=agency) if request.method == "GET" and agency else AgencyForm()
        form.parent_code.choices = _parent_choices(s, agency.code if agency else None)
        if agency is not None:
            form.code.render_kw = {"readonly": True}
        return form

    @expose("/add", methods=["GET", "POST"])
    def add(self):
        return self._edit(None)

    @expose("/<code>/edit", methods=["GET", "POST"])
    def edit(self, code):
        agency = db().get(Agency, code)
        if agency is None:
            return P.forbidden(_("机构不存在"))
        return self._edit(agency)

    def _edit(self, agency: Agency | None):
        if (denied := _only_system_admin()) is not None:
            return denied
        s = db()
        form = self._form(agency)
        if request.method == "GET" and agency is None:
            form.active.data = True
        if form.validate_on_submit():
            code = agency.code if agency else form.code.data.strip()
            values = {"name": form.name.data.strip(), "level": form.level.data,
                      "region_code": form.region_code.data.strip(), "parent_code": form.parent_code.data or None,
                      "address": form.address.data or None, "phone": form.phone.data or None,
                      "contact": form.contact.data or None, "active": bool(form.active.data)}
            try:
                if agency is None and s.get(Agency, code) is not None:
                    raise ValueError(Msg("机构代码 %(code)s 已存在", code=code))
                same_name = s.scalar(select(Agency.code).where(Agency.name == values["name"], Agency.code != code))
                if same_name:
                    raise ValueError(Msg("机构名称已被 %(code)s 使用", code=same_name))
                check_agency(s, code=code, level=values["level"], parent_code=values["parent_code"],
                             region_code=values["region_code"], active=values["active"])
            except ValueError as exc:
                s.rollback()
                record(s, "修改" if agency else "新增", f"存档机构保存被拒绝：{exc}", module=AGENCY_PATH,
                       object_type="存档机构", object_id=code, result="失败")
                s.commit()
                flash(_("未保存：") + show(exc), "danger")
            else:
                if agency is None:
                    agency = Agency(code=code, **values)
                    s.add(agency)
                    s.flush()
                    record(s, "新增", f"新增存档机构 {code} {agency.name}（{agency.level}）", module=AGENCY_PATH,
                           object_type="存档机构", object_id=code, after=agency_snapshot(agency))
                else:
                    before = agency_snapshot(agency)
                    for k, v in values.items():
                        setattr(agency, k, v)
                    after = agency_snapshot(agency)
                    if before == after:
                        flash(_("没有变化"), "info")
                        return redirect(url_for(".list", q=code))
                    action = "停用" if before["启用"] and not after["启用"] else "修改"
                    record(s, action, f"{action}存档机构 {code} {agency.name}", module=AGENCY_PATH,
                           object_type="存档机构", object_id=code,
                           before={k: v for k, v in before.items() if after[k] != v},
                           after={k: v for k, v in after.items() if before[k] != v})
                s.commit()
                flash(_("已保存"), "success")
                return redirect(url_for(".list", q=code))
        return self.render_template("system/agency_form.html", title=_("存档机构管理"), appbuilder=self.appbuilder,
                                    form=form, agency=agency)


# -- 用户 ------------------------------------------------------------------------------------------------------
def role_names(s, user_id: int) -> list[str]:
    return list(s.scalars(select(Role.name).join(user_role, user_role.c.role_id == Role.id)
                          .where(user_role.c.user_id == user_id).order_by(Role.id)))


def user_snapshot(s, u: User) -> dict:
    return {"用户名": u.username, "姓名": u.first_name, "机构": u.agency_code, "角色": role_names(s, u.id),
            "启用": bool(u.active), "锁定至": u.locked_until.isoformat(" ", "seconds") if u.locked_until else None,
            "动态口令": "已启用" if u.totp_enabled else "未启用",
            "角色确认": confirmation.PENDING if confirmation.is_pending(s, u.id) else confirmation.CONFIRMED}


def check_roles(*, old: list[str], new: list[str], editing_self: bool) -> None:
    """三员分立 on an assignment made from the web page; raises ValueError."""
    try:
        check_role_combination(new)
    except RoleConflictError as exc:
        raise ValueError(str(exc)) from None
    if editing_self and set(old) != set(new):
        raise ValueError(Msg("三员分立：系统管理员不能修改自己的角色"))
    unknown = set(new) - set(ADMIN_ROLES) - set(BUSINESS_ROLES)
    if unknown:
        raise ValueError(Msg("角色不存在：%(roles)s", roles="、".join(sorted(unknown))))
    admin_changes = (set(old) ^ set(new)) & set(ADMIN_ROLES)
    if admin_changes:
        raise ValueError(Msg("三员分立：管理员角色（%(roles)s）不能在此授予或收回，请由运维人员在服务器上用 archives users create 创建",
                             roles="、".join(sorted(admin_changes, key=ADMIN_ROLES.index))))
    if set(old) & set(ADMIN_ROLES) and set(new) - set(ADMIN_ROLES):
        raise ValueError(Msg("三员分立：管理员账号不能再拥有业务角色"))


def _agency_choices(s):
    return [(a.code, _agency_label(a)) for a in s.scalars(select(Agency).order_by(Agency.code))]


def _set_roles(s, user: User, names: list[str]) -> None:
    s.execute(delete(user_role).where(user_role.c.user_id == user.id))
    for role in s.scalars(select(Role).where(Role.name.in_(names))):
        s.execute(insert(user_role).values(user_id=user.id, role_id=role.id))
    s.flush()


class UserAdminView(BaseView):
    route_base = "/system/users"
    default_view = "list"
    archives_module = USER_MODULE

    @expose("/")
    def list(self):
        if (denied := _only_system_admin()) is not None:
            return denied
        s = db()
        f = {"username": _arg("username"), "name": _arg("name"), "agency": _arg("agency"), "role": _arg("role")}
        q = select(User)
        if f["username"]:
            q = q.where(User.username.like(like(f["username"]), escape="\\"))
        if f["name"]:
            q = q.where(or_(User.first_name.like(like(f["name"]), escape="\\"),
                            User.last_name.like(like(f["name"]), escape="\\")))
        if f["agency"]:
            codes = select(Agency.code).where(or_(Agency.code.like(like(f["agency"]), escape="\\"),
                                                  Agency.name.like(like(f["agency"]), escape="\\")))
            q = q.where(User.agency_code.in_(codes))
        if f["role"]:
            ids = select(user_role.c.user_id).join(Role, Role.id == user_role.c.role_id) \
                .where(Role.name == f["role"])
            q = q.where(User.id.in_(ids))
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        page = page_arg()
        users = list(s.scalars(q.order_by(User.username).limit(PAGE).offset((page - 1) * PAGE)))
        roles = {u.id: role_names(s, u.id) for u in users}
        names = dict(s.execute(select(Agency.code, Agency.name)).all())
        now = now_utc().replace(tzinfo=None)
        locked = {u.id for u in users if u.locked_until and u.locked_until.replace(tzinfo=None) > now}
        pending = {u.id for u in users if confirmation.is_pending(s, u.id)}
        return self.render_template("system/users.html", title=_("用户管理"), appbuilder=self.appbuilder, users=users,
                                    roles=roles, names=names, locked=locked, pending=pending, f=f, total=total,
                                    page=page, admin_roles=ADMIN_ROLES,
                                    more=page * PAGE < total, all_roles=ADMIN_ROLES + BUSINESS_ROLES,
                                    action_form=ActionForm())

    @expose("/add", methods=["GET", "POST"])
    def add(self):
        return self._edit(None)

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    def edit(self, pk):
        user = db().get(User, pk)
        if user is None:
            return P.forbidden(_("用户不存在"))
        return self._edit(user)

    def _edit(self, user: User | None):
        if (denied := _only_system_admin()) is not None:
            return denied
        s = db()
        form = self._user_form(user)
        if form.validate_on_submit():
            new_roles = [r for r in form.roles.data if r]
            try:
                self._check_user_form(form, user, new_roles)
                if user is None:
                    user = self._create(form, new_roles)
                else:
                    if not self._update(form, user, new_roles):
                        s.rollback()
                        flash(_("没有变化"), "info")
                        return redirect(url_for(".list", username=user.username))
            except (ValueError, AccountError, PasswordPolicyError) as exc:
                s.rollback()
                target = user.username if user is not None else (form.username.data or "")[:64]
                record(s, "修改" if user is not None else "新增", f"用户 {target} 保存被拒绝：{exc}"[:500],
                       module=USER_PATH, object_type="用户", object_id=getattr(user, "id", None), result="失败")
                s.commit()
                flash(_("未保存：") + show(exc), "danger")
            else:
                s.commit()
                if confirmation.is_pending(s, user.id):
                    flash(_("已保存；账号待安全管理员确认角色后启用，初始口令由安全管理员确认时生成并交付"), "warning")
                else:
                    flash(_("已保存"), "success")
                return redirect(url_for(".list", username=user.username))
        return self.render_template("system/user_form.html", title=_("用户管理"), appbuilder=self.appbuilder,
                                    form=form, user=user,
                                    pending=user is not None and confirmation.is_pending(s, user.id))

    def _user_form(self, user: User | None) -> UserForm:
        s = db()
        form = UserForm()
        form.agency_code.choices = _agency_choices(s)
        form.roles.choices = [(r, r) for r in BUSINESS_ROLES + ADMIN_ROLES]
        if request.method == "GET":
            form.active.data = True if user is None else bool(user.active)
            if user is not None:
                form.username.data, form.first_name.data = user.username, user.first_name
                form.agency_code.data, form.roles.data = user.agency_code, role_names(s, user.id)
        if user is not None:
            form.username.render_kw = {"readonly": True}
        return form

    def _check_user_form(self, form: UserForm, user: User | None, new_roles: list[str]) -> None:
        s = db()
        editing_self = user is not None and user.id == g.user.id
        check_roles(old=role_names(s, user.id) if user else [], new=new_roles, editing_self=editing_self)
        if not new_roles:
            raise ValueError(Msg("请至少选择一个角色"))
        if editing_self and not form.active.data:
            raise ValueError(Msg("不能停用自己的账号"))
        agency = s.get(Agency, form.agency_code.data)
        if agency is not None and not agency.active and (user is None or user.agency_code != agency.code):
            raise ValueError(Msg("存档机构 %(name)s 已停用，不能绑定用户", name=agency.name))

    def _create(self, form: UserForm, new_roles: list[str]) -> User:
        """A new account: no password and disabled until a 安全管理员 confirms its roles (三员分立)."""
        s = db()
        user = create_user(s, username=form.username.data.strip(), password=None, role_names=new_roles,
                           agency_code=form.agency_code.data, first_name=form.first_name.data.strip())
        confirmation.propose(s, user, by=g.user.username, reason="新建账号")
        record(s, "新增", f"新增用户 {user.username}（{user.agency_code}，{'、'.join(new_roles)}），待安全管理员确认角色",
               module=USER_PATH, object_type="用户", object_id=user.id, after=user_snapshot(s, user))
        return user

    def _update(self, form: UserForm, user: User, new_roles: list[str]) -> bool:
        """Apply the edit; a change of roles or agency, or re-enabling, waits for a 安全管理员. False: no change."""
        s = db()
        before = user_snapshot(s, user)
        old_roles, old_agency, was_active = before["角色"], user.agency_code, bool(user.active)
        user.first_name = form.first_name.data.strip()
        user.agency_code = form.agency_code.data
        user.active = bool(form.active.data)
        if not user.active:
            user.session_id = None  # a deactivated account's open session ends now
        _set_roles(s, user, new_roles)
        if confirmation.needs_confirmation(old_roles=old_roles, new_roles=new_roles, old_agency=old_agency,
                                           new_agency=user.agency_code, was_active=was_active, active=user.active):
            confirmation.propose(s, user, by=g.user.username, reason="角色、机构变更或重新启用")
        elif confirmation.is_pending(s, user.id):
            user.active = False  # still waiting: the 系统管理员 cannot enable it
        after = user_snapshot(s, user)
        if before == after:
            return False
        user.changed_on = now_utc()
        record(s, "修改", f"修改用户 {user.username}" + ("，待安全管理员确认角色" if after["角色确认"] == "待确认" else ""),
               module=USER_PATH, object_type="用户", object_id=user.id,
               before={k: v for k, v in before.items() if after[k] != v},
               after={k: v for k, v in after.items() if before[k] != v})
        return True

    def _action(self, pk: int, action: str, summary: str, change) -> object:
        if (denied := _only_system_admin()) is not None:
            return denied
        s = db()
        user = s.get(User, pk)
        if user is None:
            return P.forbidden(_("用户不存在"))
        if not ActionForm().validate_on_submit():
            return P.forbidden(_("请求无效（缺少 CSRF 令牌）"))
        if user.id == g.user.id:
            record(s, action, f"{summary}被拒绝：不能对自己的账号操作", module=USER_PATH, object_type="用户",
                   object_id=user.id, result="失败")
            s.commit()
            flash(_("不能对自己的账号执行此操作"), "danger")
            return redirect(url_for(".list"))
        before = user_snapshot(s, user)
        try:
            change(user)
        except ValueError as exc:
            s.rollback()
            record(s, action, f"{summary}被拒绝：{user.username}：{exc}", module=USER_PATH, object_type="用户",
                   object_id=user.id, result="失败")
            s.commit()
            flash(_("未保存：") + show(exc), "danger")
            return redirect(url_for(".list", username=user.username))
        user.changed_on = now_utc()
        s.flush()
        record(s, action, f"{summary}：{user.username}", module=USER_PATH, object_type="用户", object_id=user.id,
               before=before, after=user_snapshot(s, user))
        s.commit()
        flash(_("已%(what)s：%(user)s", what=_(summary), user=user.username), "success")
        return redirect(url_for(".list", username=user.username))

    @expose("/<int:pk>/unlock", methods=["POST"])
    def unlock(self, pk):
        def change(user):
            user.locked_until = None
            user.fail_login_count = 0
        return self._action(pk, "解锁", N_("解除锁定"), change)

    @expose("/<int:pk>/reset-totp", methods=["POST"])
    def reset_totp(self, pk):
        def change(user):
            # Lost phone: the old secret is gone; the next login enrols a new one (TOTP stays mandatory).
            user.totp_enabled = False
            user.totp_secret_enc = None
            user.totp_last_step = None
            user.session_id = None
        return self._action(pk, "重置动态口令", N_("重置动态口令"), change)

    @expose("/<int:pk>/reset-password", methods=["POST"])
    def reset_password(self, pk):
        def change(user):
            # The 系统管理员 never sets or sees a password: the old one is void, the account waits for a
            # 安全管理员, whose confirmation issues a one-time password for hand-over.
            if set(role_names(db(), user.id)) & set(ADMIN_ROLES):
                raise ValueError(Msg("三员分立：管理员账号的口令不能在此重置"))
            confirmation.reset_password(db(), user, by=g.user.username)
        return self._action(pk, "重置口令", N_("重置口令"), change)
