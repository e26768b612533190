"""毕业时间 and 学习经历 against the education feed; 就业状态/参保状态 from 社保."""
from __future__ import annotations

import json

import pandas as pd
from stdnum.cn import ric

from pipelines.cleaning.repair import repair
from pipelines.feeds import FEEDS, Feeds

EDU_COLS = FEEDS["education"].columns
SOC_COLS = FEEDS["social_security"].columns


def pid(n: int) -> str:
    body = f"5201021990010{n:04d}"
    return body + ric.calc_check_digit(body + "0")


def edu(*rows) -> pd.DataFrame:
    out = []
    for r in rows:
        b = dict.fromkeys(EDU_COLS)
        b.update(r)
        out.append(b)
    return pd.DataFrame(out, columns=list(EDU_COLS))


def records(*rows) -> pd.DataFrame:
    cols = ["_agency", "档案编号", "姓名", "公民身份号码", "最高学历", "毕业院校", "所学专业", "毕业时间", "_issues"]
    out = []
    for i, r in enumerate(rows):
        b = dict.fromkeys(cols)
        b.update({"_agency": "52010001", "档案编号": f"A{i}", "姓名": "张三", "公民身份号码": pid(i)})
        issues = r.pop("issues", [])
        b.update(r)
        b["_issues"] = json.dumps([{"field": f, "code": c, "raw": None} for f, c in issues],
                                  ensure_ascii=False) if issues else None
        out.append(b)
    return pd.DataFrame(out, columns=cols, dtype="str")


BACHELOR = {"院校名称": "贵州大学", "专业名称": "会计学", "学历层次": "本科", "学位": "学士",
            "入学日期": "2008-09-01", "毕业日期": "2012-06-30"}
MASTER = {"院校名称": "贵州大学", "专业名称": "会计学", "学历层次": "硕士研究生", "学位": "硕士",
          "入学日期": "2012-09-01", "毕业日期": "2015-06-28"}
DOCTOR = {"院校名称": "贵州大学", "专业名称": "会计学", "学历层次": "博士研究生", "学位": "博士",
          "入学日期": "2015-09-01", "毕业日期": "2018-06-28"}


def run(recs, feed, study=None, steps=("graduation_dates", "study")):
    return repair(recs, study, None, Feeds.from_tables({"education": feed}), steps=list(steps))


def test_month_only_graduation_date_completed_when_school_major_level_agree():
    feed = edu({"公民身份号码": pid(0), **BACHELOR}, {"公民身份号码": pid(1), **BACHELOR},
               {"公民身份号码": pid(2), **BACHELOR}, {"公民身份号码": pid(3), **BACHELOR})
    res = run(records(
        {"最高学历": "大学本科", "毕业院校": "贵州大学", "所学专业": "会计学", "毕业时间": "2012-06",
         "issues": [("毕业时间", "date_month_only")]},
        {"最高学历": "大学本科", "毕业院校": "遵义师范学院", "所学专业": "会计学", "毕业时间": "2012-06",
         "issues": [("毕业时间", "date_month_only")]},                    # another school → review
        {"最高学历": "大学本科", "毕业院校": "贵州大学", "毕业时间": "2013-06",
         "issues": [("毕业时间", "date_month_only")]},                    # another month → review
        {"最高学历": "研究生", "毕业院校": "贵州大学", "所学专业": "会计学", "毕业时间": "2012-06",
         "issues": [("毕业时间", "date_month_only")]},                    # another level → review
    ), feed, steps=["graduation_dates"])
    assert list(res.records["毕业时间"]) == ["2012-06-30", "2012-06", "2013-06", "2012-06"]
    assert sorted(res.review["档案编号"]) == ["A1", "A2", "A3"]
    assert res.log[res.log["applied"]].iloc[0]["feed"] == "education"


def _study(rows) -> pd.DataFrame:
    cols = ["_agency", "档案编号", "公民身份号码", "起始时间", "终止时间", "学校", "专业", "学历", "学位", "_issues"]
    out = []
    for r in rows:
        b = dict.fromkeys(cols)
        b.update({"_agency": "52010001"})
        issues = r.pop("issues", [])
        b.update(r)
        b["_issues"] = json.dumps([{"field": f, "code": c, "raw": None} for f, c in issues],
                                  ensure_ascii=False) if issues else None
        out.append(b)
    return pd.DataFrame(out, columns=cols, dtype="str")


def test_study_rows_completed_contradictions_reviewed_missing_rows():
    feed = edu({"公民身份号码": pid(0), **BACHELOR}, {"公民身份号码": pid(0), **MASTER},
               {"公民身份号码": pid(0), **DOCTOR},
               {"公民身份号码": pid(1), **BACHELOR},
               {"公民身份号码": pid(2), **BACHELOR}, {"公民身份号码": pid(2), **MASTER})
    study = _study([
        # person 0: high school, bachelor with a month-only end, master and doctor at the same school
        {"档案编号": "A0", "起始时间": "2005-09-01", "终止时间": "2008-06-30", "学校": "贵阳一中", "学历": "高中"},
        {"档案编号": "A0", "起始时间": "2008-09-01", "终止时间": "2012-06", "学校": "贵州大学", "专业": "会计学",
         "学历": "大学本科", "学位": "学士", "issues": [("终止时间", "date_month_only")]},
        {"档案编号": "A0", "起始时间": "2012-09-01", "终止时间": "2015-06-28", "学校": "贵州大学", "专业": "金融学",
         "学历": "研究生", "学位": "硕士"},                                                   # 专业 contradicts
        {"档案编号": "A0", "起始时间": "2015-09-01", "终止时间": "2018-06-28", "学校": "贵州大学", "专业": "会计学",
         "学历": "研究生", "学位": "博士"},
        # person 2: only the bachelor row
        {"档案编号": "A2", "起始时间": "2008-09-01", "终止时间": "2012-06-30", "学校": "贵州大学", "专业": "会计学",
         "学历": "大学本科", "学位": "学士"},
    ])
    res = run(records({}, {}, {}), feed, study, steps=["study"])
    s = res.study
    assert s.at[1, "终止时间"] == "2012-06-30"
    assert s.at[2, "专业"] == "金融学"
    rev = res.review
    assert set(zip(rev["档案编号"], rev["field"])) == {("A0", "专业"), ("A2", "*")}
    assert json.loads(rev[rev["field"] == "专业"].iloc[0]["candidates"]) == ["会计学"]
    # person 1 had no study rows at all: the feed row is added
    added = s[s["档案编号"] == "A1"]
    assert len(added) == 1
    row = added.iloc[0]
    assert (row["学校"], row["学历"], row["学位"], row["起始时间"], row["_source"]) == (
        "贵州大学", "大学本科", "学士", "2008-09-01", "education")
    assert len(s) == len(study) + 1


def test_study_row_of_another_school_same_years_is_a_contradiction():
    feed = edu({"公民身份号码": pid(0), **BACHELOR})
    study = _study([{"档案编号": "A0", "起始时间": "2008-09-01", "终止时间": "2012-06-30", "学校": "贵州民族大学",
                     "专业": "会计学", "学历": "大学本科", "学位": "学士"}])
    res = run(records({}), feed, study, steps=["study"])
    assert list(zip(res.review["field"], res.review["rule"])) == [("学校", "study_contradiction_review")]
    assert res.study.at[0, "学校"] == "贵州民族大学"


def test_social_status_for_the_person_table():
    soc = pd.DataFrame([dict.fromkeys(SOC_COLS) | {"公民身份号码": pid(0), "参保状态": "暂停缴费", "就业状态": "失业",
                                                  "最近缴费年月": "2020-03"}], columns=list(SOC_COLS))
    res = repair(records({}, {}), None, None, Feeds.from_tables({"social_security": soc}), steps=["social_status"])
    st = res.status
    assert len(st) == 1
    assert st.iloc[0][["档案编号", "就业状态", "参保状态", "最近缴费年月", "feed"]].tolist() == [
        "A0", "失业", "暂停缴费", "2020-03", "social_security"]
    assert res.log.empty
