"""`archives export`: the contract's export from the operational tables (数据导出).

``export(engine, codec, out, agencies=None, fmt="csv", actor=…) -> ExportResult`` writes, per agency,
``<out>/<agency>/<agency>.<sheet>.csv`` (UTF-8 with BOM; or ``<agency>.xlsx`` with ``fmt="xlsx"``) in the
collection form's layout — same sheets, same headers, canonical values — with ``待核实字段`` and ``数据来源``
at the end of 基本信息, and ``<out>/隔离.csv`` (rule 10) with the rows that could not be loaded.

* A value kept for review that does not fit its column (``pending_raw``) is exported as typed.
* ``待核实字段``: the headers of the person's pending review items (person and child sheets), contract order.
* 户口性质 is exported with its header and empty values (rule 2).
* A value a spreadsheet would run as a formula is written with a leading ``'`` (the reader strips it again,
  so an export reads back to the same values).
* Exporting personal data is audited: one entry in the audit chain per export (who, which agencies, how
  many rows), written before the files are complete so that no export escapes the log.
"""
from __future__ import annotations

import csv
import getpass
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from archives_domain.collection_form import (
    EXPORT_EXTRA_HEADERS, HEADERS, PERSON_COLUMNS, QUARANTINE_HEADERS, SHEET_COLUMNS, SHEET_PERSON, SHEET_STUDY,
    SHEET_WORK, SHEETS,
)
from archives_domain.models import Person, PersonStudy, PersonWork, QuarantineRow, ReviewItem
from archives_domain.pii.codec import PiiCodec
from archives_domain.private_files import open_private, private_dir
from archives_domain.spreadsheet_safety import looks_like_formula

P, S, W, R, Q = (Person.__table__, PersonStudy.__table__, PersonWork.__table__, ReviewItem.__table__,
                 QuarantineRow.__table__)
CHILD = {SHEET_STUDY: S, SHEET_WORK: W}
PENDING = "待处理"
_HEADER_ORDER = {h: i for i, h in enumerate([*HEADERS[SHEET_PERSON], *HEADERS[SHEET_STUDY], *HEADERS[SHEET_WORK]])}


@dataclass
class ExportResult:
    out: Path
    agencies: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    seconds: float = 0.0


def _cell(v) -> str | None:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    s = str(v)
    return "'" + s if s and looks_like_formula(s) else s


def _overlay(frame: pd.DataFrame, pending: pd.Series) -> None:
    """Values kept as typed for review (``pending_raw``) where the column is empty."""
    has = pending.notna()
    for i, text in pending[has].items():
        for header, value in json.loads(text).items():
            if header in frame.columns and pd.isna(frame.at[i, header]):
                frame.at[i, header] = _cell(value)


def _text_frame(rows: list, columns: dict[str, str]) -> pd.DataFrame:
    """{header: column} of the result rows, as exported text."""
    data = {h: [_cell(r[c]) for r in rows] for h, c in columns.items()}
    return pd.DataFrame(data, dtype=object)


def _review_fields(conn, agency: str) -> dict[int, str]:
    items = conn.execute(sa.select(R.c.person_id, R.c.field).where(
        R.c.agency_code == agency, R.c.status == PENDING, R.c.person_id.is_not(None))).all()
    by_person: dict[int, set] = {}
    for pid, f in items:
        by_person.setdefault(pid, set()).add(f)
    return {pid: ";".join(sorted(fs, key=lambda h: (_HEADER_ORDER.get(h, 999), h))) for pid, fs in by_person.items()}


def agency_frames(conn: sa.Connection, codec: PiiCodec, agency: str) -> dict[str, pd.DataFrame]:
    """The three sheets of one agency as exported text frames."""
    prow = conn.execute(sa.select(P).where(P.c.agency_code == agency).order_by(P.c.archive_no)).mappings().all()
    cols = {h: c for h, (c, kind) in PERSON_COLUMNS.items() if kind != "pii"}
    person = _text_frame(prow, cols)
    ids = [codec.decrypt("id_number", r["id_number_enc"]) for r in prow]
    person["公民身份号码"] = ids
    person["联系电话"] = [codec.decrypt("phone", r["phone_enc"]) for r in prow]
    _overlay(person, pd.Series([r["pending_raw"] for r in prow], dtype=object))
    person["户口性质"] = None
    review = _review_fields(conn, agency)
    person["待核实字段"] = [review.get(r["id"]) for r in prow]
    person["数据来源"] = [r["data_source"] for r in prow]
    out = {SHEET_PERSON: person[[*HEADERS[SHEET_PERSON], *EXPORT_EXTRA_HEADERS]]}
    by_id = {r["id"]: (r["archive_no"], pid_no) for r, pid_no in zip(prow, ids)}
    for sheet, table in CHILD.items():
        crow = conn.execute(sa.select(table).where(table.c.agency_code == agency)
                            .order_by(table.c.person_id, table.c.seq, table.c.id)).mappings().all()
        frame = _text_frame(crow, {h: c for h, (c, _k) in SHEET_COLUMNS[sheet].items()})
        frame["档案编号"] = [by_id.get(r["person_id"], (None, None))[0] for r in crow]
        frame["公民身份号码"] = [by_id.get(r["person_id"], (None, None))[1] for r in crow]
        _overlay(frame, pd.Series([r["pending_raw"] for r in crow], dtype=object))
        # children in the persons' order (by 档案编号), each person's rows in their order
        frame["_order"] = frame["档案编号"].map({no: i for i, no in enumerate(person["档案编号"])})
        frame = frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
        out[sheet] = frame[list(HEADERS[sheet])]
    return out


def quarantine_frame(conn: sa.Connection, codec: PiiCodec, agencies: list[str]) -> pd.DataFrame:
    from pipelines.cleaning.quarantine import original_headers

    headers = original_headers()
    rows = []
    for start in range(0, len(agencies), 500):
        part = agencies[start:start + 500]
        for r in conn.execute(sa.select(Q).where(Q.c.agency_code.in_(part))
                              .order_by(Q.c.source_file, Q.c.sheet, Q.c.row_no)).mappings():
            doc = json.loads(codec.decrypt("text", r["row_enc"]))
            rows.append([r["source_file"], r["sheet"], r["row_no"], r["reason"],
                         *[_cell(doc.get(h)) for h in headers]])
    return pd.DataFrame(rows, columns=[*QUARANTINE_HEADERS, *headers], dtype=object)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with open_private(path, "w", encoding="utf-8-sig", newline="") as fh:  # 0600: whole IDs and phones
        frame.to_csv(fh, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")


def _write_xlsx(frames: dict[str, pd.DataFrame], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet)
        frame = frames[sheet]
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False, name=None):
            ws.append([None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in row])
    with open_private(path) as fh:  # 0600: whole IDs and phones
        wb.save(fh)


def export(engine: sa.Engine, codec: PiiCodec, out: str | os.PathLike, agencies: list[str] | None = None, *,
           fmt: str = "csv", actor: str | None = None, audit_key: bytes | None = None) -> ExportResult:
    """Write the export (module docstring); audited when `audit_key` is given (the CLI always gives it)."""
    t0 = time.perf_counter()
    out = Path(out)
    if fmt not in ("csv", "xlsx"):
        raise ValueError("导出格式只能是 csv 或 xlsx")
    with engine.connect() as conn:
        present = set(conn.execute(sa.select(P.c.agency_code).distinct()).scalars()) | \
            set(conn.execute(sa.select(Q.c.agency_code).distinct()).scalars())
    todo = sorted(present if not agencies else set(agencies))
    result = ExportResult(out=out, agencies=todo, rows={s: 0 for s in SHEETS})
    if audit_key is not None:
        _audit(engine, audit_key, actor, todo, out, fmt)
    private_dir(out)  # the export's folders 0700, its files 0600, whatever the umask
    with engine.connect() as conn:
        for agency in todo:
            frames = agency_frames(conn, codec, agency)
            folder = out / agency
            tmp = out / f".{agency}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            private_dir(tmp)
            if fmt == "xlsx":
                _write_xlsx(frames, tmp / f"{agency}.xlsx")
            else:
                for sheet, frame in frames.items():
                    _write_csv(frame, tmp / f"{agency}.{sheet}.csv")
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)
            for sheet, frame in frames.items():
                result.rows[sheet] += len(frame)
        q = quarantine_frame(conn, codec, todo)
    _write_csv(q, out / "隔离.csv")
    result.quarantined = len(q)
    result.seconds = round(time.perf_counter() - t0, 3)
    return result


def _audit(engine, key: bytes, actor: str | None, agencies: list[str], out: Path, fmt: str) -> None:
    from archives_domain.audit import AuditEntry, write

    who = actor or f"cli:{getpass.getuser()}"
    scope = "全部机构" if len(agencies) > 5 else "、".join(agencies)
    write(engine, AuditEntry(
        action="导出", summary=f"导出采集表格式数据（{fmt}）：{scope}，共 {len(agencies)} 个机构，至 {out}",
        username=who, module1="系统管理", module2="数据迁移", module3="数据导出",
        object_type="存档机构", object_id=",".join(agencies)[:64] if agencies else None, client_ip="127.0.0.1"), key)
