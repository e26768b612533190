"""Read an export made to the collection-form contract (rules 9 and 10).

``read_export(export_dir)`` reads

    <export>/<agency_code>/<agency_code>.xlsx                 sheets 基本信息 / 学习经历 / 工作经历
    <export>/<agency_code>/<agency_code>.<sheet>.csv          or the three sheets as CSV (UTF-8, BOM optional)
    <export>/隔离.csv                                          来源文件, 工作表, 行号, 原因, original columns…

into an :class:`Export`: one DataFrame per sheet over all agencies, with an
``agency_code`` column (the folder name) first, then the sheet's columns as
they stand in the file (headers trimmed of half- and full-width spaces), and
the quarantine file. Every value is a string (``pd.StringDtype("pyarrow")``);
an empty cell is ``<NA>``. Values are not otherwise touched (no trimming): the
export is supposed to hold canonical values, and the scorer checks that.

A number or date cell in a workbook (the contract wants text, but a writer
may let a spreadsheet library type it) is turned into its text: an integral
number without ``.0``, a date as ``YYYY-MM-DD``.

An export that does not follow the contract — an agency folder without its
workbook or CSV files, a missing sheet, a missing header, a duplicated header,
a CSV that is not UTF-8 — raises :class:`ExportFormatError` naming the file
(and sheet, and header). Workbooks are read with python-calamine; openpyxl
(read-only) is the fallback when calamine is not installed or cannot open the
file.
"""
from __future__ import annotations

import csv
import datetime as _dt
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from archives_domain.collection_form import (
    EXPORT_EXTRA_HEADERS, HEADERS, QUARANTINE_HEADERS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, SHEETS,
)

QUARANTINE_FILE = "隔离.csv"
STRING = pd.StringDtype("pyarrow")
_HEADER_SPACES = " \t\r\n\u3000\ufeff\xa0"


class ExportFormatError(ValueError):
    """The export directory does not follow the contract; the message names the file and sheet."""


@dataclass
class Export:
    persons: pd.DataFrame                 # agency_code + 基本信息 columns (incl. 待核实字段, 数据来源)
    study: pd.DataFrame                   # agency_code + 学习经历 columns
    work: pd.DataFrame                    # agency_code + 工作经历 columns
    quarantine: pd.DataFrame              # 隔离.csv: 来源文件, 工作表, 行号, 原因, original columns
    formats: dict[str, str] = field(default_factory=dict)   # agency_code → "xlsx" | "csv"

    def sheet(self, name: str) -> pd.DataFrame:
        return {SHEET_PERSON: self.persons, SHEET_STUDY: self.study, SHEET_WORK: self.work}[name]

    @property
    def rows_loaded(self) -> int:
        return len(self.persons) + len(self.study) + len(self.work)


def required_headers(sheet: str) -> tuple[str, ...]:
    """Every header the export must carry on ``sheet`` (rule 9: same headers as the form, plus the two
    added columns on 基本信息; rule 2: 户口性质 keeps its header)."""
    extra = EXPORT_EXTRA_HEADERS if sheet == SHEET_PERSON else ()
    return tuple(HEADERS[sheet]) + tuple(extra)


def _trim_header(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip(_HEADER_SPACES)


def _empty_frame(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=STRING) for c in columns})


# ---------------------------------------------------------------- cell values

def _cell_text(v):
    """A workbook cell as the contract's text; None for an empty cell."""
    if v is None:
        return None
    if isinstance(v, str):
        return v if v != "" else None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:  # NaN
            return None
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, _dt.datetime):
        if v.time() == _dt.time(0, 0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, (_dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, _dt.timedelta):
        return str(v)
    return str(v)


def _column_array(values) -> pa.Array:
    """A tuple of cell values → a pyarrow string array, '' and None as null."""
    try:  # the usual case: text cells only ('' for an empty one)
        arr = pa.array(values, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid, TypeError):
        arr = pa.array([_cell_text(v) for v in values], type=pa.string())
    if len(arr) == 0:
        return arr
    if not pc.any(pc.equal(arr, "")).as_py():
        return arr
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _table_from_rows(rows: list, path: Path, sheet: str) -> pa.Table:
    """First row = header; the rest = data. Fully empty rows are dropped."""
    if not rows:
        raise ExportFormatError(f"{path}：工作表「{sheet}」为空，缺少表头行 (sheet {sheet} is empty, no header row)")
    header = [_trim_header(h) for h in rows[0]]
    data = rows[1:]
    width = len(header)
    if data:
        if any(len(r) != width for r in data):
            data = [tuple(r[:width]) + (None,) * (width - len(r)) for r in data]
        columns = list(zip(*data))
    else:
        columns = [()] * width
    has_data = [h != "" or any(v not in (None, "") for v in col) for h, col in zip(header, columns)]
    names = _name_columns(header, has_data, path, sheet)
    arrays, kept = [], []
    for name, col in zip(names, columns):
        if name is None:
            continue
        kept.append(name)
        arrays.append(_column_array(col))
    return _clean_table(pa.table(arrays, names=kept) if kept else pa.table({}))


def _name_columns(header: list[str], has_data: list[bool], path: Path, sheet: str) -> list:
    """Column names from the trimmed header: a blank header over an empty column is dropped, over data
    it is kept as 列N; a duplicated header is an error."""
    names, seen = [], set()
    for i, (h, filled) in enumerate(zip(header, has_data)):
        if h == "":
            names.append(f"列{i + 1}" if filled else None)
            continue
        if h in seen:
            raise ExportFormatError(f"{path}：工作表「{sheet}」表头「{h}」重复 (duplicated header {h!r} in sheet {sheet})")
        seen.add(h)
        names.append(h)
    return names


def _clean_table(table: pa.Table) -> pa.Table:
    """Every column as large_string; rows with no value at all dropped."""
    table = table.cast(pa.schema([pa.field(n, pa.large_string()) for n in table.column_names]))
    if table.num_columns and table.num_rows:
        filled = None
        for col in table.columns:
            v = pc.is_valid(col)
            filled = v if filled is None else pc.or_(filled, v)
        if not pc.all(filled).as_py():
            table = table.filter(filled)
    return table


def _to_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=lambda t: STRING if t in (pa.string(), pa.large_string()) else None)


# ---------------------------------------------------------------- readers

def _read_xlsx_calamine(path: Path) -> dict[str, list]:
    import python_calamine
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        out = {}
        for name in wb.sheet_names:
            key = _trim_header(name)
            if key in SHEETS:
                out[key] = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out["__names__"] = list(wb.sheet_names)
        return out
    finally:
        try:
            wb.close()
        except Exception:  # noqa: BLE001 - older calamine has no close
            pass


def _read_xlsx_openpyxl(path: Path) -> dict[str, list]:
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        out = {}
        for ws in wb.worksheets:
            key = _trim_header(ws.title)
            if key in SHEETS:
                out[key] = [list(r) for r in ws.iter_rows(values_only=True)]
        out["__names__"] = list(wb.sheetnames)
        return out
    finally:
        wb.close()


def _xlsx_tables(path: Path) -> dict[str, pa.Table]:
    try:
        try:
            raw = _read_xlsx_calamine(path)
        except ImportError:
            raw = _read_xlsx_openpyxl(path)
        except Exception:  # noqa: BLE001 - calamine could not parse it: give openpyxl a chance
            raw = _read_xlsx_openpyxl(path)
    except Exception as exc:  # noqa: BLE001
        raise ExportFormatError(f"{path}：无法读取工作簿 (cannot read workbook): {exc}") from exc
    tables = {}
    for sheet in SHEETS:
        if sheet not in raw:
            raise ExportFormatError(
                f"{path}：缺少工作表「{sheet}」(missing sheet {sheet}; sheets present: {raw['__names__']})")
        rows = raw.pop(sheet)
        tables[sheet] = _check_headers(_table_from_rows(rows, path, sheet), path, sheet)
        del rows
    return tables


def read_xlsx(path) -> dict[str, pd.DataFrame]:
    """The three sheets of one export workbook (all must be present, with every header)."""
    return {s: _to_frame(t) for s, t in _xlsx_tables(Path(path)).items()}


def _csv_header(path: Path, what: str) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise ExportFormatError(f"{path}：{what} 不是 UTF-8 编码 (not UTF-8): {exc}") from exc
    if header is None:
        raise ExportFormatError(f"{path}：{what} 为空，缺少表头行 (empty file, no header row)")
    return header


def _csv_table(path: Path, sheet: str, dedupe_headers: bool = False) -> pa.Table:
    raw_header = _csv_header(path, f"工作表「{sheet}」")
    header = [_trim_header(h) for h in raw_header]
    if dedupe_headers:
        names, seen = [], {}
        for i, h in enumerate(header):
            h = h or f"列{i + 1}"
            if h in seen:
                seen[h] += 1
                h = f"{h}.{seen[h]}"
            else:
                seen[h] = 0
            names.append(h)
    else:
        names = [h or f"列{i + 1}" for i, h in enumerate(header)]
        dup = {h for h in names if names.count(h) > 1}
        if dup:
            raise ExportFormatError(
                f"{path}：工作表「{sheet}」表头重复 (duplicated headers {sorted(dup)} in sheet {sheet})")
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[""], strings_can_be_null=True,
                quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise ExportFormatError(f"{path}：工作表「{sheet}」无法按 UTF-8 CSV 读取 (cannot read as UTF-8 CSV): {exc}") from exc
    # a blank header over an empty column is no column at all
    drop = [names[i] for i, h in enumerate(header) if h == "" and table.column(names[i]).null_count == len(table)]
    if drop:
        table = table.drop_columns(drop)
    return _clean_table(table)


def read_csv_file(path, sheet: str, dedupe_headers: bool = False) -> pd.DataFrame:
    """One CSV file as strings (UTF-8, BOM optional); '' → NA."""
    return _to_frame(_csv_table(Path(path), sheet, dedupe_headers))


def _check_headers(table: pa.Table, path: Path, sheet: str) -> pa.Table:
    missing = [h for h in required_headers(sheet) if h not in table.column_names]
    if missing:
        raise ExportFormatError(
            f"{path}：工作表「{sheet}」缺少列 {'、'.join(missing)} (sheet {sheet} is missing header(s) {missing})")
    return table


def _agency_tables(folder: Path) -> tuple[dict[str, pa.Table], str]:
    agency = folder.name
    xlsx = folder / f"{agency}.xlsx"
    csvs = {s: folder / f"{agency}.{s}.csv" for s in SHEETS}
    present = [p for p in csvs.values() if p.exists()]
    if xlsx.exists():
        if present:
            raise ExportFormatError(
                f"{folder}：同时有 {xlsx.name} 和 CSV 文件，无法判断以哪一份为准 "
                f"(both {xlsx.name} and {', '.join(p.name for p in present)})")
        return _xlsx_tables(xlsx), "xlsx"
    if not present:
        raise ExportFormatError(
            f"{folder}：既没有 {xlsx.name}，也没有 {agency}.<工作表>.csv (neither {xlsx.name} nor the CSV files)")
    tables = {}
    for sheet, path in csvs.items():
        if not path.exists():
            raise ExportFormatError(f"{path}：缺少工作表「{sheet}」的 CSV 文件 (missing CSV file for sheet {sheet})")
        tables[sheet] = _check_headers(_csv_table(path, sheet), path, sheet)
    return tables, "csv"


def read_agency(folder) -> tuple[dict[str, pd.DataFrame], str]:
    """The three sheets of one agency folder and the format found ("xlsx" or "csv")."""
    tables, fmt = _agency_tables(Path(folder))
    return {s: _to_frame(t) for s, t in tables.items()}, fmt


def read_quarantine(path) -> pd.DataFrame:
    path = Path(path)
    table = _csv_table(path, "隔离", dedupe_headers=True)
    missing = [h for h in QUARANTINE_HEADERS if h not in table.column_names]
    if missing:
        raise ExportFormatError(f"{path}：缺少列 {'、'.join(missing)} (missing header(s) {missing})")
    return _to_frame(table)


def _concat(tables: list[pa.Table], columns) -> pd.DataFrame:
    if not tables:
        return _empty_frame(columns)
    order = []
    for t in tables:
        order += [c for c in t.column_names if c not in order]
    full = []
    for t in tables:  # columns absent from some agencies: all empty there
        for c in order:
            if c not in t.column_names:
                t = t.append_column(c, pa.nulls(t.num_rows, pa.large_string()))
        full.append(t.select(order))
    return _to_frame(pa.concat_tables(full))


def _read_folders(folders: list[Path], workers: int | None):
    """(tables, format) of each agency folder, in order. Workbooks are slow to parse (~0.6 s for 9k persons
    with their history), so many of them are read by a few worker processes."""
    n_xlsx = sum((f / f"{f.name}.xlsx").exists() for f in folders)
    if workers is None:
        workers = min(4, os.cpu_count() or 1) if n_xlsx >= 8 else 1
    if workers <= 1 or len(folders) < 2:
        for folder in folders:
            yield _agency_tables(folder)
        return
    ctx = multiprocessing.get_context("spawn")  # no fork: pyarrow's thread pools do not survive it
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        yield from pool.map(_agency_tables, folders)


def read_export(export_dir, require_quarantine: bool = True, workers: int | None = None) -> Export:
    """Read every agency folder of ``export_dir`` and its 隔离.csv.

    ``workers``: processes reading workbooks; default up to 4 when there are 8 workbooks or more."""
    root = Path(export_dir)
    if not root.is_dir():
        raise ExportFormatError(f"{root}：导出目录不存在 (export directory not found)")
    per_sheet: dict[str, list[pa.Table]] = {s: [] for s in SHEETS}
    formats = {}
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    for folder, (tables, fmt) in zip(folders, _read_folders(folders, workers)):
        formats[folder.name] = fmt
        for sheet, t in tables.items():
            t = t.add_column(0, "agency_code", pa.array([folder.name] * t.num_rows, pa.large_string()))
            per_sheet[sheet].append(t)
    qpath = root / QUARANTINE_FILE
    if qpath.exists():
        quarantine = read_quarantine(qpath)
    elif require_quarantine:
        raise ExportFormatError(f"{qpath}：缺少隔离文件 (missing {QUARANTINE_FILE}; rule 10)")
    else:
        quarantine = _empty_frame(QUARANTINE_HEADERS)
    return Export(
        persons=_concat(per_sheet.pop(SHEET_PERSON), ("agency_code",) + required_headers(SHEET_PERSON)),
        study=_concat(per_sheet.pop(SHEET_STUDY), ("agency_code",) + required_headers(SHEET_STUDY)),
        work=_concat(per_sheet.pop(SHEET_WORK), ("agency_code",) + required_headers(SHEET_WORK)),
        quarantine=quarantine,
        formats=formats,
    )


__all__ = ["Export", "ExportFormatError", "read_export", "read_agency", "read_xlsx", "read_csv_file",
           "read_quarantine", "required_headers", "QUARANTINE_FILE", "STRING"]
