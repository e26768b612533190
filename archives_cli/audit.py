"""`archives audit …`: the tamper-evident audit log."""
from __future__ import annotations

import sys

import click


@click.group()
def audit() -> None:
    """审计日志：校验防篡改链。"""


@audit.command()
def verify() -> None:
    """校验审计日志链及其锚点（ARCHIVES_AUDIT_ANCHOR）；发现被改动或删除的日志时指出第一处断点并以非零状态退出。"""
    from archives_domain import audit as chain
    from archives_domain.pii.store import codec_from_settings

    from .main import Context
    c = click.get_current_context().ensure_object(Context)
    key = chain.audit_key(codec_from_settings(c.settings).keyring, c.settings)
    broken, coverage = chain.check(c.engine, key)
    if broken is not None:
        click.secho(f"审计日志链断裂：{broken.reason}", fg="red", err=False)
        sys.exit(1)
    click.echo("审计日志链完整：未发现改动或删除。")
    if coverage is not None and coverage.checkpoints:
        click.echo(f"锚点 {key.anchor.path}：{coverage.checkpoints} 个签名检查点，已锚定至第 {coverage.last_id} 条。")
