"""`archives users …`: built-in roles and the first accounts, from the shell (no default account exists)."""
from __future__ import annotations

import sys

import click


def _ctx():
    from .main import Context
    return click.get_current_context().ensure_object(Context)


@click.group()
def users() -> None:
    """用户：内置角色与初始账号。"""


@users.command("init-roles")
def init_roles() -> None:
    """创建内置角色（三员与业务角色）；可重复执行。"""
    from sqlalchemy.orm import Session

    from archives_domain.accounts.roles import BUILTIN_ROLES, ensure_builtin_roles
    with Session(_ctx().engine) as session:
        created = ensure_builtin_roles(session)
        session.commit()
    click.echo(f"内置角色 {len(BUILTIN_ROLES)} 个，本次新建 {len(created)} 个：{'、'.join(created) or '无'}")


@users.command()
@click.option("--username", required=True, help="用户名")
@click.option("--password", required=True, help="初始口令（首次登录须修改）")
@click.option("--role", "roles", required=True, multiple=True, help="角色中文名，如 系统管理员；可重复")
@click.option("--agency", required=True, help="所属存档机构代码（8位）")
@click.option("--name", default=None, help="姓名（默认同用户名）")
def create(username: str, password: str, roles: tuple[str, ...], agency: str, name: str | None) -> None:
    """创建账号：口令须符合策略，首次登录须修改。"""
    from sqlalchemy.orm import Session

    from archives_domain import audit
    from archives_domain.accounts.passwords import PasswordPolicyError
    from archives_domain.accounts.roles import RoleConflictError, ensure_builtin_roles
    from archives_domain.accounts.users import AccountError, create_user
    from archives_domain.pii.store import codec_from_settings
    c = _ctx()
    key = audit.audit_key(codec_from_settings(c.settings).keyring, c.settings)
    with Session(c.engine) as session:
        ensure_builtin_roles(session)
        try:
            user = create_user(session, username=username, password=password, role_names=list(roles),
                               agency_code=agency, first_name=name)
        except (AccountError, PasswordPolicyError, RoleConflictError) as exc:
            session.rollback()
            click.secho(f"未创建：{exc}", fg="red", err=True)
            sys.exit(1)
        audit.append(session, audit.AuditEntry(
            action="新增", summary=f"命令行创建账号 {username}（{'、'.join(roles)}，机构 {agency}）",
            username="(命令行)", module1="系统管理", module2="用户权限", object_type="用户",
            object_id=str(user.id)), key)
        session.commit()
    click.echo(f"已创建账号 {username}（{'、'.join(roles)}，机构 {agency}）；首次登录须修改口令。")
