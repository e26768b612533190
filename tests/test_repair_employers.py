"""Employers and USCCs against 工商 and 社保 — with the decoys that must not be taken for each other."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from stdnum.cn import ric, uscc

from pipelines.cleaning.repair import repair
from pipelines.cleaning.repair.employers import NameIndex, parse_company_name
from pipelines.feeds import FEEDS, Feeds

REG_COLS = FEEDS["business_registry"].columns
SOC_COLS = FEEDS["social_security"].columns


def code(n: int) -> str:
    body = f"9152010{n:010d}"
    return body + uscc.calc_check_digit(body)


def pid(n: int) -> str:
    body = f"5201021990010{n:04d}"
    return body + ric.calc_check_digit(body + "0")


COMPANIES = {
    "A": ("贵州黔润科技有限公司", None),
    "A_BRANCH": ("贵州黔润科技有限公司遵义分公司", None),
    "A_REGION": ("贵阳黔润科技有限公司", None),             # same brand, other region
    "A_CHAR": ("贵州黔闰科技有限公司", None),               # one character different
    "B": ("贵州苗岭运输股份有限公司", "贵州苗岭物流有限公司"),   # with a former name
    "C": ("益茂（贵阳）商贸有限公司", None),
    "D": ("遵义松天建设工程有限公司", None),
    "E1": ("贵州林润建设工程股份有限公司", None),           # E1/E2 share the abbreviation 林润建设
    "E2": ("贵阳林润建设工程有限公司", None),
    "F": ("贵州达宁人力资源有限公司", None),
    "G": ("贵州大娄酒业有限公司", None),
}
USCC = {k: code(i + 1) for i, k in enumerate(COMPANIES)}
NAME = {k: v[0] for k, v in COMPANIES.items()}


def registry(skip=()) -> pd.DataFrame:
    rows = []
    for k, (name, former) in COMPANIES.items():
        if k in skip:
            continue
        r = dict.fromkeys(REG_COLS)
        r.update({"统一社会信用代码": USCC[k], "企业名称": name, "曾用名": former, "登记状态": "存续"})
        rows.append(r)
    return pd.DataFrame(rows, columns=list(REG_COLS))


def social(*rows) -> pd.DataFrame:
    out = []
    for r in rows:
        b = dict.fromkeys(SOC_COLS)
        b.update({"参保状态": "参保缴费", "就业状态": "就业"})
        b.update(r)
        out.append(b)
    if not out:
        out = [dict.fromkeys(SOC_COLS, None) | {"公民身份号码": pid(9999)}]
    return pd.DataFrame(out, columns=list(SOC_COLS))


def records(*rows) -> pd.DataFrame:
    cols = ["_agency", "档案编号", "姓名", "公民身份号码", "工作单位", "单位统一社会信用代码", "_issues"]
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


def run(recs, work=None, soc=None, reg=None):
    feeds = Feeds.from_tables({"business_registry": registry() if reg is None else reg,
                               "social_security": soc if soc is not None else social()})
    return repair(recs, None, work, feeds, steps=["employers"])


@pytest.fixture(scope="module")
def index() -> NameIndex:
    reg = registry()
    return NameIndex(list(reg["企业名称"]), list(reg["曾用名"]))


def company(index, m) -> str | None:
    return NAME[list(COMPANIES)[m.company]] if m.unique else None


# ---- the name index ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, expected, status", [
    ("贵州黔润科技有限公司", "A", "exact"),
    ("益茂(贵阳)商贸有限公司", "C", "exact"),              # bracket width
    ("贵阳益茂商贸有限公司", "C", "key"),                  # bracket order
    ("贵州苗岭物流有限公司", "B", "former"),               # 曾用名 → current name
    ("贵州达宁人力资源", "F", "key"),                      # no legal form
    ("贵州苗岭运输有限公司", "B", "key"),                  # another legal form
    ("遵义松天建没工程有限公司", "D", "typo"),              # one character (look-alike)
    ("贵州达宁人力姿源有限公司", "F", "typo"),              # homophone (资/姿 zi)
    ("益茂（贵扬）商贸有限公司", "C", "typo"),              # a slip inside the bracketed region
    ("松天建设", "D", "abbrev"),
    ("达宁人力", "F", "abbrev"),
])
def test_name_variants_match_the_one_company(index, typed, expected, status):
    m = index.match(typed)
    assert (m.status, company(index, m)) == (status, NAME[expected])


def test_branch_and_head_office_are_never_taken_for_each_other(index):
    assert company(index, index.match("贵州黔润科技遵义分公司")) == NAME["A_BRANCH"]     # no legal form
    assert company(index, index.match("贵州黔润科技有限公司遵义分公司")) == NAME["A_BRANCH"]
    m = index.match("贵州黔润科技有限公司贵阳分公司")                                  # an unknown branch
    assert not m.unique or company(index, m) != NAME["A"]
    m = index.match("贵州黔润科技有限公司")
    assert company(index, m) == NAME["A"]


def test_near_namesake_in_another_region_is_not_taken(index):
    assert company(index, index.match("贵阳黔润科技有限公司")) == NAME["A_REGION"]
    assert company(index, index.match("贵阳黔润科技")) == NAME["A_REGION"]
    # the registry without 贵州黔润: a 贵州 name must not become the 贵阳 one
    reg = registry(skip=("A",))
    idx = NameIndex(list(reg["企业名称"]), list(reg["曾用名"]))
    m = idx.match("贵州黔润科技有限公司")
    assert not m.unique or idx.current[m.company] != NAME["A_REGION"]


def test_one_character_different_company_is_not_taken(index):
    assert company(index, index.match("贵州黔闰科技有限公司")) == NAME["A_CHAR"]
    m = index.match("贵州黔运科技有限公司")         # as close to 黔润 as to 黔闰
    assert m.status == "ambiguous"
    assert {index.current[c] for c in m.candidates} >= {NAME["A"], NAME["A_CHAR"]}


def test_two_companies_sharing_an_abbreviation_go_to_review(index):
    m = index.match("林润建设")
    assert m.status == "ambiguous"
    assert {index.current[c] for c in m.candidates} == {NAME["E1"], NAME["E2"]}
    m = index.match("黔润科技")                    # head office, region namesake
    assert m.status == "ambiguous"


def test_unknown_employers_are_left_alone(index):
    assert index.match("贵州省人民医院").status == "none"
    assert index.match("").status == "none"


def test_parse_company_name_parts():
    p = parse_company_name("黔润（贵州）科技有限公司")
    assert (p.key, p.core, p.regions, p.legal, p.branch) == ("贵州黔润科技", "黔润科技", ("贵州",), "有限公司", False)
    assert parse_company_name("贵州黔润科技有限公司遵义分公司").branch
    assert parse_company_name("黔东南苗族侗族自治州某某商贸有限公司").regions == ("黔东南",)


# ---- person rows: USCC decides, USCC repairs, rule 8 ---------------------------------------------------------

def test_valid_registered_uscc_decides_the_name():
    res = run(records({"工作单位": "黔润科技", "单位统一社会信用代码": USCC["A"]},           # ambiguous alone
                      {"工作单位": "贵州黔润科技", "单位统一社会信用代码": USCC["A"]},
                      {"工作单位": None, "单位统一社会信用代码": USCC["D"]}))
    assert list(res.records["工作单位"]) == [NAME["A"], NAME["A"], NAME["D"]]
    assert set(res.log["rule"]) == {"employer_by_uscc"}


def test_uscc_of_another_company_than_the_name_goes_to_review():
    res = run(records({"工作单位": NAME["G"], "单位统一社会信用代码": USCC["A"]}))
    assert res.records.at[0, "工作单位"] == NAME["G"]
    item = res.review.iloc[0]
    assert item["field"] == "工作单位" and item["rule"] == "employer_uscc_conflict_review"
    assert set(json.loads(item["candidates"])) == {NAME["A"], NAME["G"]}


def test_uscc_bad_check_character_and_legacy_number_repaired_by_the_name():
    bad = USCC["B"][:17] + ("0" if USCC["B"][17] != "0" else "1")
    res = run(records({"工作单位": NAME["B"], "单位统一社会信用代码": bad, "issues": [("单位统一社会信用代码", "uscc_checksum")]},
                      {"工作单位": NAME["D"], "单位统一社会信用代码": "520102123456789",
                       "issues": [("单位统一社会信用代码", "uscc_legacy")]},
                      {"工作单位": "黔润科技", "单位统一社会信用代码": "520102123456780",
                       "issues": [("单位统一社会信用代码", "uscc_legacy")]}))
    assert list(res.records["单位统一社会信用代码"]) == [USCC["B"], USCC["D"], "520102123456780"]
    rules = dict(zip(res.log["档案编号"] + res.log["field"], res.log["rule"]))
    assert rules["A0单位统一社会信用代码"] == "uscc_typo_registry"
    assert rules["A1单位统一社会信用代码"] == "uscc_legacy_by_name"
    assert set(res.review["档案编号"]) == {"A2"}        # the name does not identify one company


def test_rule_8_empty_employer_from_social_and_another_company_to_review():
    soc = social({"公民身份号码": pid(0), "参保单位统一社会信用代码": USCC["D"], "参保单位名称": NAME["D"]},
                 {"公民身份号码": pid(1), "参保单位统一社会信用代码": USCC["D"], "参保单位名称": NAME["D"]},
                 {"公民身份号码": pid(2), "参保单位统一社会信用代码": USCC["D"], "参保单位名称": NAME["D"]},
                 {"公民身份号码": pid(3), "参保单位统一社会信用代码": USCC["D"], "参保单位名称": NAME["D"],
                  "就业状态": "失业", "参保状态": "终止参保"})
    res = run(records({"工作单位": None, "单位统一社会信用代码": None},
                      {"工作单位": NAME["B"], "单位统一社会信用代码": USCC["B"]},
                      {"工作单位": NAME["D"], "单位统一社会信用代码": USCC["D"]},
                      {"工作单位": None, "单位统一社会信用代码": None}), soc=soc)
    r = res.records
    assert (r.at[0, "工作单位"], r.at[0, "单位统一社会信用代码"]) == (NAME["D"], USCC["D"])
    assert (r.at[1, "工作单位"], r.at[1, "单位统一社会信用代码"]) == (NAME["B"], USCC["B"])   # not changed
    rev = res.review[res.review["档案编号"] == "A1"]
    assert set(rev["field"]) == {"工作单位", "单位统一社会信用代码"}
    assert set(rev["rule"]) == {"employer_social_differs_review"}
    assert "A2" not in set(res.review["档案编号"])
    assert pd.isna(r.at[3, "工作单位"])            # 社保 says unemployed: nothing filled


def test_social_settles_an_ambiguous_name():
    soc = social({"公民身份号码": pid(0), "参保单位统一社会信用代码": USCC["E2"], "参保单位名称": NAME["E2"]})
    res = run(records({"工作单位": "林润建设", "单位统一社会信用代码": None}), soc=soc)
    assert res.records.at[0, "工作单位"] == NAME["E2"]
    assert res.log.iloc[0]["rule"] == "employer_social_tiebreak"


# ---- work rows --------------------------------------------------------------------------------------------

def test_work_rows_are_matched_and_the_current_job_tie_broken():
    recs = records({"工作单位": NAME["A_REGION"], "单位统一社会信用代码": USCC["A_REGION"]})
    work = pd.DataFrame({
        "_agency": ["52010001"] * 4, "档案编号": ["A0"] * 4,
        "起始时间": ["2010-01-01", "2012-01-01", "2014-01-01", "2016-01-01"],
        "终止时间": ["2011-12-31", "2013-12-31", "2015-12-31", None],
        "工作单位": ["益茂(贵阳)商贸有限公司", "林润建设", "贵州苗岭物流有限公司", "黔润科技"],
    }, dtype="str")
    res = run(recs, work=work)
    assert list(res.work["工作单位"]) == [NAME["C"], "林润建设", NAME["B"], NAME["A_REGION"]]
    rev = res.review[res.review["sheet"] == "工作经历"]
    assert list(rev["row"]) == [1] and rev.iloc[0]["rule"] == "employer_ambiguous_review"


def test_exact_name_of_one_company_with_the_uscc_of_its_near_namesake_goes_to_review():
    res = run(records({"工作单位": NAME["A"], "单位统一社会信用代码": USCC["A_CHAR"]},
                      {"工作单位": "贵州黔润科枝有限公司", "单位统一社会信用代码": USCC["A"]}))
    assert res.records.at[0, "工作单位"] == NAME["A"]
    assert list(res.review["档案编号"]) == ["A0"]
    assert res.records.at[1, "工作单位"] == NAME["A"]           # a slip in the name: the USCC decides


def test_branch_is_its_own_company_for_the_uscc_too():
    res = run(records({"工作单位": "贵州黔润科技遵义分公司", "单位统一社会信用代码": USCC["A_BRANCH"]},
                      {"工作单位": "贵州黔润科技遵义分公司", "单位统一社会信用代码": USCC["A"]}))
    assert res.records.at[0, "工作单位"] == NAME["A_BRANCH"]
    assert res.records.at[1, "工作单位"] == "贵州黔润科技遵义分公司"   # branch named, head office's USCC
    assert list(res.review["档案编号"]) == ["A1"]


def test_deregistered_current_employer_is_noted_not_reviewed():
    reg = registry()
    reg.loc[reg["统一社会信用代码"] == USCC["G"], "登记状态"] = "注销"
    res = run(records({"工作单位": NAME["G"], "单位统一社会信用代码": USCC["G"]}), reg=reg)
    assert res.review.empty
    note = res.log.iloc[0]
    assert (note["rule"], note["applied"]) == ("employer_deregistered_note", False)
    assert res.records.at[0, "工作单位"] == NAME["G"]
