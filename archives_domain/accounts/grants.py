"""Sealed permission grants (用户权限) and per-role security policy.

Permissions are FAB's: an action (`ab_permission`, e.g. `menu_access`) on a
view or menu (`ab_view_menu`, e.g. `system.log`), combined in
`ab_permission_view`. A role holds one through `ab_permission_view_role`; a
single user gets one granted or revoked over their roles in
`ab_user_permission`. Every such row carries a seal,

    HMAC-SM3(seal key, "<table>|<ids and names of what the row links>")

and a row whose seal is missing or wrong — inserted or edited behind the
application's back — gives nothing (it is reported, and the app raises an
alert in the audit log). `ab_role_policy` (TOTP required or relaxed) is
sealed the same way; a bad seal there falls back to the strictest policy.

The seal key is derived from the PII key file's index key, like the audit key,
so one key file guards data, audit chain and grants.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..models.base import now_utc
from ..models.security import (Permission, PermissionView, Role, RolePolicy, User, UserPermission, ViewMenu,
                               permission_view_role, user_role)
from ..pii.keyring import Keyring
from .roles import ADMIN_ROLES

Perm = tuple[str, str]  # (permission name, view menu name)


def seal_key(keyring: Keyring) -> bytes:
    return hmac.new(keyring.index_key, b"gz-archives permission seal v1", "sm3").digest()


def _mac(key: bytes, *parts) -> str:
    return hmac.new(key, "|".join(str(p) for p in parts).encode("utf-8"), "sm3").hexdigest()


def role_grant_seal(key: bytes, role_id: int, role_name: str, pv_id: int, perm: Perm) -> str:
    return _mac(key, "ab_permission_view_role", role_id, role_name, pv_id, perm[0], perm[1])


def user_grant_seal(key: bytes, user_id: int, username: str, pv_id: int, perm: Perm, granted: bool) -> str:
    return _mac(key, "ab_user_permission", user_id, username, pv_id, perm[0], perm[1], int(bool(granted)))


def policy_seal(key: bytes, role_id: int, role_name: str, totp_required: bool, grants_initialised: bool) -> str:
    return _mac(key, "ab_role_policy", role_id, role_name, int(bool(totp_required)), int(bool(grants_initialised)))


def _ok(expected: str, seal: str | None) -> bool:
    return bool(seal) and hmac.compare_digest(expected, seal)


@dataclass(frozen=True)
class BadSeal:
    """A row whose seal is missing or wrong: it is ignored."""
    table: str
    row_id: int
    subject: str  # role or user name
    perm: Perm
    seal: str | None


# -- permission catalogue ------------------------------------------------------------------------------
def ensure_permission_views(session: Session, perms: list[Perm]) -> dict[Perm, int]:
    """Create the missing actions, view menus and their combinations (idempotent); returns their ids."""
    actions = {n: i for i, n in session.execute(select(Permission.id, Permission.name))}
    views = {n: i for i, n in session.execute(select(ViewMenu.id, ViewMenu.name))}
    for name in sorted({p for p, _ in perms} - set(actions)):
        obj = Permission(name=name)
        session.add(obj)
        session.flush()
        actions[name] = obj.id
    for name in sorted({v for _, v in perms} - set(views)):
        obj = ViewMenu(name=name)
        session.add(obj)
        session.flush()
        views[name] = obj.id
    existing = {(pid, vid): i for i, pid, vid in session.execute(
        select(PermissionView.id, PermissionView.permission_id, PermissionView.view_menu_id))}
    out = {}
    for perm in perms:
        ids = (actions[perm[0]], views[perm[1]])
        if ids not in existing:
            obj = PermissionView(permission_id=ids[0], view_menu_id=ids[1])
            session.add(obj)
            session.flush()
            existing[ids] = obj.id
        out[perm] = existing[ids]
    return out


def _pv_names(session: Session) -> dict[int, Perm]:
    q = (select(PermissionView.id, Permission.name, ViewMenu.name)
         .join(Permission, Permission.id == PermissionView.permission_id)
         .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id))
    return {i: (p, v) for i, p, v in session.execute(q)}


# -- reading ---------------------------------------------------------------------------------------------
@dataclass
class Grants:
    perms: set[Perm] = field(default_factory=set)
    bad: list[BadSeal] = field(default_factory=list)


def role_grants(session: Session, key: bytes, role_ids: list[int], names: dict[int, Perm] | None = None) -> Grants:
    names = names if names is not None else _pv_names(session)
    out = Grants()
    if not role_ids:
        return out
    t = permission_view_role
    rows = session.execute(select(t.c.id, t.c.role_id, Role.name, t.c.permission_view_id, t.c.seal)
                           .join(Role, Role.id == t.c.role_id).where(t.c.role_id.in_(role_ids)))
    for row_id, role_id, role_name, pv_id, seal in rows:
        perm = names.get(pv_id)
        if perm is None:
            continue
        if _ok(role_grant_seal(key, role_id, role_name, pv_id, perm), seal):
            out.perms.add(perm)
        else:
            out.bad.append(BadSeal("ab_permission_view_role", row_id, role_name, perm, seal))
    return out


def user_overrides(session: Session, key: bytes, user_id: int,
                   names: dict[int, Perm] | None = None) -> tuple[dict[Perm, bool], list[BadSeal]]:
    names = names if names is not None else _pv_names(session)
    good, bad = {}, []
    rows = session.execute(select(UserPermission.id, User.username, UserPermission.permission_view_id,
                                  UserPermission.granted, UserPermission.seal)
                           .join(User, User.id == UserPermission.user_id).where(UserPermission.user_id == user_id))
    for row_id, username, pv_id, granted, seal in rows:
        perm = names.get(pv_id)
        if perm is None:
            continue
        if _ok(user_grant_seal(key, user_id, username, pv_id, perm, granted), seal):
            good[perm] = bool(granted)
        else:
            bad.append(BadSeal("ab_user_permission", row_id, username, perm, seal))
    return good, bad


def user_role_ids(session: Session, user_id: int) -> list[int]:
    return list(session.scalars(select(user_role.c.role_id).where(user_role.c.user_id == user_id)))


def effective(session: Session, key: bytes, user_id: int) -> Grants:
    """What the user may do: the sealed grants of their roles, then their own sealed grants and revocations."""
    names = _pv_names(session)
    grants = role_grants(session, key, user_role_ids(session, user_id), names)
    overrides, bad = user_overrides(session, key, user_id, names)
    for perm, granted in overrides.items():
        (grants.perms.add if granted else grants.perms.discard)(perm)
    grants.bad.extend(bad)
    return grants


# -- changing (the caller audits and commits) --------------------------------------------------------------
def set_role_grants(session: Session, key: bytes, role: Role, desired: set[Perm], universe: set[Perm]) -> None:
    """Make the role hold exactly `desired` among `universe`; rows outside `universe` are left alone.

    A row with a bad seal counts as not held: it is replaced if desired, removed otherwise."""
    ids = ensure_permission_views(session, sorted(universe | desired))
    names = {v: k for k, v in ids.items()}
    t = permission_view_role
    rows = session.execute(select(t.c.id, t.c.permission_view_id, t.c.seal).where(t.c.role_id == role.id)).all()
    held = set()
    for row_id, pv_id, seal in rows:
        perm = names.get(pv_id)
        if perm is None:
            continue
        if perm in desired and _ok(role_grant_seal(key, role.id, role.name, pv_id, perm), seal):
            held.add(perm)
        else:
            session.execute(delete(t).where(t.c.id == row_id))
    for perm in sorted(desired - held):
        pv_id = ids[perm]
        session.execute(insert(t).values(role_id=role.id, permission_view_id=pv_id,
                                         seal=role_grant_seal(key, role.id, role.name, pv_id, perm)))
    session.flush()


def set_user_overrides(session: Session, key: bytes, user: User, overrides: dict[Perm, bool], universe: set[Perm],
                       by: str | None) -> None:
    """Replace the user's own grants/revocations among `universe` with `overrides`."""
    ids = ensure_permission_views(session, sorted(universe | set(overrides)))
    pv_ids = [ids[p] for p in universe]
    session.execute(delete(UserPermission).where(UserPermission.user_id == user.id,
                                                 UserPermission.permission_view_id.in_(pv_ids)))
    now = now_utc()
    for perm, granted in sorted(overrides.items()):
        pv_id = ids[perm]
        session.add(UserPermission(user_id=user.id, permission_view_id=pv_id, granted=granted, changed_at=now,
                                   changed_by=by,
                                   seal=user_grant_seal(key, user.id, user.username, pv_id, perm, granted)))
    session.flush()


# -- role policy ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    totp_required: bool
    grants_initialised: bool
    sealed: bool  # False: no row, or a row with a bad seal (then the strictest policy applies)


def role_policy(session: Session, key: bytes, role: Role) -> Policy:
    row = session.get(RolePolicy, role.id)
    if row is None:
        return Policy(True, False, False)
    if not _ok(policy_seal(key, role.id, role.name, row.totp_required, row.grants_initialised), row.seal):
        return Policy(True, row.grants_initialised, False)
    required = row.totp_required or role.name in ADMIN_ROLES
    return Policy(required, row.grants_initialised, True)


def set_role_policy(session: Session, key: bytes, role: Role, *, totp_required: bool | None = None,
                    grants_initialised: bool | None = None, by: str | None = None) -> Policy:
    """Change the policy row of `role` (created when missing). TOTP can never be relaxed for the three admins."""
    if totp_required is False and role.name in ADMIN_ROLES:
        raise ValueError(f"{role.name}必须使用TOTP动态口令，不能取消")
    current = role_policy(session, key, role)
    row = session.get(RolePolicy, role.id)
    if row is None:
        row = RolePolicy(role_id=role.id)
        session.add(row)
    row.totp_required = current.totp_required if totp_required is None else totp_required
    row.grants_initialised = current.grants_initialised if grants_initialised is None else grants_initialised
    row.changed_at, row.changed_by = now_utc(), by
    row.seal = policy_seal(key, role.id, role.name, row.totp_required, row.grants_initialised)
    session.flush()
    return role_policy(session, key, role)


def totp_required_for(session: Session, key: bytes, user_id: int) -> bool:
    """TOTP is required when any of the user's roles requires it (every role does unless relaxed)."""
    roles = list(session.scalars(select(Role).where(Role.id.in_(user_role_ids(session, user_id)))))
    return not roles or any(role_policy(session, key, r).totp_required for r in roles)
