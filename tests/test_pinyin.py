"""姓名拼音首字母 (issue 13): one domain function, surnames read as surnames, kept by the ORM, backfilled by
migration 0007 and filled by the pipeline's bulk load — on SQLite and MariaDB."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain import migrate
from archives_domain.models import Agency, Person
from archives_domain.pinyin import initials_many, is_initials_query, name_initials
from test_load import _load_all, db, finals, generated  # noqa: F401 - fixtures of the load tests

import pytest


@pytest.mark.parametrize("name, initials", [
    ("郭英", "gy"), ("郭英杰", "gyj"), ("王芳", "wf"),
    # 多音字 surnames take their surname reading (pypinyin alone gives d, c, j, c, q, c)
    ("单田芳", "stf"), ("曾国藩", "zgf"), ("解缙", "xj"), ("仇英", "qy"), ("朴槿惠", "pjh"), ("区寄", "oj"),
    ("查良镛", "zly"), ("盖聂", "gn"), ("覃明", "qm"), ("翟丽", "zl"),
    # compound surnames (复姓), 万俟 is mo qi, 尉迟 yu chi
    ("欧阳娜娜", "oynn"), ("万俟卨", "mqx"), ("尉迟恭", "ycg"), ("诸葛亮", "zgl"),
    # the same character elsewhere than the surname keeps its common reading
    ("王单", "wd"),
    # 少数民族 names: the dot dropped; Latin letters kept, lower-cased
    ("阿依古丽·买买提", "ayglmmt"), ("张Ann", "zann"),
])
def test_name_initials(name, initials):
    assert name_initials(name) == initials


def test_name_initials_of_nothing_and_the_bulk_version_agree():
    assert name_initials(None) is None and name_initials("") is None and name_initials("·") is None
    names = ["郭英", None, "单田芳", "郭英", "欧阳娜娜", ""]
    assert initials_many(names) == [name_initials(n) for n in names]
    assert is_initials_query("gyj") and not is_initials_query("g1") and not is_initials_query("郭")


def test_the_orm_keeps_the_initials_current(engine):
    with Session(engine) as s:
        s.add(Agency(code="52000001", name="贵州省人才大市场", level="省级", region_code="520000", active=True))
        s.flush()
        p = Person(agency_code="52000001", archive_no="A1", name="单田芳")
        s.add(p)
        s.commit()
        assert s.scalar(sa.select(Person.name_initials).where(Person.id == p.id)) == "stf"
        p.name = "郭英杰"
        s.commit()
        assert s.scalar(sa.select(Person.name_initials).where(Person.id == p.id)) == "gyj"
        p.name = None
        s.commit()
        assert s.scalar(sa.select(Person.name_initials).where(Person.id == p.id)) is None


def test_migration_0007_backfills_existing_rows_and_downgrades(empty_engine):
    migrate.upgrade(empty_engine, "0006")
    names = ["单田芳", "郭英杰", "郭英杰", "Ann", "ANN", None]  # Ann/ANN: equal under the MySQL collation
    with empty_engine.begin() as conn:
        conn.execute(sa.text("insert into agency (code, name, level, region_code, active) "
                             "values ('52000001', '省', '省级', '520000', 1)"))
        for i, n in enumerate(names):
            conn.execute(sa.text(
                "insert into person (agency_code, archive_no, name, data_source, version, created_at, updated_at) "
                "values ('52000001', :no, :n, '业务', 1, current_timestamp, current_timestamp)"),
                {"no": f"A{i}", "n": n})
    migrate.upgrade(empty_engine, "0007")
    with empty_engine.connect() as conn:
        got = conn.execute(sa.text("select name_initials from person order by archive_no")).scalars().all()
        indexes = {ix["name"] for ix in sa.inspect(conn).get_indexes("person")}
    assert got == ["stf", "gyj", "gyj", "ann", "ann", None]
    assert "ix_person_agency_initials" in indexes
    migrate.downgrade(empty_engine, "0006")
    with empty_engine.connect() as conn:
        assert "name_initials" not in {c["name"] for c in sa.inspect(conn).get_columns("person")}


def test_the_bulk_load_fills_the_initials(db, finals):  # noqa: F811 - fixtures
    engine, codec, _ = db
    _load_all(engine, codec, finals)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select name, name_initials from person")).all()
    assert len(rows) > 100 and all(r.name_initials == name_initials(r.name) for r in rows)
    assert sum(r.name_initials is not None for r in rows) > 0.9 * len(rows)
