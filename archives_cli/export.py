"""`archives export`: the collection-form export of the operational tables (audited)."""
from __future__ import annotations

import click


@click.command("export")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="导出目录")
@click.option("--agency", "agencies", multiple=True, help="只导出这些机构代码（可重复；默认全部）")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True,
              help="每个机构三个 CSV（UTF-8 带 BOM），或一个三表的 xlsx")
def export(out, agencies, fmt):
    """按采集表格式导出（含 待核实字段、数据来源 与 隔离.csv）；导出个人数据记入审计日志。"""
    from archives_domain import audit as chain
    from archives_domain.pii.store import codec_from_settings, verify_keys
    from pipelines.export import export as run_export

    from .main import Context
    c = click.get_current_context().ensure_object(Context)
    codec = codec_from_settings(c.settings)
    verify_keys(c.engine, codec, register=False)
    res = run_export(c.engine, codec, out, list(agencies) or None, fmt=fmt,
                     audit_key=chain.audit_key(codec.keyring, c.settings))
    rows = "，".join(f"{k} {v:,}" for k, v in res.rows.items())
    click.echo(f"已导出 {len(res.agencies)} 个机构至 {res.out}：{rows}；隔离 {res.quarantined:,} 行；用时 {res.seconds:.1f} 秒")
