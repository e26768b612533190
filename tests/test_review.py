"""待核实 (archives_domain.business.review): each kind of decision lands in the person or its child row (PII
through the codec), marks clerk_fields, closes the item and is audited with masked before/after; bad typed
values are named; the optimistic lock on item and person; scope; the queue's filters and keyset pages;
一人多档 seen by both agencies, settled as different persons (the sweep never flags it again) or by a transfer.
On SQLite and MariaDB."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archives_domain import audit as audit_chain
from archives_domain.business import review
from archives_domain.business.base import (Actor, ConflictError, Context, FieldErrors, NotFound, Refused)
from archives_domain.models import ArchiveTransferOut, AuditLog, Person, PersonWork
from archives_domain.models.quality import ReviewItem, SettledPair
from archives_domain.paging import PageRequest
from biz_seed import COUNTY_B, ID_B, ID_C, add_person, seed_tree_and_users
from conftest import COUNTY, seed_agencies_and_users

GOOD_ID = "11010519491231002X"  # a valid 身份证 (GB 11643 check digit X)

_OPEN: list[Session] = []


def _ctx(engine, codec, agency, username="clerk1") -> Context:
    s = Session(engine)
    _OPEN.append(s)
    return Context(s, Actor(username, agency, frozenset({agency})), audit_chain.audit_key(codec.keyring), codec)


@pytest.fixture(autouse=True)
def _close_sessions(request):
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine")
    yield
    while _OPEN:
        _OPEN.pop().close()


def _item(s, codec, person, field, *, sheet="基本信息", child=None, current=None, cands=None, rule="r", **kw):
    pii = field in ("公民身份号码", "联系电话")
    it = ReviewItem(agency_code=person.agency_code, person_id=person.id, archive_no=person.archive_no, sheet=sheet,
                    child_id=child, field=field, category=kw.pop("category", "单位名称待核实"),
                    reason=kw.pop("reason", "测试原因"),
                    rule=rule, feed=kw.pop("feed", "工商"), confidence=kw.pop("confidence", 0.9),
                    current_value=None if pii else current,
                    current_value_enc=codec.encrypt("text", current) if pii and current else None,
                    candidates_enc=codec.encrypt("text", json.dumps(cands, ensure_ascii=False)) if cands else None,
                    created_by="流水线", **kw)
    s.add(it)
    s.flush()
    return it.id


@pytest.fixture
def seeded(engine, codec):
    seed_agencies_and_users(engine, {"clerk1": ["档案经办人"]})
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        p = add_person(s, codec, COUNTY, "NM1", "张三", ID_C, employer_name="贵州甲有限公司",
                       data_source="采集表", pending_raw=json.dumps({"出生日期": "1990.03"}, ensure_ascii=False))
        w = PersonWork(agency_code=COUNTY, person_id=p.id, employer="贵州旧单位", seq=2, source="采集表")
        s.add(w)
        s.flush()
        ids = {"person": p.id, "work": w.id,
               "employer": _item(s, codec, p, "工作单位", current="贵州甲有限公司",
                                 cands=["贵州甲科技有限公司", "贵州甲乙有限公司"]),
               "id": _item(s, codec, p, "公民身份号码", current=ID_C, cands=[ID_B, [GOOD_ID, 0.7, "公安"]],
                           category="身份证号待核实", feed="公安"),
               "work_item": _item(s, codec, p, "工作单位", sheet="工作经历", child=w.id, current="贵州旧单位"),
               "birth": _item(s, codec, p, "出生日期", current="1990.03", category="日期只有年月", feed=None),
               "phone": _item(s, codec, p, "联系电话", current="1381234", category="电话格式错误", feed=None)}
        s.commit()
    return ids


def _audits(engine):
    with Session(engine) as s:
        return s.scalars(select(AuditLog).where(AuditLog.action == "核实数据").order_by(AuditLog.id)).all()


def test_each_kind_of_decision_lands_in_the_record_marks_clerk_fields_and_is_audited(engine, codec, seeded):
    ctx = _ctx(engine, codec, COUNTY)
    d = review.detail(ctx, seeded["employer"])
    assert [c.value for c in d.candidates] == ["贵州甲科技有限公司", "贵州甲乙有限公司"]
    assert d.candidates[0].score == pytest.approx(0.9) and d.candidates[0].source == "工商"
    assert d.form_value == "贵州甲有限公司" and d.present == "贵州甲有限公司"
    # accept: the best candidate
    review.decide(ctx, seeded["employer"], "accept", expected_version=1, person_version=1)
    # choose: the second candidate of a PII field (through the codec; shown masked unless full)
    masked = review.detail(ctx, seeded["id"])
    assert masked.candidates[1].value == "110105********002X" and masked.candidates[1].source == "公安"
    review.decide(ctx, seeded["id"], "choose", candidate="1")
    # type: a value for the work row of the item
    review.decide(ctx, seeded["work_item"], "type", value="贵州核实单位有限公司")
    # reject: the form's value stays (and the clerk owns the field from now on)
    review.decide(ctx, seeded["birth"], "reject")
    with Session(engine) as s:
        p = s.get(Person, seeded["person"])
        assert p.employer_name == "贵州甲科技有限公司"
        assert codec.get(p, "id_number") == GOOD_ID and p.id_number_bidx == codec.blind_index("id_number", GOOD_ID)
        assert s.get(PersonWork, seeded["work"]).employer == "贵州核实单位有限公司"
        assert p.birth_date is None and json.loads(p.pending_raw) == {"出生日期": "1990.03"}
        assert p.clerk_fields.split(";") == ["工作单位", "公民身份号码", "工作经历#2/工作单位", "出生日期"]
        items = {i.id: i for i in s.scalars(select(ReviewItem))}
        assert [items[seeded[k]].status for k in ("employer", "id", "work_item", "birth")] == \
            ["已采纳", "已采纳", "已修改", "已驳回"]
        assert items[seeded["id"]].decided_by == "clerk1" and items[seeded["id"]].decided_at is not None
        assert review.decision_of(ctx, items[seeded["id"]], full=True) == {"choice": "choose", "value": GOOD_ID}
    logs = _audits(engine)
    assert len(logs) == 4 and all(log.module3 == "待核实" for log in logs)
    assert json.loads(logs[0].after_data)["值"] == "贵州甲科技有限公司"
    assert json.loads(logs[1].before_data)["值"] == "520302*******4567"[:6] + "********" + "4567"
    assert GOOD_ID not in logs[1].after_data and ID_C not in logs[1].before_data  # PII masked in the audit


def test_typed_values_are_checked_like_the_form_field_and_the_lock_holds(engine, codec, seeded):
    ctx = _ctx(engine, codec, COUNTY)
    with pytest.raises(FieldErrors) as exc:
        review.decide(ctx, seeded["birth"], "type", value="1990-02-30")
    assert exc.value.errors["value"].startswith("出生日期：1990-02-30 不是有效日期")
    with pytest.raises(FieldErrors) as exc:
        review.decide(ctx, seeded["id"], "type", value="520102199001011235")
    assert exc.value.errors["value"].startswith("公民身份号码：")
    with pytest.raises(FieldErrors) as exc:
        review.decide(ctx, seeded["phone"], "type", value="12ab")
    assert "联系电话" in exc.value.errors["value"]
    with pytest.raises(Refused):  # no candidates to accept
        review.decide(ctx, seeded["birth"], "accept")
    review.decide(ctx, seeded["birth"], "type", value="1990年3月15日")
    review.decide(ctx, seeded["phone"], "type", value="13812345678")
    with Session(engine) as s:
        p = s.get(Person, seeded["person"])
        assert p.birth_date.isoformat() == "1990-03-15" and p.pending_raw is None  # the raw text is decided
        assert codec.get(p, "phone") == "13812345678"
    assert "13812345678" not in _audits(engine)[-1].after_data

    # optimistic lock: the person moved on since the page was opened (v3 after the two decisions)
    with Session(engine) as s:
        s.get(Person, seeded["person"]).remarks = "别人改过"
        s.commit()
    with pytest.raises(ConflictError):
        review.decide(ctx, seeded["employer"], "accept", expected_version=1, person_version=3)
    review.decide(ctx, seeded["employer"], "accept", expected_version=1, person_version=4)
    other = _ctx(engine, codec, COUNTY, "clerk3")
    with pytest.raises(Refused) as exc:  # a second clerk on the same item
        review.decide(other, seeded["employer"], "reject")
    assert "已采纳" in exc.value.message and "clerk1" in exc.value.message
    with pytest.raises(ConflictError):
        review.decide(other, seeded["id"], "reject", expected_version=0)


def test_queue_filters_keyset_bounded_counts_and_scope(engine, codec, seeded):
    other = _ctx(engine, codec, COUNTY_B, "clerkb")
    with pytest.raises(NotFound):
        review.detail(other, seeded["employer"])
    with pytest.raises(NotFound):
        review.decide(other, seeded["employer"], "accept")
    assert review.queue(other, review.Filters(), PageRequest(size=10)).rows == []
    ctx = _ctx(engine, codec, COUNTY)
    first = review.queue(ctx, review.Filters(), PageRequest(size=2))
    assert [r.id for r in first.rows] == [seeded["employer"], seeded["id"]] and first.has_next
    second = review.queue(ctx, review.Filters(), PageRequest(size=2, after=first.last_key))
    assert [r.id for r in second.rows] == [seeded["work_item"], seeded["birth"]]
    assert [r.id for r in review.queue(ctx, review.Filters(sheet="工作经历"), PageRequest()).rows] == [seeded["work_item"]]
    assert [r.id for r in review.queue(ctx, review.Filters(category="身份证号待核实"), PageRequest()).rows] == [seeded["id"]]
    assert len(review.queue(ctx, review.Filters(field="工作单位"), PageRequest()).rows) == 2
    review.decide(ctx, seeded["birth"], "reject")
    assert [r.id for r in review.queue(ctx, review.Filters(status="已驳回"), PageRequest()).rows] == [seeded["birth"]]
    counts = {c: n for c, n, exact in review.category_counts(ctx)}
    assert counts == {"单位名称待核实": 2, "身份证号待核实": 1, "电话格式错误": 1}


# -- 一人多档 ----------------------------------------------------------------------------------------------------
def _sweep(engine, codec, run_id) -> int:
    """The load's 一人多档 sweep, on the loader's engine (MariaDB: LOAD DATA LOCAL INFILE)."""
    from pipelines.load import sweep_multi_archive
    from pipelines.load.bulk import loader_engine

    loader = loader_engine(engine.url.render_as_string(hide_password=False))
    try:
        return sweep_multi_archive(loader, codec, run_id)
    finally:
        loader.dispose()


@pytest.fixture
def twins(engine, codec):
    """The same 身份证 at county A (NM7) and county B (YY7), flagged by the load's sweep."""
    seed_agencies_and_users(engine, {"clerk1": ["档案经办人"]})
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        a = add_person(s, codec, COUNTY, "NM7", "欧阳娜娜", GOOD_ID, archive_status="在库")
        b = add_person(s, codec, COUNTY_B, "YY7", "欧阳娜娜", GOOD_ID, archive_status="在库")
        s.commit()
        ids = {"a": a.id, "b": b.id}
    assert _sweep(engine, codec, "sweep1") == 2
    with Session(engine) as s:
        for it in s.scalars(select(ReviewItem).where(ReviewItem.rule == "multi_archive")):
            ids["item_a" if it.person_id == ids["a"] else "item_b"] = it.id
            assert it.category == "一人多档"
    return ids


def test_both_agencies_see_the_pair_and_two_persons_are_never_flagged_again(engine, codec, twins):
    ca, cb = _ctx(engine, codec, COUNTY), _ctx(engine, codec, COUNTY_B, "clerkb")
    pa = review.pair(ca, twins["item_a"])
    assert [(r.archive_no, r.name, r.mine) for r in pa.records] == [("NM7", "欧阳娜娜", True), ("YY7", "欧***", False)]
    other = pa.others[0]
    assert other.agency_name == "贵阳市云岩区人才服务中心" and other.archive_status == "在库" and other.item_id is None
    pb = review.pair(cb, twins["item_b"])
    assert [(r.archive_no, r.mine) for r in pb.records] == [("NM7", False), ("YY7", True)]
    # B may open the pair through A's item (minimal view), never A's item itself
    assert [r.mine for r in review.pair(cb, twins["item_a"]).records] == [False, True]
    with pytest.raises(NotFound):
        review.detail(cb, twins["item_a"])
    with pytest.raises(NotFound):
        review.pair(_ctx(engine, codec, "52030201", "x"), twins["item_a"])  # an agency holding neither record
    with pytest.raises(Refused):
        review.decide(ca, twins["item_a"], "reject")  # settled on the pair page only

    # marked as two different persons: both sides close, B sees A's decision, the sweep honours it
    with pytest.raises(NotFound):
        review.mark_different(cb, twins["item_a"])  # not B's item
    closed = review.mark_different(ca, twins["item_a"], expected_version=1)
    assert sorted(i.id for i in closed) == sorted([twins["item_a"], twins["item_b"]])
    pb = review.pair(cb, twins["item_b"])  # B sees A's decision
    assert pb.item.status == "已驳回" and pb.item.decided_by == "clerk1"
    assert [(p.settlement, p.settled_by, p.settled_agency) for p in pb.settled] == [("不同人员", "clerk1", COUNTY)]
    with pytest.raises(Refused):
        review.mark_different(cb, twins["item_b"])
    assert _sweep(engine, codec, "sweep2") == 0
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.status == "待处理")) == 0
        # a third record of the same 身份证 is a new pair: flagged, for the new record and the settled ones
        add_person(s, codec, "52030201", "HHG7", "欧阳娜娜", GOOD_ID)
        s.commit()
    assert _sweep(engine, codec, "sweep3") == 3


def test_a_registered_transfer_settles_the_pair(engine, codec, twins):
    """Lazily when the pair page is opened after a 档案转出, and through the transfer module's hook."""
    ca, cb = _ctx(engine, codec, COUNTY), _ctx(engine, codec, COUNTY_B, "clerkb")
    assert review.pair(ca, twins["item_a"]).item.status == "待处理"  # open until the transfer is registered
    with Session(engine) as s:
        s.add(ArchiveTransferOut(agency_code=COUNTY, person_id=twins["a"], to_unit="贵阳市云岩区人才服务中心",
                                 status="待审核"))
        s.commit()
    pb = review.pair(cb, twins["item_b"])
    assert pb.item.status == "已采纳" and [p.settlement for p in pb.settled] == ["已转递"]
    with Session(engine) as s:
        assert {i.status for i in s.scalars(select(ReviewItem))} == {"已采纳"}
        c = add_person(s, codec, COUNTY, "NM8", "王五", ID_B)
        d = add_person(s, codec, COUNTY_B, "YY8", "王五", ID_B)
        s.commit()
        c_id, d_id = c.id, d.id
    assert _sweep(engine, codec, "sweep2") == 2
    from archives_domain.business.base import transaction
    ca.session.rollback()
    with transaction(ca):  # what the transfer module calls when it registers the 档案转出 of NM8
        closed = review.settle_after_transfer(ca, c_id)
    assert sorted(i.person_id for i in closed) == sorted([c_id, d_id]) and {i.status for i in closed} == {"已采纳"}
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(SettledPair)) == 2


def test_registering_the_transfer_out_closes_the_pair_on_both_sides(engine, codec, twins):
    """The 档案转出 command itself settles the 一人多档 pair, in its own transaction (no page needs opening)."""
    from archives_domain.business import transfers
    ca = _ctx(engine, codec, COUNTY)
    transfers.register_out(ca, twins["a"], {"to_unit": "贵阳市云岩区人才服务中心", "reason": "一人多档合并"})
    with Session(engine) as s:
        items = {i.id: i.status for i in s.scalars(select(ReviewItem))}
        assert items[twins["item_a"]] == "已采纳" and items[twins["item_b"]] == "已采纳"
        assert [p.settlement for p in s.scalars(select(SettledPair))] == ["已转递"]
