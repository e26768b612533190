"""The migration fills 集体户口代理 (`pipelines.load.hukou`): rows for the forms' 集体户口 = 是 persons with
户籍编号 / 落户时间 from the form and 户籍原所在地 from the 公安 register; a re-run creates nothing; a row a
clerk has written is never overwritten; a form corrected to 否 withdraws the pipeline's row. SQLite and
MariaDB, on a few hundred synthetic persons."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain import audit as audit_chain
from archives_domain.business import hukou
from archives_domain.business.base import Actor, Context
from archives_domain.migrate import upgrade
from archives_domain.models import CollectiveHukou, Person
from archives_domain.pii.codec import PiiCodec
from archives_domain.pii.keyring import generate_keyring, load_keyring, write_keyring
from pipelines.load import final_frames, load_agency
from pipelines.load.bulk import loader_engine
from seeds.loader import load_reference_data


@pytest.fixture(scope="module")
def finals(tmp_path_factory):
    from pipelines.cleaning import clean_agency
    from pipelines.cleaning.repair import repair
    from pipelines.feeds import Feeds
    from synth.generate import generate

    out = tmp_path_factory.mktemp("gen")
    generate(persons=300, seed=11, out=out, progress=False)
    landing, fd = out / "landing", Feeds(out / "feeds")
    frames = {}
    for code in sorted(p.name for p in landing.iterdir() if p.is_dir()):
        m = clean_agency(landing, code).merged
        res = repair(m.persons, m.study, m.work, fd, workers=1)
        frames[code] = final_frames(
            {"persons": m.persons, "study": m.study, "work": m.work, "quarantine": m.quarantine},
            {"records": res.records, "study": res.study, "work": res.work, "log": res.log, "review": res.review,
             "status": res.status, "hukou": res.hukou})
    return frames


@pytest.fixture
def db(database_url, tmp_path):
    engine = loader_engine(database_url)
    upgrade(engine)
    load_reference_data(engine)
    key_file = tmp_path / "keys" / "pii.json"
    write_keyring(key_file, generate_keyring())
    yield engine, PiiCodec(load_keyring(key_file, create=False))
    engine.dispose()


def _rows(engine) -> pd.DataFrame:
    sql = ("select p.agency_code, p.archive_no, p.hukou_reg_no p_reg, p.settle_date p_settle, h.hukou_reg_no, "
           "h.settle_date, h.original_address, h.status, h.version, h.created_by, h.updated_by, h.source, h.id "
           "from collective_hukou h join person p on p.id = h.person_id order by p.agency_code, p.archive_no")
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.text(sql)).mappings().all())


def test_load_fills_collective_hukou_idempotently_and_keeps_the_clerks_rows(db, finals):
    engine, codec = db
    for code, f in finals.items():
        load_agency(engine, codec, code, f, run_id="r1")
    rows = _rows(engine)
    with engine.connect() as conn:
        collective = conn.execute(sa.text("select count(*) from person where collective_hukou = 1")).scalar()
    assert collective > 10 and len(rows) == collective  # one row per 集体户口 person, no more
    assert (rows["hukou_reg_no"].fillna("") == rows["p_reg"].fillna("")).all()
    bad = rows[rows["settle_date"].fillna("").astype(str) != rows["p_settle"].fillna("").astype(str)]
    assert bad.empty, bad[["settle_date", "p_settle"]].head().to_dict("records")
    assert set(rows["status"]) == {"在户"} and set(rows["created_by"]) == {"流水线"} and set(rows["source"]) == {"采集表"}
    # 户籍原所在地 from the 公安 register where it has the person
    police = {(c, n): a for c, f in finals.items() for n, a in zip(f["hukou"]["档案编号"], f["hukou"]["户籍原所在地"])}
    assert police, "the register has addresses for collective persons"
    got = {(r.agency_code, r.archive_no): r.original_address for r in rows.itertuples()}
    assert all(got[k] == v for k, v in police.items() if k in got) and sum(k in got for k in police) == len(police)

    # a re-run (same content, and then a forced reload of every agency) creates and changes nothing
    for code, f in finals.items():
        assert load_agency(engine, codec, code, f, run_id="r2").unchanged
    with engine.begin() as conn:
        conn.execute(sa.text("delete from dq_load_state"))
    for code, f in finals.items():
        res = load_agency(engine, codec, code, f, run_id="r3")
        assert res.hukou == {"inserted": 0, "refreshed": 0, "withdrawn": 0, "addresses": 0}, res.hukou
    again = _rows(engine)
    assert again.drop(columns=[]).equals(rows)

    # a clerk edits one row through the command; another row the pipeline still owns
    first, second = rows.iloc[0], rows.iloc[1]
    with Session(engine) as s:
        ctx = Context(s, Actor("clerk1", first.agency_code, frozenset({first.agency_code, second.agency_code})),
                      audit_chain.audit_key(codec.keyring), codec)
        h = s.get(CollectiveHukou, int(first.id))
        hukou.edit(ctx, h.id, {"hukou_reg_no": "KEEP-0001", "original_address": "贵阳市南明区经办人填写",
                               "settle_date": "2020-01-02"}, expected_version=h.version)
    # the forms change: both persons' 户籍编号 and 落户时间, and a third person's 集体户口 becomes 否
    changed = {}
    third = rows.iloc[2]
    for code, f in finals.items():
        persons = f["persons"].copy()
        for r, tag in ((first, "A"), (second, "B")):
            if r.agency_code == code:
                persons.loc[persons["档案编号"] == r.archive_no, "户籍编号"] = f"NEW-{tag}"
                persons.loc[persons["档案编号"] == r.archive_no, "落户时间"] = "2021-03-04"
        if third.agency_code == code:
            persons.loc[persons["档案编号"] == third.archive_no, "集体户口"] = "否"
        changed[code] = {**f, "persons": persons}
    for code, f in changed.items():
        load_agency(engine, codec, code, f, run_id="r4")
    after = _rows(engine).set_index(["agency_code", "archive_no"])
    mine = after.loc[(first.agency_code, first.archive_no)]
    assert (mine.hukou_reg_no, mine.original_address, str(mine.settle_date)) == \
        ("KEEP-0001", "贵阳市南明区经办人填写", "2020-01-02")  # the clerk's row, untouched
    assert mine.updated_by == "clerk1" and mine.source == "业务"
    with engine.connect() as conn:
        p = conn.execute(sa.select(Person.hukou_reg_no, Person.settle_date).where(
            Person.agency_code == first.agency_code, Person.archive_no == first.archive_no)).one()
    assert p.hukou_reg_no == "KEEP-0001" and p.settle_date == dt.date(2020, 1, 2)  # the person keeps it too
    theirs = after.loc[(second.agency_code, second.archive_no)]
    assert theirs.hukou_reg_no == "NEW-B" and str(theirs.settle_date) == "2021-03-04"
    assert theirs.version == second.version + 1  # a clerk's open form sees the refresh
    assert (third.agency_code, third.archive_no) not in after.index  # withdrawn with the form's 否
    assert len(after) == len(rows) - 1
