"""Great Expectations Data Docs (数据质量验证文档) per pipeline run, for auditors.

A file-based GX context lives under ``<reports dir>/gx`` (``gx.get_context(mode="file",
project_root_dir=<reports dir>)``).  ``build_data_docs(frame, agency, run_name, root)``
validates an agency's merged 基本信息 records with the suites of `dq_rules.gx_suites`
through a ValidationDefinition and a Checkpoint per (suite, agency) — data asset
``records_<agency>`` of the pandas data source ``archives`` — so that the result is
stored under ``gx/uncommitted/validations`` and lands in the Data Docs site
(``gx/uncommitted/data_docs/local_site/index.html``, returned).

Personal data stays out of the site: the checkpoint's result format keeps counts
and percentages but no unexpected values (``partial_unexpected_count: 0``), so no
公民身份号码 that failed a check is written to a validation result or a page.

Several agency partitions may run at once in separate processes: every use of
the context holds an exclusive lock on ``<reports dir>/.gx.lock``.  GX is
imported on first use; importing this module writes nothing.
"""
from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DATASOURCE = "archives"
SITE = "local_site"
# counts and percentages only: no unexpected values (personal data) in results or pages
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0, "include_unexpected_rows": False}
# which frame of the `records` stage each suite checks
SUITES_BY_FRAME = {"persons": ("records_person",)}


@dataclass
class DocsResult:
    """What one call validated and where the site is."""

    index: Path
    success: bool
    results: list[dict] = field(default_factory=list)  # one per suite: {suite, success, run_name, evaluated, failed}


def gx_root(reports_dir: Path | str) -> Path:
    """The GX project folder under a reports dir."""
    return Path(reports_dir) / "gx"


def site_index(reports_dir: Path | str) -> Path:
    return gx_root(reports_dir) / "uncommitted" / "data_docs" / SITE / "index.html"


@contextlib.contextmanager
def _locked(reports_dir: Path):
    """The GX context's lock; on leaving, the modes of what GX wrote are set (folders 0700, files 0600:
    GX leaves them to the umask, and the site describes personal data)."""
    from archives_domain.private_files import FILE_MODE, private_dir, tighten

    private_dir(reports_dir)
    fd = os.open(reports_dir / ".gx.lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    with os.fdopen(fd, "a+") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Linux: one process at a time is the caller's affair
            try:
                yield
            finally:
                tighten(gx_root(reports_dir))
            return
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            tighten(gx_root(reports_dir))
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _context(reports_dir: Path):
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    ctx = gx.get_context(mode="file", project_root_dir=str(reports_dir))
    try:  # no tqdm bars in the pipeline's logs
        from great_expectations.data_context.types.base import ProgressBarsConfig
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    except Exception:  # pragma: no cover - a GX without the setting
        pass
    return ctx


def _get_or_add(getter, adder, name):
    try:
        return getter(name)
    except (KeyError, LookupError, ValueError):
        return adder(name)
    except Exception as exc:  # GX raises its own *NotFound errors on some stores
        if "not found" in str(exc).lower() or "could not find" in str(exc).lower():
            return adder(name)
        raise


def _safe(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]", "_", text)


def _checkpoint(ctx, suite_name: str, agency: str, update_docs: bool = True):
    import great_expectations as gx

    from dq_rules.gx_suites import build_suite

    source = _get_or_add(ctx.data_sources.get, ctx.data_sources.add_pandas, DATASOURCE)
    asset = _get_or_add(source.get_asset, source.add_dataframe_asset, f"records_{_safe(agency)}")
    batch = _get_or_add(asset.get_batch_definition, asset.add_batch_definition_whole_dataframe, "all")
    suite = ctx.suites.add_or_update(build_suite(suite_name))  # the suite as the code has it now
    vd = ctx.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{suite_name}@{_safe(agency)}", data=batch, suite=suite))
    return ctx.checkpoints.add_or_update(gx.Checkpoint(
        name=f"{suite_name}@{_safe(agency)}", validation_definitions=[vd],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs", site_names=[SITE])] if update_docs else [],
        result_format=RESULT_FORMAT))


def build_data_docs(frames, agency: str, run_name: str, reports_dir: Path | str, *,
                    update_docs: bool = True) -> DocsResult:
    """Validate an agency's records with the GX suites and update the Data Docs site.

    `frames` is the `records` stage's dict of frames (``frames["persons"]``: merged 基本信息) or the
    persons frame itself; `run_name` names the run in the site (the Dagster run id, or a stamp of
    `archives reports build`).  Returns the site's index page and the outcome per suite.
    With ``update_docs=False`` the results are only stored (the migration validates each agency and builds
    the site once at the end with `rebuild_data_docs`: updating the site per agency costs a second each).
    """
    from great_expectations.core.run_identifier import RunIdentifier

    from dq_rules.gx_suites import plain_frame

    reports_dir = Path(reports_dir)
    if not isinstance(frames, dict):
        frames = {"persons": frames}
    out = DocsResult(index=site_index(reports_dir), success=True)
    with _locked(reports_dir):
        ctx = _context(reports_dir)
        for frame_name, suite_names in SUITES_BY_FRAME.items():
            frame = frames.get(frame_name)
            if frame is None:
                continue
            plain = plain_frame(frame)
            for suite_name in suite_names:
                checkpoint = _checkpoint(ctx, suite_name, agency, update_docs)
                result = checkpoint.run(batch_parameters={"dataframe": plain},
                                        run_id=RunIdentifier(run_name=f"{agency}-{run_name}"))
                evaluated = failed = 0
                for vr in result.run_results.values():
                    evaluated += len(vr.results)
                    failed += sum(1 for r in vr.results if not r.success)
                out.results.append({"suite": suite_name, "success": bool(result.success),
                                    "run_name": f"{agency}-{run_name}", "evaluated": evaluated,
                                    "failed": failed})
                out.success = out.success and bool(result.success)
        if update_docs and not out.index.exists():
            ctx.build_data_docs(site_names=[SITE])
    return out


def rebuild_data_docs(reports_dir: Path | str) -> Path:
    """Rebuild the whole site from the stored validation results (e.g. after moving the folder)."""
    reports_dir = Path(reports_dir)
    with _locked(reports_dir):
        _context(reports_dir).build_data_docs(site_names=[SITE])
    return site_index(reports_dir)


def validation_result_files(reports_dir: Path | str, agency: str | None = None) -> list[Path]:
    """The stored validation results (JSON), optionally of one agency's data asset."""
    folder = gx_root(reports_dir) / "uncommitted" / "validations"
    if not folder.exists():
        return []
    files = sorted(p for p in folder.rglob("*.json") if p.name != ".ge_store_backend_id")
    if agency:
        files = [p for p in files if p.stem.endswith(f"records_{_safe(agency)}")]
    return files
