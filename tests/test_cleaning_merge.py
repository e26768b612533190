"""Merging batches (pipelines.cleaning.merge / quarantine): contract rules 3–5 with hand-made
batches, the quarantine rows, the buckets of every input row — and a small generated landing set
checked against its truth files.  No database."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from stdnum.cn import ric

from archives_domain.collection_form import HEADERS, QUARANTINE_HEADERS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, SHEETS
from dq_rules.person_schema import unexplained
from pipelines.cleaning.merge import BUCKETS, merge_batches
from pipelines.cleaning.quarantine import QUARANTINE_COLUMNS
from pipelines.cleaning.read import read_landing
from pipelines.cleaning.standardise import standardise

STR = pd.StringDtype("pyarrow", na_value=np.nan)


def make_id(code6: str, date8: str, seq: str = "123") -> str:
    body = code6 + date8 + seq
    return body + ric.calc_check_digit(body + "0")


ID1 = make_id("520102", "19850305", "121")
ID2 = make_id("520103", "19900101", "232")
ID3 = make_id("520111", "19921212", "343")


def raw_frame(sheet: str, rows: list[dict], agency: str = "52000001", batch: str = "b") -> pd.DataFrame:
    n = len(rows)
    file = f"{agency}/{batch}.{sheet}.csv"
    frame = pd.DataFrame({"_agency": pd.Series([agency] * n, dtype=STR), "_batch": pd.Series([batch] * n, dtype=STR),
                          "_file": pd.Series([file] * n, dtype=STR), "_sheet": pd.Series([sheet] * n, dtype=STR)})
    frame["_row"] = np.arange(2, n + 2, dtype=np.int64)
    for h in HEADERS[sheet]:
        frame[h] = pd.Series([r.get(h) for r in rows], dtype=STR)
    frame["_extra"] = pd.Series([None] * n, dtype=STR)
    return frame


def p(key, name="张三", id_number=ID1, **kw) -> dict:
    return {"档案编号": key, "姓名": name, "公民身份号码": id_number, **kw}


def s(key, school="贵州大学", **kw) -> dict:
    return {"档案编号": key, "学校": school, **kw}


def w(key, employer="贵州茅台酒股份有限公司", **kw) -> dict:
    return {"档案编号": key, "工作单位": employer, **kw}


def batches(spec: dict[str, dict[str, list[dict]]], agency: str = "52000001") -> dict[str, pd.DataFrame]:
    """Raw frames per sheet from {batch: {sheet: rows}} (concatenated in the given order)."""
    out = {}
    for sheet in SHEETS:
        parts = [raw_frame(sheet, sheets.get(sheet, []), agency, b) for b, sheets in spec.items()]
        out[sheet] = pd.concat(parts, ignore_index=True)
    return out


def run(raw: dict[str, pd.DataFrame], with_raw: bool = True):
    std = {sh: standardise(sh, f) for sh, f in raw.items()}
    m = merge_batches(std, raw if with_raw else None)
    m.check()
    return m


def status_of(m, sheet: str, batch: str, row: int) -> tuple[str, str | None]:
    st = m.row_status
    r = st[(st["_sheet"] == sheet) & (st["_batch"] == batch) & (st["_row"] == row)]
    assert len(r) == 1
    reason = r["reason"].iloc[0]
    return r["status"].iloc[0], (None if pd.isna(reason) else reason)


# ---------------------------------------------------------------------------
# Rule 3: batch order, later non-empty wins field by field
# ---------------------------------------------------------------------------

def test_later_batch_wins_field_by_field_in_code_point_order():
    raw = batches({
        "2021-11": {SHEET_PERSON: [p("P-1", 联系电话="13900000002", 档案状态="借出")]},  # given first on purpose
        "2021-03": {SHEET_PERSON: [p("P-1", 联系电话="13800000001", 户籍所在地="贵阳市", 档案状态="在库", 备注="旧")]},
    })
    m = run(raw)
    (rec,) = m.persons.to_dict("records")
    assert rec["联系电话"] == "13900000002" and rec["档案状态"] == "借出"
    assert rec["户籍所在地"] == "贵阳市" and rec["备注"] == "旧"  # an empty later cell does not win
    assert rec["_batch"] == "2021-03" and rec["_batches"] == "2021-03;2021-11"
    assert json.loads(rec["_sources"]) == ["52000001/2021-03.基本信息.csv#2", "52000001/2021-11.基本信息.csv#2"]
    later = [c for c in json.loads(rec["_changes"]) if c["rule"] == "later_batch"]
    assert {(c["field"], c["old"], c["new"]) for c in later} == {("联系电话", "13800000001", "13900000002"),
                                                                 ("档案状态", "在库", "借出")}
    assert status_of(m, SHEET_PERSON, "2021-03", 2) == ("loaded", None)
    assert status_of(m, SHEET_PERSON, "2021-11", 2) == ("correction", None)
    assert m.counts[SHEET_PERSON] == {"rows_in": 2, "loaded": 1, "quarantined": 0, "duplicate": 0, "correction": 1}


def test_batch_names_first_and_second():
    raw = batches({"second": {SHEET_PERSON: [p("P-1", 民族="苗族")]}, "first": {SHEET_PERSON: [p("P-1", 民族="汉族")]}})
    assert run(raw).persons["民族"].tolist() == ["苗族"]


def test_issues_follow_the_winning_value():
    raw = batches({"1": {SHEET_PERSON: [p("P-1", 出生日期="1985.03")]},
                   "2": {SHEET_PERSON: [p("P-1", 出生日期="1985-03-05")]}})
    rec = run(raw).persons.iloc[0]
    assert rec["出生日期"] == "1985-03-05"
    assert json.loads(rec["_issues"]) == []
    raw = batches({"1": {SHEET_PERSON: [p("P-1", 出生日期="1985-03-05", 民族="火星")]},
                   "2": {SHEET_PERSON: [p("P-1", 出生日期=None)]}})
    rec = run(raw).persons.iloc[0]
    assert [e["code"] for e in json.loads(rec["_issues"])] == ["unknown_code"]


# ---------------------------------------------------------------------------
# Rule 4: rows typed twice; one 档案编号 twice in a batch
# ---------------------------------------------------------------------------

def test_rows_typed_twice_are_loaded_once():
    raw = batches({"b": {
        SHEET_PERSON: [p("P-1", " 张三"), p("P-2", "李四", ID2), p("P-1", "张三 "), p("P-1", "张三")],
        SHEET_STUDY: [s("P-1"), s("P-1", "贵州师范大学"), s("P-1", " 贵州大学")],
        SHEET_WORK: [w("P-2"), w("P-2")],
    }})
    m = run(raw)
    assert m.persons["档案编号"].tolist() == ["P-1", "P-2"]
    assert [status_of(m, SHEET_PERSON, "b", r)[0] for r in (2, 3, 4, 5)] == ["loaded", "loaded", "duplicate",
                                                                             "duplicate"]
    st = m.row_status
    assert st.loc[(st["_sheet"] == SHEET_PERSON) & (st["_row"] == 4), "duplicate_of"].iloc[0] == 2
    assert m.study["学校"].tolist() == ["贵州大学", "贵州师范大学"]
    assert status_of(m, SHEET_STUDY, "b", 4) == ("duplicate", None)
    assert len(m.work) == 1 and m.counts[SHEET_WORK]["duplicate"] == 1


def test_same_key_different_row_in_one_batch_first_is_loaded():
    raw = batches({"b": {SHEET_PERSON: [
        p("P-1", "张三", ID1),
        p("P-2", "李四", ID2),
        p("P-1", "王五", ID3),      # another person's row typed under P-1
        p("P-1", "王五", ID3),      # ... typed twice: follows its original into quarantine
        p("P-1", "张三", ID1),      # an exact repeat of the loaded row
    ]}})
    m = run(raw)
    assert m.persons[["档案编号", "姓名"]].values.tolist() == [["P-1", "张三"], ["P-2", "李四"]]
    reason = "同一批次中档案编号重复且内容不同（第2行已载入）"
    assert status_of(m, SHEET_PERSON, "b", 4) == ("quarantined", reason)
    assert status_of(m, SHEET_PERSON, "b", 5) == ("quarantined", reason)
    assert status_of(m, SHEET_PERSON, "b", 6) == ("duplicate", None)
    q = m.quarantine
    assert q["行号"].tolist() == [4, 5] and set(q["原因"]) == {reason} and q["姓名"].tolist() == ["王五", "王五"]


def test_same_key_in_two_batches_is_a_correction_not_a_conflict():
    raw = batches({"1": {SHEET_PERSON: [p("P-1", "张三")]}, "2": {SHEET_PERSON: [p("P-1", "张三丰")]}})
    m = run(raw)
    assert m.persons["姓名"].tolist() == ["张三丰"] and m.counts[SHEET_PERSON]["correction"] == 1


# ---------------------------------------------------------------------------
# Rule 5: rows that cannot be loaded
# ---------------------------------------------------------------------------

def test_rows_without_key_or_identity_are_quarantined():
    raw = batches({"b": {
        SHEET_PERSON: [p(None), p(" 无 "), p("P-3", None, None), p("P-4", "/", "NULL"), p("P-5", "赵六", None),
                       p("P-6", None, ID2)],
        SHEET_STUDY: [s(None), s("-"), s("P-5")],
        SHEET_WORK: [w("\u3000")],
    }})
    m = run(raw)
    assert m.persons["档案编号"].tolist() == ["P-5", "P-6"]
    got = {(r["工作表"], r["行号"]): r["原因"] for r in m.quarantine.to_dict("records")}
    assert got == {(SHEET_PERSON, 2): "档案编号为空", (SHEET_PERSON, 3): "档案编号为空",
                   (SHEET_PERSON, 4): "姓名和公民身份号码均为空", (SHEET_PERSON, 5): "姓名和公民身份号码均为空",
                   (SHEET_STUDY, 2): "档案编号为空", (SHEET_STUDY, 3): "档案编号为空", (SHEET_WORK, 2): "档案编号为空"}
    assert len(m.study) == 1 and len(m.work) == 0


def test_quarantine_rows_carry_the_original_row_as_typed():
    raw = batches({"b": {SHEET_PERSON: [p(None, " 吳曉英 ", ID1.lower(), 民族="汉", 户口性质="农业", 出生日期="1985.3.5")]}})
    for with_raw in (True, False):
        q = run(raw, with_raw).quarantine
        assert list(q.columns[:4]) == list(QUARANTINE_HEADERS) and list(q.columns) == list(QUARANTINE_COLUMNS)
        r = q.iloc[0]
        assert (r["来源文件"], r["工作表"], r["行号"], r["原因"]) == ("52000001/b.基本信息.csv", SHEET_PERSON, 2,
                                                               "档案编号为空")
        assert (r["姓名"], r["民族"], r["出生日期"]) == (" 吳曉英 ", "汉", "1985.3.5")
        assert pd.isna(r["学校"])  # a header of another sheet
        if with_raw:
            assert r["户口性质"] == "农业"


# ---------------------------------------------------------------------------
# Child rows: join, latest batch, orphans
# ---------------------------------------------------------------------------

def test_child_rows_come_from_the_latest_batch_that_has_any():
    raw = batches({
        "1": {SHEET_PERSON: [p("P-1"), p("P-2", "李四", ID2), p("P-3", "王五", ID3)],
              SHEET_STUDY: [s("P-1", "甲校"), s("P-1", "乙校"), s("P-2", "丙校")],
              SHEET_WORK: [w("P-1", "甲公司")]},
        "2": {SHEET_PERSON: [p("P-1", 备注="更正")],
              SHEET_STUDY: [s("P-1", "乙校"), s("P-1", "丁校")],
              SHEET_WORK: [w("P-3", "乙公司")]},
    })
    m = run(raw)
    assert m.study[["档案编号", "学校", "_batch"]].values.tolist() == [["P-2", "丙校", "1"], ["P-1", "乙校", "2"],
                                                                     ["P-1", "丁校", "2"]]
    assert [status_of(m, SHEET_STUDY, "1", r)[0] for r in (2, 3, 4)] == ["correction", "correction", "loaded"]
    # P-1 keeps its batch-1 work rows (batch 2 has none for P-1); P-3's batch-2 rows join its batch-1 record
    assert m.work[["档案编号", "工作单位"]].values.tolist() == [["P-1", "甲公司"], ["P-3", "乙公司"]]
    assert not m.work["_orphan"].any() and len(m.orphans) == 0


def test_orphans_are_kept_and_reported():
    raw = batches({"b": {SHEET_PERSON: [p("P-1")], SHEET_STUDY: [s("P-1"), s("Z-9", "无名校")],
                         SHEET_WORK: [w("Z-8")]}})
    m = run(raw)
    assert m.study["_orphan"].tolist() == [False, True]
    assert sorted(m.orphans["档案编号"].tolist()) == ["Z-8", "Z-9"]
    assert m.counts[SHEET_STUDY]["loaded"] == 2 and m.counts[SHEET_WORK]["loaded"] == 1


def test_agencies_are_merged_separately():
    a = batches({"b": {SHEET_PERSON: [p("K-1", "张三", ID1)], SHEET_STUDY: [s("K-1")]}}, "52000001")
    b = batches({"b": {SHEET_PERSON: [p("K-1", "张三", ID1)], SHEET_STUDY: [s("K-1")]}}, "52000002")
    raw = {sh: pd.concat([a[sh], b[sh]], ignore_index=True) for sh in SHEETS}
    m = run(raw)
    assert m.persons["_agency"].tolist() == ["52000001", "52000002"]  # 一人多档: both loaded
    assert m.counts[SHEET_PERSON]["duplicate"] == 0 and len(m.study) == 2


def test_every_row_in_exactly_one_bucket_and_records_pass_dq():
    raw = batches({
        "1": {SHEET_PERSON: [p("P-1"), p("P-1"), p(None), p("P-2", "李四", ID2), p("P-2", "王五", ID3)],
              SHEET_STUDY: [s("P-1"), s("P-1"), s(None)], SHEET_WORK: [w("Q-1")]},
        "2": {SHEET_PERSON: [p("P-1", 备注="x"), p("P-3", None, None)], SHEET_STUDY: [s("P-1", "乙校")]},
    })
    m = run(raw)
    total = m.totals()
    assert total["rows_in"] == 12 == sum(total[b] for b in BUCKETS)
    # persons: P-1 loaded, its repeat, an empty key, P-2 loaded, another row under P-2, batch 2's correction
    # of P-1, a row without name and ID; study: batch 1's two P-1 rows replaced by batch 2's, an empty key;
    # work: an orphan (loaded, reported)
    assert total == {"rows_in": 12, "loaded": 4, "quarantined": 4, "duplicate": 1, "correction": 3}
    assert m.counts[SHEET_STUDY] == {"rows_in": 4, "loaded": 1, "quarantined": 1, "duplicate": 0, "correction": 2}
    assert len(m.orphans) == 1
    assert len(m.row_status) == 12 and not m.row_status.duplicated(["_file", "_sheet", "_row"]).any()
    assert unexplained(m.persons, records=True).empty


def test_empty_input():
    m = merge_batches({sh: standardise(sh, raw_frame(sh, [])) for sh in SHEETS})
    assert m.rows_in == 0 and len(m.persons) == 0 and len(m.quarantine) == 0


# ---------------------------------------------------------------------------
# A small generated landing set, checked against its truth
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from synth.generate import generate
    out = tmp_path_factory.mktemp("gen")
    generate(persons=1500, seed=3, out=out, progress=False)
    landing = read_landing(out / "landing", workers=1)
    raw = {sh: pd.concat([r.frames[sh] for r in landing.agencies.values()], ignore_index=True) for sh in SHEETS}
    rejected = pd.concat([r.rejected for r in landing.agencies.values()], ignore_index=True)
    std = {sh: standardise(sh, f) for sh, f in raw.items()}
    return out, landing, merge_batches(std, raw, rejected)


def test_generated_set_every_row_ends_in_exactly_one_bucket(generated):
    out, landing, m = generated
    manifest = json.loads((out / "truth" / "manifest.json").read_text(encoding="utf-8"))
    assert landing.errors == [] and all(not r.errors for r in landing.agencies.values())
    assert m.rows_in == manifest["rows_in"] == sum(m.totals()[b] for b in BUCKETS)
    st = m.row_status
    assert not st.duplicated(["_file", "_sheet", "_row"]).any()
    tq = pd.read_parquet(out / "truth" / "quarantine.parquet")
    q = m.quarantine
    assert sorted(zip(q["来源文件"], q["工作表"], q["行号"], q["原因"])) == \
        sorted(zip(tq["source_file"], tq["sheet"], tq["row"], tq["reason"]))
    td = pd.read_parquet(out / "truth" / "duplicates.parquet")
    d = st[st["status"] == "duplicate"]
    assert sorted(zip(d["_file"], d["_sheet"], d["_row"], d["duplicate_of"])) == \
        sorted(zip(td["source_file"], td["sheet"], td["row_repeat"], td["row_first"]))
    tp = pd.read_parquet(out / "truth" / "persons.parquet")
    assert sorted(zip(m.persons["_agency"], m.persons["档案编号"])) == sorted(zip(tp["agency_code"], tp["档案编号"]))
    errors = pd.read_parquet(out / "truth" / "errors.parquet")
    assert m.counts[SHEET_PERSON]["correction"] == int((errors["category"] == "batch_correction").sum())
    for sheet, truth in ((SHEET_STUDY, "study.parquet"), (SHEET_WORK, "work.parquet")):
        assert len(getattr(m, "study" if sheet == SHEET_STUDY else "work")) == len(pd.read_parquet(out / "truth" / truth))
    assert len(m.orphans) == 0


def test_generated_set_cell_rules_repair_what_the_cell_alone_allows(generated):
    """Every injected error a cell alone can settle is repaired; no clean cell is changed."""
    out, _, m = generated
    tp = pd.read_parquet(out / "truth" / "persons.parquet")
    errors = pd.read_parquet(out / "truth" / "errors.parquet")
    errors = errors[errors["sheet"] == SHEET_PERSON]
    cat = {(r.agency_code, r.档案编号, r.field): r.category for r in errors.itertuples()}
    merged = tp.merge(m.persons, left_on=["agency_code", "档案编号"], right_on=["_agency", "档案编号"],
                      suffixes=("_truth", ""))
    cell_rules = {"whitespace", "fullwidth", "null_token", "date_format", "date_excel_serial", "id_15",
                  "id_lowercase_x", "name_traditional", "name_dot", "code_synonym", "employer_bracket_width",
                  "batch_correction"}
    wrong, false = [], []
    for f in [c for c in tp.columns if c not in ("person_key", "agency_code", "档案编号")]:
        for key, truth, got in zip(zip(merged["agency_code"], merged["档案编号"]), merged[f + "_truth"], merged[f]):
            truth = None if pd.isna(truth) else truth
            got = None if pd.isna(got) else got
            c = cat.get((key[0], key[1], f))
            if truth != got and c is None:
                false.append((key, f, truth, got))
            if truth != got and c in cell_rules:
                wrong.append((key, f, c, truth, got))
    assert false == [] and wrong == []
