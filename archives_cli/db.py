"""`archives db …`: migrations, reference data, health check, key rotation."""
from __future__ import annotations

import sys

import click


def _ctx():
    from .main import Context
    return click.get_current_context().ensure_object(Context)


@click.group()
def db() -> None:
    """数据库：迁移、基础数据、检查、密钥轮换。"""


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


def _safe_url(engine) -> str:
    return engine.url.render_as_string(hide_password=True)
