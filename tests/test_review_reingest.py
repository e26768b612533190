"""The proof that a clerk's decision survives the pipelines: a small synthetic set is loaded from its landing
files, every review item of an agency is decided (on 基本信息 and on 学习经历/工作经历 rows), then the agency is
re-ingested — unchanged (nothing written) and from a changed landing file (every person rewritten) — and the
decided values are kept, the decided items neither re-opened nor duplicated. 一人多档 marked as two persons
is not flagged again by the re-load nor by the sweep. On SQLite and MariaDB."""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain import audit as audit_chain
from archives_domain.business import review
from archives_domain.business.base import Actor, Context
from archives_domain.migrate import upgrade
from archives_domain.models import Person
from archives_domain.models.quality import ReviewItem
from archives_domain.pii.codec import PiiCodec
from archives_domain.pii.keyring import generate_keyring, load_keyring, write_keyring
from pipelines.load import load_agency, sweep_multi_archive
from pipelines.load.bulk import loader_engine
from seeds.loader import load_reference_data

AGENCY = "52010001"  # CSV landing files; review items on all three sheets (seed 5, 200 persons)
TWIN_FROM = "52000001"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from synth.generate import generate

    out = tmp_path_factory.mktemp("gen")
    generate(persons=200, seed=5, out=out, progress=False)
    return out


def _final(landing: Path, feeds: Path, code: str) -> dict:
    from pipelines.cleaning import clean_agency
    from pipelines.cleaning.repair import repair
    from pipelines.feeds import Feeds
    from pipelines.load import final_frames

    r = clean_agency(landing, code)
    m = r.merged
    res = repair(m.persons, m.study, m.work, Feeds(feeds), workers=1)
    return final_frames({"persons": m.persons, "study": m.study, "work": m.work, "quarantine": m.quarantine},
                        {"records": res.records, "study": res.study, "work": res.work, "log": res.log,
                         "review": res.review, "status": res.status}, None)


def _rewrite_remarks(folder: Path) -> None:
    """A new version of the agency's 基本信息 file: every row's 备注 changed (so every person is rewritten)."""
    path = next(folder.glob("*基本信息.csv"))
    raw = path.read_bytes()
    enc = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = raw.decode(enc)
    except UnicodeDecodeError:
        enc, text = "gb18030", raw.decode("gb18030")
    rows = list(csv.reader(io.StringIO(text)))
    col = rows[0].index("备注")
    for row in rows[1:]:
        if len(row) > col:
            row[col] = (row[col] + "（复核批次）").strip()
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(enc))


@pytest.fixture
def db(database_url, tmp_path):
    engine = loader_engine(database_url)
    upgrade(engine)
    load_reference_data(engine)
    key_file = tmp_path / "keys" / "pii.json"
    write_keyring(key_file, generate_keyring())
    yield engine, PiiCodec(load_keyring(key_file, create=False))
    engine.dispose()


def _typed(target: review.Target) -> str:
    """A value a clerk could type for the field."""
    spec = target.spec
    if spec.kind == "date":
        return "2001-09-01"
    if spec.kind == "choice":
        return spec.choices[0]
    if spec.kind == "id_number":
        return "11010519491231002X"
    if spec.kind == "phone":
        return "13800000000"
    return "核实值"[: spec.max_len or 8]


def _decide_all(engine, codec) -> dict:
    """Decide every pending item of AGENCY (not 一人多档): accept where there are candidates, else type a value
    (reject where the field cannot be written). Returns {item id: (person id, sheet, child seq, field, value)}."""
    s = Session(engine)
    ctx = Context(s, Actor("clerk1", AGENCY, frozenset({AGENCY})), audit_chain.audit_key(codec.keyring), codec)
    decided = {}
    try:
        pending = s.scalars(sa.select(ReviewItem.id).where(ReviewItem.agency_code == AGENCY,
                                                           ReviewItem.status == "待处理",
                                                           ReviewItem.rule != "multi_archive")).all()
        for item_id in pending:
            d = review.detail(ctx, item_id, full=True)
            if d.item.status != "待处理":
                continue  # decided with another item on the same cell
            if d.target is None or d.row_missing:
                review.decide(ctx, item_id, "reject")
            elif d.candidates:
                review.decide(ctx, item_id, "accept")
            else:
                review.decide(ctx, item_id, "type", value=_typed(d.target))
            d = review.detail(ctx, item_id, full=True)
            seq = None
            if d.item.sheet != "基本信息" and not d.row_missing:
                seq = review._row(ctx, d.item, d.person).seq
            decided[item_id] = (d.item.person_id, d.item.sheet, seq, d.item.field, d.present)
    finally:
        s.close()
    return decided


def _values_now(engine, codec, decided: dict) -> dict:
    s = Session(engine)
    ctx = Context(s, Actor("check", AGENCY, frozenset({AGENCY})), b"", codec)
    out = {}
    try:
        for item_id, (pid, sheet, seq, field, _) in decided.items():
            target = review.target_of(sheet, field)
            person = s.get(Person, pid)
            if sheet == "基本信息":
                row = person
            else:
                model = review.CHILD_MODELS[sheet]
                row = s.scalar(sa.select(model).where(model.person_id == pid, model.seq == seq))
            out[item_id] = (pid, sheet, seq, field, review.present_value(ctx, target, row, full=True))
    finally:
        s.close()
    return out


def _items(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("select id, person_id, sheet, field, status, rule from dq_review_item "
                                    "where agency_code = :a order by id"), {"a": AGENCY}).all()


def test_decided_values_survive_an_unchanged_and_a_changed_reingest(db, generated, tmp_path):
    engine, codec = db
    landing = tmp_path / "landing"
    shutil.copytree(generated / "landing" / AGENCY, landing / AGENCY)
    feeds = generated / "feeds"
    load_agency(engine, codec, AGENCY, _final(landing, feeds, AGENCY), run_id="r1")
    decided = _decide_all(engine, codec)
    sheets = {v[1] for v in decided.values()}
    assert len(decided) >= 3 and sheets == {"基本信息", "学习经历", "工作经历"}
    kept_items = _items(engine)
    assert {r.status for r in kept_items} <= {"已采纳", "已修改", "已驳回"}

    # the same landing files again: nothing is written at all
    again = load_agency(engine, codec, AGENCY, _final(landing, feeds, AGENCY), run_id="r2")
    assert again.unchanged
    # a changed landing file: every person of the agency is rewritten, child rows re-inserted
    _rewrite_remarks(landing / AGENCY)
    changed = load_agency(engine, codec, AGENCY, _final(landing, feeds, AGENCY), run_id="r3")
    assert not changed.unchanged and changed.persons_updated >= len({v[0] for v in decided.values()})
    with engine.connect() as conn:
        remarks = conn.execute(sa.text("select count(*) from person where agency_code = :a and remarks like "
                                       "'%复核批次%'"), {"a": AGENCY}).scalar()
    assert remarks == changed.persons_updated  # the new file really landed
    assert _values_now(engine, codec, decided) == decided  # every decided value kept, child rows too
    after = _items(engine)
    # the decided items are all still there, decided; no pending item on a decided cell, no duplicates
    assert [tuple(r) for r in after if r.id in decided] == [tuple(r) for r in kept_items if r.id in decided]
    decided_cells = {(pid, sheet, field) for pid, sheet, _, field, _ in decided.values()}
    reopened = [r for r in after if r.status == "待处理" and (r.person_id, r.sheet, r.field) in decided_cells]
    assert reopened == []


def test_a_pair_marked_as_two_persons_is_not_flagged_again_by_a_reload(db, generated, tmp_path):
    engine, codec = db
    landing = tmp_path / "landing"
    for code in (AGENCY, TWIN_FROM):
        shutil.copytree(generated / "landing" / code, landing / code)
    feeds = generated / "feeds"

    def finals():
        fa, fb = _final(landing, feeds, AGENCY), _final(landing, feeds, TWIN_FROM)
        twin = fb["persons"].iloc[[0]].copy()  # b's first person also filed at a (一人多档)
        twin["档案编号"] = "TWIN-0001"
        import pandas as pd
        fa["persons"] = pd.concat([fa["persons"], twin], ignore_index=True)
        return fa, fb

    fa, fb = finals()
    load_agency(engine, codec, AGENCY, fa, run_id="r1")
    assert load_agency(engine, codec, TWIN_FROM, fb, run_id="r1").multi_archive_items == 2
    with engine.connect() as conn:
        item_a = conn.execute(sa.text("select id from dq_review_item where rule = 'multi_archive' and "
                                      "agency_code = :a"), {"a": AGENCY}).scalar()
    s = Session(engine)
    ctx = Context(s, Actor("clerk1", AGENCY, frozenset({AGENCY})), audit_chain.audit_key(codec.keyring), codec)
    try:
        assert len(review.mark_different(ctx, item_a)) == 2
    finally:
        s.close()
    _rewrite_remarks(landing / AGENCY)
    fa, fb = finals()
    res = load_agency(engine, codec, AGENCY, fa, run_id="r2")
    assert not res.unchanged and res.multi_archive_items == 0
    assert sweep_multi_archive(engine, codec, "sweep") == 0
    with engine.connect() as conn:
        multi = conn.execute(sa.text("select agency_code, status from dq_review_item where rule = 'multi_archive' "
                                     "order by agency_code")).all()
    assert [tuple(m) for m in multi] == [(TWIN_FROM, "已驳回"), (AGENCY, "已驳回")]
