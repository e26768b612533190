"""下载 and 打印 of a statistic: one table (title, subtitle, headers, rows) as xlsx (openpyxl; every text cell
through the formula-injection rule `spreadsheet_safety.safe_cell`) or as PDF through the one PDF mechanism
(`documents.pdf`, the generic template `stats_table.html`: A4, landscape when wide)."""
from __future__ import annotations

import datetime as dt
import io

from ..documents import pdf
from ..spreadsheet_safety import safe_cell

WIDE = 8  # more columns than this: A4 landscape


def _cell(v):
    if v is None:
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return safe_cell(str(v))


def xlsx(title: str, subtitle: str, headers: list[str], rows: list[list], note: str = "") -> bytes:
    """An xlsx workbook: the title, the subtitle, a header row, the rows (write-only mode: 10,000 rows fast)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=safe_sheet_title(title))
    bold = Font(bold=True)

    def styled(value):
        c = WriteOnlyCell(ws, value=_cell(value))
        c.font = bold
        return c
    ws.append([styled(title)])
    if subtitle:
        ws.append([_cell(subtitle)])
    ws.append([styled(h) for h in headers])
    for row in rows:
        ws.append([_cell(v) for v in row])
    if note:
        ws.append([])
        ws.append([_cell(note)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def safe_sheet_title(title: str) -> str:
    bad = set('[]:*?/\\')
    return "".join(c for c in title if c not in bad)[:31] or "统计"


def table_pdf(title: str, subtitle: str, headers: list[str], rows: list[list], note: str = "",
              *, landscape: bool | None = None, footer: str = "") -> bytes:
    """The table as PDF (Chinese, A4; landscape when wider than `WIDE` columns unless told)."""
    wide = len(headers) > WIDE if landscape is None else landscape
    ctx = {"title": title, "subtitle": subtitle, "headers": headers,
           "rows": [["" if v is None else v for v in r] for r in rows], "note": note, "landscape": wide,
           "footer": footer, "small": len(headers) > 12}
    return pdf.render_pdf("stats_table.html", ctx, title=title)


def report_tables(result) -> tuple[list[str], list[list]]:
    """A `reports.ReportResult` as headers and rows of values."""
    headers = [c.label for c in result.columns]
    return headers, [[r.get(c.key) for c in result.columns] for r in result.rows]
