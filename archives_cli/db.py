"""`archives db …`: migrations, reference data, health check, key rotation, least-privilege accounts."""
from __future__ import annotations

import sys

import click


def _ctx():
    from .main import Context
    return click.get_current_context().ensure_object(Context)


@click.group()
def db() -> None:
    """数据库：迁移、基础数据、检查、密钥轮换、最小权限账号。"""


@db.command()
@click.option("--revision", default="head", show_default=True, help="目标版本")
def upgrade(revision: str) -> None:
    """执行数据库迁移到目标版本。"""
    from archives_domain import migrate
    c = _ctx()
    migrate.upgrade(c.engine, revision)
    if revision == "head":
        # The key file is checked against the data (and first registered) at every upgrade.
        from archives_domain.pii.store import codec_from_settings, verify_keys
        verify_keys(c.engine, codec_from_settings(c.settings))
    click.echo(f"数据库已迁移到 {migrate.current_revision(c.engine)}（{_safe_url(c.engine)}）")


@db.command()
@click.option("--revision", default="-1", show_default=True, help="目标版本（-1 为回退一步）")
def downgrade(revision: str) -> None:
    """回退数据库迁移。"""
    from archives_domain import migrate
    c = _ctx()
    migrate.downgrade(c.engine, revision)
    click.echo(f"数据库已回退到 {migrate.current_revision(c.engine) or '空库'}")


@db.command()
def seed() -> None:
    """装载基础数据（机构、行政区划、代码表、同义词）；可重复执行。"""
    from seeds.loader import load_reference_data
    counts = load_reference_data(_ctx().engine)
    for table, n in counts.items():
        click.echo(f"{table}: {n}")


@db.command()
def check() -> None:
    """检查数据库连接、迁移版本、字符集与个人信息密钥。"""
    from archives_domain.health import check_database
    c = _ctx()
    ok = True
    for item in check_database(c.engine, c.settings):
        mark = click.style("✓", fg="green") if item.ok else click.style("✗", fg="red")
        click.echo(f"{mark} {item.name}：{item.detail}")
        ok &= item.ok
    sys.exit(0 if ok else 1)


@db.command("rotate-key")
@click.option("--batch", default=1000, show_default=True, help="每批重新加密的行数")
def rotate_key(batch: int) -> None:
    """生成新的个人信息加密密钥，并在线重新加密全部敏感字段。"""
    from archives_domain.models import Base
    from archives_domain.pii.store import rotate_key as rotate
    c = _ctx()
    counts = rotate(c.engine, c.settings, Base.metadata, batch=batch)
    total = sum(counts.values())
    for name, n in counts.items():
        if n:
            click.echo(f"{name}: {n}")
    click.echo(f"已用新密钥重新加密 {total} 个值；旧密钥保留在密钥文件中（标记为停用）。")


@db.command()
@click.option("--host", default="%", show_default=True, help="账号的主机部分（如 10.0.%、应用服务器地址）")
@click.option("--keep", is_flag=True, help="已存在的账号保留原口令（默认重新生成口令）")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="另将三个连接串写入此文件（权限 0600），供部署读取")
@click.option("--suffix", default="", help="账号名后缀（同一服务器上有多套实例时区分，如 archives_app_test）")
@click.option("--dw-database", default=None, help="分析库名（默认 ARCHIVES_DW_DATABASE 或 <库名>_dw）")
def accounts(host: str, keep: bool, out: str | None, suffix: str, dw_database: str | None) -> None:
    """以属主账号（如 root）创建或更新三个最小权限账号（archives_app/etl/bi）并输出其连接串；仅适用于 MySQL/MariaDB。"""
    import os

    from archives_domain.db_accounts import AccountsError, create_accounts
    c = _ctx()
    try:
        made = create_accounts(c.engine, host=host, suffix=suffix, keep=keep,
                               dw_database=dw_database or os.environ.get("ARCHIVES_DW_DATABASE") or None)
    except AccountsError as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(1)
    for a in made:
        note = "（口令未改）" if a.password is None else ""
        click.echo(f"{ENV_NAMES[a.role]}={a.url}  # {ROLE_LABELS[a.role]}{note}")
    if out:
        from archives_domain.private_files import write_private
        write_private(out, "".join(f"{ENV_NAMES[a.role]}={a.url}\n" for a in made if a.password is not None))
        click.echo(f"已写入 {out}（权限 0600）")
    click.echo("口令仅显示这一次；迁移增加数据表后请以 --keep 重新执行以授予新表的权限。")


ENV_NAMES = {"app": "ARCHIVES_APP_DATABASE_URL", "etl": "ARCHIVES_ETL_DATABASE_URL", "bi": "ARCHIVES_BI_DATABASE_URL"}
ROLE_LABELS = {"app": "应用与运维命令：业务表读写，审计日志只可追加",
               "etl": "数据迁移与分析流水线", "bi": "报表工具：只读分析库"}


def _safe_url(engine) -> str:
    return engine.url.render_as_string(hide_password=True)
