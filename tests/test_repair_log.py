"""Proposals → repair log, review queue, applied frames (pipelines.cleaning.repair.log)."""
from __future__ import annotations

import json

import pandas as pd

from dq_rules import repair_rules as R
from pipelines.cleaning.repair.log import (
    LOG_COLUMNS, REVIEW_COLUMNS, apply_changes, issue_rows, make_proposals, repair_log, review_items, settle,
)


def frame():
    return pd.DataFrame({"_agency": ["52010001", "52010001"], "档案编号": ["A0", "A1"],
                         "工作单位": ["黔润科技", "贵州大娄酒业有限公司"],
                         "_issues": [json.dumps([{"field": "出生日期", "code": "date_month_only", "raw": "1990.1"}],
                                                ensure_ascii=False), None]}, dtype="str")


def test_confident_changes_apply_the_rest_go_to_review():
    f = frame()
    p = pd.concat([
        make_proposals("基本信息", f, [0], "工作单位", "黔润科技", "贵州黔润科技有限公司", "employer_abbrev_match"),
        make_proposals("基本信息", f, [1], "工作单位", "贵州大娄酒业有限公司", None, "employer_social_differs_review",
                       kind="review", candidates=[["贵州黔润科技有限公司"]]),
        make_proposals("基本信息", f, [1], "单位统一社会信用代码", None, "915201000000000011", "uscc_from_social",
                       confidence=0.5),
    ], ignore_index=True)
    s = settle(p)
    assert s["applied"].tolist() == [True, False, False]
    assert s["to_review"].tolist() == [False, True, True]
    out = apply_changes({"基本信息": f}, s)["基本信息"]
    assert out.at[0, "工作单位"] == "贵州黔润科技有限公司" and f.at[0, "工作单位"] == "黔润科技"   # a copy
    log = repair_log(s)
    assert list(log.columns) == LOG_COLUMNS and len(log) == 3
    rev = review_items(s)
    assert list(rev.columns) == REVIEW_COLUMNS
    assert json.loads(rev.iloc[0]["candidates"]) == ["贵州黔润科技有限公司"]
    assert json.loads(rev.iloc[1]["candidates"]) == ["915201000000000011"]   # the proposal itself
    assert rev.iloc[0]["current"] == "贵州大娄酒业有限公司"
    assert R.confidence("employer_abbrev_match") >= R.APPLY_MIN_CONFIDENCE


def test_conflicting_confident_changes_of_one_cell_apply_none():
    f = frame()
    p = pd.concat([
        make_proposals("基本信息", f, [0], "工作单位", "黔润科技", "贵州黔润科技有限公司", "employer_abbrev_match"),
        make_proposals("基本信息", f, [0], "工作单位", "黔润科技", "贵阳黔润科技有限公司", "employer_social_tiebreak"),
        make_proposals("基本信息", f, [1], "工作单位", "x", "贵州大娄酒业有限公司", "employer_exact_variant"),
        make_proposals("基本信息", f, [1], "工作单位", "x", "贵州大娄酒业有限公司", "employer_key_match"),
    ], ignore_index=True)
    s = settle(p)
    assert s["applied"].tolist() == [False, False, True, False]       # agreeing duplicates: one applies
    assert s["to_review"].tolist() == [True, True, False, False]


def test_protected_cells_are_never_overwritten():
    f = frame()
    p = make_proposals("基本信息", f, [0], "工作单位", "黔润科技", "贵州黔润科技有限公司", "employer_abbrev_match")
    s = settle(p, protected=[("52010001", "A0", "工作单位")])
    assert not s["applied"].any() and not s["to_review"].any()
    s = settle(p, protected=pd.DataFrame({"agency": ["52010001"], "档案编号": ["A0"], "sheet": ["基本信息"],
                                          "field": ["工作单位"]}))
    assert not s["applied"].any()


def test_threshold_is_configurable():
    f = frame()
    p = make_proposals("基本信息", f, [0], "工作单位", "黔润科技", "贵州黔润科技有限公司", "employer_abbrev_match")
    assert not settle(p, threshold=0.999)["applied"].any()


def test_issue_rows():
    f = frame()
    assert issue_rows(f, "出生日期").to_dict() == {0: {"date_month_only"}}
    assert issue_rows(f, "出生日期", {"date_impossible"}).empty
    assert issue_rows(f, "姓名").empty
