"""Stage *read*: landing files of one agency → raw frames per sheet (+ rejected rows).

A ReadError (unreadable file/sheet, missing ★ column, wrong encoding, …) is
reported in the materialisation's metadata and its rows (when readable) are
kept in ``_rejected`` for quarantine; the asset still succeeds for the rest.
"""

import json
import time

import dagster as dg
import pandas as pd

from pipelines.cleaning import read_agency
from pipelines.partitions import AGENCY_PARTITIONS
from pipelines.redact import redact
from pipelines.resources import PipelineSettings

ERROR_COLUMNS = ("file", "sheet", "row", "column", "code", "message", "level")


def errors_frame(errors, warnings=()) -> "pd.DataFrame":
    rows = [{"file": e.file, "sheet": e.sheet, "row": e.row, "column": e.column, "code": e.code,
             "message": e.message, "level": level}
            for level, items in (("error", errors), ("warning", warnings)) for e in items]
    frame = pd.DataFrame(rows, columns=list(ERROR_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    for c in ERROR_COLUMNS:
        if c != "row":
            frame[c] = frame[c].astype("string")
    return frame


@dg.asset(
    partitions_def=AGENCY_PARTITIONS,
    group_name="migration",
    kinds={"pandas", "parquet"},
    description="采集表读取: every batch of one agency folder as raw text frames with lineage.",
    check_specs=[dg.AssetCheckSpec("no_read_errors", asset="raw",
                                   description="every landing file of the agency could be read (WARN: reported, rows quarantined)")],
)
def raw(context: dg.AssetExecutionContext, settings: PipelineSettings):
    agency = context.partition_key
    t0 = time.perf_counter()
    rr = read_agency(settings.landing, agency)
    seconds = round(time.perf_counter() - t0, 3)
    for e in rr.errors:
        context.log.warning(str(e))
    frames = dict(rr.frames)
    frames["_rejected"] = rr.rejected
    frames["_errors"] = errors_frame(rr.errors, rr.warnings)
    meta = {
        "agency": agency,
        "files": dg.MetadataValue.int(len(rr.files)),
        "rows_in": dg.MetadataValue.int(rr.rows_in),
        "rejected": dg.MetadataValue.int(len(rr.rejected)),
        "read_errors": dg.MetadataValue.int(len(rr.errors)),
        "warnings": dg.MetadataValue.int(len(rr.warnings)),
        "seconds": dg.MetadataValue.float(seconds),
    }
    if rr.errors:
        meta["errors"] = dg.MetadataValue.md("\n".join(f"- `{e.code}` {redact(str(e))}" for e in rr.errors[:50]))
    yield dg.Output(frames, metadata=meta)
    yield dg.AssetCheckResult(
        check_name="no_read_errors", passed=not rr.errors, severity=dg.AssetCheckSeverity.WARN,
        metadata={"read_errors": len(rr.errors), "rejected_rows": len(rr.rejected),
                  "errors": json.dumps([str(e) for e in rr.errors[:20]], ensure_ascii=False)},
    )


def sheets_of(frames: dict) -> dict:
    """The sheet frames of a raw/std layer (without the side frames ``_rejected``, ``_errors``)."""
    return {k: v for k, v in frames.items() if not k.startswith("_")}


CHECKS: list = []
