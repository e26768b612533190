"""Read the landing files of the collection form (采集表读取) into raw frames.

``read_agency(landing_dir, agency_code) -> ReadResult`` reads one agency
folder; ``read_landing(landing_dir, agencies) -> LandingRead`` reads every
folder (several worker processes) and reports folders that are not agencies.

The raw frame of a sheet (docs/pipeline.md) has the lineage columns
``_agency _batch _file _sheet _row``, every contract header of the sheet
(the cell as text, NA for an empty cell, never trimmed) and ``_extra`` (JSON
object of unknown columns, or NA).  Rows are in batch order (code-point order
of the batch names), then file row order.  ``_row`` is the spreadsheet row
number (header = 1) as int64; all other columns are pandas ``str``.

Decisions where the contract and the design are silent:

* **Header row**: the first non-empty row of a sheet (normally row 1); row
  numbers stay the spreadsheet's.  Header text is matched after trimming
  white space of any width and invisible characters, and a ``★``/``☆``/``*``
  mark that a template may carry next to a required header.
* **Unknown column** → kept in ``_extra`` under its header as written
  (trimmed) + a warning; a column with data but no header is kept as
  ``第N列`` + a warning; a second column with the same header is kept in
  ``_extra`` (as ``<header>``, or ``<header>#2`` when that key is taken) + a
  warning; a missing optional column → a
  warning (its values are NA); a missing ★ column → a ReadError for the sheet,
  and its rows go to ``rejected`` with the reason.
* **Fully empty rows** (every cell empty) are not data rows: skipped, not
  counted.  A row whose cells are only spaces is a data row.
* **Cells of xlsx**: strings as typed; numbers without a trailing ``.0``
  (``43529``, ``13800001234``; other floats by ``repr``); date cells as
  ``YYYY-MM-DD`` (date-time cells with a time of day as ``YYYY-MM-DD HH:MM:SS``);
  booleans ``TRUE``/``FALSE``; an error cell as its text; a formula cell as
  its cached value (calamine does not expose formulas; a formula's *text*
  typed into a string cell is what formula-injection flagging is about).
* **Files**: ``<batch>.xlsx`` (one workbook, the three sheets matched by name
  after trimming; a missing sheet is a ReadError for that sheet, an extra one
  a warning) or ``<batch>.<sheet>.csv``; extensions in any case.  Anything
  else in an agency folder (other extensions, sub-folders, a CSV whose sheet
  part is not a contract sheet) is a ReadError for that file; hidden files
  (``.…``) and Excel lock files (``~$…``) are ignored.  The same batch in
  both xlsx and CSV is read from both (a warning): exact repeats are loaded
  once by the merge, conflicting rows quarantined.
* **CSV**: BOM → UTF-8; else strict UTF-8; else GB18030; a UTF-16 BOM, NUL
  characters or bytes that decode under neither → ReadError naming the line.
  Comma separated, ``"`` quoting (fields may span lines; ``_row`` counts
  records, as a spreadsheet shows them).  Rows with more cells than headers
  keep the extra cells as ``第N列`` in ``_extra``; shorter rows have NA.
* **Formula injection**: cells that a spreadsheet would run
  (`text.looks_like_formula`) are kept as text and reported as warnings
  (code ``formula``) naming file, sheet, row and column; the std stage adds
  the issue ``formula``.
"""
from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import multiprocessing as mp
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from archives_domain.collection_form import HEADERS, REQUIRED, SHEETS

from .text import LS, TRIM_CHARS, formula_mask, mask

LINEAGE = ("_agency", "_batch", "_file", "_sheet", "_row")
HEADER_MARKS = "★☆*＊"
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


@dataclass(frozen=True)
class ReadError:
    """A problem with a landing file, named by place.  `row`/`column` are None when the
    problem is the whole file or sheet.  `code` is machine-readable (``unknown_agency``,
    ``missing_column``, ``empty_file``, ``not_workbook``, ``encoding``, ``formula``, …)."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    message: str
    code: str = "error"

    def __str__(self) -> str:
        where = [f"文件“{self.file}”"]
        if self.sheet:
            where.append(f"工作表“{self.sheet}”")
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"列“{self.column}”")
        return "，".join(where) + "：" + self.message


@dataclass
class ReadResult:
    """The raw frames of one agency (all batches), what could not be read, and warnings."""

    agency: str
    frames: dict[str, pd.DataFrame]
    rejected: pd.DataFrame
    errors: list[ReadError] = field(default_factory=list)
    warnings: list[ReadError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        """Data rows read (frames + rejected)."""
        return int(sum(len(f) for f in self.frames.values()) + len(self.rejected))


@dataclass
class LandingRead:
    """`read_landing`'s answer: one ReadResult per agency folder + errors of folders/files
    that belong to no agency."""

    agencies: dict[str, ReadResult]
    errors: list[ReadError] = field(default_factory=list)

    def __getitem__(self, agency: str) -> ReadResult:
        return self.agencies[agency]

    def __iter__(self):
        return iter(self.agencies)

    def __len__(self) -> int:
        return len(self.agencies)

    def keys(self):
        return self.agencies.keys()

    def values(self):
        return self.agencies.values()

    def items(self):
        return self.agencies.items()


# ---------------------------------------------------------------------------
# Empty frames
# ---------------------------------------------------------------------------

def empty_raw_frame(sheet: str) -> pd.DataFrame:
    cols = {c: pd.Series([], dtype=_STR) for c in LINEAGE}
    cols["_row"] = pd.Series([], dtype="int64")
    for h in HEADERS[sheet]:
        cols[h] = pd.Series([], dtype=_STR)
    cols["_extra"] = pd.Series([], dtype=_STR)
    return pd.DataFrame(cols)


def _all_headers() -> list[str]:
    out: list[str] = []
    for s in SHEETS:
        out += [h for h in HEADERS[s] if h not in out]
    return out


REJECTED_COLUMNS = (*LINEAGE, *_all_headers(), "_extra", "_reason")


def empty_rejected() -> pd.DataFrame:
    cols = {c: pd.Series([], dtype=_STR) for c in REJECTED_COLUMNS}
    cols["_row"] = pd.Series([], dtype="int64")
    return pd.DataFrame(cols)


# ---------------------------------------------------------------------------
# Cells → arrow text
# ---------------------------------------------------------------------------

def _cell_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v != v:
            return None
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, datetime):
        if v.time() == time(0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.isoformat()
    if isinstance(v, timedelta):
        return str(v)
    return str(v)


_SEP = "\x1f"


def _text_column(values) -> pa.Array:
    """large_string array of a column of calamine cells ('' and None → null).

    Fast path: the column's strings are joined with a separator, encoded once
    and split with numpy into the arrow buffers (pyarrow's per-object
    conversion costs ~3x more for CJK text)."""
    try:
        big = _SEP.join(values)
    except TypeError:
        values = [v if v.__class__ is str else (_cell_text(v) or "") for v in values]
        big = _SEP.join(values)
    n = len(values)
    if n == 0:
        return pa.nulls(0, LS)
    if big.count(_SEP) != n - 1:  # the separator occurs in a cell: slow exact path
        arr = pa.array(values, type=LS)
        empty = pc.equal(arr, "")
        return pc.if_else(empty, pa.scalar(None, LS), arr) if pc.any(empty).as_py() else arr
    raw = np.frombuffer(big.encode("utf-8"), dtype=np.uint8)
    seps = np.flatnonzero(raw == 0x1F)
    bounds = np.empty(n + 1, dtype=np.int64)
    bounds[0] = 0
    bounds[1:n] = seps - np.arange(n - 1)  # positions once the separators are removed
    bounds[n] = raw.size - (n - 1)
    data = np.delete(raw, seps) if seps.size else raw
    valid = np.diff(bounds) > 0
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(LS, n, [bitmap, pa.py_buffer(bounds), pa.py_buffer(data)])


def _clean_header(h) -> str:
    text = _cell_text(h) or ""
    return text.strip(TRIM_CHARS + HEADER_MARKS).strip(TRIM_CHARS)


# ---------------------------------------------------------------------------
# Assemble one sheet
# ---------------------------------------------------------------------------

@dataclass
class _Ctx:
    agency: str
    batch: str
    file: str  # path under the landing folder, POSIX
    sheet: str
    errors: list[ReadError]
    warnings: list[ReadError]


def _const_array(value: str, n: int) -> pa.Array:
    """A large_string array repeating one value (built from buffers: no Python objects)."""
    b = value.encode("utf-8")
    offsets = np.arange(n + 1, dtype=np.int64) * len(b)
    data = np.frombuffer(b * n, dtype=np.uint8) if n and b else np.empty(0, dtype=np.uint8)
    return pa.Array.from_buffers(LS, n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _const(value: str, n: int) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(_const_array(value, n), dtype=_STR))


def _series(arr: pa.Array) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(arr, dtype=_STR))


def _assemble(ctx: _Ctx, headers: list, columns: list[pa.Array], rownums: np.ndarray,
              col_labels: list[str] | None = None, header_row: int = 1
              ) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """(raw frame, rejected frame) of one sheet from its header cells and data columns."""
    n = len(rownums)
    hr = header_row
    contract = HEADERS[ctx.sheet]
    if col_labels is None:
        col_labels = [str(i + 1) for i in range(len(columns))]
    # drop fully empty rows
    if n and columns:
        empty = np.ones(n, dtype=bool)
        for arr in columns:
            empty &= ~mask(pc.is_valid(arr))
        if empty.any():
            keep = pa.array(~empty)
            columns = [pc.filter(a, keep) for a in columns]
            rownums = rownums[~empty]
            n = len(rownums)
    mapped: dict[str, pa.Array] = {}
    extra: list[tuple[str, pa.Array]] = []
    for i, h in enumerate(headers):
        arr = columns[i] if i < len(columns) else pa.nulls(n, LS)
        name = _clean_header(h)
        if name in contract and name not in mapped:
            mapped[name] = arr
            continue
        has_data = n > 0 and pc.any(pc.is_valid(arr)).as_py()
        if not name:
            if not has_data:
                continue
            key = f"第{col_labels[i]}列"
            ctx.warnings.append(ReadError(ctx.file, ctx.sheet, None, key, "该列没有表头，数据保留在原始层（_extra）",
                                          "unnamed_column"))
        elif name in contract:
            key = name
            ctx.warnings.append(ReadError(ctx.file, ctx.sheet, hr, name, f"表头“{name}”重复出现，后一列保留在原始层（_extra）",
                                          "duplicate_column"))
        else:
            key = name
            ctx.warnings.append(ReadError(ctx.file, ctx.sheet, hr, name, f"未知列“{name}”，保留在原始层（_extra），不入库",
                                          "unknown_column"))
        extra.append((_unique_key(key, extra), arr))
    for i in range(len(headers), len(columns)):  # cells beyond the header (ragged CSV rows)
        arr = columns[i]
        if n and pc.any(pc.is_valid(arr)).as_py():
            key = f"第{col_labels[i]}列"
            extra.append((_unique_key(key, extra), arr))
            ctx.warnings.append(ReadError(ctx.file, ctx.sheet, None, key, "该列没有表头，数据保留在原始层（_extra）",
                                          "unnamed_column"))
    missing_required = [h for h in REQUIRED[ctx.sheet] if h not in mapped]
    for h in contract:
        if h not in mapped and h not in missing_required:
            ctx.warnings.append(ReadError(ctx.file, ctx.sheet, hr, h, f"缺少列“{h}”，按空值处理", "missing_optional_column"))
    # formula injection
    for name, arr in [*mapped.items(), *extra]:
        if n == 0:
            break
        hits = np.flatnonzero(formula_mask(arr))
        for j in hits:
            ctx.warnings.append(ReadError(ctx.file, ctx.sheet, int(rownums[j]), name,
                                          "单元格内容像电子表格公式（可能是公式注入），按文本保留，不执行", "formula"))
    frame = {
        "_agency": _const(ctx.agency, n), "_batch": _const(ctx.batch, n), "_file": _const(ctx.file, n),
        "_sheet": _const(ctx.sheet, n), "_row": pd.Series(rownums.astype(np.int64)),
    }
    for h in contract:
        frame[h] = _series(mapped[h]) if h in mapped else _series(pa.nulls(n, LS))
    frame["_extra"] = _series(_extra_json(extra, n))
    df = pd.DataFrame(frame)
    if missing_required:
        names = "、".join(f"“{h}”" for h in missing_required)
        for h in missing_required:
            ctx.errors.append(ReadError(ctx.file, ctx.sheet, hr, h, f"缺少必填列“{h}”，该工作表不能载入", "missing_column"))
        reason = f"工作表缺少必填列{names}"
        rej = df.reindex(columns=list(REJECTED_COLUMNS))
        rej["_reason"] = _const(reason, n)
        for c in REJECTED_COLUMNS:
            if c != "_row" and rej[c].dtype != _STR:
                rej[c] = rej[c].astype(_STR)
        return None, rej
    return df, None


def _unique_key(key: str, extra: list[tuple[str, pa.Array]]) -> str:
    """`key`, or ``key#2``, ``key#3``… when an earlier extra column already has that name."""
    used = {k for k, _ in extra}
    if key not in used:
        return key
    k = 2
    while f"{key}#{k}" in used:
        k += 1
    return f"{key}#{k}"


def _extra_json(extra: list[tuple[str, pa.Array]], n: int) -> pa.Array:
    if not extra or n == 0:
        return pa.nulls(n, LS)
    cols = [(k, a.to_numpy(zero_copy_only=False)) for k, a in extra]
    out = []
    for i in range(n):
        d = {k: v[i] for k, v in cols if v[i] is not None}
        out.append(json.dumps(d, ensure_ascii=False) if d else None)
    return pa.array(out, type=LS)


def _from_rows(ctx: _Ctx, rows: list[list], first_row_number: int = 1) -> tuple:
    """(frame, rejected) from a list of rows (xlsx or Python-parsed CSV)."""
    h = 0
    while h < len(rows) and all((_cell_text(v) or "").strip(TRIM_CHARS) == "" for v in rows[h]):
        h += 1
    if h == len(rows):
        ctx.errors.append(ReadError(ctx.file, ctx.sheet, None, None, "工作表为空：没有表头行", "empty_sheet"))
        return None, None
    headers = list(rows[h])
    data = rows[h + 1:]
    lengths = {len(r) for r in data}
    width = max(lengths | {len(headers)})
    if lengths - {width}:
        data = [list(r) + [""] * (width - len(r)) for r in data]
    columns = [_text_column(c) for c in zip(*data)] if data else [pa.nulls(0, LS) for _ in range(width)]
    rownums = np.arange(first_row_number + h + 1, first_row_number + h + 1 + len(data), dtype=np.int64)
    labels = [_col_letter(i) for i in range(width)] if ctx.file.lower().endswith(".xlsx") else None
    return _assemble(ctx, headers, columns, rownums, labels, header_row=first_row_number + h)


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


# ---------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------

def _read_xlsx(path: Path, rel: str, agency: str, batch: str, errors, warnings, out: dict, rejected: list) -> None:
    import python_calamine as calamine

    if path.stat().st_size == 0:
        errors.append(ReadError(rel, None, None, None, "文件为空", "empty_file"))
        return
    try:
        wb = calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises several kinds
        errors.append(ReadError(rel, None, None, None, f"不是有效的 xlsx 工作簿，无法读取（{type(exc).__name__}）",
                                "not_workbook"))
        return
    try:
        names = {}
        for name in wb.sheet_names:
            key = name.strip(TRIM_CHARS)
            if key in SHEETS and key not in names:
                names[key] = name
            else:
                warnings.append(ReadError(rel, name, None, None, "工作表不属于采集表，已忽略", "unknown_sheet"))
        for sheet in SHEETS:
            ctx = _Ctx(agency, batch, rel, sheet, errors, warnings)
            if sheet not in names:
                errors.append(ReadError(rel, sheet, None, None, f"工作簿中缺少工作表“{sheet}”", "missing_sheet"))
                continue
            try:
                rows = wb.get_sheet_by_name(names[sheet]).to_python(skip_empty_area=False)
            except Exception as exc:  # noqa: BLE001
                errors.append(ReadError(rel, sheet, None, None, f"工作表无法读取（{type(exc).__name__}: {exc}）",
                                        "unreadable_sheet"))
                continue
            frame, rej = _from_rows(ctx, rows)
            if frame is not None:
                out[sheet].append(frame)
            if rej is not None:
                rejected.append(rej)
    finally:
        try:
            wb.close()
        except Exception:  # noqa: BLE001
            pass


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

def _decode(data: bytes, rel: str, sheet: str, errors) -> tuple[bytes | None, str | None]:
    """(UTF-8 bytes without BOM, encoding name) or (None, None) after reporting the error."""
    if data.startswith(b"\xef\xbb\xbf"):
        body, enc = data[3:], "utf-8-sig"
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = body.count(b"\n", 0, exc.start) + 1
            errors.append(ReadError(rel, sheet, line, None, f"文件标明为 UTF-8（带BOM），但第{line}行含有无效的 UTF-8 字节",
                                    "encoding"))
            return None, None
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        errors.append(ReadError(rel, sheet, None, None, "文件为 UTF-16 编码；采集表 CSV 只接受 UTF-8 或 GB18030",
                                "encoding"))
        return None, None
    else:
        try:
            data.decode("utf-8")
            body, enc = data, "utf-8"
        except UnicodeDecodeError as exc:
            try:
                body, enc = data.decode("gb18030").encode("utf-8"), "gb18030"
            except UnicodeDecodeError as exc2:  # the line where the encoding that got furthest fails
                line = data.count(b"\n", 0, max(exc.start, exc2.start)) + 1
                errors.append(ReadError(rel, sheet, line, None,
                                        f"第{line}行无法解码：文件既不是 UTF-8 也不是 GB18030 编码", "encoding"))
                return None, None
    if b"\x00" in body:
        line = body.count(b"\n", 0, body.index(b"\x00")) + 1
        errors.append(ReadError(rel, sheet, line, None, f"第{line}行含有空字符（NUL）：文件不是 UTF-8/GB18030 文本",
                                "encoding"))
        return None, None
    return body, enc


def _read_csv(path: Path, rel: str, sheet: str, agency: str, batch: str, errors, warnings, out, rejected) -> None:
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        errors.append(ReadError(rel, sheet, None, None, "文件为空", "empty_file"))
        return
    body, _enc = _decode(data, rel, sheet, errors)
    if body is None:
        return
    ctx = _Ctx(agency, batch, rel, sheet, errors, warnings)
    table = _pyarrow_csv(body)
    if table is None:  # ragged rows, blank lines, unusual quoting: the exact (slower) reader
        text = body.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        frame, rej = _from_rows(ctx, rows)
    else:
        cols = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in table.columns]
        cols = [c.cast(LS) if c.type != LS else c for c in cols]
        headers = [c[0].as_py() for c in cols]
        data_cols = [c.slice(1) for c in cols]
        n = len(table) - 1
        frame, rej = _assemble(ctx, headers, data_cols, np.arange(2, n + 2, dtype=np.int64))
    if frame is not None:
        out[sheet].append(frame)
    if rej is not None:
        rejected.append(rej)


def _pyarrow_csv(body: bytes) -> pa.Table | None:
    """The CSV as a table of strings (header as row 0), or None when a row is ragged/blank."""
    end = body.find(b"\n")
    first_line = (body if end < 0 else body[:end]).decode("utf-8", errors="replace")
    try:
        ncols = len(next(csv.reader([first_line])))
    except (StopIteration, csv.Error):
        return None
    if ncols == 0 or first_line.strip(TRIM_CHARS) == "":
        return None
    bad: list = []

    def handler(row):
        bad.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                              invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.large_string() for i in range(ncols)},
                strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=True))
    except (pa.ArrowInvalid, pa.ArrowKeyError, ValueError):
        return None
    if bad or table.num_columns != ncols or len(table) == 0:
        return None
    return table


# ---------------------------------------------------------------------------
# Agency folder
# ---------------------------------------------------------------------------

def _classify(path: Path) -> tuple[str, str | None, str | None]:
    """(kind, batch, sheet): kind is xlsx / csv / ignore / bad."""
    name = path.name
    if name.startswith((".", "~$")):
        return "ignore", None, None
    if path.is_dir():
        return "bad", None, None
    parts = name.split(".")
    batch = parts[0]
    ext = parts[-1].lower() if len(parts) > 1 else ""
    if not batch:
        return "bad", None, None
    if ext == "xlsx" and len(parts) == 2:
        return "xlsx", batch, None
    if ext == "csv" and len(parts) == 3:
        sheet = parts[1].strip(TRIM_CHARS)
        if sheet in SHEETS:
            return "csv", batch, sheet
    return "bad", batch, None


def read_agency(landing_dir: str | os.PathLike, agency_code: str) -> ReadResult:
    """Read every batch of one agency folder ``<landing_dir>/<agency_code>``."""
    landing = Path(landing_dir)
    folder = landing / agency_code
    errors: list[ReadError] = []
    warnings: list[ReadError] = []
    files: list[str] = []
    jobs: list[tuple[str, str, Path, str | None]] = []
    if not folder.is_dir():
        errors.append(ReadError(agency_code, None, None, None, "机构目录不存在", "missing_folder"))
    else:
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            kind, batch, sheet = _classify(path)
            rel = f"{agency_code}/{path.name}"
            if kind == "ignore":
                continue
            if kind == "bad":
                what = "子目录" if path.is_dir() else "文件"
                errors.append(ReadError(rel, None, None, None,
                                        f"{what}不符合采集表约定（应为 <批次>.xlsx 或 <批次>.<工作表>.csv），未读取",
                                        "unexpected_file"))
                continue
            jobs.append((batch, kind, path, sheet))
            files.append(rel)
    kinds: dict[str, set] = {}
    for batch, kind, _, _ in jobs:
        kinds.setdefault(batch, set()).add(kind)
    for batch, ks in sorted(kinds.items()):
        if len(ks) > 1:
            warnings.append(ReadError(f"{agency_code}/{batch}.*", None, None, None,
                                      f"批次“{batch}”同时以 xlsx 和 CSV 提交，两者都已读取", "batch_twice"))
    out: dict[str, list[pd.DataFrame]] = {s: [] for s in SHEETS}
    rejected: list[pd.DataFrame] = []
    # batches in code-point order of their names; files of one batch: xlsx, then CSV sheets
    jobs.sort(key=lambda j: (j[0], j[1] != "xlsx", SHEETS.index(j[3]) if j[3] else -1))
    for batch, kind, path, sheet in jobs:
        rel = f"{agency_code}/{path.name}"
        if kind == "xlsx":
            _read_xlsx(path, rel, agency_code, batch, errors, warnings, out, rejected)
        else:
            _read_csv(path, rel, sheet, agency_code, batch, errors, warnings, out, rejected)
    frames = {}
    for sheet in SHEETS:
        parts = [f for f in out[sheet] if len(f)]
        frames[sheet] = pd.concat(parts, ignore_index=True) if parts else empty_raw_frame(sheet)
    rej = pd.concat(rejected, ignore_index=True) if rejected else empty_rejected()
    return ReadResult(agency_code, frames, rej, errors, warnings, files)


def _folder_weight(folder: Path) -> int:
    total = 0
    for p in folder.iterdir():
        try:
            size = p.stat().st_size
        except OSError:
            continue
        total += size * (3 if p.suffix.lower() == ".xlsx" else 1)  # xlsx costs more per byte
    return total


def _mp_context():
    """fork where the platform has it (no re-import of the caller's __main__), else spawn."""
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


def _read_one(args: tuple[str, str]) -> ReadResult:
    return read_agency(*args)


def scan_landing(landing_dir: str | os.PathLike, agencies: Iterable[str] | None = None
                 ) -> tuple[list[str], list[ReadError]]:
    """(agency folders to read, errors of entries that are not agency folders)."""
    landing = Path(landing_dir)
    if agencies is None:
        from archives_domain.codes import agencies as _agencies
        known = {a["code"] for a in _agencies()}
    else:
        known = set(agencies)
    errors: list[ReadError] = []
    todo: list[str] = []
    if not landing.is_dir():
        return [], [ReadError(str(landing), None, None, None, "落地目录不存在", "missing_folder")]
    for path in sorted(landing.iterdir(), key=lambda p: p.name):
        if path.name.startswith("."):
            continue
        if not path.is_dir():
            errors.append(ReadError(path.name, None, None, None, "落地目录顶层的文件不属于任何机构目录，未读取",
                                    "unexpected_file"))
        elif path.name not in known:
            errors.append(ReadError(path.name, None, None, None,
                                    f"目录名“{path.name}”不是已知的档案机构代码（agencies.csv），该目录未读取",
                                    "unknown_agency"))
        else:
            todo.append(path.name)
    return todo, errors


def read_landing(landing_dir: str | os.PathLike, agencies: Iterable[str] | None = None, *,
                 workers: int | None = None) -> LandingRead:
    """Read every agency folder under `landing_dir`.

    `agencies` is the set of known agency codes (default: ``agencies.csv`` via
    `archives_domain.codes.agencies`); a folder not in it, and a file at the top
    level, is a ReadError for that entry only.  With `workers` > 1 (default:
    up to 2) agencies are read in parallel processes, the largest first.
    """
    landing = Path(landing_dir)
    todo, errors = scan_landing(landing, agencies)
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    results: dict[str, ReadResult] = {}
    if workers <= 1 or len(todo) <= 1:
        for code in todo:
            results[code] = read_agency(landing, code)
    else:
        order = sorted(todo, key=lambda c: -_folder_weight(landing / c))
        with ProcessPoolExecutor(workers, mp_context=_mp_context()) as ex:
            for code, res in zip(order, ex.map(_read_one, [(str(landing), c) for c in order])):
                results[code] = res
    return LandingRead({c: results[c] for c in sorted(results)}, errors)
