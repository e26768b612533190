"""Reading the landing files (pipelines.cleaning.read): every format and every malformed case
of the contract (../shared/spec/collection_form.md), with hand-made files.  No database."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from stdnum.cn import ric

from archives_domain.collection_form import HEADERS, PERSON_HEADERS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, SHEETS
from pipelines.cleaning.merge import merge_batches
from pipelines.cleaning.read import ReadError, read_agency, read_landing
from pipelines.cleaning.standardise import standardise
from pipelines.cleaning.text import looks_like_formula

AGENCIES = ["52000001", "52000002", "52000003", "52010001", "52020001"]


def make_id(code6: str, date8: str, seq: str = "123") -> str:
    body = code6 + date8 + seq
    return body + ric.calc_check_digit(body + "0")


ID_A = make_id("520102", "19850305", "123")
ID_B = make_id("520103", "19900101", "456")


def person(key: str, name: str, id_number: str | None, **extra) -> dict:
    row = {h: None for h in PERSON_HEADERS}
    row.update({"档案编号": key, "姓名": name, "公民身份号码": id_number, "性别": "男", "民族": "汉族",
                "出生日期": "1985-03-05", "户口性质": "非农业"})
    row.update(extra)
    return row


def study(key: str, school: str) -> dict:
    return {"档案编号": key, "公民身份号码": None, "起始时间": "2000-09-01", "终止时间": "2004-07-01",
            "学校": school, "专业": "法学", "学历": "大学本科", "学位": "学士"}


def work(key: str, employer: str) -> dict:
    return {"档案编号": key, "公民身份号码": None, "起始时间": "2004-08-01", "终止时间": None,
            "工作单位": employer, "部门": "办公室", "职务": "职员"}


def table(sheet: str, rows: list[dict], headers: list[str] | None = None,
          written: dict[str, str] | None = None) -> list[list]:
    """Header + rows of one sheet; `headers` picks/orders columns, `written` respells headers."""
    headers = list(HEADERS[sheet]) if headers is None else headers
    written = written or {}
    return [[written.get(h, h) for h in headers]] + [[r.get(h) for h in headers] for r in rows]


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8", bom: bool = False) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    data = buf.getvalue().encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> None:
    import openpyxl
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for row in ws.iter_rows():
            for cell in row:  # text typed with a leading "=" stays text (a string cell), as a clerk's paste would
                if cell.data_type == "f":
                    cell.data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def write_batch(folder: Path, batch: str, fmt: str, tables: dict[str, list[list]]) -> None:
    if fmt == "xlsx":
        write_xlsx(folder / f"{batch}.xlsx", tables)
        return
    encoding, bom = {"csv-utf8": ("utf-8", False), "csv-utf8-bom": ("utf-8", True),
                     "csv-gb18030": ("gb18030", False)}[fmt]
    for sheet, rows in tables.items():
        write_csv(folder / f"{batch}.{sheet}.csv", rows, encoding, bom)


def sample_tables() -> dict[str, list[list]]:
    persons = [
        person("A-001", " 张三 ", ID_A, 备注='含"引号",逗号\n和换行', 户籍所在地="贵州省贵阳市南明区１２号",
               联系电话="13800001234"),
        person("A-002", "䶮·阿依", ID_B[:6] + ID_B[8:17], 民族="彝", 出生日期="1990/1/1"),
        person("A-003", "李四", None, 工作单位="贸达(贵阳)物业管理有限公司"),
    ]
    return {SHEET_PERSON: table(SHEET_PERSON, persons),
            SHEET_STUDY: table(SHEET_STUDY, [study("A-001", "贵州大学"), study("A-002", "贵州民族大学")]),
            SHEET_WORK: table(SHEET_WORK, [work("A-001", "贵州茅台酒股份有限公司")])}


def errors_of(result, code: str) -> list[ReadError]:
    return [e for e in result.errors + result.warnings if e.code == code]


# ---------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------

def test_every_format_reads_back_the_same_values(tmp_path):
    landing = tmp_path / "landing"
    fmts = ["xlsx", "csv-utf8", "csv-utf8-bom", "csv-gb18030"]
    for code, fmt in zip(AGENCIES, fmts):
        write_batch(landing / code, "2021-03", fmt, sample_tables())
    got = read_landing(landing, set(AGENCIES), workers=1)
    assert got.errors == []
    frames = {}
    for code, fmt in zip(AGENCIES, fmts):
        res = got[code]
        assert res.errors == [] and res.warnings == [], (fmt, res.errors, res.warnings)
        assert {s: len(f) for s, f in res.frames.items()} == {SHEET_PERSON: 3, SHEET_STUDY: 2, SHEET_WORK: 1}
        frames[fmt] = res.frames
    base = frames["xlsx"][SHEET_PERSON]
    for fmt in fmts[1:]:
        other = frames[fmt][SHEET_PERSON]
        for h in PERSON_HEADERS:
            assert base[h].tolist() == other[h].tolist() or \
                base[h].isna().tolist() == other[h].isna().tolist() and base[h].dropna().tolist() == \
                other[h].dropna().tolist(), (fmt, h)
    p = frames["csv-gb18030"][SHEET_PERSON]
    assert p["姓名"].tolist()[:2] == [" 张三 ", "䶮·阿依"]  # never trimmed; a GB18030 4-byte character kept
    assert p["备注"].iloc[0] == '含"引号",逗号\n和换行'
    assert p["_row"].tolist() == [2, 3, 4]  # header = row 1, a quoted line break does not shift rows
    assert p["_file"].iloc[0] == f"{AGENCIES[3]}/2021-03.基本信息.csv"
    assert p["_batch"].unique().tolist() == ["2021-03"] and p["_agency"].unique().tolist() == [AGENCIES[3]]
    assert p["公民身份号码"].iloc[2] != p["公民身份号码"].iloc[2]  # NA for an empty cell
    assert str(p["公民身份号码"].dtype) == "str" and p["_row"].dtype == "int64"


def test_xlsx_cells_numbers_and_dates_as_text(tmp_path):
    rows = table(SHEET_PERSON, [person("N-1", "王五", ID_A)])
    h = rows[0]
    rows[1][h.index("联系电话")] = 13800001234
    rows[1][h.index("出生日期")] = dt.date(1985, 3, 5)
    rows[1][h.index("档案接收时间")] = 43529
    rows[1][h.index("毕业时间")] = dt.datetime(2007, 7, 1, 0, 0)
    rows[1][h.index("备注")] = 2.5
    write_xlsx(tmp_path / "52000001" / "b1.xlsx", {SHEET_PERSON: rows, SHEET_STUDY: table(SHEET_STUDY, []),
                                                   SHEET_WORK: table(SHEET_WORK, [])})
    res = read_agency(tmp_path, "52000001")
    assert res.errors == []
    r = res.frames[SHEET_PERSON].iloc[0]
    assert (r["联系电话"], r["出生日期"], r["档案接收时间"], r["毕业时间"], r["备注"]) == \
        ("13800001234", "1985-03-05", "43529", "2007-07-01", "2.5")


def test_shuffled_columns_and_headers_with_stray_spaces(tmp_path):
    headers = list(reversed(PERSON_HEADERS))
    written = {"姓名": " 姓名", "档案编号": "档案编号\u3000", "公民身份号码": "\u3000 公民身份号码 ", "备注": "★备注"}
    t = {SHEET_PERSON: table(SHEET_PERSON, [person("S-1", "赵六", ID_A, 备注="x")], headers, written),
         SHEET_STUDY: table(SHEET_STUDY, [study("S-1", "贵州大学")], list(reversed(HEADERS[SHEET_STUDY])),
                            {"学校": "学校\u3000\u3000"}),
         SHEET_WORK: table(SHEET_WORK, [])}
    write_batch(tmp_path / "52000001", "b", "csv-utf8", t)
    write_batch(tmp_path / "52000002", "b", "xlsx", t)
    for code in ("52000001", "52000002"):
        res = read_agency(tmp_path, code)
        assert res.errors == [] and res.warnings == []
        r = res.frames[SHEET_PERSON].iloc[0]
        assert (r["档案编号"], r["姓名"], r["公民身份号码"], r["备注"]) == ("S-1", "赵六", ID_A, "x")
        assert list(res.frames[SHEET_PERSON].columns[:6]) == ["_agency", "_batch", "_file", "_sheet", "_row", "档案编号"]
        assert res.frames[SHEET_STUDY]["学校"].tolist() == ["贵州大学"]


def test_unknown_extra_column_kept_in_extra_with_a_warning(tmp_path):
    headers = list(PERSON_HEADERS) + ["微信号", ""]
    rows = table(SHEET_PERSON, [person("E-1", "钱七", ID_A), person("E-2", "孙八", ID_B)], headers)
    rows[1][-2] = "wx_qian"
    rows[2][-1] = "无表头的值"
    write_batch(tmp_path / "52000001", "b", "csv-utf8", {SHEET_PERSON: rows, SHEET_STUDY: table(SHEET_STUDY, []),
                                                         SHEET_WORK: table(SHEET_WORK, [])})
    res = read_agency(tmp_path, "52000001")
    assert res.errors == []
    extra = res.frames[SHEET_PERSON]["_extra"].tolist()
    assert json.loads(extra[0]) == {"微信号": "wx_qian"}
    assert json.loads(extra[1]) == {"第33列": "无表头的值"}
    (w1,) = errors_of(res, "unknown_column")
    assert (w1.file, w1.sheet, w1.row, w1.column) == ("52000001/b.基本信息.csv", SHEET_PERSON, 1, "微信号")
    assert errors_of(res, "unnamed_column")[0].column == "第33列"
    # the extra column survives standardisation (lineage), and is not a contract column
    std = standardise(SHEET_PERSON, res.frames[SHEET_PERSON])
    assert "微信号" not in std.columns and json.loads(std["_extra"].iloc[0]) == {"微信号": "wx_qian"}


def test_batches_in_code_point_order(tmp_path):
    folder = tmp_path / "52000001"
    for batch in ("second", "2021-11", "first", "2021-03", "Z"):
        write_batch(folder, batch, "csv-utf8", {SHEET_PERSON: table(SHEET_PERSON, [person("K", "周九", ID_A)]),
                                                SHEET_STUDY: table(SHEET_STUDY, []), SHEET_WORK: table(SHEET_WORK, [])})
    res = read_agency(tmp_path, "52000001")
    assert res.frames[SHEET_PERSON]["_batch"].tolist() == ["2021-03", "2021-11", "Z", "first", "second"]


def test_csv_ragged_rows_and_blank_lines_keep_spreadsheet_row_numbers(tmp_path):
    header = ",".join(HEADERS[SHEET_STUDY])
    text = (header + "\r\n"
            "R-1,,2000-09-01,2004-07-01,贵州大学,法学,大学本科,学士\r\n"
            "\r\n"
            "R-2,,2001-09-01,2005-07-01,贵州师范大学,数学,大学本科,学士,多出来的格\r\n"
            "R-3,,2002-09-01\r\n")
    folder = tmp_path / "52000001"
    folder.mkdir()
    (folder / "b.学习经历.csv").write_text(text, encoding="utf-8")
    write_batch(folder, "b", "csv-utf8", {SHEET_PERSON: table(SHEET_PERSON, []), SHEET_WORK: table(SHEET_WORK, [])})
    res = read_agency(tmp_path, "52000001")
    f = res.frames[SHEET_STUDY]
    assert f["档案编号"].tolist() == ["R-1", "R-2", "R-3"]
    assert f["_row"].tolist() == [2, 4, 5]  # the blank line 3 is not a data row, but rows keep their numbers
    assert json.loads(f["_extra"].iloc[1]) == {"第9列": "多出来的格"}
    assert f["学校"].isna().tolist() == [False, False, True]


def test_xlsx_blank_rows_and_row_numbers(tmp_path):
    rows = table(SHEET_PERSON, [person("X-1", "吴十", ID_A), person("X-2", "郑一", ID_B)])
    rows.insert(2, [None] * len(rows[0]))
    write_xlsx(tmp_path / "52000001" / "b.xlsx", {SHEET_PERSON: rows, SHEET_STUDY: table(SHEET_STUDY, []),
                                                  SHEET_WORK: table(SHEET_WORK, [])})
    res = read_agency(tmp_path, "52000001")
    assert res.frames[SHEET_PERSON]["_row"].tolist() == [2, 4]


def test_read_landing_in_worker_processes_matches_sequential(tmp_path):
    for code, fmt in zip(AGENCIES[:3], ["xlsx", "csv-utf8", "csv-gb18030"]):
        write_batch(tmp_path / code, "2021-03", fmt, sample_tables())
    seq = read_landing(tmp_path, set(AGENCIES), workers=1)
    par = read_landing(tmp_path, set(AGENCIES), workers=2)
    assert list(seq) == list(par) == AGENCIES[:3]
    for code in seq:
        for sheet in SHEETS:
            pd.testing.assert_frame_equal(seq[code].frames[sheet], par[code].frames[sheet])


# ---------------------------------------------------------------------------
# Malformed cases: an error naming the place, the rest still read
# ---------------------------------------------------------------------------

def test_unknown_agency_folder_is_an_error_for_that_folder_only(tmp_path):
    write_batch(tmp_path / "52000001", "b", "csv-utf8", sample_tables())
    write_batch(tmp_path / "99999999", "b", "csv-utf8", sample_tables())
    (tmp_path / "readme.txt").write_text("x", encoding="utf-8")
    got = read_landing(tmp_path, set(AGENCIES), workers=1)
    assert list(got) == ["52000001"]
    assert len(got["52000001"].frames[SHEET_PERSON]) == 3
    by_file = {e.file: e for e in got.errors}
    assert by_file["99999999"].code == "unknown_agency" and "99999999" in by_file["99999999"].message
    assert by_file["readme.txt"].code == "unexpected_file"
    assert "99999999" in str(by_file["99999999"])


def test_missing_required_column_rejects_that_sheet_only(tmp_path):
    headers = [h for h in PERSON_HEADERS if h != "姓名"]
    t = sample_tables()
    t[SHEET_PERSON] = table(SHEET_PERSON, [person("M-1", "x", ID_A, 户籍所在地=" 贵阳 "), person("M-2", "y", ID_B)],
                            headers)
    write_batch(tmp_path / "52000001", "b", "xlsx", t)
    res = read_agency(tmp_path, "52000001")
    (err,) = res.errors
    assert (err.file, err.sheet, err.row, err.column, err.code) == \
        ("52000001/b.xlsx", SHEET_PERSON, 1, "姓名", "missing_column")
    assert "姓名" in err.message and "缺少" in err.message
    assert len(res.frames[SHEET_PERSON]) == 0
    assert len(res.frames[SHEET_STUDY]) == 2 and len(res.frames[SHEET_WORK]) == 1
    rej = res.rejected
    assert rej["_row"].tolist() == [2, 3] and rej["档案编号"].tolist() == ["M-1", "M-2"]
    assert rej["户籍所在地"].iloc[0] == " 贵阳 " and set(rej["_reason"]) == {"工作表缺少必填列“姓名”"}
    # the rejected rows end in quarantine (with their reason); the child rows are orphans, still kept
    std = {s: standardise(s, f) for s, f in res.frames.items()}
    m = merge_batches(std, res.frames, res.rejected)
    q = m.quarantine
    assert q[["来源文件", "工作表", "行号"]].values.tolist() == [["52000001/b.xlsx", SHEET_PERSON, 2],
                                                            ["52000001/b.xlsx", SHEET_PERSON, 3]]
    assert q["原因"].tolist() == ["工作表缺少必填列“姓名”"] * 2 and q["户籍所在地"].iloc[0] == " 贵阳 "
    assert m.counts[SHEET_PERSON] == {"rows_in": 2, "loaded": 0, "quarantined": 2, "duplicate": 0, "correction": 0}
    assert len(m.orphans) == 3


def test_missing_optional_column_is_a_warning(tmp_path):
    headers = [h for h in PERSON_HEADERS if h != "备注"]
    t = sample_tables()
    t[SHEET_PERSON] = table(SHEET_PERSON, [person("O-1", "甲", ID_A)], headers)
    write_batch(tmp_path / "52000001", "b", "csv-utf8", t)
    res = read_agency(tmp_path, "52000001")
    assert res.errors == []
    assert [w.column for w in errors_of(res, "missing_optional_column")] == ["备注"]
    assert res.frames[SHEET_PERSON]["备注"].isna().all()


def test_empty_files_are_errors_and_the_rest_is_read(tmp_path):
    folder = tmp_path / "52000001"
    write_batch(folder, "b", "csv-utf8", sample_tables())
    (folder / "b.工作经历.csv").write_bytes(b"")
    (folder / "c.xlsx").write_bytes(b"")
    (folder / "d.基本信息.csv").write_bytes(b"\xef\xbb\xbf \r\n")
    res = read_agency(tmp_path, "52000001")
    empties = sorted((e.file, e.sheet) for e in errors_of(res, "empty_file"))
    assert empties == [("52000001/b.工作经历.csv", SHEET_WORK), ("52000001/c.xlsx", None),
                       ("52000001/d.基本信息.csv", SHEET_PERSON)]
    assert len(res.frames[SHEET_PERSON]) == 3 and len(res.frames[SHEET_STUDY]) == 2
    assert len(res.frames[SHEET_WORK]) == 0


def test_a_file_named_xlsx_that_is_not_a_workbook(tmp_path):
    folder = tmp_path / "52000001"
    folder.mkdir()
    (folder / "2021-03.xlsx").write_text("档案编号,姓名\nA,B\n", encoding="utf-8")
    write_batch(folder, "2021-06", "csv-utf8", sample_tables())
    res = read_agency(tmp_path, "52000001")
    (err,) = res.errors
    assert (err.file, err.sheet, err.row, err.column, err.code) == ("52000001/2021-03.xlsx", None, None, None,
                                                                    "not_workbook")
    assert "xlsx" in err.message
    assert len(res.frames[SHEET_PERSON]) == 3


def test_workbook_missing_a_sheet_and_an_extra_sheet(tmp_path):
    t = sample_tables()
    del t[SHEET_WORK]
    t["说明"] = [["填表说明"]]
    write_xlsx(tmp_path / "52000001" / "b.xlsx", t)
    res = read_agency(tmp_path, "52000001")
    (err,) = res.errors
    assert (err.sheet, err.code) == (SHEET_WORK, "missing_sheet")
    assert [w.sheet for w in errors_of(res, "unknown_sheet")] == ["说明"]
    assert len(res.frames[SHEET_PERSON]) == 3 and len(res.frames[SHEET_STUDY]) == 2


@pytest.mark.parametrize("payload, line", [
    (b"\xff\xfe" + "档案编号".encode("utf-16-le"), None),  # UTF-16
    ("档案编号,姓名,公民身份号码\r\nA,张三,1\r\n".encode("utf-8") + b"B,\xff\xff\xff,2\r\n", 3),
])
def test_wrong_encoding_is_an_error_naming_file_and_line(tmp_path, payload, line):
    folder = tmp_path / "52000001"
    write_batch(folder, "b", "csv-utf8", sample_tables())
    (folder / "b.基本信息.csv").write_bytes(payload)
    res = read_agency(tmp_path, "52000001")
    (err,) = res.errors
    assert (err.file, err.sheet, err.code) == ("52000001/b.基本信息.csv", SHEET_PERSON, "encoding")
    if line:
        assert err.row == line and f"第{line}行" in err.message
    assert len(res.frames[SHEET_STUDY]) == 2 and len(res.frames[SHEET_WORK]) == 1


def test_unexpected_files_in_an_agency_folder(tmp_path):
    folder = tmp_path / "52000001"
    write_batch(folder, "b", "csv-utf8", sample_tables())
    (folder / "b.其他.csv").write_text("x", encoding="utf-8")
    (folder / "old.xls").write_bytes(b"\xd0\xcf")
    (folder / "~$b.xlsx").write_bytes(b"lock")
    (folder / ".DS_Store").write_bytes(b"")
    res = read_agency(tmp_path, "52000001")
    assert sorted(e.file for e in res.errors) == ["52000001/b.其他.csv", "52000001/old.xls"]
    assert {e.code for e in res.errors} == {"unexpected_file"}
    assert len(res.frames[SHEET_PERSON]) == 3


FORMULAS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","点击")', "@SUM(1+1)", "+SUM(A1:A3)",
            "-2+3+cmd|' /C calc'!A0", " =1+1", "=A1"]
NOT_FORMULAS = ["+86 13800001234", "-", "—", "-5", "2019-03-05", "a=b", "@某人", "张三=李四"]


def test_formula_detection():
    assert all(looks_like_formula(f) for f in FORMULAS)
    assert not any(looks_like_formula(f) for f in NOT_FORMULAS)


@pytest.mark.parametrize("fmt", ["xlsx", "csv-utf8"])
def test_formula_injection_is_flagged_kept_and_not_fatal(tmp_path, fmt):
    persons = [person(f"F-{i}", "张三", ID_A, 备注=v) for i, v in enumerate(FORMULAS + NOT_FORMULAS)]
    persons[0]["姓名"] = "=1+2"
    t = sample_tables()
    t[SHEET_PERSON] = table(SHEET_PERSON, persons)
    write_batch(tmp_path / "52000001", "b", fmt, t)
    res = read_agency(tmp_path, "52000001")
    assert res.errors == []
    flagged = sorted((w.row, w.column) for w in errors_of(res, "formula"))
    expected = sorted([(i + 2, "备注") for i in range(len(FORMULAS))] + [(2, "姓名")])
    assert flagged == expected
    w = errors_of(res, "formula")[0]
    assert w.file.startswith("52000001/b.") and w.sheet == SHEET_PERSON
    f = res.frames[SHEET_PERSON]
    assert f["备注"].tolist()[:len(FORMULAS)] == FORMULAS  # kept as typed, never evaluated
    std = standardise(SHEET_PERSON, f)
    issues = [json.loads(x) for x in std["_issues"]]
    assert {"field": "备注", "code": "formula", "raw": FORMULAS[0]} in issues[0]
    assert {"field": "姓名", "code": "formula", "raw": "=1+2"} in issues[0]
    assert std["姓名"].iloc[0] == "=1+2" and std["备注"].iloc[5] == "=1+1"
    for i in range(len(FORMULAS), len(FORMULAS) + len(NOT_FORMULAS)):
        assert all(e["code"] != "formula" for e in issues[i])


def test_read_error_names_the_place():
    e = ReadError("52000001/b.xlsx", SHEET_PERSON, 7, "姓名", "缺少必填列", "missing_column")
    assert str(e) == "文件“52000001/b.xlsx”，工作表“基本信息”，第7行，列“姓名”：缺少必填列"


def test_header_after_blank_rows_and_a_repeated_header(tmp_path):
    headers = list(PERSON_HEADERS) + ["备注", "微信号", "微信号"]
    rows = table(SHEET_PERSON, [person("H-1", "冯二", ID_A, 备注="一")], headers)
    rows[1][-3:] = ["二", "wx1", "wx2"]
    write_xlsx(tmp_path / "52000001" / "b.xlsx", {SHEET_PERSON: [[None] * len(headers)] * 2 + rows,
                                                  SHEET_STUDY: table(SHEET_STUDY, []), SHEET_WORK: table(SHEET_WORK, [])})
    res = read_agency(tmp_path, "52000001")
    assert res.errors == []
    f = res.frames[SHEET_PERSON]
    assert f["_row"].tolist() == [4] and f["备注"].tolist() == ["一"]  # the header is row 3
    assert json.loads(f["_extra"].iloc[0]) == {"备注": "二", "微信号": "wx1", "微信号#2": "wx2"}
    (dup,) = errors_of(res, "duplicate_column")
    assert (dup.row, dup.column) == (3, "备注")
