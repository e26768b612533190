"""`archives synth score`: the scorer on a tiny hand-made truth and exports derived from it."""
from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from archives_domain.collection_form import (
    DROPPED_HEADERS, PERSON_HEADERS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, STUDY_HEADERS, WORK_HEADERS,
)
from synth.export_reader import ExportFormatError, read_export
from synth.score import CATEGORY_KEYS, REQUIRED_KEYS, export_from_truth, format_table, main, score

A1, A2 = "52000001", "52000002"
S = pa.large_string()


# ---------------------------------------------------------------- the hand-made truth

def _person(key, agency, no, name, pid, **fields):
    row = {h: None for h in PERSON_HEADERS if h not in DROPPED_HEADERS}
    row.update({"档案编号": no, "姓名": name, "公民身份号码": pid, "性别": "男", "民族": "汉族",
                "出生日期": "19" + pid[8:10] + "-" + pid[10:12] + "-" + pid[12:14], "政治面貌": "群众",
                "联系电话": "1380000" + pid[-4:].replace("X", "0"), "最高学历": "大学本科", "最高学位": "学士",
                "委托方式": "个人委托", "档案状态": "在库", "集体户口": "否", "档案接收时间": "2015-07-01"})
    row.update(fields)
    return {"person_key": key, "agency_code": agency, **row}


PERSONS = [
    _person(1, A1, "A001", "张三", "520102199001011234", 工作单位="贵州甲科技有限公司"),
    _person(2, A1, "A002", "李四", "520102199102021235", 备注=None, 性别="女"),
    _person(3, A1, "A003", "王五", "520102199203031236", 民族="汉族"),
    _person(4, A1, "A004", "赵六", "520102199304041237", 工作单位="贵州乙建设有限公司"),
    _person(5, A1, "A005", "孙七", "520102199405051238"),
    _person(6, A1, "A006", "周八", "520102199506061239"),
    _person(7, A1, "A007", "吴九", "52010219960707123X"),
    _person(7, A2, "B001", "吴九", "52010219960707123X"),       # 一人多档: same person_key, same ID
    _person(9, A2, "B002", "郑十", "52010219970808124X"),
    _person(10, A2, "B003", "阿依·古丽", "520102199809091241",
            单位统一社会信用代码="91520100MA6DKXYZ1A", 工作单位="贵州丙商贸有限公司", 民族="维吾尔族"),
]

STUDY = [  # agency, 档案编号, seq, 起始时间, 终止时间, 学校, 专业, 学历, 学位
    (A1, "A001", 0, "2009-09-01", "2012-07-01", "贵阳一中", None, "高中", None),
    (A1, "A001", 1, "2012-09-01", "2016-07-01", "贵州大学", "计算机科学与技术", "大学本科", "学士"),
    (A1, "A002", 0, "2010-09-01", "2014-07-01", "贵州师范大学", "汉语言文学", "大学本科", "学士"),
    (A2, "B002", 0, "2015-09-01", "2019-07-01", "贵州财经大学", "会计学", "大学本科", "学士"),
]
WORK = [  # agency, 档案编号, seq, 起始时间, 终止时间, 工作单位, 部门, 职务
    (A1, "A001", 0, "2016-08-01", "2019-12-31", "贵州甲科技有限公司", "研发部", "工程师"),
    (A1, "A001", 1, "2020-01-01", None, "贵州丁网络有限公司", "研发部", "高级工程师"),
    (A1, "A003", 0, "2014-03-01", "2016-05-31", "遵义戊食品有限公司", "销售部", "业务员"),
    (A1, "A003", 1, "2016-06-01", None, "遵义己物流有限公司", "仓储部", "主管"),
    (A1, "A003", 2, "2016-06-01", None, "遵义庚商贸有限公司", "财务部", "会计"),     # tie on 起始时间
    (A1, "A006", 0, "2018-04-01", "2019-03-31", "贵州辛酒业有限公司", "办公室", "文员"),
    (A2, "B003", 0, "2020-07-01", None, "贵州丙商贸有限公司", "市场部", "经理"),
]

ERRORS = [  # agency, 档案编号, sheet, seq, field, dirty, clean, category, resolvable
    (A1, "A001", SHEET_PERSON, None, "姓名", " 张三 ", "张三", "whitespace", True),
    (A1, "A002", SHEET_PERSON, None, "备注", "无", None, "null_token", True),
    (A1, "A002", SHEET_PERSON, None, "联系电话", "13800001111", "13800001235", "batch_correction", True),
    (A1, "A001", SHEET_STUDY, 1, "起始时间", "2012/9/1", "2012-09-01", "date_format", True),
    (A1, "A001", SHEET_WORK, 0, "起始时间", "２０１６－０８－０１", "2016-08-01", "fullwidth", True),
    (A1, "A003", SHEET_WORK, 1, "起始时间", "42522", "2016-06-01", "date_excel_serial", True),   # in the tie
    (A1, "A003", SHEET_PERSON, None, "民族", "汉", "汉族", "code_synonym", True),
    (A1, "A003", SHEET_WORK, 0, "工作单位", "戊食品", "遵义戊食品有限公司", "employer_abbrev", True),
    (A1, "A004", SHEET_PERSON, None, "工作单位", "贵州壬有限公司", "贵州乙建设有限公司", "employer_changed", False),
    (A1, "A005", SHEET_PERSON, None, "出生日期", "1994.05", "1994-05-05", "date_month_only", True),
    (A1, "A006", SHEET_WORK, 0, "终止时间", "2019.03", "2019-03-31", "date_month_only", False),
    (A2, "B001", SHEET_PERSON, None, "公民身份号码", "52010219960707123X", "52010219960707123X",
     "multi_archive", False),
    (A2, "B002", SHEET_PERSON, None, "公民身份号码", "52010219970808124x", "52010219970808124X",
     "id_lowercase_x", True),
    (A2, "B003", SHEET_PERSON, None, "单位统一社会信用代码", "91520100MA6DKXYZ1B", "91520100MA6DKXYZ1A",
     "uscc_bad_check", True),
    (A2, "B003", SHEET_PERSON, None, "姓名", "阿依.古丽", "阿依·古丽", "name_dot", True),
]
RESOLVABLE = sum(e[-1] for e in ERRORS)
NON_RESOLVABLE = len(ERRORS) - RESOLVABLE


def _write_truth(root: Path, errors=ERRORS, study=STUDY, work=WORK) -> Path:
    truth = root / "truth"
    truth.mkdir(parents=True)
    persons = pd.DataFrame(PERSONS)
    pq.write_table(pa.Table.from_pandas(persons, preserve_index=False), truth / "persons.parquet")
    study = pd.DataFrame(study, columns=["agency_code", "档案编号", "seq"] + list(STUDY_HEADERS[2:]))
    study.insert(3, "公民身份号码", study["档案编号"].map({p["档案编号"]: p["公民身份号码"] for p in PERSONS}))
    pq.write_table(pa.Table.from_pandas(study, preserve_index=False), truth / "study.parquet")
    work = pd.DataFrame(work, columns=["agency_code", "档案编号", "seq"] + list(WORK_HEADERS[2:]))
    work.insert(3, "公民身份号码", work["档案编号"].map({p["档案编号"]: p["公民身份号码"] for p in PERSONS}))
    pq.write_table(pa.Table.from_pandas(work, preserve_index=False), truth / "work.parquet")
    err = pd.DataFrame(errors, columns=["agency_code", "档案编号", "sheet", "seq", "field", "dirty", "clean",
                                        "category", "resolvable"])
    err.insert(0, "error_id", range(1, len(err) + 1))
    err["seq"] = err["seq"].astype("Int64")
    err["source_file"] = err["agency_code"] + "/2021-03.xlsx"
    err["batch"] = "2021-03"
    pq.write_table(pa.Table.from_pandas(err, preserve_index=False), truth / "errors.parquet")
    pq.write_table(pa.table({"person_key": [7], "agency_code_a": [A1], "档案编号_a": ["A007"],
                             "agency_code_b": [A2], "档案编号_b": ["B001"]}), truth / "multi_archive.parquet")
    pq.write_table(pa.table({"agency_code": [A1, A1], "source_file": [f"{A1}/2021-03.xlsx"] * 2,
                             "sheet": [SHEET_PERSON, SHEET_STUDY], "row_first": [2, 3], "row_repeat": [9, 6],
                             "档案编号": ["A001", "A002"]}), truth / "duplicates.parquet")
    pq.write_table(pa.table({"agency_code": [A1, A2], "source_file": [f"{A1}/2021-03.xlsx", f"{A2}/first.基本信息.csv"],
                             "sheet": [SHEET_PERSON, SHEET_PERSON], "row": [12, 5],
                             "reason": ["档案编号为空", "同一批次档案编号重复"]}), truth / "quarantine.parquet")
    manifest = {"seed": 1, "persons": len(PERSONS), "rows_in": 26,
                "rows": {SHEET_PERSON: 13, SHEET_STUDY: 5, SHEET_WORK: 8},
                "errors_by_category": err["category"].value_counts().to_dict()}
    (truth / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return truth


@pytest.fixture
def truth(tmp_path) -> Path:
    return _write_truth(tmp_path)


@pytest.fixture
def perfect(truth, tmp_path) -> Path:
    return export_from_truth(truth, tmp_path / "export")


# ---------------------------------------------------------------- editing a CSV export

def _sheet_path(export: Path, agency: str, sheet: str) -> Path:
    return export / agency / f"{agency}.{sheet}.csv"


def _load(export: Path, agency: str, sheet: str) -> pd.DataFrame:
    return pd.read_csv(_sheet_path(export, agency, sheet), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _save(df: pd.DataFrame, export: Path, agency: str, sheet: str) -> None:
    df.to_csv(_sheet_path(export, agency, sheet), index=False, encoding="utf-8-sig")


def _set(export, agency, sheet, no, field, value, nth=0):
    df = _load(export, agency, sheet)
    idx = df.index[df["档案编号"] == no][nth]
    df.loc[idx, field] = value
    _save(df, export, agency, sheet)


def _totals(result):
    return {k: sum(c[k] for c in result["categories"].values()) for k in CATEGORY_KEYS}


def _assert_perfect(result, errors=ERRORS):
    resolvable = sum(e[-1] for e in errors)
    for cat, c in result["categories"].items():
        assert c["changed_wrong"] == 0 and c["left_wrong"] == 0, (cat, c)
        assert c["repaired_right"] + c["sent_to_review"] == c["injected"], (cat, c)
    t = _totals(result)
    assert t["injected"] == len(errors)
    assert t["resolvable"] == resolvable
    assert t["repaired_right"] == resolvable
    assert t["sent_to_review"] == len(errors) - resolvable
    assert result["false_repairs"] == 0
    assert result["auto_precision"] == 1.0
    assert result["resolvable_recall"] == 1.0
    assert result["missing_records"] == 0 and result["unexpected_records"] == 0
    assert result["missing_child_rows"] == {SHEET_STUDY: 0, SHEET_WORK: 0}
    assert result["unexpected_child_rows"] == {SHEET_STUDY: 0, SHEET_WORK: 0}
    assert result["review_flags_without_error"] == 0


# ---------------------------------------------------------------- the perfect export

def test_perfect_csv_export_scores_100(perfect, truth):
    result = score(truth, perfect)
    _assert_perfect(result)
    cats = result["categories"]
    assert cats["employer_changed"] == {"injected": 1, "resolvable": 0, "repaired_right": 0, "sent_to_review": 1,
                                        "changed_wrong": 0, "left_wrong": 0}
    assert cats["multi_archive"]["sent_to_review"] == 1
    assert cats["date_month_only"] == {"injected": 2, "resolvable": 1, "repaired_right": 1, "sent_to_review": 1,
                                       "changed_wrong": 0, "left_wrong": 0}
    assert cats["employer_abbrev"]["repaired_right"] == 1          # a child-sheet error
    assert result["rows_in"] == 26
    assert result["rows_loaded"] == len(PERSONS) + len(STUDY) + len(WORK)
    assert result["rows_quarantined"] == 2
    assert result["quarantine"] == {"expected": 2, "found": 2, "unexpected": 0}
    assert result["duplicates"] == {"expected": 2, "loaded_once": 2}
    assert result["multi_archive"] == {"pairs": 1, "both_flagged": 1}
    assert result["errors_quarantined"] == {}


def test_perfect_xlsx_export_reads_and_scores_the_same(truth, tmp_path, perfect):
    out = export_from_truth(truth, tmp_path / "xlsx", fmt="xlsx")
    assert (out / A1 / f"{A1}.xlsx").exists() and not list((out / A1).glob("*.csv"))
    x, c = read_export(out, workers=2), read_export(perfect)      # workbooks read by worker processes
    assert x.formats == {A1: "xlsx", A2: "xlsx"} and c.formats == {A1: "csv", A2: "csv"}
    for a, b in ((x.persons, c.persons), (x.study, c.study), (x.work, c.work)):
        pd.testing.assert_frame_equal(a, b)
    assert score(truth, out) == score(truth, perfect)


def test_perfect_export_flags_what_waits_for_a_clerk(perfect):
    ex = read_export(perfect)
    p = ex.persons.set_index("档案编号")
    assert p.loc["A004", "待核实字段"] == "工作单位"
    assert p.loc["A006", "待核实字段"] == "终止时间"                 # a child field, flagged on the person
    assert p.loc["A007", "待核实字段"] == "公民身份号码" == p.loc["B001", "待核实字段"]
    assert pd.isna(p.loc["A001", "待核实字段"])
    assert (ex.persons["数据来源"] == "采集表").all()
    assert ex.persons["户口性质"].isna().all()
    assert p.loc["A002", "备注"] is pd.NA
    assert list(ex.quarantine.columns[:4]) == ["来源文件", "工作表", "行号", "原因"]


def test_an_export_that_repaired_nothing_leaves_every_error_wrong(truth, tmp_path):
    out = export_from_truth(truth, tmp_path / "dirty", leave_dirty="all")
    result = score(truth, out)
    t = _totals(result)
    assert t["left_wrong"] == len(ERRORS)      # dirty 起始时间 (2012/9/1, full-width, serial) still pair the rows
    assert result["false_repairs"] == 0 and result["missing_child_rows"] == {SHEET_STUDY: 0, SHEET_WORK: 0}
    assert result["auto_precision"] == 1.0                # nothing changed, nothing changed wrongly
    assert result["resolvable_recall"] == 0.0
    assert result["multi_archive"] == {"pairs": 1, "both_flagged": 0}
    assert read_export(out).persons["待核实字段"].isna().all()


# ---------------------------------------------------------------- planted mistakes

def test_wrong_repair_left_dirty_false_repair_and_missing_record(perfect, truth):
    _set(perfect, A1, SHEET_PERSON, "A003", "民族", "苗族")             # code_synonym repaired wrongly
    _set(perfect, A1, SHEET_PERSON, "A001", "姓名", " 张三 ")           # whitespace left as written
    _set(perfect, A1, SHEET_PERSON, "A005", "性别", "女")               # a clean cell changed
    for sheet in (SHEET_PERSON, SHEET_STUDY, SHEET_WORK):              # B002 (id_lowercase_x) lost
        df = _load(perfect, A2, sheet)
        _save(df[df["档案编号"] != "B002"], perfect, A2, sheet)

    result = score(truth, perfect)
    cats = result["categories"]
    assert cats["code_synonym"]["changed_wrong"] == 1 and cats["code_synonym"]["repaired_right"] == 0
    assert cats["whitespace"]["left_wrong"] == 1 and cats["whitespace"]["repaired_right"] == 0
    assert cats["id_lowercase_x"]["changed_wrong"] == 1
    assert result["false_repairs"] == 1
    assert result["false_repairs_by_field"] == {f"{SHEET_PERSON}.性别": 1}
    assert result["missing_records"] == 1
    assert result["missing_child_rows"] == {SHEET_STUDY: 1, SHEET_WORK: 0}
    right = RESOLVABLE - 3
    assert _totals(result)["repaired_right"] == right
    assert result["auto_precision"] == pytest.approx(right / (right + 2 + 1))
    assert result["resolvable_recall"] == pytest.approx(right / RESOLVABLE)
    assert result["rows_loaded"] == len(PERSONS) + len(STUDY) + len(WORK) - 2
    table = format_table(result)
    assert "code_synonym" in table and "合计 total" in table and "false_repairs" in table


def test_child_errors_and_review_flags(perfect, truth):
    _set(perfect, A1, SHEET_WORK, "A003", "工作单位", "戊食品")          # child error left dirty
    _set(perfect, A1, SHEET_STUDY, "A001", "起始时间", "2012-09-02", nth=1)  # child error changed wrongly
    _set(perfect, A1, SHEET_PERSON, "A006", "待核实字段", "")            # child review flag dropped
    _set(perfect, A2, SHEET_PERSON, "B001", "待核实字段", "")            # one side of 一人多档 unflagged
    result = score(truth, perfect)
    cats = result["categories"]
    assert cats["employer_abbrev"]["left_wrong"] == 1
    assert cats["date_format"]["changed_wrong"] == 1
    assert cats["date_month_only"]["left_wrong"] == 1 and cats["date_month_only"]["sent_to_review"] == 0
    assert cats["multi_archive"]["left_wrong"] == 1 and cats["multi_archive"]["sent_to_review"] == 0
    assert result["multi_archive"] == {"pairs": 1, "both_flagged": 0}
    assert result["false_repairs"] == 0


def test_review_flag_counts_for_a_non_resolvable_value_and_qualified_tokens(perfect, truth):
    _set(perfect, A1, SHEET_PERSON, "A004", "工作单位", None)                  # emptied, but flagged
    _set(perfect, A1, SHEET_PERSON, "A006", "待核实字段", "工作经历.终止时间；备注")
    result = score(truth, perfect)
    assert result["categories"]["employer_changed"]["sent_to_review"] == 1
    assert result["categories"]["date_month_only"]["sent_to_review"] == 1
    assert result["review_flags_without_error"] == 1                            # 备注 on A006


def test_child_rows_are_matched_by_content_not_file_order(perfect, truth):
    df = _load(perfect, A1, SHEET_WORK)
    _save(df.iloc[::-1], perfect, A1, SHEET_WORK)      # reversed: A003's tie on 起始时间 (seq 1, 2) swapped too
    _assert_perfect(score(truth, perfect))              # the tie pairs by its other cells


# Two rows of one person in the same month, the earlier start date left dirty (unresolvable) in a form
# that sorts after its sibling (or before it): by date order alone the rows would pair crosswise.
WORK_SAME_MONTH = WORK + [
    (A1, "A005", 0, "2015-02-03", "2015-02-27", "贵州癸咨询有限公司", "咨询部", "顾问"),
    (A1, "A005", 1, "2015-02-28", "2018-06-30", "贵州子电子有限公司", "生产部", "技术员"),
    (A1, "A005", 2, "2018-07-01", None, "贵州丑医药有限公司", "质量部", "质检员"),
    (A1, "A002", 0, "2016-03-14", "2016-03-20", "贵州寅旅游有限公司", "导游部", "导游"),
    (A1, "A002", 1, "2016-03-21", None, "贵州卯餐饮有限公司", "前厅部", "领班"),
    (A2, "B002", 0, "2019-02-01", "2019-02-14", "贵州辰教育有限公司", "教务部", "助教"),
    (A2, "B002", 1, "2019-02-15", None, "贵州巳传媒有限公司", "编辑部", "编辑"),
]
ERRORS_SAME_MONTH = ERRORS + [
    (A1, "A005", SHEET_WORK, 1, "起始时间", "2015.02", "2015-02-28", "date_month_only", False),  # sorts 1st
    (A1, "A002", SHEET_WORK, 0, "起始时间", "2016-14-03", "2016-03-14", "date_impossible", False),  # sorts last
    (A2, "B002", SHEET_WORK, 0, "起始时间", "2019-02-30", "2019-02-01", "date_impossible", False),  # sorts last
]


@pytest.fixture
def truth_same_month(tmp_path) -> Path:
    return _write_truth(tmp_path / "same_month", ERRORS_SAME_MONTH, work=WORK_SAME_MONTH)


def test_an_unresolvable_date_left_dirty_does_not_misalign_its_siblings(truth_same_month, tmp_path):
    truth = truth_same_month
    perfect = export_from_truth(truth, tmp_path / "perfect")
    result = score(truth, perfect)
    _assert_perfect(result, ERRORS_SAME_MONTH)
    assert result["categories"]["date_impossible"]["sent_to_review"] == 2
    for agency in (A1, A2):                                               # rows listed in another order
        _save(_load(perfect, agency, SHEET_WORK).iloc[::-1], perfect, agency, SHEET_WORK)
    _assert_perfect(score(truth, perfect), ERRORS_SAME_MONTH)

    nothing = export_from_truth(truth, tmp_path / "nothing", leave_dirty="all")
    result = score(truth, nothing)
    assert _totals(result)["left_wrong"] == len(ERRORS_SAME_MONTH)
    assert result["false_repairs"] == 0 and result["missing_child_rows"] == {SHEET_STUDY: 0, SHEET_WORK: 0}


def test_a_wrong_child_value_is_still_caught(truth_same_month, tmp_path):
    truth = truth_same_month
    export = export_from_truth(truth, tmp_path / "export")
    _set(export, A1, SHEET_WORK, "A005", "部门", "咨询部", nth=1)          # its sibling's value
    _set(export, A1, SHEET_WORK, "A002", "起始时间", "2016-03-15", nth=0)   # the impossible date, wrongly
    _set(export, A1, SHEET_PERSON, "A002", "待核实字段", "")                # … and not flagged
    _set(export, A2, SHEET_WORK, "B002", "终止时间", "2019-02-13", nth=0)   # a clean cell
    result = score(truth, export)
    assert result["false_repairs_by_field"] == {f"{SHEET_WORK}.部门": 1, f"{SHEET_WORK}.终止时间": 1}
    assert result["categories"]["date_impossible"]["changed_wrong"] == 1
    assert result["categories"]["date_impossible"]["sent_to_review"] == 1
    assert result["categories"]["date_month_only"]["sent_to_review"] == 2


def test_a_dropped_child_row_does_not_shift_its_siblings(truth_same_month, tmp_path):
    truth = truth_same_month
    export = export_from_truth(truth, tmp_path / "export")
    df = _load(export, A1, SHEET_WORK)
    _save(df.drop(df.index[df["档案编号"] == "A005"][0]), export, A1, SHEET_WORK)   # A005's first row lost
    result = score(truth, export)
    assert result["missing_child_rows"] == {SHEET_STUDY: 0, SHEET_WORK: 1}
    assert result["unexpected_child_rows"] == {SHEET_STUDY: 0, SHEET_WORK: 0}
    assert result["false_repairs"] == 0
    assert result["categories"]["date_month_only"]["sent_to_review"] == 2       # A005 seq 1 still found


def test_pairing_ties_fall_back_to_date_order_and_crowded_persons_pair_by_position():
    import numpy as np

    from synth.score import _pair_rows
    c_tid, x_tid = np.array([0, 0, 0, 1]), np.array([1, 0, 0, 0, 2])
    c_rank, x_rank = np.array([0, 1, 2, 0]), np.array([0, 2, 0, 1, 0])
    equal = lambda cs, xs: lambda c, x: np.zeros(len(c), np.int32)  # noqa: E731   (nothing agrees better)
    assert _pair_rows(c_tid, x_tid, c_rank, x_rank, equal).tolist() == [2, 3, 1, 0]
    prefer = lambda cs, xs: lambda c, x: ((cs[c] == 0) & (xs[x] == 1)) * np.int32(2)  # noqa: E731
    assert _pair_rows(c_tid, x_tid, c_rank, x_rank, prefer).tolist() == [1, 3, 2, 0]
    assert _pair_rows(c_tid, x_tid, c_rank, x_rank, prefer, cap=4).tolist() == [2, 3, 1, 0]   # 3 × 3 > 4


def test_quarantined_record_counts_apart(perfect, truth):
    for sheet in (SHEET_PERSON, SHEET_STUDY, SHEET_WORK):
        df = _load(perfect, A2, sheet)
        _save(df[df["档案编号"] != "B003"], perfect, A2, sheet)
    q = pd.read_csv(perfect / "隔离.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    q = pd.concat([q, pd.DataFrame([{"来源文件": f"{A2}/2021-03.xlsx", "工作表": SHEET_PERSON, "行号": "4",
                                     "原因": "姓名与公民身份号码均为空", "档案编号": " B003 "}])])
    q.to_csv(perfect / "隔离.csv", index=False, encoding="utf-8-sig")
    result = score(truth, perfect)
    assert result["errors_quarantined"] == {"uscc_bad_check": 1, "name_dot": 1}
    assert result["categories"]["uscc_bad_check"]["changed_wrong"] == 0
    assert result["categories"]["uscc_bad_check"]["repaired_right"] == 0
    assert result["quarantine"] == {"expected": 2, "found": 2, "unexpected": 1}
    assert result["rows_quarantined"] == 3
    assert result["auto_precision"] == 1.0
    assert result["resolvable_recall"] == pytest.approx((RESOLVABLE - 2) / RESOLVABLE)


def test_duplicate_loaded_twice_and_unexpected_record(perfect, truth):
    df = _load(perfect, A1, SHEET_PERSON)
    extra = df[df["档案编号"] == "A001"]
    extra2 = extra.assign(档案编号="A999")
    _save(pd.concat([df, extra, extra2]), perfect, A1, SHEET_PERSON)
    result = score(truth, perfect)
    assert result["duplicates"] == {"expected": 2, "loaded_once": 1}
    assert result["duplicate_export_records"] == 1
    assert result["unexpected_records"] == 1
    assert result["false_repairs"] == 0


def test_error_on_the_archive_number_itself(tmp_path):
    errors = ERRORS + [(A1, "A006", SHEET_PERSON, None, "档案编号", " A006", "A006", "whitespace", True),
                       (A1, "A001", SHEET_WORK, 1, "档案编号", "A001 ", "A001", "whitespace", True)]
    truth = _write_truth(tmp_path, errors)
    export = export_from_truth(truth, tmp_path / "export")
    assert score(truth, export)["categories"]["whitespace"]["repaired_right"] == 3
    for sheet in (SHEET_PERSON, SHEET_WORK):                         # the export kept the dirty number
        df = _load(export, A1, sheet)
        df.loc[df["档案编号"] == "A006", "档案编号"] = " A006"
        _save(df, export, A1, sheet)
    _set(export, A1, SHEET_WORK, "A001", "档案编号", "A001 ", nth=1)     # and on one child row
    result = score(truth, export)
    assert result["categories"]["whitespace"]["left_wrong"] == 2
    assert result["categories"]["whitespace"]["repaired_right"] == 1
    assert result["missing_records"] == 0 and result["unexpected_records"] == 0
    assert result["missing_child_rows"] == {SHEET_STUDY: 0, SHEET_WORK: 0}
    assert result["categories"]["date_month_only"]["sent_to_review"] == 1     # its child row still found
    assert result["false_repairs"] == 0


def test_an_expected_quarantine_row_does_not_excuse_a_lost_record(perfect, truth):
    for sheet in (SHEET_PERSON, SHEET_STUDY):
        df = _load(perfect, A1, sheet)
        _save(df[df["档案编号"] != "A002"], perfect, A1, sheet)
    q = pd.read_csv(perfect / "隔离.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    q["档案编号"] = ["A002", ""]          # row 12 of A1 is expected there (another person typed as A002)
    q.to_csv(perfect / "隔离.csv", index=False, encoding="utf-8-sig")
    result = score(truth, perfect)
    assert result["errors_quarantined"] == {}
    assert result["categories"]["null_token"]["changed_wrong"] == 1
    assert result["categories"]["batch_correction"]["changed_wrong"] == 1
    assert result["quarantine"] == {"expected": 2, "found": 2, "unexpected": 0}


# ---------------------------------------------------------------- CLI output

def test_json_output_has_the_required_shape(perfect, truth, capsys):
    main(str(truth), str(perfect), as_json=True)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    data = json.loads(out)
    assert set(REQUIRED_KEYS) <= set(data)
    assert set(REQUIRED_KEYS) == {"categories", "false_repairs", "auto_precision", "resolvable_recall",
                                  "rows_in", "rows_loaded", "rows_quarantined"}
    for cat, c in data["categories"].items():
        assert set(c) == {"injected", "resolvable", "repaired_right", "sent_to_review", "changed_wrong",
                          "left_wrong"}, cat
        assert all(isinstance(v, int) for v in c.values())
    assert isinstance(data["auto_precision"], float) and isinstance(data["false_repairs"], int)


def test_table_output(perfect, truth, capsys):
    main(truth, perfect, as_json=False)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("类别 category")
    assert any(line.startswith("multi_archive") for line in lines)
    assert not any(line.startswith("id_typo") for line in lines)         # categories without errors omitted
    assert "100.00%" in out


# ---------------------------------------------------------------- reading exports

def _wb(path: Path, sheets: dict[str, list[list]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)


def _minimal_sheets():
    return {SHEET_PERSON: [list(PERSON_HEADERS) + ["待核实字段", "数据来源"]],
            SHEET_STUDY: [list(STUDY_HEADERS)], SHEET_WORK: [list(WORK_HEADERS)]}


def _quarantine_file(root: Path) -> None:
    (root / "隔离.csv").write_text("\ufeff来源文件,工作表,行号,原因\n", encoding="utf-8")


def test_reader_turns_typed_cells_into_text(tmp_path):
    folder = tmp_path / A1
    folder.mkdir()
    sheets = _minimal_sheets()
    header = [" 档案编号\u3000"] + sheets[SHEET_PERSON][0][1:]           # headers are trimmed
    row = {h: None for h in PERSON_HEADERS}
    row.update({"档案编号": "A001", "姓名": "张三", "公民身份号码": "520102199001011234", "联系电话": 13800001234,
                "出生日期": datetime.datetime(1990, 1, 1), "档案接收时间": datetime.date(2015, 7, 1), "备注": ""})
    sheets[SHEET_PERSON] = [header, [row[h] for h in PERSON_HEADERS] + [None, "采集表"], [None] * 33]
    _wb(folder / f"{A1}.xlsx", sheets)
    _quarantine_file(tmp_path)
    ex = read_export(tmp_path)
    assert len(ex.persons) == 1 and len(ex.study) == 0
    p = ex.persons.iloc[0]
    assert p["agency_code"] == A1 and p["档案编号"] == "A001"
    assert p["联系电话"] == "13800001234" and p["出生日期"] == "1990-01-01" and p["档案接收时间"] == "2015-07-01"
    assert p["备注"] is pd.NA and p["待核实字段"] is pd.NA
    assert all(str(t) == "string" for t in ex.persons.dtypes)


def test_reader_names_a_missing_sheet(tmp_path):
    folder = tmp_path / A1
    folder.mkdir()
    sheets = _minimal_sheets()
    del sheets[SHEET_WORK]
    _wb(folder / f"{A1}.xlsx", sheets)
    _quarantine_file(tmp_path)
    with pytest.raises(ExportFormatError, match=rf"{A1}\.xlsx.*工作经历"):
        read_export(tmp_path)


def test_reader_names_a_missing_header(tmp_path, perfect):
    df = _load(perfect, A1, SHEET_STUDY).drop(columns=["学校"])
    _save(df, perfect, A1, SHEET_STUDY)
    with pytest.raises(ExportFormatError, match=rf"{A1}\.学习经历\.csv.*学习经历.*学校"):
        read_export(perfect)


def test_reader_names_missing_export_columns_and_files(tmp_path, perfect):
    bad = tmp_path / "bad"
    shutil.copytree(perfect, bad)
    df = _load(bad, A2, SHEET_PERSON).drop(columns=["待核实字段"])
    _save(df, bad, A2, SHEET_PERSON)
    with pytest.raises(ExportFormatError, match="待核实字段"):
        read_export(bad)
    (perfect / "隔离.csv").unlink()
    with pytest.raises(ExportFormatError, match="隔离.csv"):
        read_export(perfect)
    _quarantine_file(perfect)
    work = _sheet_path(perfect, A1, SHEET_WORK)
    saved = work.read_bytes()
    work.unlink()
    with pytest.raises(ExportFormatError, match=rf"{A1}\.工作经历\.csv"):
        read_export(perfect)
    work.write_bytes(saved)
    read_export(perfect)
    (perfect / "99999999").mkdir()
    with pytest.raises(ExportFormatError, match="99999999"):
        read_export(perfect)
