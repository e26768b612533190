"""Data-quality figures of one agency's final frames (数据质量统计), for ``dq_run_stat`` and the scorecards.

* completeness (完整率): share of non-empty cells over the 基本信息 fields of ``COMPLETENESS_FIELDS``;
* validity (有效率): share of non-empty 基本信息 cells that do not wait in the review queue;
* detail: the same per field, applied repairs per rule, review items per category and field.
"""
from __future__ import annotations

import pandas as pd

from archives_domain.collection_form import SHEET_COLUMNS, SHEET_PERSON

#: the fields whose emptiness matters for the archive (★ fields and what the business modules rely on)
COMPLETENESS_FIELDS = ("档案编号", "姓名", "性别", "民族", "出生日期", "公民身份号码", "政治面貌", "户籍所在地",
                       "联系电话", "最高学历", "工作单位", "委托方式", "档案接收时间", "档案状态")


def quality_stats(final: dict, records: dict | None = None) -> dict:
    persons = final["persons"]
    review = final["review"]
    log = final["log"]
    n = len(persons)
    person_review = review[review["sheet"] == SHEET_PERSON] if len(review) else review
    # per field, the 档案编号 with a review item on it
    flagged = ({str(f): g["档案编号"].unique() for f, g in person_review.groupby("field")}
               if len(person_review) else {})
    nos = persons["档案编号"]
    fields = {}
    filled_total = cells_total = valid_total = nonempty_total = 0
    for h in SHEET_COLUMNS[SHEET_PERSON]:
        col = persons[h] if h in persons.columns else pd.Series([None] * n, dtype=object)
        filled = col.notna() & (col.astype(str) != "")
        nonempty = int(filled.sum())
        bad = int((filled & nos.isin(flagged[h])).sum()) if h in flagged else 0
        fields[h] = {"completeness": round(nonempty / n, 4) if n else None,
                     "validity": round((nonempty - bad) / nonempty, 4) if nonempty else None}
        if h in COMPLETENESS_FIELDS:
            filled_total += nonempty
            cells_total += n
        nonempty_total += nonempty
        valid_total += nonempty - bad
    applied = log[log["applied"].astype(bool)] if len(log) else log
    stats = {
        "completeness": round(filled_total / cells_total, 4) if cells_total else None,
        "validity": round(valid_total / nonempty_total, 4) if nonempty_total else None,
        "repaired": int(len(applied)),
        "detail": {
            "fields": fields,
            "repairs_by_rule": {str(k): int(v) for k, v in applied.groupby("rule").size().items()} if len(applied) else {},
            "review_by_category": {str(k): int(v) for k, v in review.groupby("category").size().items()} if len(review) else {},
            "review_by_field": {str(k): int(v) for k, v in review.groupby("field").size().items()} if len(review) else {},
        },
    }
    if records is not None and "row_status" in records:
        rs = records["row_status"]
        stats["rows_in"] = int(len(rs))
        stats["duplicate"] = int((rs["status"] == "duplicate").sum())
    return stats
