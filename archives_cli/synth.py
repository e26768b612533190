"""`archives synth`: make the synthetic collection-form data set; `archives synth score`: measure a cleaning."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.group(invoke_without_command=True)
@click.option("--persons", type=click.IntRange(min=1), default=943_000, show_default=True, help="人数")
@click.option("--seed", type=int, default=20211231, show_default=True, help="随机种子（相同种子与人数生成相同文件）")
@click.option("--out", type=click.Path(path_type=Path), help="输出目录（landing/、feeds/、truth/）")
@click.option("--rates", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="错误注入比例 JSON（覆盖默认值）")
@click.option("--companies", type=click.IntRange(min=100), default=None, help="工商企业数（默认随人数缩放，满量 150000）")
@click.option("--workers", type=click.IntRange(1, 8), default=1, show_default=True,
              help="写文件的进程数（多进程更快但内存更高：写时复制）")
@click.option("--quiet", is_flag=True, help="不显示进度条")
@click.pass_context
def synth(ctx, persons, seed, out, rates, companies, workers, quiet) -> None:
    """生成合成采集表数据集（含外部数据与真值）。"""
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        raise click.UsageError("需要 --out 输出目录")
    from synth.generate import generate, format_summary
    summary = generate(persons=persons, seed=seed, out=out, rates_file=rates, n_companies=companies,
                       workers=workers, progress=not quiet)
    click.echo(format_summary(summary))


@synth.command()
@click.option("--truth", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="真值目录（DIR/truth）")
@click.option("--export", "export_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="系统导出目录")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
def score(truth: Path, export_dir: Path, as_json: bool) -> None:
    """对照真值给一次清洗的导出结果打分。"""
    from synth.export_reader import ExportFormatError
    from synth.score import TruthError, format_table, score as run_score
    try:
        result = run_score(truth, export_dir)
    except (ExportFormatError, TruthError) as exc:
        click.secho(f"无法评分：{exc}", fg="red", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(format_table(result))
    sys.exit(0)


@synth.command()
@click.option("--seed", type=int, default=20211231, show_default=True, help="随机种子（相同种子、相同人员生成相同业务历史）")
@click.option("--years", type=click.IntRange(1, 30), default=10, show_default=True, help="历史年数（至昨天，北京时间）")
@click.option("--workers", type=click.IntRange(1, 8), default=2, show_default=True,
              help="同时写入的机构数（MySQL；结果与之无关）")
@click.option("--quiet", is_flag=True, help="不显示每个机构的进度")
def history(seed: int, years: int, workers: int, quiet: bool) -> None:
    """为已装载的人员生成业务历史（转入、转出、借阅、查阅、证明、材料、集体户、党员党费；合成演示数据，不记审计）。"""
    from archives_domain.config import Settings
    from synth.history import run

    def progress(code: str, persons: int, rows: int) -> None:
        if not quiet:
            click.echo(f"{code}  {persons:>8} 人  {rows:>9} 行")

    res = run(Settings.from_env().database_url, seed=seed, years=years, workers=workers, progress=progress)
    for table, n in sorted(res.rows.items()):
        click.echo(f"{table:<22} {n:>10} 行")
    rate = res.total / res.seconds if res.seconds else 0
    click.echo(f"业务历史：{res.agencies} 个机构，{res.persons} 人，{res.total} 行，{res.seconds:.1f} s（{rate:,.0f} 行/秒）")
