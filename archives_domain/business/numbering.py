"""文书编号: gap-free numbers per agency, kind of document and year (转递通知单, 借阅告知单, 证明 …).

`next_number` takes the row of `doc_sequence` for (agency, kind, year) under a row lock (MySQL
`SELECT … FOR UPDATE`; SQLite serialises writers anyway), so two clerks never get the same number, and the
number is used in the same transaction as the document's record: a rolled-back command gives its number back.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import DocSequence

# The printed prefix of each kind of document (rules as data).
PREFIXES = {
    "转递通知单": "ZD", "借阅告知单": "JY", "存档证明": "CD", "经历证明": "JL", "亲属关系证明": "QS",
    "政审证明": "ZS", "托管证明": "TG",
}


def next_number(s: Session, agency_code: str, kind: str, year: int) -> int:
    for _ in range(3):
        row = s.execute(select(DocSequence.last_no).where(
            DocSequence.agency_code == agency_code, DocSequence.kind == kind, DocSequence.year == year)
            .with_for_update()).first()
        if row is not None:
            n = row.last_no + 1
            s.execute(update(DocSequence).where(DocSequence.agency_code == agency_code, DocSequence.kind == kind,
                                                DocSequence.year == year).values(last_no=n))
            return n
        try:
            with s.begin_nested():
                s.add(DocSequence(agency_code=agency_code, kind=kind, year=year, last_no=1))
                s.flush()
            return 1
        except IntegrityError:  # another transaction made the row first: take it under the lock
            continue
    raise RuntimeError(f"cannot allocate a {kind} number for {agency_code}/{year}")


def document_no(s: Session, agency_code: str, kind: str, year: int) -> str:
    """The printed number, e.g. ZD-52010201-2026-000123."""
    n = next_number(s, agency_code, kind, year)
    return f"{PREFIXES.get(kind, 'WS')}-{agency_code}-{year}-{n:06d}"
