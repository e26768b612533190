"""Standardisation (pipelines.cleaning.standardise / text / dates): every kind of dirt the contract
lists, with hand-made cells; the vectorised checks against python-stdnum.  No database."""
from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from stdnum.cn import ric, uscc

from archives_domain.collection_form import HEADERS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK
from archives_domain.identity import IdentityError, upgrade_id15, validate_id
from dq_rules.person_schema import failure_cases, unexplained
from pipelines.cleaning.dates import parse_date
from pipelines.cleaning.standardise import (
    id_check_ok,
    id_verdict,
    standardise,
    standardise_value,
    std_columns,
    uscc_check_ok,
)
from pipelines.cleaning.text import is_null_token

STR = pd.StringDtype("pyarrow", na_value=np.nan)


def make_id(code6: str, date8: str, seq: str = "123") -> str:
    body = code6 + date8 + seq
    return body + ric.calc_check_digit(body + "0")


def make_uscc(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


ID_OK = make_id("520102", "19850305")                 # 南明区, in use from 1983
ID_X = make_id("520103", "19900101", "105")           # ends in X
ID_REGION_YEAR = make_id("520102", "19500101")        # checksum right; 520102 not in use in 1950
USCC_OK = make_uscc("91520100MA6DQ9K0X")


def raw_frame(sheet: str, rows: list[dict], agency: str = "52000001", batch: str = "b",
              file: str | None = None) -> pd.DataFrame:
    n = len(rows)
    data = {"_agency": [agency] * n, "_batch": [batch] * n,
            "_file": [file or f"{agency}/{batch}.{sheet}.csv"] * n, "_sheet": [sheet] * n}
    frame = pd.DataFrame({k: pd.Series(v, dtype=STR) for k, v in data.items()})
    frame["_row"] = np.arange(2, n + 2, dtype=np.int64)
    for h in HEADERS[sheet]:
        frame[h] = pd.Series([r.get(h) for r in rows], dtype=STR)
    frame["_extra"] = pd.Series([None] * n, dtype=STR)
    return frame


def std_cell(field: str, value, sheet: str = SHEET_PERSON):
    """(std value or None, the cell's issues, the cell's changes)."""
    std = standardise(sheet, raw_frame(sheet, [{field: value}]))
    v = std[field].iloc[0]
    issues = [e for e in json.loads(std["_issues"].iloc[0]) if e["field"] == field]
    changes = [e for e in json.loads(std["_changes"].iloc[0]) if e["field"] == field]
    return (None if pd.isna(v) else v), issues, changes


def codes(issues) -> list[str]:
    return [e["code"] for e in issues]


# ---------------------------------------------------------------------------
# The frame
# ---------------------------------------------------------------------------

def test_std_frame_shape_lineage_and_dropped_hukou():
    raw = raw_frame(SHEET_PERSON, [{"档案编号": "A", "户口性质": "农业", "姓名": "张三"}] * 2)
    raw.index = [10, 11]
    std = standardise(SHEET_PERSON, raw)
    assert list(std.columns) == std_columns(SHEET_PERSON)
    assert "户口性质" not in std.columns  # contract rule 2: raw layer only
    assert list(std.index) == [10, 11]
    assert std["_row"].tolist() == [2, 3] and std["_file"].iloc[0] == "52000001/b.基本信息.csv"
    assert std["_issues"].tolist() == ["[]", "[]"] and std["_changes"].tolist() == ["[]", "[]"]
    for sheet in (SHEET_STUDY, SHEET_WORK):
        empty = standardise(sheet, raw_frame(sheet, []))
        assert list(empty.columns) == std_columns(sheet) and len(empty) == 0


def test_changes_log_old_new_and_rule():
    _, _, changes = std_cell("出生日期", " 2019/3/5 ")
    assert changes == [{"field": "出生日期", "old": " 2019/3/5 ", "new": "2019-03-05", "rule": "trim+date_format"}]
    _, _, changes = std_cell("民族", "汉")
    assert changes == [{"field": "民族", "old": "汉", "new": "汉族", "rule": "code_synonym"}]
    value, issues, changes = std_cell("民族", "汉族")
    assert (value, issues, changes) == ("汉族", [], [])


# ---------------------------------------------------------------------------
# Rule 1: empty values
# ---------------------------------------------------------------------------

NULLS = ["", " ", "\u3000", "  \t", "无", " 无 ", "/", "-", "—", "——", "NULL", "null", "Null", "ＮＵＬＬ", "／", "－"]


@pytest.mark.parametrize("token", NULLS)
@pytest.mark.parametrize("field", ["备注", "民族", "出生日期", "联系电话", "公民身份号码", "工作单位", "单位统一社会信用代码"])
def test_null_tokens_mean_no_value(field, token):
    value, issues, changes = std_cell(field, token)
    assert value is None and issues == []
    assert changes and changes[0]["old"] == token and changes[0]["new"] is None
    assert changes[0]["rule"] in ("null_token", "trim+null_token", "empty")
    assert is_null_token(token)


def test_highest_degree_keeps_wu_as_a_code():
    assert std_cell("最高学位", "无")[0] == "无"
    assert std_cell("最高学位", " 无 ")[0] == "无"
    assert std_cell("最高学位", "/")[0] is None
    assert std_cell("最高学位", "无学位")[0] == "无"
    # 学习经历 学位 is not exempt: 无 is no value there
    assert std_cell("学位", "无", SHEET_STUDY)[0] is None
    assert std_cell("学位", "学士学位", SHEET_STUDY)[0] == "学士"


# ---------------------------------------------------------------------------
# Spaces and width
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("field, raw, clean", [
    ("姓名", " 张 三\u3000", "张三"),
    ("姓名", "John  Smith", "John Smith"),
    ("民族", "\u3000汉族 ", "汉族"),
    ("性别", "男 ", "男"),
    ("档案编号", "  GZ-0001 ", "GZ-0001"),
    ("档案编号", "ＧＺ－０００１", "GZ-0001"),
    ("立户编号", "ＤＷ－００１", "DW-001"),
    ("户籍编号", "520121013－00048", "520121013-00048"),
    ("户籍所在地", "贵州省贵阳市南明区新华路１３６号", "贵州省贵阳市南明区新华路136号"),
    ("户籍所在地", " 贵州省  贵阳市　开阳县（城关镇） ", "贵州省 贵阳市 开阳县（城关镇）"),
    ("备注", "已审核，无误：是（补充）", "已审核，无误：是（补充）"),
    ("工作单位", "贸达(贵阳)物业管理有限公司", "贸达（贵阳）物业管理有限公司"),
    ("工作单位", "贵州 明德建设工程有限公司 ", "贵州明德建设工程有限公司"),
    ("工作单位", "贵州ＡＢＣ科技有限公司", "贵州ABC科技有限公司"),
    ("毕业院校", "中国地质大学(武汉)", "中国地质大学（武汉）"),
    ("公民身份号码", " ５２０１０２１９８５０３０５１２３７ ", ID_OK),
    ("公民身份号码", "520102 1985 0305 1237", ID_OK),
    ("联系电话", "１３８００００１２３４", "13800001234"),
    ("单位统一社会信用代码", "９" + USCC_OK[1:], USCC_OK),
    ("单位统一社会信用代码", " " + USCC_OK.lower() + " ", USCC_OK),
    ("出生日期", "１９８６－１０－２７", "1986-10-27"),
])
def test_spaces_and_full_width(field, raw, clean):
    value, issues, changes = std_cell(field, raw)
    assert value == clean and issues == []
    if raw != clean:
        assert changes[0]["old"] == raw and changes[0]["new"] == clean


def test_study_and_work_fields():
    assert std_cell("学校", "贵州大学 (西校区)", SHEET_STUDY)[0] == "贵州大学（西校区）"
    assert std_cell("学历", "本科", SHEET_STUDY)[0] == "大学本科"
    assert std_cell("起始时间", "2001.9.1", SHEET_WORK)[0] == "2001-09-01"
    assert std_cell("工作单位", "顺中(贵州)房地产开发有限公司", SHEET_WORK)[0] == "顺中（贵州）房地产开发有限公司"
    assert std_cell("公民身份号码", ID_X.lower(), SHEET_WORK)[0] == ID_X


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, clean, rule", [
    ("2019-03-05", "2019-03-05", None),
    ("2019/3/5", "2019-03-05", "date_format"),
    ("2019.3.5", "2019-03-05", "date_format"),
    ("2019年3月5日", "2019-03-05", "date_format"),
    ("20190305", "2019-03-05", "date_format"),
    ("2019-3-5", "2019-03-05", "date_format"),
    ("2019/03/05", "2019-03-05", "date_format"),
    ("2019-03-05 00:00:00", "2019-03-05", "date_format"),
    ("43529", "2019-03-05", "excel_serial"),
    ("43529.25", "2019-03-05", "excel_serial"),
    ("61", "1900-03-01", "excel_serial"),
    ("22192", "1960-10-03", "excel_serial"),
    ("2000-02-29", "2000-02-29", None),
])
def test_dates_in_every_listed_format(raw, clean, rule):
    value, issues, changes = std_cell("出生日期", raw)
    assert value == clean and issues == []
    assert [c["rule"] for c in changes] == ([rule] if rule else [])


@pytest.mark.parametrize("raw, code, partial", [
    ("2019.03", "date_month_only", "2019-03"),
    ("2019.3", "date_month_only", "2019-03"),
    ("2019-03", "date_month_only", "2019-03"),
    ("2019/3", "date_month_only", "2019-03"),
    ("2019年3月", "date_month_only", "2019-03"),
    ("201903", "date_month_only", "2019-03"),
    ("2019", "date_year_only", "2019"),
    ("2019-02-30", "date_impossible", "2019-02"),
    ("1900-02-29", "date_impossible", "1900-02"),
    ("2019-04-31", "date_impossible", "2019-04"),
    ("2019-13-05", "date_impossible", "2019"),
    ("2019-07-32", "date_impossible", "2019-07"),
    ("2019.13", "date_impossible", "2019"),
    ("60", "date_impossible", "1900-02"),
    ("2099-01-01", "date_out_of_range", "2099-01-01"),
    ("1899-12-31", "date_out_of_range", "1899-12-31"),
    ("99999", "date_out_of_range", None),
    ("不详", "date_format", None),
    ("05/03/2019", "date_format", None),
])
def test_dates_that_cannot_be_made_canonical_are_issues(raw, code, partial):
    value, issues, changes = std_cell("毕业时间", " " + raw)
    assert value == raw  # kept as typed (trimmed); no day is invented
    expected = {"field": "毕业时间", "code": code, "raw": " " + raw}
    if partial:
        expected["partial"] = partial
    assert issues == [expected]
    assert [c["rule"] for c in changes] == ["trim"]


def test_parse_date_is_total():
    for text in ["", "年月日", "2019-", "-2019", "1e5", "２０１９年３月５日", "2019．3．5"]:
        parse_date(text)  # never raises
    assert parse_date("２０１９年３月５日").value == "2019-03-05"


# ---------------------------------------------------------------------------
# Identity numbers
# ---------------------------------------------------------------------------

def test_id_15_digits_is_upgraded_and_logged():
    id15 = ID_OK[:6] + ID_OK[8:17]
    value, issues, changes = std_cell("公民身份号码", id15)
    assert value == upgrade_id15(id15) == ID_OK and issues == []
    assert changes == [{"field": "公民身份号码", "old": id15, "new": ID_OK, "rule": "id_upgrade15"}]


def test_id_lowercase_x():
    value, issues, changes = std_cell("公民身份号码", ID_X[:-1] + "x")
    assert value == ID_X and issues == [] and changes[0]["rule"] == "id_normalize"


@pytest.mark.parametrize("bad", [
    ID_OK[:10] + ("0" if ID_OK[10] != "0" else "1") + ID_OK[11:],  # one digit typed wrong
    ID_OK[:12] + ID_OK[13] + ID_OK[12] + ID_OK[14:],               # two digits swapped
    "3" + ID_OK[1:],                                                # typo in the county code
])
def test_id_checksum_failure_is_an_issue_not_a_guess(bad):
    assert bad != ID_OK
    value, issues, changes = std_cell("公民身份号码", bad)
    assert value == bad and codes(issues) == ["id_checksum"] and changes == []


def test_id_region_year_is_kept_not_wrong():
    with pytest.raises(IdentityError) as exc:
        validate_id(ID_REGION_YEAR)
    assert exc.value.reason == "region"
    value, issues, changes = std_cell("公民身份号码", ID_REGION_YEAR)
    assert value == ID_REGION_YEAR and changes == []
    assert issues == [{"field": "公民身份号码", "code": "id_region_year", "raw": ID_REGION_YEAR}]


@pytest.mark.parametrize("raw, code", [
    (make_id("999999", "19850101"), "id_region_unknown"),
    (make_id("520102", "19851332"), "id_birth_date"),
    ("52010219850305", "id_length"),
    ("52010219850305123A", "id_format"),
    ("身份证遗失", "id_format"),
])
def test_other_id_issues(raw, code):
    value, issues, _ = std_cell("公民身份号码", raw)
    assert codes(issues) == [code] and value == raw


def _random_ids(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    codes6 = ["520102", "520103", "520100", "522401", "522721", "999999", "110101", "529102"]
    out = []
    for _ in range(n):
        y = rnd.randint(1940, 2015)
        d8 = f"{y}{rnd.randint(1, 13):02d}{rnd.randint(1, 31):02d}"
        good = make_id(rnd.choice(codes6), d8, f"{rnd.randint(0, 999):03d}")
        if rnd.random() < 0.4:
            i = rnd.randrange(18)
            good = good[:i] + rnd.choice("0123456789X" if i == 17 else "0123456789") + good[i + 1:]
        out.append(good)
    return out


def test_vectorised_id_checks_agree_with_stdnum():
    ids = _random_ids(3000, 7)
    ok = id_check_ok(pa.array(ids, pa.large_string()))
    assert ok.tolist() == [ric.calc_check_digit(x) == x[-1] for x in ids]
    verdict = id_verdict(pa.array(ids, pa.large_string())).to_pylist()
    for x, v in zip(ids, verdict):
        try:
            validate_id(x)
            reason = None
        except IdentityError as exc:
            reason = exc.reason
        expected = {None: None, "checksum": "id_checksum", "birth_date": "id_birth_date"}.get(reason, "region")
        got = "region" if v in ("id_region_year", "id_region_unknown") else v
        assert got == expected, (x, v, reason)


def test_vectorised_uscc_check_agrees_with_stdnum():
    rnd = random.Random(11)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    codes_ = []
    for _ in range(2000):
        body = "".join(rnd.choice("0123456789") for _ in range(8)) + "".join(rnd.choice(alphabet) for _ in range(9))
        c = make_uscc(body)
        if rnd.random() < 0.5:
            c = c[:17] + rnd.choice(alphabet)
        codes_.append(c)
    assert uscc_check_ok(pa.array(codes_, pa.large_string())).tolist() == [uscc.is_valid(c) for c in codes_]


# ---------------------------------------------------------------------------
# USCC
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, value, code", [
    (USCC_OK, USCC_OK, None),
    (USCC_OK[:-1] + ("0" if USCC_OK[-1] != "0" else "1"), None, "uscc_checksum"),
    ("520102365563268", "520102365563268", "uscc_legacy"),
    ("5201 0236 5563 268", "520102365563268", "uscc_legacy"),
    ("915201", "915201", "uscc_format"),
])
def test_uscc(raw, value, code):
    got, issues, _ = std_cell("单位统一社会信用代码", raw)
    assert got == (value or raw)
    assert codes(issues) == ([code] if code else [])


# ---------------------------------------------------------------------------
# Coded values
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("field, raw, clean", [
    ("性别", "M", "男"), ("性别", "f", "女"), ("性别", "1", "男"), ("性别", "2", "女"), ("性别", "男性", "男"),
    ("民族", "汉", "汉族"), ("民族", "苗", "苗族"), ("民族", "布依", "布依族"), ("民族", "土家族", "土家族"),
    ("政治面貌", "党员", "中共党员"), ("政治面貌", "预备党员", "中共预备党员"), ("政治面貌", "团员", "共青团员"),
    ("政治面貌", "民革", "民革会员"), ("政治面貌", "九三学社", "九三学社社员"), ("政治面貌", "普通群众", "群众"),
    ("最高学历", "本科", "大学本科"), ("最高学历", "大专", "大学专科"), ("最高学历", "中专", "中等专科"),
    ("最高学历", "硕士研究生", "研究生"), ("最高学历", "初中", "初中及以下"),
    ("最高学位", "学士学位", "学士"), ("最高学位", "MBA", "硕士"),
    ("委托方式", "个人", "个人委托"), ("委托方式", "单位代理", "单位委托"),
    ("档案状态", "在档", "在库"), ("档案状态", "已借出", "借出"), ("档案状态", "转出", "已转出"),
    ("集体户口", "Y", "是"), ("集体户口", "1", "是"), ("集体户口", "否", "否"), ("集体户口", "0", "否"),
    ("政治面貌", "ＭＢＡ", "ＭＢＡ"),
])
def test_codes_via_synonyms(field, raw, clean):
    value, issues, changes = std_cell(field, raw)
    assert value == clean
    if field == "政治面貌" and raw == "ＭＢＡ":
        assert codes(issues) == ["unknown_code"]
        return
    assert issues == []
    assert [c["rule"] for c in changes] == (["code_synonym"] if raw != clean else [])


def test_unknown_code_is_kept_with_an_issue():
    value, issues, changes = std_cell("民族", " 火星族 ")
    assert value == "火星族" and issues == [{"field": "民族", "code": "unknown_code", "raw": " 火星族 "}]
    assert [c["rule"] for c in changes] == ["trim"]


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, clean, rule", [
    ("吳曉英", "吴晓英", "t2s"),
    ("劉文華", "刘文华", "t2s"),
    ("拉则・马海", "拉则·马海", "name_dot"),
    ("依古.阿尔", "依古·阿尔", "name_dot"),
    ("尔布•曲比", "尔布·曲比", "name_dot"),
    ("阿依･木呷", "阿依·木呷", "name_dot"),
    ("买买提．艾力", "买买提·艾力", "name_dot"),
    ("拉则 · 马海", "拉则·马海", "spaces"),
    ("张乾", "张乾", None),     # 乾 is a simplified name character (not 干)
    ("於明", "於明", None),     # the surname 於 is not 于
    ("沈阳", "沈阳", None),
])
def test_names(raw, clean, rule):
    value, issues, changes = std_cell("姓名", raw)
    assert value == clean and issues == []
    assert [c["rule"] for c in changes] == ([rule] if rule else [])


# ---------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, clean", [
    ("13800001234", "13800001234"),
    ("138 0000 1234", "13800001234"),
    ("138-0000-1234", "13800001234"),
    ("+86 138 0000 1234", "13800001234"),
    ("0851-12345678", "0851-12345678"),
    ("0851 12345678", "0851-12345678"),
    ("(0851)12345678", "0851-12345678"),
    ("（0851）12345678", "0851-12345678"),
    ("０８５１－１２３４５６７８", "0851-12345678"),
    ("085112345678", "0851-12345678"),
    ("010-12345678", "010-12345678"),
    ("0851-2345678", "0851-2345678"),
])
def test_phones(raw, clean):
    value, issues, _ = std_cell("联系电话", raw)
    assert value == clean and issues == []


@pytest.mark.parametrize("raw", ["12345678", "0851-1234567转8", "138000012345", "13800001234/13900001234"])
def test_phones_that_stay_as_typed(raw):
    value, issues, changes = std_cell("联系电话", raw)
    assert value == raw and codes(issues) == ["phone_format"] and changes == []


# ---------------------------------------------------------------------------
# Whole frame, app helper, DQ schema
# ---------------------------------------------------------------------------

def test_a_dirty_row_end_to_end():
    row = {"档案编号": " P-1 ", "姓名": "吳曉英", "性别": "F", "民族": "汉", "出生日期": "1990.1.1",
           "公民身份号码": ID_X.lower(), "政治面貌": "团员", "联系电话": "（0851）12345678", "最高学历": "本科",
           "最高学位": "无", "毕业时间": "2012.07", "工作单位": "贸达(贵阳)物业管理有限公司", "单位统一社会信用代码": "NULL",
           "户口性质": "农业", "备注": "-"}
    std = standardise(SHEET_PERSON, raw_frame(SHEET_PERSON, [row]))
    r = std.iloc[0]
    assert (r["档案编号"], r["姓名"], r["性别"], r["民族"], r["出生日期"], r["公民身份号码"], r["政治面貌"], r["联系电话"],
            r["最高学历"], r["最高学位"], r["毕业时间"], r["工作单位"]) == \
        ("P-1", "吴晓英", "女", "汉族", "1990-01-01", ID_X, "共青团员", "0851-12345678", "大学本科", "无", "2012.07",
         "贸达（贵阳）物业管理有限公司")
    assert pd.isna(r["单位统一社会信用代码"]) and pd.isna(r["备注"])
    assert json.loads(r["_issues"]) == [{"field": "毕业时间", "code": "date_month_only", "raw": "2012.07",
                                         "partial": "2012-07"}]
    changed = {c["field"] for c in json.loads(r["_changes"])}
    assert changed == {"档案编号", "姓名", "性别", "民族", "出生日期", "公民身份号码", "政治面貌", "联系电话", "最高学历",
                       "工作单位", "单位统一社会信用代码", "备注"}
    # DQ: the only failing cell is the month-only date, and its issue explains it
    fc = failure_cases(std)
    assert set(fc["column"]) == {"毕业时间"} and fc["explained"].all()
    assert unexplained(std).empty


def test_dq_schema_reports_unexplained_cells():
    std = standardise(SHEET_PERSON, raw_frame(SHEET_PERSON, [{"档案编号": "A", "姓名": "张三", "性别": "男"}]))
    std.loc[std.index[0], "性别"] = "X"
    std.loc[std.index[0], "公民身份号码"] = "123"
    bad = unexplained(std)
    assert set(bad["column"]) == {"性别", "公民身份号码"}
    assert bad["_file"].iloc[0] == "52000001/b.基本信息.csv" and bad["_row"].iloc[0] == 2


def test_dq_unexplained_sets_explained_cells_aside_with_the_same_answer():
    """`unexplained` validates with the explained cells set aside; it finds exactly the failing cells of
    the full validation that no issue explains — on rows mixing explained and unexplained failures, an
    explained ID (a column the frame-wide checks read, never set aside) and records mode."""
    rows = [{"档案编号": f"A{i}", "姓名": "张三", "性别": "男", "出生日期": ["1990.3", "1990-02-30", "1990-01-01"][i % 3],
             "公民身份号码": ["110101199003070011", "1101011990030700", "520102199001011234"][i % 3],
             "毕业时间": ["2012.07", "2012-07-01", "2012年"][i % 3]} for i in range(30)]
    std = standardise(SHEET_PERSON, raw_frame(SHEET_PERSON, rows))
    std.loc[std.index[::4], "性别"] = "X"  # unexplained, some in rows with explained failures
    std.loc[std.index[1::5], "联系电话"] = "12"
    for records in (False, True):
        every = failure_cases(std, records=records)
        assert every["explained"].any() and (~every["explained"]).any()  # both kinds are there
        want = every[~every["explained"]]
        got = unexplained(std, records=records)
        key = lambda f: sorted(zip(f["row"].tolist(), f["column"].tolist(), f["check"].astype(str).tolist()))
        assert key(got) == key(want)
        assert "公民身份号码" in set(every.loc[every["explained"], "column"])  # the explained ID stayed in view


def test_dq_form_schema_checks_headers_and_lineage_not_cell_values():
    """The std asset's pandera check (values=False): the frame's form only; the cell rules run on records."""
    std = standardise(SHEET_PERSON, raw_frame(SHEET_PERSON, [{"档案编号": "A", "姓名": "张三", "性别": "男"}]))
    std.loc[std.index[0], "性别"] = "X"  # a bad value: not the form schema's business
    assert failure_cases(std, values=False).empty
    assert set(failure_cases(std)["column"]) == {"性别"}
    broken = std.drop(columns=["民族"])
    broken.loc[broken.index[0], "_row"] = 1  # a spreadsheet row before the header
    bad = unexplained(broken, values=False)
    assert {"民族", "_row"} <= set(bad["column"]) | set(bad["failure_case"].astype(str)), bad


def test_dq_edge_space_rule_is_pythons_whitespace():
    """The vectorised 'trimmed' rule (first and last character in a set) agrees with ``re`` and ``\\s``
    on random text made of every Unicode whitespace character and others, for text and object columns."""
    import re

    from dq_rules.person_schema import _no_edge_space

    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    alphabet = spaces + list("ab张三·.X1") + ["\U0001F600"]
    rng = random.Random(7)
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) for _ in range(20000)] + [None]
    want = [v is None or not re.search(r"^\s|\s$", v) for v in values]
    assert 1000 < sum(want) < 19000
    assert _no_edge_space(pd.Series(values, dtype=STR)).tolist() == want
    assert _no_edge_space(pd.Series(values, dtype=object)).tolist() == want
    assert _no_edge_space(pd.Series([" 1", 2, None], dtype=object)).tolist() == [False, True, True]


def test_standardise_value_for_the_app_form():
    assert standardise_value(SHEET_PERSON, "民族", "苗") == ("苗族", None)
    value, issue = standardise_value(SHEET_PERSON, "出生日期", "2019.03")
    assert value == "2019.03" and issue["code"] == "date_month_only" and issue["partial"] == "2019-03"
    assert standardise_value(SHEET_PERSON, "备注", "无") == (None, None)
