"""Load the reference data files of ``seeds/data`` into the database.

``load_reference_data(engine)`` upserts, in one transaction:

* every code-table file of ``CODE_FILES`` into ``code_item``, keyed by
  (code_type, code); ``sort_order`` is the row's position in its file (1, 2, …);
* ``divisions.csv`` into ``division`` keyed by code (the extra
  ``former_names`` column of the file is not stored);
* ``synonyms.csv`` into ``synonym`` keyed by (field, alias);
* ``agencies.csv`` into ``agency`` keyed by code, parents before children
  (only code, name, level, region_code and parent_code come from the file:
  address, phone, contact and active are maintained in the application and
  left alone on update).

Existing keys are read first; new rows are inserted and rows whose values
differ from the file are updated. Rows that are in the database but no longer
in a file are left in place (they may be referenced). Running it twice changes
nothing the second time. Plain SQLAlchemy Core, so it runs the same on SQLite
and MySQL/MariaDB.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, bindparam, func, select

from archives_domain.models.reference import Agency, CodeItem, Division, Synonym

from . import data_path

# Which data file holds which code type (code_item.code_type).
CODE_FILES: dict[str, str] = {
    "sex.csv": "sex",
    "ethnic.csv": "ethnic",
    "political_status.csv": "political_status",
    "education_level.csv": "education_level",
    "degree.csv": "degree",
    "yes_no.csv": "yes_no",
    "material_category.csv": "material_category",
    "business_type.csv": "business_type",
    "notice_type.csv": "notice_type",
    "archive_status.csv": "archive_status",
    "entrust_mode.csv": "entrust_mode",
    "party_member_type.csv": "party_member_type",
    "transfer_mode.csv": "transfer_mode",
    "registry_status.csv": "registry_status",
    "inventory_mark.csv": "inventory_mark",
    "unit_type.csv": "unit_type",
}
DIVISIONS_FILE = "divisions.csv"
SYNONYMS_FILE = "synonyms.csv"
AGENCIES_FILE = "agencies.csv"


def iter_code_files() -> Iterator[tuple[str, Path]]:
    """(code_type, path of its CSV file) for every code table, in load order."""
    for name, code_type in CODE_FILES.items():
        yield code_type, data_path(name)


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a UTF-8 data file as dicts, values trimmed."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def _none(value: str) -> str | None:
    return value or None


def _int(value: str) -> int | None:
    return int(value) if value else None


def code_item_rows() -> list[dict]:
    rows = []
    for code_type, path in iter_code_files():
        for position, r in enumerate(read_csv(path), start=1):
            rows.append({
                "code_type": code_type, "code": r["code"], "name": r["name"],
                "parent_code": _none(r.get("parent_code", "")), "sort_order": position,
                "standard": _none(r.get("standard", "")), "note": _none(r.get("note", "")),
            })
    return rows


def division_rows() -> list[dict]:
    return [{
        "code": r["code"], "name": r["name"], "province": _none(r["province"]),
        "prefecture": _none(r["prefecture"]), "level": r["level"],
        "parent_code": _none(r["parent_code"]),
        "valid_from": _int(r["valid_from"]), "valid_to": _int(r["valid_to"]),
    } for r in read_csv(data_path(DIVISIONS_FILE))]


def synonym_rows() -> list[dict]:
    return [{"field": r["field"], "alias": r["alias"], "canonical": r["canonical"]}
            for r in read_csv(data_path(SYNONYMS_FILE))]


def agency_rows() -> list[dict]:
    """Agencies ordered so that every parent comes before its children."""
    rows = [{"code": r["code"], "name": r["name"], "level": r["level"],
             "region_code": r["region_code"], "parent_code": _none(r["parent_code"])}
            for r in read_csv(data_path(AGENCIES_FILE))]
    by_code = {r["code"]: r for r in rows}
    ordered, done = [], set()

    def visit(row, trail=()):
        if row["code"] in done:
            return
        if row["code"] in trail:
            raise ValueError(f"存档机构上级关系成环：{row['code']}")
        parent = row["parent_code"]
        if parent and parent in by_code:
            visit(by_code[parent], (*trail, row["code"]))
        done.add(row["code"])
        ordered.append(row)

    for row in rows:
        visit(row)
    return ordered


def _upsert(conn: Connection, table, key_cols: tuple[str, ...], rows: list[dict],
            update_cols: tuple[str, ...]) -> None:
    """Insert the rows whose key is new, update those whose values changed."""
    if not rows:
        return
    seen = set()
    for row in rows:
        key = tuple(row[c] for c in key_cols)
        if key in seen:
            raise ValueError(f"{table.name}: 数据文件中键重复 {key}")
        seen.add(key)
    key_exprs = [table.c[c] for c in key_cols]
    cols = [*key_exprs, *(table.c[c] for c in update_cols)]
    existing = {}
    # Read what is there for these keys; the reference tables are small.
    if len(key_cols) == 1:
        query = select(*cols)
    else:
        first_values = sorted({row[key_cols[0]] for row in rows})
        query = select(*cols).where(key_exprs[0].in_(first_values))
    for rec in conn.execute(query):
        existing[tuple(rec[: len(key_cols)])] = tuple(rec[len(key_cols):])

    inserts, updates = [], []
    for row in rows:
        key = tuple(row[c] for c in key_cols)
        values = tuple(row[c] for c in update_cols)
        if key not in existing:
            inserts.append(row)
        elif existing[key] != values:
            updates.append({**{f"k_{c}": row[c] for c in key_cols}, **{c: row[c] for c in update_cols}})
    if inserts:
        # One statement per row keeps the order (agency parents before children).
        if table.name == "agency":
            for row in inserts:
                conn.execute(table.insert(), [row])
        else:
            conn.execute(table.insert(), inserts)
    if updates:
        stmt = table.update().where(*(table.c[c] == bindparam(f"k_{c}") for c in key_cols)) \
            .values({c: bindparam(c) for c in update_cols})
        conn.execute(stmt, updates)


def load_reference_data(engine: Engine) -> dict[str, int]:
    """Upsert every reference data file; return the number of file rows per table."""
    codes, divisions = code_item_rows(), division_rows()
    synonyms, agencies = synonym_rows(), agency_rows()
    code_item, division = CodeItem.__table__, Division.__table__
    synonym, agency = Synonym.__table__, Agency.__table__
    with engine.begin() as conn:
        _upsert(conn, code_item, ("code_type", "code"), codes,
                ("name", "parent_code", "sort_order", "standard", "note"))
        _upsert(conn, division, ("code",), divisions,
                ("name", "province", "prefecture", "level", "parent_code", "valid_from", "valid_to"))
        _upsert(conn, synonym, ("field", "alias"), synonyms, ("canonical",))
        _upsert(conn, agency, ("code",), agencies,
                ("name", "level", "region_code", "parent_code"))
    return {"code_item": len(codes), "division": len(divisions),
            "synonym": len(synonyms), "agency": len(agencies)}


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows now in each reference table (for reports and tests)."""
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (CodeItem.__table__, Division.__table__, Synonym.__table__, Agency.__table__)}
