"""综合统计 (archives_domain.statistics) on SQLite and MariaDB: 档案信息统计 counts equal direct counts and the
drill-down stays in scope; the reports (档案存量, 业务量, 转递 against the deadlines) count what is there; the
custom query refuses unknown keys and injection strings, masks PII without the permission, is bounded and
scoped; saved queries are per user; xlsx opens and holds the rows; the PDF renders."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain import audit as audit_chain, paging
from archives_domain.business.base import Actor, BusinessError, Context, NotFound
from archives_domain.models import (ArchiveConsultation, ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut,
                                    PartyDuesPayment, PartyMember, StatsSavedQuery)
from archives_domain.models import counting
from archives_domain.statistics import archive_counts as AC, custom_query as CQ, export, kinds, reports
from archives_domain.statistics import saved_queries as SQ
from archives_domain.statistics.periods import Period, parse_period
from biz_seed import COUNTY_B, ID_A, PREFECTURE, COUNTY_C, seed_persons, seed_tree_and_users
from conftest import COUNTY, PROVINCE, seed_agencies_and_users

TODAY = dt.date(2026, 12, 7)
_OPEN: list[Session] = []


@pytest.fixture(autouse=True)
def _close_sessions(request):
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine")
    yield
    while _OPEN:
        _OPEN.pop().close()


def _ctx(engine, codec, username="stat1", scope=(COUNTY,), agency=COUNTY) -> Context:
    s = Session(engine)
    _OPEN.append(s)
    return Context(s, Actor(username, agency, frozenset(scope)), audit_chain.audit_key(codec.keyring), codec,
                   today=TODAY)


def seed_business(engine, persons) -> None:
    """Business at county A and county B over 2026, one 政审考察, a party member paying dues, an out-of-range row."""
    d = dt.date
    with Session(engine) as s:
        pa, pb = persons["a"], persons["b"]
        s.add_all([
            ArchiveTransferIn(agency_code=COUNTY, person_id=pa, in_date=d(2026, 1, 5), cross_province=True),
            ArchiveTransferIn(agency_code=COUNTY, person_id=pa, in_date=d(2026, 3, 9)),
            ArchiveTransferIn(agency_code=COUNTY_B, person_id=pb, in_date=d(2026, 3, 10)),
            ArchiveTransferIn(agency_code=COUNTY, person_id=pa, in_date=d(2025, 12, 31)),
            # on time both ways; late out and late receipt; no receipt, overdue
            ArchiveTransferOut(agency_code=COUNTY, person_id=pa, request_date=d(2026, 1, 2), out_date=d(2026, 2, 1),
                               receipt_returned=True, receipt_date=d(2026, 2, 20), status="已回执"),
            ArchiveTransferOut(agency_code=COUNTY, person_id=pa, request_date=d(2026, 1, 2), out_date=d(2026, 4, 1),
                               receipt_returned=True, receipt_date=d(2026, 6, 1), status="已回执",
                               cross_province=True),
            ArchiveTransferOut(agency_code=COUNTY, person_id=pa, out_date=d(2026, 3, 1), status="已寄出"),
            ArchiveTransferOut(agency_code=COUNTY_B, person_id=pb, out_date=d(2026, 3, 1), status="已寄出"),
            ArchiveLoan(agency_code=COUNTY, person_id=pa, loan_date=d(2026, 3, 3), return_date=d(2026, 3, 20),
                        status="已归还"),
            ArchiveConsultation(agency_code=COUNTY, person_id=pa, kind="档案查阅",
                                consult_time=dt.datetime(2026, 3, 4, 2, 0)),
            # 2026-02-28 20:00 UTC is 1 March in Beijing
            ArchiveConsultation(agency_code=COUNTY, person_id=pa, kind="政审考察",
                                consult_time=dt.datetime(2026, 2, 28, 20, 0)),
        ])
        m = PartyMember(agency_code=COUNTY, person_id=pa, member_type="正式党员")
        s.add(m)
        s.flush()
        s.add(PartyDuesPayment(agency_code=COUNTY, party_member_id=m.id, amount=12, paid_on=d(2026, 3, 15)))
        s.commit()


@pytest.fixture
def data(engine, codec):
    seed_agencies_and_users(engine, {"clerk1": ["档案经办人"]})
    seed_tree_and_users(engine, codec)
    persons = seed_persons(engine, codec)
    seed_business(engine, persons)
    return persons


def test_counted_kinds_are_indexed():
    assert set(kinds.COUNTED) <= set(counting.COUNTED)
    assert {k.label for k in kinds.WORKBENCH} >= {"档案转入", "党费交纳", "档案查阅"}


def _direct(engine, kind, codes, start, end) -> int:
    lo, hi = start, end
    col = kind.date_col
    with Session(engine) as s:
        rows = s.execute(sa.select(col, kind.model.agency_code, *(
            [getattr(kind.model, kind.where[0])] if kind.where else []))).all()
    n = 0
    for r in rows:
        v = r[0]
        if v is None or r[1] not in codes or (kind.where and r[2] != kind.where[1]):
            continue
        day = (v + dt.timedelta(hours=8)).date() if isinstance(v, dt.datetime) else v
        n += lo <= day <= hi
    return n


def test_counts_equal_direct_counts(engine, codec, data):
    ctx = _ctx(engine, codec)
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 7), "month")
    for codes in ([COUNTY], [COUNTY, COUNTY_B]):
        table = AC.count_table(ctx.session, codes, period)
        for kind in kinds.KINDS:
            assert table.total(kind.key) == _direct(engine, kind, codes, period.start, period.end), kind.key
    table = AC.count_table(ctx.session, [COUNTY], period)
    assert table.cells["transfer_in"][:3] == [1, 0, 1]
    assert table.cells["political_review"][2] == 1  # 1 March Beijing, though 28 Feb in UTC
    assert table.total("consult") == 2 and table.total("party_dues") == 1
    day = AC.count_table(ctx.session, [COUNTY], Period(dt.date(2026, 3, 1), dt.date(2026, 3, 1), "day"))
    assert day.total("consult") == 1 and day.total("transfer_out") == 1


def test_period_bounds_named(engine, codec):
    with pytest.raises(BusinessError) as e:
        parse_period({"grain": "day", "date_from": "2020-01-01", "date_to": "2026-01-01"}, TODAY)
    assert e.value.field == "date_from"
    with pytest.raises(BusinessError) as e:
        parse_period({"grain": "week"}, TODAY)
    assert "统计周期" in e.value.message


def test_drilldown_in_scope_and_masked(engine, codec, data):
    ctx = _ctx(engine, codec)
    kind = kinds.BY_KEY["transfer_in"]
    page, total = AC.records(ctx.session, codec, kind, [COUNTY], dt.date(2026, 1, 1), TODAY,
                             paging.PageRequest(size=1))
    assert total == (2, True) and len(page.rows) == 1 and page.has_next
    row = page.rows[0]
    assert row["name"] == "张*" and row["id_number"] == ID_A[:6] + "********" + ID_A[-4:]
    assert row["person_url"] == f"/person/{data['a']}"
    nxt, _ = AC.records(ctx.session, codec, kind, [COUNTY], dt.date(2026, 1, 1), TODAY,
                        paging.PageRequest(size=1, after=tuple(json.loads(json.dumps(page.last_key)))))
    assert nxt.rows[0]["id"] != row["id"] and not nxt.has_next
    full, _ = AC.records(ctx.session, codec, kind, [COUNTY], dt.date(2026, 1, 1), TODAY,
                         paging.PageRequest(size=10), unmasked=True)
    assert {r["name"] for r in full.rows} == {"张三"} and {r["agency_code"] for r in full.rows} == {COUNTY}
    dues, _ = AC.records(ctx.session, codec, kinds.BY_KEY["party_dues"], [COUNTY], dt.date(2026, 1, 1), TODAY,
                         paging.PageRequest(size=10))
    assert [r["person_id"] for r in dues.rows] == [data["a"]]
    timed, _ = AC.records(ctx.session, codec, kinds.BY_KEY["consult"], [COUNTY], dt.date(2026, 1, 1), TODAY,
                          paging.PageRequest(size=1))
    second, _ = AC.records(ctx.session, codec, kinds.BY_KEY["consult"], [COUNTY], dt.date(2026, 1, 1), TODAY,
                           paging.PageRequest(size=1, after=tuple(timed.last_key)))
    assert len(second.rows) == 1 and second.rows[0]["id"] != timed.rows[0]["id"]


def test_scope_choice(engine, codec, data):
    from archives_domain.statistics.scope import chosen_codes
    ctx = _ctx(engine, codec, scope=(PROVINCE, COUNTY, COUNTY_B, PREFECTURE, COUNTY_C), agency=PROVINCE)
    assert chosen_codes(ctx.session, ctx.actor, PREFECTURE) == sorted([PREFECTURE, COUNTY_C])
    assert chosen_codes(ctx.session, ctx.actor, PREFECTURE, subtree=False) == [PREFECTURE]
    # a 省级 agency with its subtree is the province (data_scope's rule), cut to the scope
    assert chosen_codes(ctx.session, ctx.actor, PROVINCE) == sorted([PROVINCE, COUNTY, COUNTY_B, PREFECTURE, COUNTY_C])
    small = _ctx(engine, codec)
    with pytest.raises(BusinessError) as e:
        chosen_codes(small.session, small.actor, COUNTY_B)
    assert e.value.field == "agency"


def test_reports(engine, codec, data):
    ctx = _ctx(engine, codec)
    tr = reports.run_report(ctx.session, "transfer", [COUNTY], {"date_from": "2026-01-01", "date_to": "2026-12-07"},
                            TODAY)
    row = tr.rows[0]
    assert (row["in_total"], row["in_cross"], row["out_total"], row["out_cross"]) == (2, 1, 3, 1)
    assert (row["out_on_time"], row["out_late"]) == (1, 1)
    assert (row["receipt_on_time"], row["receipt_late"], row["receipt_overdue"], row["receipt_pending"]) == (1, 1, 1, 0)
    assert tr.rows[-1]["agency"] == "合计" and tr.rows[-1]["out_total"] == 3
    vol = reports.run_report(ctx.session, "volume", [COUNTY], {"year": "2026"}, TODAY)
    assert vol.rows[2]["transfer_in"] == 1 and vol.rows[-1]["transfer_in"] == 2 and len(vol.rows) == 13
    stock = reports.run_report(ctx.session, "stock", [COUNTY, COUNTY_B], {"month": "2026-11"}, TODAY)
    with Session(engine) as s:
        n_a = s.scalar(sa.text("select count(*) from person where agency_code = :a"), {"a": COUNTY})
    assert stock.rows[0]["in_store"] == n_a and stock.rows[-1]["in_store"] == n_a + 1
    with pytest.raises(BusinessError) as e:
        reports.run_report(ctx.session, "stock", [COUNTY], {"month": "2026-13"}, TODAY)
    assert e.value.field == "month"


def test_xlsx_and_pdf(engine, codec, data, tmp_path):
    import openpyxl
    ctx = _ctx(engine, codec)
    res = reports.run_report(ctx.session, "transfer", [COUNTY], {}, TODAY)
    headers, rows = export.report_tables(res)
    data_pdf = export.table_pdf(res.title, res.subtitle, headers, rows, res.note, landscape=True)
    assert data_pdf.startswith(b"%PDF")
    (tmp_path / "t.pdf").write_bytes(data_pdf)  # docs/screenshots/stats-report-pdf.png is its first page
    rows.append(["=HYPERLINK(\"http://x\")", 1])
    wb = openpyxl.load_workbook(io.BytesIO(export.xlsx(res.title, res.subtitle, headers, rows)))
    ws = wb.active
    values = [[c.value for c in r] for r in ws.iter_rows()]
    assert values[2] == headers and values[3][0] == "贵阳市南明区人才服务中心" and values[3][3] == 3
    assert values[-1][0].startswith("'=")


# -- 自定义查询 ------------------------------------------------------------------------------------------------
def _def(items, filters=(), group_by=()):
    return {"items": list(items), "filters": list(filters), "group_by": list(group_by)}


@pytest.mark.parametrize("bad", ["person.name; DROP TABLE person", "person.name' OR '1'='1", "person.id_number_enc",
                                 "agency.code", "person.__class__", 7])
def test_custom_query_refuses_unknown_keys(bad):
    with pytest.raises(BusinessError) as e:
        CQ.parse(_def([bad]))
    assert e.value.field == "items" and "未知的数据项" in e.value.message
    with pytest.raises(BusinessError) as e:
        CQ.parse(_def(["person.name"], [{"item": bad, "op": "eq", "value": "x"}]))
    assert e.value.field == "filters"
    with pytest.raises(BusinessError) as e:
        CQ.parse(_def(["person.name"], group_by=[bad]))
    assert e.value.field == "group_by"


def test_custom_query_injection_values_are_bound(engine, codec, data):
    ctx = _ctx(engine, codec, scope=(COUNTY, COUNTY_B))
    evil = "张' OR '1'='1"
    d = CQ.parse(_def(["person.name"], [{"item": "person.name", "op": "prefix", "value": evil}]))
    sql = str(CQ.build(d, [COUNTY], codec, 50).compile(engine))
    assert "OR '1'='1" not in sql and "张" not in sql
    assert CQ.run(ctx.session, d, [COUNTY], codec).rows == []
    with pytest.raises(BusinessError) as e:
        CQ.parse(_def(["person.name"], [{"item": "person.name", "op": "like; --", "value": "x"}]))
    assert e.value.field == "filters"
    with pytest.raises(BusinessError):
        CQ.parse(_def(["person.birth_date"], [{"item": "person.birth_date", "op": "eq", "value": "1990-01-01' --"}]))


def test_custom_query_rows_groups_scope_and_masking(engine, codec, data):
    ctx = _ctx(engine, codec, scope=(COUNTY,))
    d = CQ.parse(_def(["person.archive_no", "person.name", "person.id_number", "transfer_out.out_date"],
                      [{"item": "transfer_out.out_date", "op": "range", "value": ["2026-01-01", ""]}]))
    res = CQ.run(ctx.session, d, [COUNTY], codec)
    assert len(res.rows) == 3 and {r[1] for r in res.rows} == {"张*"}  # county B's transfer out not seen
    assert res.rows[0][2] == ID_A[:6] + "********" + ID_A[-4:]
    full = CQ.run(ctx.session, d, [COUNTY], codec, unmasked=True)
    assert full.rows[0][1] == "张三" and full.rows[0][2] == ID_A
    g = CQ.parse(_def([], [{"item": "person.sex", "op": "in", "value": ["男", "女"]},
                           {"item": "transfer_in.in_date", "op": "range", "value": ["2026-01-01", "2026-12-31"]}],
                      group_by=["person.sex", "transfer_in.cross_province"]))
    res = CQ.run(ctx.session, g, [COUNTY, COUNTY_B], codec)
    assert res.grouped and sorted(res.rows, key=str) == sorted([["男", "是", 1], ["男", "否", 1], ["女", "否", 1]],
                                                                 key=str)
    by_id = CQ.parse(_def(["person.archive_no"], [{"item": "person.id_number", "op": "eq", "value": ID_A}]))
    assert CQ.run(ctx.session, by_id, [COUNTY, COUNTY_B], codec).rows == [["NM2024001"]]
    assert CQ.run(ctx.session, by_id, [COUNTY_B], codec).rows == []
    with pytest.raises(BusinessError) as e:
        CQ.parse(_def(["study.school", "work.employer"]))
    assert "另一类数据" in e.value.message
    with pytest.raises(BusinessError):
        CQ.parse(_def([], group_by=["person.id_number"]))


def test_custom_query_bounds(engine, codec, data):
    ctx = _ctx(engine, codec, scope=(COUNTY, COUNTY_B, COUNTY_C))
    d = CQ.parse(_def(["person.archive_no"]))
    res = CQ.run(ctx.session, d, [COUNTY, COUNTY_B, COUNTY_C], codec, limit=2)
    assert res.truncated and len(res.rows) == 2
    res = CQ.run(ctx.session, d, [COUNTY, COUNTY_B, COUNTY_C], codec, limit=3)
    assert not res.truncated and len(res.rows) == 3
    with pytest.raises(BusinessError):
        CQ.parse(_def(["person.archive_no"] * 1 + [f"x{i}" for i in range(30)]))


def test_saved_queries_per_user(engine, codec, data):
    mine, other = _ctx(engine, codec, "stat1"), _ctx(engine, codec, "stat2")
    row = SQ.save(mine, "南明转出", _def(["person.name"], [{"item": "person.sex", "op": "eq", "value": "男"}]))
    assert [q.name for q in SQ.list_own(mine)] == ["南明转出"] and SQ.list_own(other) == []
    with pytest.raises(NotFound):
        SQ.get_own(other, row.id)
    with pytest.raises(NotFound):
        SQ.rename(other, row.id, "偷改")
    with pytest.raises(NotFound):
        SQ.delete(other, row.id)
    with pytest.raises(BusinessError) as e:
        SQ.save(mine, "南明转出", _def(["person.name"]))
    assert e.value.field == "name"
    SQ.save(other, "南明转出", _def(["person.sex"]))  # the same name is another user's own
    SQ.rename(mine, row.id, "改名", expected_version=1)
    assert SQ.definition_of(SQ.get_own(mine, row.id))["filters"][0]["value"] == "男"
    SQ.delete(mine, row.id)
    with Session(engine) as s:
        assert s.scalars(sa.select(StatsSavedQuery.owner)).all() == ["stat2"]
        actions = s.scalars(sa.text("select action from audit_log where module2 = '自定义查询' order by id")).all()
    assert actions == ["保存查询", "保存查询", "修改", "删除"]
    with pytest.raises(BusinessError) as e:
        SQ.save(mine, "坏", _def(["person.nope"]))
    assert e.value.field == "items"
    # a definition is stored in clear: no 身份证 (or name) value may be saved in it
    with pytest.raises(BusinessError) as e:
        SQ.save(mine, "按身份证", _def(["person.name"], [{"item": "person.id_number", "op": "eq", "value": ID_A}]))
    assert e.value.field == "filters" and ID_A not in e.value.message
    SQ.save(mine, "有身份证的", _def(["person.name"], [{"item": "person.id_number", "op": "not_empty"}]))
