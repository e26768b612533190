"""Bad input through the whole pipeline (`archives ingest`, issue 6 "Bad input and faults"), on SQLite and
on MariaDB.

One small generated landing (`synth.generate`, 300 persons) is copied; a dozen of its agencies each get one
malformed case of the contract (../shared/spec/collection_form.md), two stay untouched, and an unknown
agency folder is added. The whole landing goes through `run_ingest(..., workers=1)` once per backend (a
module-scoped fixture, so the runtime stays small); each case is then its own test:

* the error names file, sheet, row and column where the contract says so (the raw layer's ``_errors``,
  the summary's ``problems``);
* every agency loads fully: the persons in the database are the agency's records — for a broken agency,
  the persons of its good rows (computed here from the landing files, independently of the pipeline);
* the bad rows are in ``dq_quarantine`` and in ``隔离.csv`` of `pipelines.export.export`, with the reason;
* every input row ends loaded or quarantined (row accounting, checked against the database).

Feed faults (a missing feed file, a feed without a required column) stop only the repair steps that need
that feed, and the agency still loads.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from archives_domain.collection_form import HEADERS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, SHEETS, SOURCE_FORM
from archives_domain.models import Person, PersonStudy, PersonWork, QuarantineRow
from pipelines.io import read_frames

from conftest import BACKENDS, MYSQL_SERVER

FORMULA = "=cmd|' /C calc'!A0"
UNKNOWN = "99999999"
P, QS, QW, Q = Person.__table__, PersonStudy.__table__, PersonWork.__table__, QuarantineRow.__table__
NULLS = {"", "无", "/", "-", "—", "NULL", "null"}


# ---------------------------------------------------------------------------------------------------------
# Reading the landing files independently of the pipeline (the expectations)
# ---------------------------------------------------------------------------------------------------------

def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def _blank(v) -> bool:
    return v is None or str(v).strip(" \u3000\t\r\n") == ""


def _norm(v) -> str | None:
    """A key as the contract's canonical form (trimmed, half-width), None for "no value"."""
    if v is None:
        return None
    t = " ".join(unicodedata.normalize("NFKC", str(v)).split())
    return None if t in NULLS else t


@dataclass
class Sheet:
    """One sheet of one landing file: its header and data rows (spreadsheet row number, {header: text})."""

    file: str
    sheet: str
    rows: list[tuple[int, dict]] = field(default_factory=list)


def _rows(file: str, sheet: str, table: list[list]) -> Sheet:
    out = Sheet(file, sheet)
    if not table:
        return out
    header = [_norm(h) or "" for h in table[0]]
    for i, cells in enumerate(table[1:], start=2):
        if all(_blank(c) for c in cells):
            continue
        out.rows.append((i, {h: (None if _blank(c) else str(c)) for h, c in zip(header, cells) if h}))
    return out


def read_folder(folder: Path, code: str) -> list[Sheet]:
    """Every sheet of an agency folder (files that cannot be read are left out)."""
    from openpyxl import load_workbook

    out = []
    for path in sorted(folder.iterdir()):
        rel = f"{code}/{path.name}"
        if path.suffix == ".xlsx":
            try:
                wb = load_workbook(path, read_only=True)
            except Exception:  # noqa: BLE001 - not a workbook: nothing can be read
                continue
            for sheet in SHEETS:
                if sheet in wb.sheetnames:
                    table = [["" if v is None else (v.date().isoformat() if hasattr(v, "date") else v)
                              for v in r] for r in wb[sheet].iter_rows(values_only=True)]
                    out.append(_rows(rel, sheet, table))
            wb.close()
        elif path.suffix == ".csv":
            try:
                text, _ = _decode(path.read_bytes())
            except UnicodeDecodeError:
                continue
            out.append(_rows(rel, path.name.split(".")[1], list(csv.reader(io.StringIO(text, newline="")))))
    return out


def person_keys(sheets: list[Sheet]) -> set[str]:
    """档案编号 of the 基本信息 rows that can be loaded (rules 4, 5: a key, and a 姓名 or an ID)."""
    keys = set()
    for s in sheets:
        if s.sheet != SHEET_PERSON:
            continue
        for _, r in s.rows:
            k = _norm(r.get("档案编号"))
            if k and (_norm(r.get("姓名")) or _norm(r.get("公民身份号码"))):
                keys.add(k)
    return keys


def input_rows(sheets: list[Sheet]) -> set[tuple[str, str, int]]:
    return {(s.file, s.sheet, n) for s in sheets for n, _ in s.rows}


# ---------------------------------------------------------------------------------------------------------
# Writing broken files
# ---------------------------------------------------------------------------------------------------------

def _read_csv(path: Path) -> tuple[list[list[str]], str]:
    text, enc = _decode(path.read_bytes())
    return list(csv.reader(io.StringIO(text, newline=""))), enc


def _write_csv(path: Path, table: list[list], encoding: str) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(table)
    path.write_bytes(buf.getvalue().encode(encoding))


def _csv_col(table, header) -> int:
    return [_norm(h) for h in table[0]].index(header)


@dataclass
class Case:
    """One broken agency: what was done, and what the test expects."""

    agency: str
    expected_persons: set[str]
    rows: set[tuple[str, str, int]]  # the input rows the pipeline can read
    info: dict = field(default_factory=dict)


def _agencies(landing: Path) -> tuple[list[str], list[str]]:
    """(CSV agencies, xlsx agencies) with a batch 2020-12 and enough rows for the cases (≥ 4 persons, some
    学习经历 and 工作经历 rows): those with one batch first, then those with more CSV batches."""
    csv_ok, xlsx_ok, csv_more = [], [], []
    for folder in sorted(p for p in landing.iterdir() if p.is_dir()):
        files = sorted(f.name for f in folder.iterdir())
        sheets = read_folder(folder, folder.name)
        n = {s: sum(len(x.rows) for x in sheets if x.sheet == s) for s in SHEETS}
        if n[SHEET_PERSON] < 4 or not n[SHEET_STUDY] or not n[SHEET_WORK]:
            continue
        if files == ["2020-12.xlsx"]:
            xlsx_ok.append(folder.name)
        elif all(f.endswith(".csv") for f in files) and {f"2020-12.{s}.csv" for s in SHEETS} <= set(files):
            (csv_ok if len(files) == 3 else csv_more).append(folder.name)
    return csv_ok + csv_more, xlsx_ok


def build_landing(src: Path, dst: Path) -> dict[str, Case]:
    """Copy agencies of the generated landing under `dst` and break them, one case each."""
    from openpyxl import load_workbook

    csv_ag, xlsx_ag = _agencies(src)
    assert len(csv_ag) >= 8 and len(xlsx_ag) >= 3, (csv_ag, xlsx_ag)
    # the cases that reason about one batch take the agencies with one batch
    names = ["missing_column", "empty_key", "duplicate_key", "formula", "latin1", "utf16", "empty_files",
             "good_csv"]
    chosen = dict(zip(names, csv_ag))
    chosen.update(dict(zip(["good_xlsx", "missing_column_xlsx", "not_workbook"], xlsx_ag)))
    cases: dict[str, Case] = {}
    for name, code in chosen.items():
        shutil.copytree(src / code, dst / code)
    # an unknown agency folder, with a perfectly good workbook in it
    shutil.copytree(src / chosen["good_xlsx"], dst / UNKNOWN)

    def folder(name):
        return dst / chosen[name]

    def case(case_name, **info):
        code = chosen[case_name]
        sheets = read_folder(dst / code, code)
        cases[case_name] = Case(code, person_keys(sheets), input_rows(sheets), info)
        return cases[case_name]

    # untouched
    case("good_csv")
    case("good_xlsx")

    # a sheet without a ★ column: 工作经历 without 档案编号 (CSV); 基本信息 without 姓名 (xlsx)
    path = folder("missing_column") / "2020-12.工作经历.csv"
    table, enc = _read_csv(path)
    i = _csv_col(table, "档案编号")
    _write_csv(path, [r[:i] + r[i + 1:] for r in table], enc)
    case("missing_column", file=f"{chosen['missing_column']}/2020-12.工作经历.csv")
    path = folder("missing_column_xlsx") / "2020-12.xlsx"
    wb = load_workbook(path)
    ws = wb[SHEET_PERSON]
    col = [_norm(c.value) for c in ws[1]].index("姓名") + 1
    ws.delete_cols(col)
    wb.save(path)
    # the whole sheet is rejected (rows with an ID but no 姓名 too): no person of the agency can be loaded
    case("missing_column_xlsx", file=f"{chosen['missing_column_xlsx']}/2020-12.xlsx").expected_persons = set()

    # an empty file (0 bytes, CSV and xlsx) and a CSV with a header only, beside the agency's batch
    f = folder("empty_files")
    header, enc = _read_csv(f / "2020-12.基本信息.csv")
    (f / "2099-01.学习经历.csv").write_bytes(b"")
    (f / "2099-02.xlsx").write_bytes(b"")
    _write_csv(f / "2099-03.基本信息.csv", header[:1], enc)
    case("empty_files")

    # a file named .xlsx that is not a workbook, beside the agency's batch
    (folder("not_workbook") / "2099-01.xlsx").write_bytes(b"this is not a workbook\n")
    case("not_workbook")

    # wrong encodings: 学习经历 in UTF-16; 工作经历 in GB18030 with Latin-1 bytes in the 4th row
    path = folder("utf16") / "2020-12.学习经历.csv"
    text, _ = _decode(path.read_bytes())
    path.write_bytes(text.encode("utf-16"))
    c = case("utf16", file=f"{chosen['utf16']}/2020-12.学习经历.csv")
    path = folder("latin1") / "2020-12.工作经历.csv"
    table, _ = _read_csv(path)
    assert len(table) >= 5
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(table)
    lines = buf.getvalue().split("\r\n")
    data = b"\r\n".join(line.encode("gb18030") if n != 3 else line.encode("gb18030") + b",Caf\xe9, M\xfcller"
                        for n, line in enumerate(lines))
    path.write_bytes(data)
    case("latin1", file=f"{chosen['latin1']}/2020-12.工作经历.csv", row=4)

    # a formula-injection value in 基本信息 row 3, column 备注
    path = folder("formula") / "2020-12.基本信息.csv"
    table, enc = _read_csv(path)
    i = _csv_col(table, "备注")
    table[2][i] = FORMULA
    _write_csv(path, table, enc)
    k = _norm(table[2][_csv_col(table, "档案编号")])
    case("formula", file=f"{chosen['formula']}/2020-12.基本信息.csv", row=3, key=k)

    # a 基本信息 row with an empty 档案编号 (a person who has child rows, which become orphans)
    f = folder("empty_key")
    table, enc = _read_csv(f / "2020-12.基本信息.csv")
    ki = _csv_col(table, "档案编号")
    child_keys = {}
    for sheet in (SHEET_STUDY, SHEET_WORK):
        t, _ = _read_csv(f / f"2020-12.{sheet}.csv")
        j = _csv_col(t, "档案编号")
        for n, r in enumerate(t[1:], start=2):
            child_keys.setdefault(_norm(r[j]), []).append((f"{chosen['empty_key']}/2020-12.{sheet}.csv", sheet, n))
    keys = [_norm(r[ki]) for r in table[1:]]
    row = next((n for n, k in enumerate(keys, start=2) if k in child_keys and keys.count(k) == 1), 2)
    key = keys[row - 2]
    table[row - 1][ki] = ""
    _write_csv(f / "2020-12.基本信息.csv", table, enc)
    c = case("empty_key", file=f"{chosen['empty_key']}/2020-12.基本信息.csv", row=row, key=key,
             orphans=child_keys.get(key, []))
    assert key not in c.expected_persons

    # two different rows with the same 档案编号 in one batch: a changed copy of a row appended at the end
    path = folder("duplicate_key") / "2020-12.基本信息.csv"
    table, enc = _read_csv(path)
    ki, ni = _csv_col(table, "档案编号"), _csv_col(table, "姓名")
    keys = [_norm(r[ki]) for r in table[1:]]
    row = next(n for n, k in enumerate(keys, start=2) if k and keys.count(k) == 1 and _norm(table[n - 1][ni]))
    copy = list(table[row - 1])
    copy[ni] = "重复行"
    copy[_csv_col(table, "备注")] = FORMULA  # a quarantined row with a formula: 隔离.csv must not run it either
    table.append(copy)
    _write_csv(path, table, enc)
    case("duplicate_key", file=f"{chosen['duplicate_key']}/2020-12.基本信息.csv", row=row, dup_row=len(table),
         key=keys[row - 2], name=_norm(table[row - 1][ni]))
    return cases


# ---------------------------------------------------------------------------------------------------------
# One ingest per backend
# ---------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from synth.generate import generate

    out = tmp_path_factory.mktemp("gen")
    generate(persons=300, seed=7, out=out, progress=False)
    return out


@pytest.fixture(scope="module")
def bad(generated, tmp_path_factory):
    landing = tmp_path_factory.mktemp("bad") / "landing"
    landing.mkdir()
    return landing, build_landing(generated / "landing", landing)


@pytest.fixture(scope="module", params=BACKENDS)
def module_db(request, tmp_path_factory):
    """A fresh database on each backend for the module (migrated, reference data loaded)."""
    from archives_domain import migrate
    from archives_domain.db import make_engine
    from pipelines import analytics
    from seeds.loader import load_reference_data

    tmp = tmp_path_factory.mktemp(f"db-{request.param}")
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'test.sqlite3'}"
    else:
        server = request.getfixturevalue("mysql_server")
        name = f"archives_t_{uuid.uuid4().hex[:12]}"
        with server.connect() as conn:
            conn.execute(sa.text(f"create database {name} character set utf8mb4 collate utf8mb4_unicode_ci"))
        url = f"{MYSQL_SERVER}/{name}"
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        load_reference_data(engine)
        yield tmp, url, engine
    finally:
        target = analytics.target_for(engine, {})
        engine.dispose()
        if name:
            with server.connect() as conn:
                if target.dialect == "mysql":
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target.dw}")
                conn.execute(sa.text(f"drop database if exists {name}"))


@pytest.fixture(scope="module")
def env(module_db):
    """The environment of `archives ingest` pointing at the test database, key file and reports."""
    tmp, url, _ = module_db
    with pytest.MonkeyPatch.context() as mp:
        for name in ("ARCHIVES_DW_DATABASE", "ARCHIVES_DW_PATH", "ARCHIVES_PII_KEY_FILE", "ARCHIVES_WORK_DIR",
                     "ARCHIVES_LANDING_DIR", "ARCHIVES_FEEDS_DIR", "ARCHIVES_FEEDS_URL"):
            mp.delenv(name, raising=False)
        mp.setenv("DATABASE_URL", url)
        mp.setenv("ARCHIVES_VAR_DIR", str(tmp))  # key file: <tmp>/keys/pii.json
        mp.setenv("ARCHIVES_REPORTS_DIR", str(tmp / "reports"))
        yield


def _sealer():
    """The sealer of the layers (the key file of the environment `env` sets)."""
    from pipelines.resources import PipelineSettings

    return PipelineSettings.from_env().sealer()


@dataclass
class Run:
    landing: Path
    cases: dict[str, Case]
    work: Path
    summary: dict
    engine: sa.Engine
    export: Path
    quarantine_csv: pd.DataFrame

    def errors(self, agency) -> pd.DataFrame:
        """The raw layer's errors and warnings of an agency (file, sheet, row, column, code, message, level)."""
        return read_frames(self.work / "layers" / "raw" / agency, sealer=_sealer())["_errors"]

    def records(self, agency) -> dict:
        return read_frames(self.work / "layers" / "records" / agency, sealer=_sealer())

    def persons(self, agency) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(sa.select(P.c.archive_no).where(P.c.agency_code == agency)).scalars())

    def quarantine(self, agency) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(
                sa.select(Q.c.source_file, Q.c.sheet, Q.c.row_no, Q.c.archive_no, Q.c.reason)
                .where(Q.c.agency_code == agency)).all(), columns=["file", "sheet", "row", "archive_no", "reason"])


@pytest.fixture(scope="module")
def run(bad, generated, module_db, env, tmp_path_factory) -> Run:
    from archives_cli.ingest import run_ingest
    from pipelines.export import export
    from pipelines.resources import PipelineSettings

    landing, cases = bad
    tmp, _, engine = module_db
    work = tmp / "work"
    summary = run_ingest(landing, generated / "feeds", work=work, workers=1, progress=False, analytics=False)
    out = tmp / "export"
    export(engine, PipelineSettings.from_env().codec(), out)
    raw = (out / "隔离.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # rule 10: UTF-8 with BOM
    q = pd.read_csv(out / "隔离.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return Run(landing, cases, work, summary, engine, out, q)


# ---------------------------------------------------------------------------------------------------------
# Checks shared by the cases
# ---------------------------------------------------------------------------------------------------------

def assert_loaded_fully(run: Run, case: Case) -> None:
    """The agency's persons in the database are the persons of its good rows, and its records."""
    got = run.persons(case.agency)
    assert got == case.expected_persons, (case.agency, got ^ case.expected_persons)
    assert got == set(run.records(case.agency)["persons"]["档案编号"])


def assert_row_accounting(run: Run, case: Case) -> None:
    """Every input row of the agency is loaded or quarantined, exactly once, and the database agrees."""
    rec = run.records(case.agency)
    status = rec["row_status"]
    assert status["status"].isin(["loaded", "quarantined", "duplicate", "correction"]).all()
    seen = set(zip(status["_file"], status["_sheet"], status["_row"].astype(int)))
    assert len(seen) == len(status)
    assert seen == case.rows, (case.agency, seen ^ case.rows)
    orphans = rec["orphans"]
    orphan_rows = set(zip(orphans["_file"], orphans["_sheet"], orphans["_row"].astype(int)))
    quarantined = status[status["status"] == "quarantined"]
    assert quarantined["reason"].notna().all()
    q = run.quarantine(case.agency)
    in_db = set(zip(q["file"], q["sheet"], q["row"].astype(int)))
    assert len(in_db) == len(q)
    assert in_db == set(zip(quarantined["_file"], quarantined["_sheet"], quarantined["_row"].astype(int))) | orphan_rows
    assert q["reason"].str.len().gt(0).all()
    loaded = status[status["status"] == "loaded"]
    with run.engine.connect() as conn:
        n_persons = conn.execute(sa.select(sa.func.count()).select_from(P).where(P.c.agency_code == case.agency)).scalar()
        # child rows from the form (the repair may add rows from the 教育 feed: source 教育)
        n_children = {sheet: conn.execute(sa.select(sa.func.count()).select_from(t).where(
            t.c.agency_code == case.agency, t.c.source == SOURCE_FORM)).scalar()
            for sheet, t in ((SHEET_STUDY, QS), (SHEET_WORK, QW))}
    assert n_persons == int((loaded["_sheet"] == SHEET_PERSON).sum())
    for sheet, n in n_children.items():
        n_orphans = sum(1 for _, s, _ in orphan_rows if s == sheet)
        assert n == int((loaded["_sheet"] == sheet).sum()) - n_orphans, sheet
    # 隔离.csv of the export holds the same rows, with their reasons
    mine = run.quarantine_csv[run.quarantine_csv["来源文件"].str.startswith(case.agency + "/")]
    assert set(zip(mine["来源文件"], mine["工作表"], mine["行号"].astype(int))) == in_db
    assert (mine["原因"].str.len() > 0).all()


def _errors_of(run, case, code=None, level="error") -> pd.DataFrame:
    e = run.errors(case.agency)
    e = e[e["level"] == level]
    return e if code is None else e[e["code"] == code]


def _qrow(run, file, sheet, row) -> pd.Series:
    q = run.quarantine_csv
    hit = q[(q["来源文件"] == file) & (q["工作表"] == sheet) & (q["行号"] == str(row))]
    assert len(hit) == 1, (file, sheet, row)
    return hit.iloc[0]


# ---------------------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------------------

def test_the_run_finishes_every_agency(run):
    s = run.summary
    assert not s["failed"], s["errors"]
    assert s["agencies"] == len(run.cases)
    assert s["rows_in"] == s["loaded"] + s["quarantined"] + s["duplicate"] + s["correction"]
    assert s["read_errors"] >= 6


@pytest.mark.parametrize("name", ["good_csv", "good_xlsx"])
def test_untouched_agencies_load_fully(run, name):
    case = run.cases[name]
    assert _errors_of(run, case).empty
    assert case.expected_persons
    assert_loaded_fully(run, case)
    assert_row_accounting(run, case)


def test_unknown_agency_folder(run):
    problems = [p for p in run.summary["problems"] if UNKNOWN in p]
    assert len(problems) == 1 and "不是已知的档案机构代码" in problems[0], run.summary["problems"]
    assert not (run.work / "layers" / "raw" / UNKNOWN).exists()
    assert not run.persons(UNKNOWN) and run.quarantine(UNKNOWN).empty
    for case in run.cases.values():  # the folder stopped nothing else
        assert run.persons(case.agency) == case.expected_persons, case.agency


def test_sheet_missing_a_required_column(run):
    case = run.cases["missing_column"]
    e = _errors_of(run, case, "missing_column")
    assert e[["file", "sheet", "row", "column"]].values.tolist() == [[case.info["file"], SHEET_WORK, 1, "档案编号"]]
    assert "档案编号" in e.iloc[0]["message"]
    assert_loaded_fully(run, case)
    assert_row_accounting(run, case)
    # every row of that sheet in 隔离 with the reason; nothing of it loaded; the other sheets loaded
    q = run.quarantine(case.agency)
    work_rows = {r for r in case.rows if r[1] == SHEET_WORK}
    assert work_rows and set(zip(q["file"], q["sheet"], q["row"])) >= work_rows
    assert q[q["sheet"] == SHEET_WORK]["reason"].str.contains("缺少必填列").all()
    assert q[q["sheet"] == SHEET_WORK]["reason"].str.contains("档案编号").all()
    with run.engine.connect() as conn:
        form = sa.and_(QW.c.agency_code == case.agency, QW.c.source == SOURCE_FORM)
        assert conn.execute(sa.select(sa.func.count()).select_from(QW).where(form)).scalar() == 0
    # the original row in 隔离.csv under its original headers
    file, sheet, row = sorted(work_rows)[0]
    original = next(r for s in read_folder(run.landing / case.agency, case.agency) if s.file == file
                    for n, r in s.rows if n == row)
    got = _qrow(run, file, sheet, row)
    for h in HEADERS[SHEET_WORK]:
        if h != "档案编号" and original.get(h) is not None:
            assert got[h] == original[h], h


def test_workbook_sheet_missing_a_required_column(run):
    case = run.cases["missing_column_xlsx"]
    e = _errors_of(run, case, "missing_column")
    assert e[["file", "sheet", "row", "column"]].values.tolist() == [[case.info["file"], SHEET_PERSON, 1, "姓名"]]
    assert run.persons(case.agency) == set()
    assert_row_accounting(run, case)
    q = run.quarantine(case.agency)
    person_rows = {r for r in case.rows if r[1] == SHEET_PERSON}
    qp = q[q["sheet"] == SHEET_PERSON]
    assert set(zip(qp["file"], qp["sheet"], qp["row"])) == person_rows
    assert qp["reason"].str.contains("姓名").all()
    # kept whole: the original cells under their headers in 隔离.csv
    sheets = read_folder(run.landing / case.agency, case.agency)
    for file, sheet, row in sorted(person_rows)[:5]:
        original = next(r for s in sheets if s.file == file and s.sheet == sheet for n, r in s.rows if n == row)
        got = _qrow(run, file, sheet, row)
        assert got["档案编号"] == (original.get("档案编号") or "")
        assert got["姓名"] == ""
    # the child rows have no person to join: kept whole in 隔离 (orphans), not lost
    children = {r for r in case.rows if r[1] != SHEET_PERSON}
    assert children <= set(zip(q["file"], q["sheet"], q["row"]))


def test_empty_file_and_header_only_file(run):
    case = run.cases["empty_files"]
    e = _errors_of(run, case, "empty_file")
    code = case.agency
    assert sorted(map(tuple, e[["file", "sheet"]].astype(object).where(e[["file", "sheet"]].notna(), None)
                      .values.tolist())) == [(f"{code}/2099-01.学习经历.csv", SHEET_STUDY), (f"{code}/2099-02.xlsx", None)]
    assert all("空" in m for m in e["message"])
    # a header-only file follows the contract (a sheet with no rows, as a batch without 工作经历 sends):
    # no error, nothing read from it, nothing lost elsewhere
    assert not run.errors(code)["file"].eq(f"{code}/2099-03.基本信息.csv").any()
    status = run.records(code)["row_status"]
    assert not status["_file"].str.startswith(f"{code}/2099-").any()
    assert_loaded_fully(run, case)
    assert_row_accounting(run, case)


def test_not_a_workbook(run):
    case = run.cases["not_workbook"]
    e = _errors_of(run, case, "not_workbook")
    assert e["file"].tolist() == [f"{case.agency}/2099-01.xlsx"]
    assert e["row"].isna().all() and e["column"].isna().all()
    assert_loaded_fully(run, case)
    assert_row_accounting(run, case)


def test_csv_in_utf16(run):
    case = run.cases["utf16"]
    e = _errors_of(run, case, "encoding")
    assert e[["file", "sheet"]].values.tolist() == [[case.info["file"], SHEET_STUDY]]
    assert "UTF-16" in e.iloc[0]["message"]
    # the file could not be read at all; everything else of the agency loads
    assert not (run.records(case.agency)["row_status"]["_file"] == case.info["file"]).any()
    case.rows = {r for r in case.rows if r[0] != case.info["file"]}
    assert_loaded_fully(run, case)
    assert_row_accounting(run, case)


def test_csv_with_bytes_neither_utf8_nor_gb18030(run):
    case = run.cases["latin1"]
    e = _errors_of(run, case, "encoding")
    assert e[["file", "sheet"]].values.tolist() == [[case.info["file"], SHEET_WORK]]
    # the error names the row that holds the bad bytes (the file is GB18030 up to there)
    assert e.iloc[0]["row"] == case.info["row"], e.iloc[0]["message"]
    assert f"第{case.info['row']}行" in e.iloc[0]["message"]
    case.rows = {r for r in case.rows if r[0] != case.info["file"]}
    assert_loaded_fully(run, case)
    assert_row_accounting(run, case)


def test_formula_injection_value(run):
    from pipelines.cleaning import read_agency, standardise_all

    case = run.cases["formula"]
    key = case.info["key"]
    # reported by place, as a warning: the row is not rejected
    w = _errors_of(run, case, "formula", level="warning")
    assert w[["file", "sheet", "row", "column"]].values.tolist() == [[case.info["file"], SHEET_PERSON, 3, "备注"]]
    assert _errors_of(run, case).empty
    assert_loaded_fully(run, case)
    assert_row_accounting(run, case)
    # kept as text, never evaluated
    with run.engine.connect() as conn:
        assert conn.execute(sa.select(P.c.remarks).where(P.c.agency_code == case.agency,
                                                         P.c.archive_no == key)).scalar() == FORMULA
    # the export: flagged for review, written with a leading ' so that a spreadsheet shows it as text
    path = run.export / case.agency / f"{case.agency}.{SHEET_PERSON}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    row = frame[frame["档案编号"] == key].iloc[0]
    assert row["备注"] == "'" + FORMULA
    assert "备注" in row["待核实字段"].split(";")
    for sheet in SHEETS:  # no other cell of the export would run as a formula
        text = (run.export / case.agency / f"{case.agency}.{sheet}.csv").read_text(encoding="utf-8-sig")
        for cells in csv.reader(io.StringIO(text)):
            assert not any(c[:1] in ("=", "+", "@") for c in cells), cells
    # reading the export back gives the same value
    back = standardise_all(read_agency(run.export, case.agency).frames)[SHEET_PERSON]
    assert back.loc[back["档案编号"] == key, "备注"].tolist() == [FORMULA]


def test_formula_injection_value_in_xlsx_export(run, tmp_path):
    import zipfile

    import python_calamine as calamine

    from pipelines.export import export
    from pipelines.resources import PipelineSettings

    case = run.cases["formula"]
    export(run.engine, PipelineSettings.from_env().codec(), tmp_path, [case.agency], fmt="xlsx")
    path = tmp_path / case.agency / f"{case.agency}.xlsx"
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    rows = calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET_PERSON).to_python()
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("档案编号")] == case.info["key"])
    assert row[header.index("备注")] == "'" + FORMULA


def test_row_with_empty_archive_number(run):
    case = run.cases["empty_key"]
    assert _errors_of(run, case).empty  # a data problem of one row, not a file error
    assert_loaded_fully(run, case)
    assert_row_accounting(run, case)
    got = _qrow(run, case.info["file"], SHEET_PERSON, case.info["row"])
    assert got["原因"] == "档案编号为空"
    assert got["档案编号"] == ""
    q = run.quarantine(case.agency)
    assert set(zip(q["file"], q["sheet"], q["row"])) >= set(case.info["orphans"])
    for file, sheet, row in case.info["orphans"]:  # its child rows: kept whole, with a reason
        assert "孤立" in _qrow(run, file, sheet, row)["原因"]


def test_two_rows_with_the_same_archive_number_in_one_batch(run):
    case = run.cases["duplicate_key"]
    assert _errors_of(run, case).empty
    assert_loaded_fully(run, case)
    assert_row_accounting(run, case)
    got = _qrow(run, case.info["file"], SHEET_PERSON, case.info["dup_row"])
    assert "重复" in got["原因"] and f"第{case.info['row']}行" in got["原因"]
    assert got["档案编号"] == case.info["key"] and got["姓名"] == "重复行"
    assert got["备注"] == "'" + FORMULA
    text = (run.export / "隔离.csv").read_text(encoding="utf-8-sig")
    for cells in csv.reader(io.StringIO(text)):
        assert not any(c[:1] in ("=", "+", "@") for c in cells), cells
    # the first row is the one loaded
    with run.engine.connect() as conn:
        assert conn.execute(sa.select(P.c.name).where(P.c.agency_code == case.agency,
                                                      P.c.archive_no == case.info["key"])).scalar() == case.info["name"]


# ---------------------------------------------------------------------------------------------------------
# Feed faults
# ---------------------------------------------------------------------------------------------------------

def _feed_run(generated, engine, tmp_path, break_feeds):
    """One agency through the partitioned assets with a broken copy of the feeds folder."""
    from pipelines.assets import ASSETS
    from pipelines.resources import PipelineSettings, build_resources
    from seeds.loader import load_reference_data

    load_reference_data(engine)
    feeds = tmp_path / "feeds"
    shutil.copytree(generated / "feeds", feeds)
    break_feeds(feeds)
    csv_ag, _ = _agencies(generated / "landing")
    code = csv_ag[0]
    settings = PipelineSettings(database_url=engine.url.render_as_string(hide_password=False),
                                landing_dir=str(generated / "landing"), feeds_dir=str(feeds),
                                work_dir=str(tmp_path / "work"), pii_key_file=str(tmp_path / "keys" / "pii.json"),
                                pii_key_explicit=False, reports_dir=str(tmp_path / "reports"))
    result = dg.materialize(ASSETS, partition_key=code, resources=build_resources(settings),
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    md = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    with engine.connect() as conn:
        persons = set(conn.execute(sa.select(P.c.archive_no).where(P.c.agency_code == code)).scalars())
    sheets = read_folder(generated / "landing" / code, code)
    assert persons == person_keys(sheets) == set(read_frames(tmp_path / "work" / "layers" / "records" / code,
                                                             sealer=settings.sealer())["persons"]["档案编号"])
    return md, checks


def test_missing_feed_stops_only_the_steps_that_need_it(generated, engine, tmp_path):
    md, checks = _feed_run(generated, engine, tmp_path, lambda d: (d / "education.csv").unlink())
    skipped = md["repaired"]["skipped"].value
    # (the names of IDs the register lacks: checked against 社保 alone, noted)
    assert set(skipped) == {"graduation_dates", "study", "names_unregistered.education"}, skipped
    assert all("教育" in m for m in skipped.values())
    assert not checks["feeds_available"].passed
    assert checks["feeds_available"].severity == dg.AssetCheckSeverity.WARN
    assert checks["loaded_matches_final"].passed
    steps = md["repaired"]["step_seconds"].value
    assert {"ids", "names", "names_unregistered", "employers", "social_status"} <= set(steps)


def test_malformed_feed_stops_only_the_steps_that_need_it(generated, engine, tmp_path):
    def drop_id_column(d):
        frame = pd.read_csv(d / "social_security.csv", dtype=str, keep_default_na=False)
        frame.drop(columns=["公民身份号码"]).to_csv(d / "social_security.csv", index=False)

    md, checks = _feed_run(generated, engine, tmp_path, drop_id_column)
    skipped = md["repaired"]["skipped"].value
    assert set(skipped) == {"social_status", "employers.rule8", "names_unregistered.social_security"}, skipped
    assert all("公民身份号码" in m for m in skipped.values()), skipped
    assert not checks["feeds_available"].passed
    assert checks["loaded_matches_final"].passed
