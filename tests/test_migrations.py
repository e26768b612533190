"""Migrations run from empty on both databases, step down cleanly, and match the models."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from archives_domain import migrate
from archives_domain.models import Base


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def _columns(engine) -> set[str]:
    """Every table.column: a step may remove columns only (0007 adds person.name_initials, no table)."""
    insp = sa.inspect(engine)
    return {f"{t}.{c['name']}" for t in _tables(engine) for c in insp.get_columns(t)}


def _indexes(engine) -> set[str]:
    """Every table.index (a step may change indexes alone: 0014 of 档案材料)."""
    insp = sa.inspect(engine)
    return {f"{t}.{i['name']}" for t in _tables(engine) for i in insp.get_indexes(t)}


def test_upgrade_from_empty_creates_every_model_table(empty_engine):
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _tables(empty_engine) == set(Base.metadata.tables)


def test_migrated_schema_matches_models(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_each_step_downgrades_and_upgrades_again(empty_engine):
    revs = migrate.revisions()
    assert len(revs) >= 3
    migrate.upgrade(empty_engine)
    full, full_indexes = _columns(empty_engine), _indexes(empty_engine)
    # Step down one revision at a time to empty; each step removes tables or columns (or changes only
    # indexes) and leaves a consistent version.
    seen, indexes = [full], full_indexes
    for expected in reversed([None, *revs[:-1]]):
        migrate.downgrade(empty_engine, "-1")
        assert migrate.current_revision(empty_engine) == expected
        now, now_indexes = _columns(empty_engine), _indexes(empty_engine)
        assert now < seen[-1] or (now == seen[-1] and now_indexes != indexes)
        seen.append(now)
        indexes = now_indexes
    assert seen[-1] == set()
    migrate.upgrade(empty_engine)
    assert _columns(empty_engine) == full and _indexes(empty_engine) == full_indexes


def test_head_down_one_and_up_keeps_earlier_data(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("insert into agency (code, name, level, region_code, active) "
                             "values ('52000001', '贵州省人才大市场', '省级', '520000', 1)"))
    migrate.downgrade(engine, "-1")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select name from agency")).scalar() == "贵州省人才大市场"


def test_mysql_tables_are_innodb_utf8mb4_with_comments(engine):
    if engine.dialect.name != "mysql":
        return
    with engine.connect() as conn:
        tables = conn.execute(sa.text(
            "select table_name, engine, table_collation, table_comment from information_schema.tables "
            "where table_schema = database() and table_name <> 'alembic_version'")).all()
        columns = conn.execute(sa.text(
            "select table_name, column_name, character_set_name, column_comment from information_schema.columns "
            "where table_schema = database() and table_name <> 'alembic_version'")).all()
    assert len(tables) == len(Base.metadata.tables)
    for name, eng, collation, comment in tables:
        assert eng == "InnoDB", name
        assert collation.startswith("utf8mb4"), name
        assert comment, f"table {name} has no comment"
    for table, column, charset, comment in columns:
        assert charset in (None, "utf8mb4"), (table, column, charset)
        assert comment, f"column {table}.{column} has no comment"


def test_every_model_column_has_a_chinese_comment():
    import re
    han = re.compile(r"[\u4e00-\u9fff]")
    for table in Base.metadata.tables.values():
        assert table.comment and han.search(table.comment), table.name
        for column in table.columns:
            assert column.comment and han.search(column.comment), f"{table.name}.{column.name}"


def test_business_tables_have_version_and_stamps():
    business = [t for t in Base.metadata.tables.values() if "agency_code" in t.c and "version" in t.c]
    assert len(business) >= 25
    for table in business:
        for name in ("created_at", "created_by", "updated_at", "updated_by"):
            assert name in table.c, f"{table.name}.{name}"
