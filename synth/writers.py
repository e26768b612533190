"""Write one agency batch of the collection form, in its landing format.

``write_batch(frames_by_sheet, out_dir, agency_code, batch, fmt)`` writes

* ``<out_dir>/<agency_code>/<batch>.xlsx`` (fmt ``xlsx``: one workbook, the
  three sheets in contract order), or
* ``<out_dir>/<agency_code>/<batch>.<sheet>.csv`` (fmt ``csv-utf8``,
  ``csv-utf8-bom``, ``csv-gb18030``: one file per sheet, CRLF line ends,
  quotes only where needed).

Cell values are ``str`` (written as text, spaces kept), ``None``/NA (empty
cell) or ``int``/``float`` (an Excel serial date: a NUMBER cell in xlsx, its
digits in CSV).  Row order is the frame's order, so the spreadsheet row of
frame position ``i`` is ``i + 2`` (the header is row 1).

The output is byte-identical for the same input: the xlsx is written by hand
(SpreadsheetML with inline strings, streamed into a zip with fixed
timestamps and fixed document properties) because openpyxl is far too slow
for millions of cells; the XML and CSV text is built column-wise with
pyarrow compute kernels.  Both openpyxl and python-calamine read the files.
"""
from __future__ import annotations

import queue
import threading
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from archives_domain.collection_form import HEADERS, SHEETS

from .formats import FORMATS, header_layout, source_file

ZIP_DATE = (2021, 1, 1, 0, 0, 0)
CHUNK_ROWS = 20_000
_ZIP64_GUARD = 1_800_000_000  # estimated part size above which the zip entry is written as zip64
_INVALID_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
_CSV_SPECIAL = r"[\",\r\n]"
_NUMBER_TYPES = (int, float, np.integer, np.floating)
_ENCODINGS = {"csv-utf8": ("utf-8", b""), "csv-utf8-bom": ("utf-8", b"\xef\xbb\xbf"),
              "csv-gb18030": ("gb18030", b"")}


# ---------------------------------------------------------------------------
# Column preparation
# ---------------------------------------------------------------------------

def _contiguous(arr) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _column(values: pd.Series | np.ndarray | Sequence) -> tuple[pa.Array, np.ndarray | None]:
    """(large_string array with nulls, mask of numeric cells or None)."""
    arr, isnum = _column_raw(values)
    return _contiguous(arr), isnum


def _column_raw(values):
    if isinstance(values, pd.Series):
        if values.dtype != object:
            try:
                return pa.array(values, type=pa.large_string(), from_pandas=True), None
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                pass
        arr = values.to_numpy(dtype=object)
    else:
        arr = np.asarray(values, dtype=object)
    try:
        return pa.array(arr, type=pa.large_string(), from_pandas=True), None
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    isnum = np.fromiter(map(isinstance, arr, repeat(_NUMBER_TYPES)), dtype=bool, count=len(arr))
    if isnum.any():
        isnum[isnum] = [not isinstance(v, bool) and v == v for v in arr[isnum]]  # NaN is an empty cell
    out = arr.copy()
    for i in np.flatnonzero(isnum):
        v = out[i]
        out[i] = str(int(v)) if float(v).is_integer() else repr(float(v))
    return pa.array(out, type=pa.large_string(), from_pandas=True), isnum


def _prepare(frame: pd.DataFrame | None, sheet: str, agency_code: str,
             layout: Sequence[tuple[str, str]] | None, layout_seed: int):
    headers = HEADERS[sheet]
    if layout is None:
        layout = header_layout(agency_code, sheet, headers, layout_seed)
    if frame is None:
        frame = pd.DataFrame({h: pd.Series([], dtype=object) for h in headers})
    missing = [c for c, _ in layout if c not in frame.columns]
    if missing:
        raise KeyError(f"{sheet}: columns missing from the frame: {missing}")
    cols = [(_column(frame[c])) for c, _ in layout]
    return [w for _, w in layout], cols, len(frame)


def _buffer_bytes(arr: pa.Array) -> memoryview:
    """The concatenated values of a (large_)string array without nulls."""
    if len(arr) == 0:
        return memoryview(b"")
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    start, end = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    return memoryview(bufs[2])[start:end]


def _ls(x):
    return pa.scalar(x, pa.large_string()) if isinstance(x, str) else x


def _join(*parts, sep: str = "") -> pa.Array:
    """Element-wise concatenation (str parts broadcast as large_string scalars)."""
    return pc.binary_join_element_wise(*(_ls(p) for p in parts), _ls(sep))


# ---------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------

def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"


def _static_parts(sheet_names: Sequence[str]) -> list[tuple[str, str]]:
    n = len(sheet_names)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(n))
    content_types = (
        _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + overrides +
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        '</Types>')
    root_rels = (
        _XML_HEAD + f'<Relationships xmlns="{_NS_PKG_R}">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
        'metadata/core-properties" Target="docProps/core.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/extended-properties" Target="docProps/app.xml"/>'
        '</Relationships>')
    titles = "".join(f"<vt:lpstr>{_xml_escape(s)}</vt:lpstr>" for s in sheet_names)
    app = (
        _XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>'
        '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>工作表</vt:lpstr></vt:variant>'
        f'<vt:variant><vt:i4>{n}</vt:i4></vt:variant></vt:vector></HeadingPairs>'
        f'<TitlesOfParts><vt:vector size="{n}" baseType="lpstr">{titles}</vt:vector></TitlesOfParts>'
        '<AppVersion>16.0300</AppVersion></Properties>')
    core = (
        _XML_HEAD + '<cp:coreProperties '
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<dc:title>贵州省流动人员人事档案基本信息采集表</dc:title><dc:creator>synth</dc:creator>'
        '<cp:lastModifiedBy>synth</cp:lastModifiedBy>'
        '<dcterms:created xsi:type="dcterms:W3CDTF">2021-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2021-01-01T00:00:00Z</dcterms:modified>'
        '</cp:coreProperties>')
    sheets = "".join(f'<sheet name="{_xml_escape(s)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                     for i, s in enumerate(sheet_names))
    workbook = (
        _XML_HEAD + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}">'
        '<bookViews><workbookView/></bookViews>'
        f'<sheets>{sheets}</sheets></workbook>')
    wb_rels = (
        _XML_HEAD + f'<Relationships xmlns="{_NS_PKG_R}">'
        + "".join(f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                  f'relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>' for i in range(n))
        + f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/styles" Target="styles.xml"/></Relationships>')
    styles = (
        _XML_HEAD + f'<styleSheet xmlns="{_NS_MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/>'
        '<scheme val="minor"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>')
    return [("[Content_Types].xml", content_types), ("_rels/.rels", root_rels),
            ("docProps/app.xml", app), ("docProps/core.xml", core),
            ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", wb_rels),
            ("xl/styles.xml", styles)]


def _zinfo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    info.create_system = 0
    return info


_XML_SPECIAL = np.zeros(256, dtype=bool)
_XML_SPECIAL[[c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)]] = True
_XML_SPECIAL[[ord("&"), ord("<"), ord(">"), 0xBF]] = True  # 0xBF: last byte of U+FFFE/U+FFFF (and others)


def _needs_escape(values: pa.Array) -> bool:
    """Whether any value has a character that must be escaped or dropped (byte scan)."""
    data = _buffer_bytes(pc.fill_null(values, _ls("")))
    return bool(len(data)) and bool(_XML_SPECIAL[np.frombuffer(data, dtype=np.uint8)].any())


def _xml_text(values: pa.Array) -> pa.Array:
    if not _needs_escape(values):
        return values
    text = pc.replace_substring_regex(values, _INVALID_XML, "")
    text = pc.replace_substring(text, "&", "&amp;")
    text = pc.replace_substring(text, "<", "&lt;")
    return pc.replace_substring(text, ">", "&gt;")


def _edge_space(values: pa.Array) -> np.ndarray:
    """Cells with leading or trailing whitespace (they need xml:space="preserve")."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.fill_null(pc.not_equal(pc.binary_length(trimmed), pc.binary_length(values)), False) \
        .to_numpy(zero_copy_only=False)


def _xlsx_sheet_chunks(headers: Sequence[str], cols, n: int, chunk_rows: int):
    letters = [_col_letter(i) for i in range(len(headers))]
    last = letters[-1] if letters else "A"
    yield (_XML_HEAD + f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}">'
           f'<dimension ref="A1:{last}{n + 1}"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
           '<sheetFormatPr defaultRowHeight="15"/><sheetData>').encode("utf-8")
    sp = ' xml:space="preserve"'
    head = "".join(
        f'<c r="{letters[i]}1" t="inlineStr"><is><t{sp if h != h.strip() else ""}>'
        f"{_xml_escape(h)}</t></is></c>" for i, h in enumerate(headers))
    yield f'<row r="1">{head}</row>'.encode("utf-8")
    preserve = pa.scalar('<t xml:space="preserve">', pa.large_string())
    plain = pa.scalar("<t>", pa.large_string())
    prepared = []
    for values, isnum in cols:
        if isnum is not None and not isnum.any():
            isnum = None
        text = values if isnum is None else pc.if_else(pa.array(isnum), pa.scalar(None, pa.large_string()), values)
        edge = _edge_space(text)
        prepared.append((values, _xml_text(text), edge if edge.any() else None, isnum))
    for start in range(0, n, chunk_rows):
        stop = min(n, start + chunk_rows)
        rownum = pc.cast(pa.array(np.arange(start + 2, stop + 2, dtype=np.int64)), pa.large_string())
        cells = []
        for letter, (values, esc, edge, isnum) in zip(letters, prepared):
            e = edge[start:stop] if edge is not None else None
            t_open = pc.if_else(pa.array(e), preserve, plain) if e is not None and e.any() else plain
            cell = _join(f'<c r="{letter}', rownum, '" t="inlineStr"><is>', t_open,
                         esc.slice(start, stop - start), "</t></is></c>")
            if isnum is not None and isnum[start:stop].any():
                num = _join(f'<c r="{letter}', rownum, '"><v>', values.slice(start, stop - start), "</v></c>")
                cell = pc.if_else(pa.array(isnum[start:stop]), num, cell)
            cells.append(pc.fill_null(cell, _ls("")))
        rows = _join('<row r="', rownum, '">', *cells, "</row>")
        yield _buffer_bytes(rows)
    yield b"</sheetData><pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" " \
          b"header=\"0.3\" footer=\"0.3\"/></worksheet>"


def _estimate_bytes(cols, n: int) -> int:
    total = 120 * n * max(1, len(cols)) + 4096
    for values, _ in cols:
        total += int(pc.sum(pc.binary_length(values)).as_py() or 0) * 2
    return total


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[str], list, int]],
               chunk_rows: int = CHUNK_ROWS, compresslevel: int = 1) -> None:
    """Write a workbook of ``(sheet name, written headers, prepared columns, n rows)``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        for name, text in _static_parts([s[0] for s in sheets]):
            zf.writestr(_zinfo(name), text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED,
                        compresslevel=compresslevel)
        for i, (_, headers, cols, n) in enumerate(sheets):
            info = _zinfo(f"xl/worksheets/sheet{i + 1}.xml")
            info._compresslevel = compresslevel  # zipfile reads it for zf.open(..., "w")
            big = _estimate_bytes(cols, n) > _ZIP64_GUARD
            with zf.open(info, "w", force_zip64=big) as fh:
                _pipe(_xlsx_sheet_chunks(headers, cols, n, chunk_rows), fh.write)
    tmp.replace(path)


def _pipe(pieces: Iterable, write) -> None:
    """Write the pieces in order on a second thread (zlib and file I/O release the GIL,
    so compression overlaps with building the next chunk)."""
    q: queue.Queue = queue.Queue(maxsize=3)
    failure: list[BaseException] = []

    def consume() -> None:
        while True:
            item = q.get()
            if item is None:
                return
            if not failure:
                try:
                    write(item)
                except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                    failure.append(exc)

    worker = threading.Thread(target=consume, name="xlsx-writer", daemon=True)
    worker.start()
    try:
        for piece in pieces:
            if failure:
                break
            q.put(piece)
    finally:
        q.put(None)
        worker.join()
    if failure:
        raise failure[0]


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

def _csv_field(values: pa.Array) -> pa.Array:
    quoted = _join('"', pc.replace_substring(values, '"', '""'), '"')
    out = pc.if_else(pc.match_substring_regex(values, _CSV_SPECIAL), quoted, values)
    return pc.fill_null(out, _ls(""))


def _csv_header(headers: Sequence[str]) -> str:
    out = []
    for h in headers:
        out.append('"' + h.replace('"', '""') + '"' if any(c in h for c in '",\r\n') else h)
    return ",".join(out) + "\r\n"


def write_csv(path: Path, headers: Sequence[str], cols, n: int, fmt: str,
              chunk_rows: int = CHUNK_ROWS * 2) -> None:
    encoding, bom = _ENCODINGS[fmt]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as fh:
        fh.write(bom)
        fh.write(_csv_header(headers).encode(encoding))
        for start in range(0, n, chunk_rows):
            stop = min(n, start + chunk_rows)
            fields = [_csv_field(values.slice(start, stop - start)) for values, _ in cols]
            if fields:
                rows = _join(*fields, sep=",")
                rows = _join(rows, "\r\n")
            else:
                rows = pa.array(["\r\n"] * (stop - start), type=pa.large_string())
            data = _buffer_bytes(rows)
            if encoding == "utf-8":
                fh.write(data)
            else:
                fh.write(bytes(data).decode("utf-8").encode(encoding))
    tmp.replace(path)


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------

def write_batch(frames_by_sheet: Mapping[str, pd.DataFrame], out_dir: Path, agency_code: str, batch: str,
                fmt: str, *, layout_seed: int = 0,
                layouts: Mapping[str, Sequence[tuple[str, str]]] | None = None) -> dict[str, Path]:
    """Write one batch of one agency under the landing folder `out_dir`.

    `frames_by_sheet` maps each sheet name (基本信息/学习经历/工作经历) to a
    frame with (at least) that sheet's contract headers; a missing sheet is
    written with its header only.  Column order and header spelling come
    from ``formats.header_layout(agency_code, sheet, headers, layout_seed)``
    unless `layouts` gives them.  Returns {sheet: path written}.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    if "." in batch or "/" in batch or not batch:
        raise ValueError(f"invalid batch name {batch!r} (no dots or slashes)")
    out_dir = Path(out_dir)
    prepared = {}
    for sheet in SHEETS:
        layout = None if layouts is None else layouts.get(sheet)
        prepared[sheet] = _prepare(frames_by_sheet.get(sheet), sheet, agency_code, layout, layout_seed)
    written: dict[str, Path] = {}
    if fmt == "xlsx":
        path = out_dir / source_file(agency_code, batch, fmt, SHEETS[0])
        write_xlsx(path, [(sheet, *prepared[sheet]) for sheet in SHEETS])
        written = {sheet: path for sheet in SHEETS}
    else:
        for sheet in SHEETS:
            path = out_dir / source_file(agency_code, batch, fmt, sheet)
            write_csv(path, *prepared[sheet], fmt)
            written[sheet] = path
    return written


def write_result(result, landing: Path, *, layout_seed: int | None = None) -> list[Path]:
    """Write every batch of a ``synth.dirt.DirtyResult`` under `landing`."""
    seed = result.seed if layout_seed is None else layout_seed
    paths: list[Path] = []
    for agency, batches in sorted(result.batches.items()):
        for b in batches:
            written = write_batch(b.frames, landing, agency, b.name, b.fmt, layout_seed=seed)
            for p in written.values():
                if p not in paths:
                    paths.append(p)
    return paths
