"""Employment and insurance status from social insurance (社保) for the person table.

就业状态 (就业 / 失业) and 参保状态 (参保缴费 / 暂停缴费 / 终止参保) are not columns of the collection form; the
person table keeps them (``person.employment_status`` / ``insured_status``) from 社保. `social_status`
returns one row per record whose trusted ID is in 社保 — vectorised (one Arrow hash join) — with the feed's
values and where they came from; the load step writes them. The employer itself (contract rule 8) is
handled in `employers`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.feeds import KeyIndex

__all__ = ["social_status", "STATUS_COLUMNS"]

STATUS_COLUMNS = ["_agency", "档案编号", "就业状态", "参保状态", "最近缴费年月", "参保单位名称", "参保单位统一社会信用代码",
                  "feed", "rule"]
_FEED_COLUMNS = ["就业状态", "参保状态", "最近缴费年月", "参保单位名称", "参保单位统一社会信用代码"]


def social_status(records: pd.DataFrame, ids: pd.Series, usable: pd.Series, social: KeyIndex) -> pd.DataFrame:
    """The 社保 status of each record found there (index: the record's label in `records`)."""
    ok = usable.to_numpy(dtype=bool) & ids.notna().to_numpy()
    pos = np.full(len(records), -1, dtype=np.int64)
    if ok.any():
        pos[ok] = social.positions(ids[ok])
    found = pos >= 0
    labels = records.index[found]
    out = pd.DataFrame(index=labels)
    for c in ("_agency", "档案编号"):
        out[c] = records.loc[labels, c].astype("str") if c in records.columns else pd.Series(pd.NA, index=labels)
    for c in _FEED_COLUMNS:
        out[c] = pd.Series(social.column_at(c, pos[found]), index=labels, dtype="str")
    out["feed"] = "social_security"
    out["rule"] = "status_from_social"
    return out[STATUS_COLUMNS]
