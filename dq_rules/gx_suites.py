"""Great Expectations 1.x suites (数据质量期望) as data, run directly from Dagster asset checks.

``SUITES[name]`` is a list of ``(expectation class name, kwargs)``; ``build_suite(name)``
turns it into a `great_expectations.ExpectationSuite`; ``validate(frame, name)``
runs it on a pandas frame in an ephemeral context (nothing written) and
returns ``(success, [{expectation, column, success, unexpected_count, unexpected_percent}])``.
``plain_frame(frame)`` is the frame as GX's pandas engine wants it (also used by
`reports.data_docs`, which runs the same suites in a file context for Data Docs).
GX is imported on first use.
"""
from __future__ import annotations

import os

ID_PATTERN = r"^[0-9]{17}[0-9X]$"

SUITES: dict[str, list[tuple[str, dict]]] = {
    # merged records (one row per agency + 档案编号), 基本信息
    "records_person": [
        ("ExpectColumnToExist", {"column": "档案编号"}),
        ("ExpectColumnValuesToNotBeNull", {"column": "档案编号"}),
        ("ExpectColumnValuesToBeUnique", {"column": "档案编号"}),
        ("ExpectColumnValuesToMatchRegex", {"column": "公民身份号码", "regex": ID_PATTERN, "mostly": 0.99}),
        ("ExpectColumnValuesToNotBeNull", {"column": "_agency"}),
    ],
}


def build_suite(name: str):
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name)
    for cls_name, kwargs in SUITES[name]:
        suite.add_expectation(getattr(gx.expectations, cls_name)(**kwargs))
    return suite


_BATCH_DEFINITIONS: dict = {}


def _batch_definition(name: str):
    """One ephemeral GX context per process (GX makes a temporary docs folder per context), one
    pandas data asset per suite."""
    if name not in _BATCH_DEFINITIONS:
        import great_expectations as gx

        if "ctx" not in _BATCH_DEFINITIONS:
            ctx = gx.get_context(mode="ephemeral")
            try:  # no tqdm bars in the pipeline's logs
                from great_expectations.data_context.types.base import ProgressBarsConfig
                ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            except Exception:  # pragma: no cover - a GX without the setting
                pass
            _BATCH_DEFINITIONS["ctx"] = ctx
        source = _BATCH_DEFINITIONS["ctx"].data_sources.add_pandas(f"archives_{name}")
        asset = source.add_dataframe_asset(name)
        _BATCH_DEFINITIONS[name] = (asset.add_batch_definition_whole_dataframe("all"), build_suite(name))
    return _BATCH_DEFINITIONS[name]


def plain_frame(frame):
    """GX's pandas engine and pyarrow-backed string columns: plain objects, NA → None."""
    import pandas as pd

    return frame.astype(object).where(pd.notna(frame), None)


def suite_columns(name: str) -> list[str]:
    """The columns suite `name` looks at."""
    return sorted({kw["column"] for _cls, kw in SUITES[name] if "column" in kw})


def validate(frame, name: str) -> tuple[bool, list[dict]]:
    """Run suite `name` on `frame` (pandas); see the module doc. Only the suite's columns are handed to GX
    (its pandas engine copies what it gets: a whole 943k-row frame of 40 columns costs seconds)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    plain = plain_frame(frame[[c for c in suite_columns(name) if c in frame.columns]])
    batch_definition, suite = _batch_definition(name)
    result = batch_definition.get_batch(batch_parameters={"dataframe": plain}).validate(suite)
    rows = []
    for r in result.results:
        cfg = r.expectation_config
        res = r.result or {}
        rows.append({"expectation": cfg.type, "column": cfg.kwargs.get("column"), "success": bool(r.success),
                     "unexpected_count": res.get("unexpected_count"),
                     "unexpected_percent": res.get("unexpected_percent")})
    return bool(result.success), rows
