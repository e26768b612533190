"""`archives analytics …`: the analytics schema (分析库) for the statistics module and Superset."""
from __future__ import annotations

import datetime as dt
import sys

import click


def _ctx():
    from .main import Context
    return click.get_current_context().ensure_object(Context)


@click.group()
def analytics() -> None:
    """分析库：按 warehouse_models 的 SQL 模型构建星型模型。"""


@analytics.command("build")
@click.option("--model", "models", multiple=True, help="只构建这些模型（可重复；默认全部，按依赖顺序）")
@click.option("--date", "day", default=None, help="快照日期 YYYY-MM-DD（默认今天，北京时间）")
def build(models: tuple[str, ...], day: str | None) -> None:
    """构建分析库（维度表整表重建并原子替换；库存日快照按日追加）。"""
    from pipelines.analytics import AnalyticsError, build_all, check_model, target_for

    c = _ctx()
    try:
        today = dt.date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{day}", param_hint="--date") from None
    target = target_for(c.engine)
    click.echo(f"分析库：{target.dw_name}")
    try:
        results = build_all(c.engine, list(models) or None, today=today)
    except (AnalyticsError, KeyError) as exc:
        click.secho(f"构建失败：{exc}", fg="red", err=True)
        sys.exit(1)
    failed = False
    for r in results:
        checks = check_model(c.engine, r.model)
        bad = [ch for ch in checks if not ch.passed]
        failed |= any(ch.severity == "ERROR" for ch in bad)
        note = "" if not bad else "  检查未通过：" + "、".join(f"{ch.name}({ch.severity})" for ch in bad)
        extra = f"  快照 {r.snapshot_date}" if r.snapshot_date else ""
        click.echo(f"{r.model:<22} {r.rows:>9} 行  {r.seconds:>7.3f}s{extra}{note}")
    sys.exit(1 if failed else 0)


@analytics.command("list")
def list_models() -> None:
    """列出分析模型（粒度、依赖、构建方式）。"""
    import warehouse_models

    for m in warehouse_models.build_order():
        deps = ", ".join(m.deps) or "loaded"
        click.echo(f"{m.name:<22} {m.kind:<9} {m.mode:<12} 依赖 {deps}\n    {m.description}\n    粒度：{m.grain}")
