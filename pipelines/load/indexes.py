"""Secondary indexes of ``person`` during the initial migration (首次迁移的索引延后建立).

Loading 943k persons into a table that already carries its secondary indexes makes InnoDB insert into
each B-tree row by row, in random key order (names, blind indexes, employers): about three times the work of
loading the rows and then building each index once, sorted (measured: bench/results/). So when the
``person`` table is empty at the start of ``archives ingest`` on MySQL, the secondary indexes the loader
itself does not need are dropped, the agencies load, and `restore_indexes` builds them again in one
``ALTER TABLE`` before the 一人多档 sweep (which uses the blind index).

Every agency's load stays one transaction; only the index maintenance moves. A run killed in between leaves
the indexes missing: the next ``archives ingest`` (and ``archives db check``) restores them first —
`restore_indexes` compares the schema of the models with the database and is a no-op when they agree.
"""
from __future__ import annotations

import sqlalchemy as sa

from archives_domain.models import Person

P = Person.__table__


KEPT_LEADING = ("id_number_bidx",)  # 一人多档: the sweep right after the load looks IDs up by it


def deferrable(table: sa.Table = P) -> list[sa.Index]:
    """The secondary indexes of `table` that a bulk load may build afterwards: not the unique ones (the
    loader finds its rows by 档案编号 per agency), not one a foreign key needs (MySQL refuses to drop
    it; such columns are empty in the collection forms anyway), and not the blind index of the ID: the
    一人多档 sweep runs on it as soon as the agencies are loaded (1 s; 12 s without it), so that the
    other indexes can be rebuilt beside the reports and the analytics rebuild."""
    ordered = sorted(table.indexes, key=lambda ix: ix.name)
    kept = [ix for ix in ordered if ix.unique or ix.columns.keys()[0] in KEPT_LEADING]
    leading = {ix.columns.keys()[0] for ix in kept} | {
        c.columns.keys()[0] for c in table.constraints if isinstance(c, sa.UniqueConstraint) and len(c.columns)}
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        col = fk.parent.name
        if col not in leading:
            kept += [ix for ix in ordered if ix.columns.keys()[0] == col][:1]
            leading.add(col)
    names = {ix.name for ix in kept}
    return [ix for ix in ordered if ix.name not in names]


def missing_indexes(conn: sa.Connection, table: sa.Table = P) -> list[sa.Index]:
    """The indexes the model declares on `table` that the database does not have."""
    have = {ix["name"] for ix in sa.inspect(conn).get_indexes(table.name)}
    return [ix for ix in sorted(table.indexes, key=lambda ix: ix.name) if ix.name not in have]


def table_is_empty(conn: sa.Connection, table: sa.Table = P) -> bool:
    return conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is None


def begin_bulk_load(engine: sa.Engine) -> bool:
    """On MySQL with an empty ``person`` table: drop the deferrable indexes (True); otherwise nothing (False)."""
    if engine.dialect.name != "mysql":
        return False
    with engine.connect() as conn:
        if not table_is_empty(conn):
            return False
        present = {ix["name"] for ix in sa.inspect(conn).get_indexes(P.name)}
        drop = [ix.name for ix in deferrable() if ix.name in present]
        if drop:
            conn.exec_driver_sql(f"ALTER TABLE `{P.name}` " + ", ".join(f"DROP INDEX `{n}`" for n in drop))
        conn.commit()
    return True


def restore_indexes(engine: sa.Engine, table: sa.Table = P) -> list[str]:
    """Create the indexes of `table` missing in the database (one ALTER TABLE on MySQL); their names."""
    with engine.connect() as conn:
        missing = missing_indexes(conn, table)
        if not missing:
            return []
        if conn.dialect.name == "mysql":
            adds = ", ".join(
                f"ADD {'UNIQUE ' if ix.unique else ''}INDEX `{ix.name}` ({', '.join(f'`{c.name}`' for c in ix.columns)})"
                for ix in missing)
            conn.exec_driver_sql(f"ALTER TABLE `{table.name}` {adds}, ALGORITHM=INPLACE, LOCK=NONE")
        else:
            for ix in missing:
                ix.create(conn)
        conn.commit()
    return [ix.name for ix in missing]
