"""person search: 姓名拼音首字母 (name_initials) and its index within the agency

Issue 13 (lists at 943,000 persons): `person.name_initials` — the pinyin initials of 姓名 computed by
`archives_domain.pinyin.name_initials` (surnames read as surnames) — and the index
(agency_code, name_initials) that a scoped initials search walks in order.

Backfill, fast at 943k rows: the distinct names are read once, their initials computed in Python (each
character looked up once), written to a temporary two-column table, and set with ONE joined UPDATE
(MySQL: UPDATE … JOIN; SQLite: UPDATE … FROM). The temporary table compares names byte for byte
(utf8mb4_bin), so two names equal only under the table's case-insensitive collation keep their own initials.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TMP = "tmp_person_initials"
BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_initials', sa.String(length=32), nullable=True,
                                      comment='姓名拼音首字母（检索用，由姓名计算：archives_domain.pinyin，姓氏按姓氏读音）'))
    _backfill(op.get_bind())
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('ix_person_agency_initials', ['agency_code', 'name_initials'], unique=False)


def _backfill(conn: sa.Connection) -> None:
    from archives_domain.pinyin import initials_many

    mysql = conn.dialect.name == "mysql"
    coll = " COLLATE utf8mb4_bin" if mysql else ""
    names = [n for (n,) in conn.execute(sa.text(f"SELECT DISTINCT name{coll} FROM person WHERE name IS NOT NULL"))]
    if not names:
        return
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE {TMP} (name VARCHAR(64){coll} NOT NULL, "
                         f"initials VARCHAR(32), PRIMARY KEY (name))"))
    rows = [{"n": n, "i": i} for n, i in zip(names, initials_many(names))]
    for start in range(0, len(rows), BATCH):
        conn.execute(sa.text(f"INSERT INTO {TMP} (name, initials) VALUES (:n, :i)"), rows[start:start + BATCH])
    if mysql:
        conn.execute(sa.text(f"UPDATE person p JOIN {TMP} t ON t.name = p.name SET p.name_initials = t.initials"))
    else:
        conn.execute(sa.text(f"UPDATE person SET name_initials = t.initials FROM {TMP} t WHERE t.name = person.name"))
    conn.execute(sa.text(f"DROP {'TEMPORARY ' if mysql else ''}TABLE {TMP}"))


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_agency_initials')
        batch_op.drop_column('name_initials')
