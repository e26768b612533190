"""户籍原所在地 of the collective household (集体户口) from the population register (公安).

The 集体户口代理 row a load makes for a person whose form says 集体户口 = 是 (`pipelines.load.hukou`) takes
户籍编号 and 落户时间 from the form and 户籍原所在地 from the register, when the register has an address
for the person's trusted ID. `police_hukou` returns one row per such record — vectorised, one Arrow hash
lookup — with the register's 户籍地址; it changes no record and proposes nothing to review.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.feeds import KeyIndex

__all__ = ["police_hukou", "HUKOU_COLUMNS"]

HUKOU_COLUMNS = ["档案编号", "户籍地址"]
COLLECTIVE = "是"


def police_hukou(records: pd.DataFrame, ids: pd.Series, usable: pd.Series, police: KeyIndex) -> pd.DataFrame:
    """The register's 户籍地址 of each 集体户口 record found there (index: the record's label)."""
    if "集体户口" not in records.columns or not len(records):
        return pd.DataFrame(columns=HUKOU_COLUMNS)
    coll = records["集体户口"].astype(object).where(records["集体户口"].notna(), "").to_numpy(dtype=object) == COLLECTIVE
    ok = coll & usable.to_numpy(dtype=bool) & ids.notna().to_numpy()
    pos = np.full(len(records), -1, dtype=np.int64)
    if ok.any():
        pos[ok] = police.positions(ids[ok])
    found = pos >= 0
    labels = records.index[found]
    out = pd.DataFrame({"档案编号": records.loc[labels, "档案编号"].astype(object).to_numpy(),
                        "户籍地址": police.column_at("户籍地址", pos[found])}, index=labels)
    keep = out["户籍地址"].notna().to_numpy() & (out["户籍地址"].astype(str).str.strip() != "").to_numpy()
    return out[keep]
