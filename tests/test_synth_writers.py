"""synth.writers: every landing format reads back as written; output is byte-identical."""
from __future__ import annotations

import csv
import hashlib
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from archives_domain.collection_form import HEADERS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, SHEETS
from synth.formats import FORMATS, header_layout, plan_formats, source_file
from synth.writers import write_batch, write_result

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_synth_dirt import make_clean  # noqa: E402

AGENCY = "52010001"
TRICKY = [" 前导空格", "尾随空格 ", "\u3000全角空格\u3000", "a&b<c>\"d'", "逗号,引号\"换行\n后", "阿依古丽·买买提",
          "玛丽亚•托合提", "努尔・白克力", "䶮龑𠀀", "ＡＢＣ１２３", "", "  "]


def _frames(n: int = 40) -> dict[str, pd.DataFrame]:
    """Small frames: text of every awkward kind, empty cells, and Excel serial numbers."""
    out = {}
    rng = np.random.default_rng(0)
    for sheet in SHEETS:
        cols = {}
        for j, h in enumerate(HEADERS[sheet]):
            vals = []
            for i in range(n):
                k = (i * 7 + j * 3) % 17
                if h == "档案编号":
                    vals.append(f"DA{i:05d}")
                elif k < len(TRICKY):
                    vals.append(TRICKY[k])
                elif k in (12, 13):
                    vals.append(None)
                elif k == 14 and ("时间" in h or "日期" in h):
                    vals.append(int(40000 + rng.integers(0, 5000)))
                else:
                    vals.append(f"{h}{i}")
            cols[h] = pd.Series(vals, dtype=object)
        out[sheet] = pd.DataFrame(cols)
    return out


def _norm(v):
    """A cell value as both readers agree on it: '' for empty, numbers as int."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _read_xlsx_openpyxl(path: Path) -> dict[str, list[list]]:
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [[_norm(v) for v in row] for row in ws.iter_rows(values_only=True)]
                for ws in wb.worksheets}
    finally:
        wb.close()


def _read_xlsx_calamine(path: Path) -> dict[str, list[list]]:
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path))
    return {name: [[_norm(v) for v in row] for row in wb.get_sheet_by_name(name).to_python()]
            for name in wb.sheet_names}


def _expected(frame: pd.DataFrame, layout) -> list[list]:
    rows = [[w for _, w in layout]]
    for rec in frame.to_dict("records"):
        rows.append([_norm(rec[c]) for c, _ in layout])
    return rows


def _pad(rows: list[list], width: int) -> list[list]:
    return [list(r) + [""] * (width - len(r)) for r in rows]


def _sha(paths) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(set(paths))}


# ---------------------------------------------------------------------------

def test_paths_follow_the_contract(tmp_path):
    frames = _frames(5)
    x = write_batch(frames, tmp_path, AGENCY, "2020-12", "xlsx")
    assert set(x.values()) == {tmp_path / AGENCY / "2020-12.xlsx"}
    c = write_batch(frames, tmp_path, AGENCY, "2021-06", "csv-utf8")
    assert {p.name for p in c.values()} == {f"2021-06.{s}.csv" for s in SHEETS}
    for sheet, p in c.items():
        assert p.relative_to(tmp_path).as_posix() == source_file(AGENCY, "2021-06", "csv-utf8", sheet)
    with pytest.raises(ValueError):
        write_batch(frames, tmp_path, AGENCY, "2020.12", "xlsx")
    with pytest.raises(ValueError):
        write_batch(frames, tmp_path, AGENCY, "2020-12", "ods")
    assert not list(tmp_path.rglob("*.part"))


@pytest.mark.parametrize("shuffle,noisy", [(False, False), (True, True)])
def test_xlsx_reads_back_the_same_in_openpyxl_and_calamine(tmp_path, shuffle, noisy):
    frames = _frames()
    layouts = {s: header_layout(AGENCY, s, HEADERS[s], 0, shuffle=shuffle, noisy=noisy) for s in SHEETS}
    path = write_batch(frames, tmp_path, AGENCY, "2020-12", "xlsx", layouts=layouts)[SHEET_PERSON]
    a = _read_xlsx_openpyxl(path)
    b = _read_xlsx_calamine(path)
    assert list(a) == list(SHEETS) and list(b) == list(SHEETS)
    for sheet in SHEETS:
        width = len(HEADERS[sheet])
        want = _expected(frames[sheet], layouts[sheet])
        assert _pad(a[sheet], width) == want
        assert _pad(b[sheet], width) == want
        got_headers = [h.strip(" \u3000") for h in a[sheet][0]]
        assert sorted(got_headers) == sorted(HEADERS[sheet])
        if noisy:
            assert a[sheet][0] != got_headers  # some headers carry stray spaces
        if shuffle:
            assert got_headers != list(HEADERS[sheet])


def test_xlsx_serial_dates_are_number_cells(tmp_path):
    frames = {SHEET_PERSON: pd.DataFrame({h: pd.Series([None, None], dtype=object) for h in HEADERS[SHEET_PERSON]})}
    frames[SHEET_PERSON]["档案编号"] = ["A1", "A2"]
    frames[SHEET_PERSON]["出生日期"] = pd.Series([43529, "43529"], dtype=object)
    layouts = {s: header_layout(AGENCY, s, HEADERS[s], shuffle=False, noisy=False) for s in SHEETS}
    path = write_batch(frames, tmp_path, AGENCY, "b", "xlsx", layouts=layouts)[SHEET_PERSON]
    col = HEADERS[SHEET_PERSON].index("出生日期")
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb[SHEET_PERSON].iter_rows(values_only=True))
    wb.close()
    assert rows[1][col] == 43529 and isinstance(rows[1][col], int)
    assert rows[2][col] == "43529"  # text stays text
    from python_calamine import CalamineWorkbook
    crow = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET_PERSON).to_python()
    assert crow[1][col] == 43529.0 and isinstance(crow[1][col], float)
    assert crow[2][col] == "43529"
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode("utf-8")
    letter = chr(ord("A") + col)
    assert f'<c r="{letter}2"><v>43529</v></c>' in xml


def _read_csv(path: Path, encoding: str) -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as fh:
        return [row for row in csv.reader(fh)]


@pytest.mark.parametrize("fmt", ["csv-utf8", "csv-utf8-bom", "csv-gb18030"])
def test_csv_round_trip_and_encoding(tmp_path, fmt):
    frames = _frames()
    layouts = {s: header_layout(AGENCY, s, HEADERS[s], 0, shuffle=True, noisy=True) for s in SHEETS}
    paths = write_batch(frames, tmp_path, AGENCY, "2020-12", fmt, layouts=layouts)
    for sheet, path in paths.items():
        raw = path.read_bytes()
        if fmt == "csv-utf8-bom":
            assert raw.startswith(b"\xef\xbb\xbf")
            rows = _read_csv(path, "utf-8-sig")
        elif fmt == "csv-utf8":
            assert not raw.startswith(b"\xef\xbb\xbf")
            raw.decode("utf-8")
            rows = _read_csv(path, "utf-8")
        else:
            assert not raw.startswith(b"\xef\xbb\xbf")
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            rows = _read_csv(path, "gb18030")
        assert b"\r\n" in raw
        want = [[str(v) for v in r] for r in _expected(frames[sheet], layouts[sheet])]
        assert rows == want


def test_gb18030_keeps_characters_outside_gbk(tmp_path):
    frames = {SHEET_PERSON: pd.DataFrame({h: pd.Series(["·•・䶮𠀀"], dtype=object) for h in HEADERS[SHEET_PERSON]})}
    path = write_batch(frames, tmp_path, AGENCY, "g", "csv-gb18030")[SHEET_PERSON]
    rows = _read_csv(path, "gb18030")
    assert set(rows[1]) == {"·•・䶮𠀀"}


def test_missing_or_empty_sheets_get_a_header_row(tmp_path):
    frames = {SHEET_PERSON: _frames(3)[SHEET_PERSON], SHEET_STUDY: _frames(3)[SHEET_STUDY].iloc[:0]}
    x = write_batch(frames, tmp_path, AGENCY, "e", "xlsx")[SHEET_PERSON]
    for reader in (_read_xlsx_openpyxl, _read_xlsx_calamine):
        book = reader(x)
        assert len(book[SHEET_STUDY]) == 1 and len(book[SHEET_WORK]) == 1
        assert len(book[SHEET_PERSON]) == 4
    c = write_batch(frames, tmp_path, AGENCY, "e", "csv-utf8")
    assert len(_read_csv(c[SHEET_WORK], "utf-8")) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_byte_identical(tmp_path, fmt):
    frames = _frames(300)
    a = write_batch(frames, tmp_path / "a", AGENCY, "2020-12", fmt, layout_seed=4).values()
    b = write_batch({k: v.copy() for k, v in frames.items()}, tmp_path / "b", AGENCY, "2020-12", fmt,
                    layout_seed=4).values()
    assert _sha(a) == _sha(b)
    if fmt == "xlsx":
        with zipfile.ZipFile(next(iter(a))) as zf:
            assert {i.date_time for i in zf.infolist()} == {(2021, 1, 1, 0, 0, 0)}
            core = zf.read("docProps/core.xml").decode()
            assert "2021-01-01T00:00:00Z" in core


def test_large_sheet_is_chunked_and_complete(tmp_path):
    n = 45_000  # more than one chunk of rows
    frame = pd.DataFrame({h: pd.Series([f"{h}{i}" for i in range(n)], dtype="str") for h in HEADERS[SHEET_WORK]})
    frame.loc[::1000, "起始时间"] = None
    frames = {SHEET_WORK: frame}
    layouts = {s: header_layout(AGENCY, s, HEADERS[s], shuffle=False, noisy=False) for s in SHEETS}
    path = write_batch(frames, tmp_path, AGENCY, "big", "xlsx", layouts=layouts)[SHEET_WORK]
    rows = _read_xlsx_calamine(path)[SHEET_WORK]
    assert len(rows) == n + 1
    assert rows[-1][0] == f"档案编号{n - 1}" and rows[1][2] == "" and rows[2][2] == "起始时间1"


def test_plan_and_result_end_to_end(tmp_path):
    clean = make_clean(600, seed=3)
    from synth.dirt import inject
    res = inject(*clean, rates={"row_duplicate": 0.02, "row_empty_key": 0.01, "row_no_identity": 0.01,
                                "row_conflicting_key": 0.01}, seed=2)
    paths = write_result(res, tmp_path)
    assert paths and all(p.exists() for p in paths)
    fmts = {f for f, _ in res.plan.values()}
    assert fmts == set(FORMATS)
    # every batch file reads back with the frame's row count; truth row numbers point at the right rows
    books: dict[str, dict[str, list[list]]] = {}
    for agency, batches in res.batches.items():
        for b in batches:
            for sheet, src in b.source_files.items():
                path = tmp_path / src
                if b.fmt == "xlsx":
                    rows = _read_xlsx_calamine(path)[sheet]
                else:
                    enc = {"csv-utf8": "utf-8", "csv-utf8-bom": "utf-8-sig", "csv-gb18030": "gb18030"}[b.fmt]
                    rows = _read_csv(path, enc)
                assert len(rows) == len(b.frames[sheet]) + 1
                books.setdefault(src, {})[sheet] = rows
    for rec in res.duplicates.itertuples(index=False):
        rows = books[rec.source_file][rec.sheet]
        assert rows[rec.row_first - 1] == rows[rec.row_repeat - 1]
    assert len(res.quarantine) > 0
    for rec in res.quarantine.itertuples(index=False):
        rows = books[rec.source_file][rec.sheet]
        header = [h.strip(" \u3000") for h in rows[0]]
        row = dict(zip(header, rows[rec.row - 1]))
        if "为空" in rec.reason and "姓名" not in rec.reason:
            assert str(row["档案编号"]).strip() == ""
    # sum of rows = rows_in
    assert sum(len(r) - 1 for book in books.values() for r in book.values()) == res.rows_in
    # determinism of the whole landing folder
    again = write_result(res, tmp_path / "again")
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths] == \
        [hashlib.sha256(p.read_bytes()).hexdigest() for p in again]


def test_plan_formats_is_deterministic_and_complete():
    codes = [f"5200{i:04d}" for i in range(103)]
    plan = plan_formats(codes, 7)
    assert plan == plan_formats(list(reversed(codes)), 7)
    assert all(f in FORMATS and b[0] == "2020-12" and b == tuple(sorted(b)) for f, b in plan.values())
    assert sum(len(b) == 2 for _, b in plan.values()) == 15


def test_header_layout_is_stable_per_agency():
    a = header_layout(AGENCY, SHEET_PERSON, HEADERS[SHEET_PERSON], 1)
    assert a == header_layout(AGENCY, SHEET_PERSON, HEADERS[SHEET_PERSON], 1)
    assert sorted(c for c, _ in a) == sorted(HEADERS[SHEET_PERSON])
    assert all(w.strip(" \u3000") == c for c, w in a)
    shuffled = sum(header_layout(f"5200{i:04d}", SHEET_PERSON, HEADERS[SHEET_PERSON], 1)
                   != [(h, h) for h in HEADERS[SHEET_PERSON]] for i in range(100))
    assert 20 < shuffled < 80
