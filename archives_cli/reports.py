"""`archives reports …`: data-quality reports for auditors (数据质量报告).

``archives reports build [--agency CODE]… [--out DIR] [--work DIR] [--data-docs/--no-data-docs]``
writes each agency's scorecard (``<out>/<agency>/scorecard.html``) and the index
(``<out>/index.html``) from the ``dq_*`` tables; with ``--data-docs`` (default) it also
validates the agency's current ``records`` layer (under the work dir) with the GX
suites and updates the Data Docs site under ``<out>/gx``.  Without ``--agency``: every
agency that has a run in ``dq_run_stat``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click


def _ctx():
    from .main import Context
    return click.get_current_context().ensure_object(Context)


@click.group()
def reports() -> None:
    """数据质量报告：各机构评分卡与 GX 验证文档。"""


def build_reports(engine, out: Path, agencies: list[str] | None = None, *, work: Path | None = None,
                  data_docs: bool = True, run_name: str | None = None, echo=click.echo, sealer=None) -> dict:
    """Build the reports; return {scorecards, index, data_docs, skipped_docs} (used by tests). `sealer`
    opens the sealed records layers (`pipelines.sealed`; needed with `work` and `data_docs`)."""
    from reports.data_docs import build_data_docs, site_index
    from reports.scorecard import agencies_with_runs, render_index, render_scorecard

    codes = sorted(set(agencies)) if agencies else agencies_with_runs(engine)
    run_name = run_name or "cli-" + time.strftime("%Y%m%dT%H%M%S")
    docs_index, skipped, pages = None, [], []
    for code in codes:
        if data_docs and work is not None:
            from pipelines.io import read_frames

            frames = read_frames(work / "layers" / "records" / code, sealer=sealer)
            if frames is None or "persons" not in frames:
                skipped.append(code)
            else:
                docs_index = build_data_docs(frames, code, run_name, out).index
        pages.append(render_scorecard(engine, code, out,
                                      data_docs=docs_index or (site_index(out) if site_index(out).exists() else None)))
        echo(f"评分卡 {code}: {pages[-1]}")
    if docs_index is None and site_index(out).exists():
        docs_index = site_index(out)
    index = render_index(engine, out, data_docs=docs_index)
    echo(f"汇总页: {index}")
    if docs_index:
        echo(f"GX 验证文档: {docs_index}")
    if skipped:
        echo(f"无 records 数据层、未生成验证文档的机构: {', '.join(skipped)}")
    return {"scorecards": pages, "index": index, "data_docs": docs_index, "skipped_docs": skipped}


@reports.command("build")
@click.option("--agency", "agencies", multiple=True, help="机构代码（可重复）；默认所有有运行记录的机构")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="输出目录（默认 ARCHIVES_REPORTS_DIR，即 var/reports）")
@click.option("--work", type=click.Path(file_okay=False), default=None,
              help="流水线数据层目录（默认 ARCHIVES_WORK_DIR），用于 GX 验证文档")
@click.option("--data-docs/--no-data-docs", default=True, show_default=True,
              help="同时用 GX 期望套件验证 records 数据层并更新验证文档")
def build(agencies, out, work, data_docs):
    """生成数据质量评分卡（HTML）与汇总页，并更新 GX 验证文档。"""
    from pipelines.resources import PipelineSettings

    c = _ctx()
    ps = PipelineSettings.from_env(reports_dir=out, work_dir=work)
    if agencies:
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from archives_domain.models import Agency
        with Session(c.engine) as s:
            known = set(s.scalars(select(Agency.code).where(Agency.code.in_(agencies))))
        unknown = sorted(set(agencies) - known)
        if unknown:
            click.secho(f"未知的机构代码：{', '.join(unknown)}", fg="red", err=True)
            sys.exit(2)
    build_reports(c.engine, ps.reports, list(agencies) or None, work=ps.work, data_docs=data_docs,
                  sealer=ps.sealer() if data_docs else None)
