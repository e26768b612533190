"""Quarantine rows (隔离): rows that cannot be loaded, with the original row and the reason.

``quarantine_frame(rows, raw_frames, rejected)`` builds the frame that the
export writes to ``隔离.csv`` (contract rule 10): ``来源文件 工作表 行号 原因``,
then the original columns under their original headers (the union of the
three sheets' headers, in contract order: 基本信息, then the headers only
学习经历 has, then those only 工作经历 has; a header the row's sheet does not
have is NA), then ``_agency``, ``_batch`` and ``_extra`` (unknown columns of
the row as JSON) for the pipeline's own use — the export drops ``_`` columns.

"Original" means as typed (the raw layer): taken from the raw frames when
they are given (matched by file, sheet and row number), else rebuilt from
the std row and its ``_changes`` (every changed cell's ``old`` value is the
raw value; ``户口性质`` is then NA, the std layer does not carry it).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from archives_domain.collection_form import HEADERS, QUARANTINE_HEADERS, SHEETS

REASON_EMPTY_KEY = "档案编号为空"
REASON_NO_IDENTITY = "姓名和公民身份号码均为空"
REASON_CONFLICT = "同一批次中档案编号重复且内容不同（第{row}行已载入）"

_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def original_headers() -> list[str]:
    """The union of the sheets' headers, in contract order."""
    out: list[str] = []
    for s in SHEETS:
        out += [h for h in HEADERS[s] if h not in out]
    return out


QUARANTINE_COLUMNS = (*QUARANTINE_HEADERS, *original_headers(), "_agency", "_batch", "_extra")


def empty_quarantine() -> pd.DataFrame:
    cols = {c: pd.Series([], dtype=_STR) for c in QUARANTINE_COLUMNS}
    cols["行号"] = pd.Series([], dtype="int64")
    return pd.DataFrame(cols)


def _from_std(rows: pd.DataFrame) -> pd.DataFrame:
    """Original cells rebuilt from std values and the `old` values of `_changes`."""
    out = rows.copy()
    if "_changes" not in out.columns:
        return out
    for i, text in zip(range(len(out)), out["_changes"].tolist()):
        if not isinstance(text, str) or text == "[]":
            continue
        for ch in json.loads(text):
            f = ch.get("field")
            if f in out.columns:
                out.iloc[i, out.columns.get_loc(f)] = ch.get("old")
    return out


def quarantine_frame(rows: pd.DataFrame, reasons: list[str] | np.ndarray | pd.Series,
                     raw_frames: dict[str, pd.DataFrame] | None = None,
                     rejected: pd.DataFrame | None = None) -> pd.DataFrame:
    """The quarantine frame of std `rows` (lineage + headers + `_changes`) with their `reasons`,
    plus the read stage's `rejected` rows (raw, with `_reason`)."""
    parts: list[pd.DataFrame] = []
    if len(rows):
        rows = rows.reset_index(drop=True)
        originals = None
        if raw_frames:
            found = []
            for sheet, raw in raw_frames.items():
                if raw is None or not len(raw):
                    continue
                mine = rows[rows["_sheet"] == sheet]
                if not len(mine):
                    continue
                cand = raw[raw["_row"].isin(mine["_row"].unique())]
                keyed = cand.drop_duplicates(["_file", "_row"]).set_index(["_file", "_row"])
                idx = pd.MultiIndex.from_arrays([mine["_file"], mine["_row"]])
                got = keyed.reindex(idx)
                got = got.reset_index()
                got.index = mine.index
                found.append(got)
            if found:
                originals = pd.concat(found).reindex(rows.index)
        if originals is None or originals["_file"].isna().any():
            rebuilt = _from_std(rows)
            originals = rebuilt if originals is None else originals.fillna(rebuilt)
        q = pd.DataFrame({
            "来源文件": rows["_file"].astype(_STR),
            "工作表": rows["_sheet"].astype(_STR),
            "行号": rows["_row"].astype("int64"),
            "原因": pd.Series(list(reasons), dtype=_STR),
        })
        for h in original_headers():
            q[h] = originals[h].astype(_STR) if h in originals.columns else pd.Series(pd.NA, index=q.index, dtype=_STR)
        q["_agency"] = rows["_agency"].astype(_STR)
        q["_batch"] = rows["_batch"].astype(_STR)
        q["_extra"] = (originals["_extra"] if "_extra" in originals.columns
                       else pd.Series(pd.NA, index=q.index)).astype(_STR)
        parts.append(q)
    if rejected is not None and len(rejected):
        rj = rejected.reset_index(drop=True)
        q = pd.DataFrame({
            "来源文件": rj["_file"].astype(_STR), "工作表": rj["_sheet"].astype(_STR),
            "行号": rj["_row"].astype("int64"), "原因": rj["_reason"].astype(_STR),
        })
        for h in original_headers():
            q[h] = rj[h].astype(_STR) if h in rj.columns else pd.Series(pd.NA, index=q.index, dtype=_STR)
        for c in ("_agency", "_batch", "_extra"):
            q[c] = rj[c].astype(_STR) if c in rj.columns else pd.Series(pd.NA, index=q.index, dtype=_STR)
        parts.append(q)
    if not parts:
        return empty_quarantine()
    out = pd.concat(parts, ignore_index=True)[list(QUARANTINE_COLUMNS)]
    order = np.lexsort((out["行号"].to_numpy(), out["工作表"].map(SHEETS.index).to_numpy(),
                        out["来源文件"].astype(str).to_numpy()))
    return out.iloc[order].reset_index(drop=True)
