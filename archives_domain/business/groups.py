"""用户组 (user groups) of an agency: the addressees of notices and to-dos (附件 三.1: 按用户组或用户分配/发布).

A group belongs to the agency of the 系统管理员 who creates it (`ab_group.agency_code`); everything here is
scoped by the actor's own agency — another agency's group is NotFound. Members are the active business
users of that agency (an administrator account never receives the agency's to-dos: 三员分立).

Deleting a group is refused while a notice is addressed to it or a to-do is (or was) assigned to it: those
rows are the record of who received what; rename the group instead.

Who may call these commands (the 系统管理员 only) is the web side's check (`ops_app.groups`).
"""
from __future__ import annotations

from sqlalchemy import delete, exists, func, insert, select

from ..accounts.roles import ADMIN_ROLES
from ..models import NoticeRecipient, Todo
from ..models.security import Group, Role, User, group_role, user_group, user_role
from .base import BusinessError, ConflictError, Context, FieldErrors, NotFound, Refused, audit, transaction
from .fields import FieldSpec, parse

MODULE = ("系统管理", "用户组")
SPECS = (FieldSpec("name", "用户组名称", max_len=100), FieldSpec("description", "说明", max_len=512))
LABELS = {"name": "用户组名称", "description": "说明", "members": "成员"}


def _agency(ctx: Context) -> str:
    if not ctx.actor.agency_code:
        raise BusinessError("您的账号未绑定存档机构，不能管理用户组")
    return ctx.actor.agency_code


def list_groups(ctx: Context) -> list[tuple[Group, int]]:
    """The agency's groups with their member counts, by name."""
    n = (select(func.count()).select_from(user_group).where(user_group.c.group_id == Group.id)
         .correlate(Group).scalar_subquery())
    return [(grp, count) for grp, count in ctx.session.execute(
        select(Group, n).where(Group.agency_code == _agency(ctx)).order_by(Group.name))]


def get_group(ctx: Context, pk) -> Group:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("用户组") from None
    grp = ctx.session.scalar(select(Group).where(Group.id == pk, Group.agency_code == _agency(ctx)))
    if grp is None:
        raise NotFound("用户组")
    return grp


def member_choices(ctx: Context) -> list[User]:
    """Who may be a member: the agency's active users holding no administrator role."""
    admin = exists().where(user_role.c.user_id == User.id, user_role.c.role_id == Role.id,
                           Role.name.in_(ADMIN_ROLES))
    return list(ctx.session.scalars(select(User).where(User.agency_code == _agency(ctx), User.active.is_(True),
                                                       ~admin).order_by(User.username)))


def member_ids(ctx: Context, grp: Group) -> list[int]:
    return sorted(ctx.session.scalars(select(user_group.c.user_id).where(user_group.c.group_id == grp.id)))


def _snapshot(ctx: Context, grp: Group) -> dict:
    names = sorted(ctx.session.scalars(select(User.username).join(user_group, user_group.c.user_id == User.id)
                                       .where(user_group.c.group_id == grp.id)))
    return {"用户组名称": grp.name, "说明": grp.description, "机构": grp.agency_code, "成员": names}


def _values(ctx: Context, raw: dict, grp: Group | None) -> tuple[dict, list[int]]:
    errors: dict[str, str] = {}
    try:
        values = parse(SPECS, raw)
    except FieldErrors as exc:
        errors.update(exc.errors)
        values = {}
    name = values.get("name")
    if "name" not in errors and not name:
        errors["name"] = "用户组名称：请填写名称（通知和待办按名称选择用户组）"  # a nameless group cannot be chosen
    elif name and ctx.session.scalar(select(Group.id).where(Group.name == name, Group.id != (grp.id if grp else -1))):
        errors["name"] = f"用户组名称：“{name}”已被使用"
    allowed = {u.id for u in member_choices(ctx)}
    try:
        members = sorted({int(m) for m in raw.get("members") or []})
    except (TypeError, ValueError):
        members = [-1]
    if any(m not in allowed for m in members):
        errors["members"] = "成员：只能选择本机构的启用用户（管理员账号除外）"
    if errors:
        raise FieldErrors(errors)
    return values, members


def _set_members(ctx: Context, grp: Group, members: list[int]) -> None:
    ctx.session.execute(delete(user_group).where(user_group.c.group_id == grp.id))
    if members:
        ctx.session.execute(insert(user_group), [{"user_id": m, "group_id": grp.id} for m in members])


def create_group(ctx: Context, raw: dict) -> Group:
    """新增用户组 in the actor's agency, with its members."""
    agency = _agency(ctx)
    values, members = _values(ctx, raw, None)
    with transaction(ctx) as s:
        grp = Group(name=values["name"], label=values["name"], description=values.get("description"),
                    agency_code=agency, version=1, created_by=ctx.actor.username, updated_by=ctx.actor.username)
        s.add(grp)
        s.flush()
        _set_members(ctx, grp, members)
        audit(ctx, "新增", f"新增用户组 {grp.name}（{len(members)} 名成员）", module=MODULE, object_type="用户组",
              object_id=grp.id, after=_snapshot(ctx, grp))
    return grp


def update_group(ctx: Context, pk, raw: dict, *, version=None, original: dict | None = None) -> Group:
    """改名、说明和成员; the form's version and original values guard against a concurrent edit."""
    grp = get_group(ctx, pk)
    now = {"name": grp.name, "description": grp.description or "", "members": ",".join(map(str, member_ids(ctx, grp)))}
    if version not in (None, "") and str(version) != str(grp.version):
        changed = [LABELS[k] for k in now if original is not None and str(original.get(k) or "") != str(now[k])]
        raise ConflictError(grp.updated_by, grp.updated_at, changed)
    values, members = _values(ctx, raw, grp)
    with transaction(ctx):
        before = _snapshot(ctx, grp)
        grp.name, grp.label, grp.description = values["name"], values["name"], values.get("description")
        _set_members(ctx, grp, members)
        after = _snapshot(ctx, grp)
        if before == after:
            return grp
        grp.version = (grp.version or 1) + 1
        grp.updated_by = ctx.actor.username
        audit(ctx, "修改", f"修改用户组 {grp.name}", module=MODULE, object_type="用户组", object_id=grp.id,
              before={k: v for k, v in before.items() if after[k] != v},
              after={k: v for k, v in after.items() if before[k] != v})
    return grp


def delete_group(ctx: Context, pk) -> None:
    """删除用户组 — refused while notices or to-dos point at it (they record who received what)."""
    grp = get_group(ctx, pk)
    s = ctx.session
    notices = s.scalar(select(func.count()).select_from(NoticeRecipient).where(NoticeRecipient.group_id == grp.id))
    todos = s.scalar(select(func.count()).select_from(Todo).where(Todo.assignee_group_id == grp.id))
    if notices or todos:
        raise Refused(f"用户组“{grp.name}”仍被 {notices} 条通知公告、{todos} 条待办事项引用，不能删除（可改名）")
    with transaction(ctx):
        before = _snapshot(ctx, grp)
        s.execute(delete(user_group).where(user_group.c.group_id == grp.id))
        s.execute(delete(group_role).where(group_role.c.group_id == grp.id))
        s.delete(grp)
        audit(ctx, "删除", f"删除用户组 {before['用户组名称']}", module=MODULE, object_type="用户组",
              object_id=pk, before=before)
