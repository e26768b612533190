"""The dashboards' analytics models (issue 15): month-end stock, business per month, transfer deadlines,
person structure, party members and repairs — built on both backends from a small set and checked against
counts made directly from the operational tables (and, for the deadlines, against `archives_domain.deadlines`)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain import deadlines
from archives_domain.models import (ArchiveTransferIn, ArchiveTransferOut, PartyDuesPayment, PartyMember, Person,
                                    Unit)
from archives_domain.models.quality import RepairLog
from pipelines import analytics
from tests.test_analytics import CITY, COUNTY, DAY, PROV, _person, wh  # noqa: F401  (wh is a fixture)

NEW = ("fact_stock_monthly", "fact_business_monthly", "fact_transfer_deadline", "fact_person_structure",
       "fact_party_member", "fact_dq_repair")


def _seed_dashboards(engine) -> None:
    """Receipts/transfers around the window's start and the deadlines' month ends, party members in
    each dues state, repairs."""
    d = dt.date
    with Session(engine) as s:
        unit = s.scalars(sa.select(Unit)).one()
        unit.industry = "信息技术服务业"
        s.add(Unit(agency_code=CITY, name="贵阳某某建筑公司", uscc="91520100MA6DKY9999", industry="建筑业"))
        p1 = _person(s, COUNTY, "D001", "吴一", archive_received_date=d(2015, 6, 10), transfer_out_date=d(2023, 1, 5),
                     archive_status="已转出", sex="男", education_level="大学本科")
        p2 = _person(s, COUNTY, "D002", "郑二", archive_received_date=d(2010, 1, 1), archive_status="在库",
                employer_uscc="91520100MA6DKY9999")
        p3 = _person(s, CITY, "D003", "冯三", archive_received_date=d(2024, 4, 30), archive_status="在库")
        p4 = _person(s, CITY, "D004", "陈四", archive_received_date=d(2014, 5, 31), transfer_out_date=d(2014, 6, 1),
                archive_status="已转出")   # in before the window, out on its first day
        _person(s, PROV, "D005", "褚五", archive_received_date=d(2024, 5, 2), archive_status="在库")  # after the day
        out = [  # (request, out, receipt_returned, receipt_date, status)
            (d(2024, 1, 31), d(2024, 3, 31), True, d(2024, 4, 30), "已回执"),     # both kept on the last day
            (d(2023, 12, 31), d(2024, 4, 1), False, None, "已寄出"),             # 转出 late (due 02-29), 回执 open
            (d(2024, 3, 15), None, False, None, "待审核"),                       # 转出 open, in time
            (d(2024, 2, 1), None, False, None, "已审核"),                        # 转出 overdue (due 04-01)
            (d(2024, 1, 5), d(2024, 2, 1), False, None, "已寄出"),               # 回执 overdue (due 03-01)
            (d(2024, 1, 5), None, False, None, "已撤销"),                        # withdrawn: no deadline
        ]
        for req, out_d, ret, rdate, status in out:
            s.add(ArchiveTransferOut(agency_code=COUNTY, person_id=p1.id, request_date=req, out_date=out_d,
                                     receipt_returned=ret, receipt_date=rdate, status=status))
        s.add_all([
            ArchiveTransferIn(agency_code=CITY, person_id=p1.id, in_date=d(2024, 2, 29), shelved_date=d(2024, 4, 29),
                              status="已接收"),
            ArchiveTransferIn(agency_code=CITY, person_id=p1.id, in_date=d(2024, 1, 10), status="已接收"),
            ArchiveTransferIn(agency_code=CITY, person_id=p1.id, in_date=d(2024, 1, 10), status="已退回"),
        ])
        members = [PartyMember(agency_code=CITY, person_id=p3.id, member_type="预备党员", dues_paid_until=d(2023, 12, 31)),
                   PartyMember(agency_code=CITY, person_id=p2.id, member_type="正式党员"),
                   PartyMember(agency_code=CITY, person_id=p4.id, member_type="正式党员", status="已转出")]
        s.add_all(members)
        s.flush()
        s.add(PartyDuesPayment(agency_code=CITY, party_member_id=members[0].id, amount=Decimal("6.00"),
                               paid_until=d(2023, 10, 31), paid_on=d(2023, 6, 1)))
        for rule, applied in (("学历标准化", True), ("学历标准化", True), ("单位名称对齐", False),
                              ("birth_date_from_id", True)):
            s.add(RepairLog(run_id="run-2", agency_code=COUNTY, field="学历", rule=rule, applied=applied))
        s.commit()


@pytest.fixture
def dash(wh):  # noqa: F811
    _seed_dashboards(wh)
    analytics.build_all(wh, today=DAY, environ={})
    return wh


def _rows(engine, name):
    return analytics.read_table(engine, name, environ={})


def _held(p, day: dt.date) -> bool:
    """In the agency's custody at the end of `day` (the model's rule, from the person row)."""
    if p.transfer_out_date is None and p.archive_status == "已转出":
        return False
    return ((p.archive_received_date is None or p.archive_received_date <= day)
            and (p.transfer_out_date is None or p.transfer_out_date > day))


def _month_end(ym: int) -> dt.date:
    y, m = divmod(ym, 100)
    return deadlines.add_months(dt.date(y, m, 1), 1) - dt.timedelta(days=1)


def test_stock_monthly_equals_persons_held_at_each_month_end(dash):
    rows = _rows(dash, "fact_stock_monthly")
    with Session(dash) as s:
        persons = s.scalars(sa.select(Person)).all()
        n_agencies = s.execute(sa.text("SELECT COUNT(*) FROM agency")).scalar()
    months = sorted({r["year_month_key"] for r in rows})
    assert months[0] == 201406 and months[-1] == 202405 and len(months) == 120
    assert len(rows) == 120 * n_agencies
    for r in rows:
        if r["agency_code"] not in (COUNTY, CITY, PROV):
            assert int(r["stock_count"]) == 0
            continue
        ym = r["year_month_key"]
        end = min(_month_end(ym), DAY)
        mine = [p for p in persons if p.agency_code == r["agency_code"]]
        assert int(r["stock_count"]) == sum(_held(p, end) for p in mine), (r["agency_code"], ym)
        assert int(r["in_count"]) == sum(1 for p in mine if p.archive_received_date and p.archive_received_date <= DAY
                                         and p.archive_received_date.year * 100 + p.archive_received_date.month == ym)
        assert int(r["out_count"]) == sum(1 for p in mine if p.transfer_out_date
                                          and p.transfer_out_date.year * 100 + p.transfer_out_date.month == ym)
    may = {r["agency_code"]: int(r["stock_count"]) for r in rows if int(r["is_current_month"]) == 1}
    assert (may[COUNTY], may[CITY], may[PROV]) == (4, 2, 1)   # D005 arrives after the snapshot day


def test_transfer_deadline_results_match_the_domain_rules(dash):
    rows = _rows(dash, "fact_transfer_deadline")
    by = {(r["stage"], str(r["start_date"]), r["result"]) for r in rows}
    assert {("转出", "2024-01-31", "按时办结"), ("回执", "2024-03-31", "按时办结"), ("转出", "2023-12-31", "逾期办结"),
            ("转出", "2024-03-15", "办理中"), ("转出", "2024-02-01", "超期未办"), ("回执", "2024-02-01", "超期未办"),
            ("回执", "2024-04-01", "办理中"), ("上架", "2024-02-29", "按时办结"), ("转出", "2024-01-05", "按时办结"),
            ("上架", "2024-01-10", "超期未办"), ("上架", "2019-03-02", "超期未办")} <= by
    assert not any(r["start_date"] is not None and str(r["start_date"]) == "2024-01-05" and r["stage"] == "转出"
                   and r["result"] != "按时办结" for r in rows)   # the withdrawn one has no row
    assert {int(r["deadline_months"]) for r in rows if r["stage"] == "回执"} == {
        next(x.months for x in deadlines.RULES if x.business_type == "回执超期")}
    # 超期未办 is exactly what the to-do clock (archives_domain.deadlines.overdue) finds on the day
    stage_of = {"转出超期": "转出", "回执超期": "回执", "上架超期": "上架"}
    with Session(dash) as s:
        domain = {(stage_of[o.rule.business_type], o.source_id, str(o.due))
                  for agency in (COUNTY, CITY, PROV) for o in deadlines.overdue(s, agency, DAY)
                  if o.rule.business_type in stage_of}
    model = {(r["stage"], r["source_id"], str(r["due_date"])) for r in rows if r["result"] == "超期未办"}
    assert model == domain and len(model) == 7
    # the count columns agree with the result, one per row
    for r in rows:
        flags = (r["on_time_count"], r["late_count"], r["open_count"], r["overdue_count"])
        assert sum(int(f) for f in flags) == 1 and r["agency_name"]


def test_add_months_macro_clamps_like_the_domain(wh):  # noqa: F811
    starts = [dt.date(2024, 1, 31), dt.date(2023, 12, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 15),
              dt.date(2023, 11, 30)]
    with analytics.connect(wh, {}) as (conn, target):
        for start in starts:
            for n in (1, 2, -1, -119):
                lit = f"CAST('{start}' AS DATE)" if target.dialect == "mysql" else f"'{start}'"
                sql = analytics.render(f"SELECT {{{{add_months({lit}, {n})}}}}", target, DAY)
                got = conn.exec_driver_sql(sql).scalar()
                assert str(got) == str(deadlines.add_months(start, n)), (start, n, got)
    with pytest.raises(analytics.AnalyticsError, match="未知的期限规则"):
        analytics.render("SELECT {{deadline_months(没有这条)}}", target, DAY)


def test_business_monthly_sums_the_events(dash):
    events = _rows(dash, "fact_business_event")
    monthly = _rows(dash, "fact_business_monthly")
    want: dict = {}
    for e in events:
        if e["event_date"] is not None:
            day = dt.date.fromisoformat(str(e["event_date"])[:10])
            k = (e["agency_code"], day.year * 100 + day.month, e["event_type"])
            want[k] = want.get(k, 0) + 1
    got = {(r["agency_code"], r["year_month_key"], r["event_type"]): int(r["event_count"]) for r in monthly}
    assert got == want and sum(got.values()) == sum(1 for e in events if e["event_date"] is not None) > 9
    assert {str(r["month_start"])[:10] for r in monthly if r["year_month_key"] == 202404} == {"2024-04-01"}


def test_person_structure_counts_and_industry(dash):
    rows = _rows(dash, "fact_person_structure")
    with dash.connect() as conn:
        per_agency = dict(conn.execute(sa.text("SELECT agency_code, COUNT(*) FROM person GROUP BY agency_code")).all())
    got: dict = {}
    for r in rows:
        got[r["agency_code"]] = got.get(r["agency_code"], 0) + int(r["person_count"])
    assert got == per_agency
    industry = {}
    for r in rows:
        industry[r["industry"]] = industry.get(r["industry"], 0) + int(r["person_count"])
    # 张三丰 through his unit, 郑二 through the employer's USCC, everyone else unknown
    assert industry == {"信息技术服务业": 1, "建筑业": 1, "未知": sum(per_agency.values()) - 2}
    assert sum(int(r["person_count"]) for r in rows if r["in_stock"] == "否") == 3
    assert {r["prefecture_name"] for r in rows if r["agency_code"] == COUNTY} == {"贵阳市"}


def test_party_members_dues_state(dash):
    rows = {r["party_member_key"]: r for r in _rows(dash, "fact_party_member")}
    with Session(dash) as s:
        members = s.scalars(sa.select(PartyMember).where(PartyMember.status == "在册")).all()
    assert set(rows) == {m.id for m in members}
    states = sorted((r["member_type"], r["dues_state"], r["months_unpaid"] is None or int(r["months_unpaid"]))
                    for r in rows.values())
    # 张三丰 paid to 2024-04-30 (a payment's 所属期止); 预备党员 to 2023-12-31 (the member's 截止时间 is later
    # than the payment's): January to April unpaid; the third has never paid
    assert states == [("正式党员", "按期交纳", 0), ("正式党员", "无缴费记录", True), ("预备党员", "欠缴3-5个月", 4)]
    assert sum(int(r["overdue_count"]) for r in rows.values()) == 2
    paid = {r["member_type"]: Decimal(str(r["paid_last_12m"])) for r in rows.values() if r["member_type"] == "预备党员"}
    assert paid == {"预备党员": Decimal("6.00")}


def test_dq_repair_and_names(dash):
    rows = _rows(dash, "fact_dq_repair")
    got: dict = {}
    for r in rows:
        got[(r["run_id"], r["rule"], r["outcome"])] = got.get((r["run_id"], r["rule"], r["outcome"]), 0) + int(
            r["repair_count"])
    with dash.connect() as conn:
        want = {(run, rule, "自动修复" if applied else "转人工核实"): n for run, rule, applied, n in conn.execute(sa.text(
            "SELECT run_id, rule, applied, COUNT(*) FROM dq_repair_log GROUP BY run_id, rule, applied"))}
    assert got == want == {("run-1", "学历标准化", "自动修复"): 1, ("run-2", "学历标准化", "自动修复"): 2,
                           ("run-2", "单位名称对齐", "转人工核实"): 1, ("run-2", "birth_date_from_id", "自动修复"): 1}
    # the rule's Chinese description from dq_rules (a rule it does not know keeps its name)
    from dq_rules.repair_rules import RULES
    texts = {r["rule"]: r["rule_text"] for r in rows}
    assert texts == {"学历标准化": "学历标准化", "单位名称对齐": "单位名称对齐",
                     "birth_date_from_id": RULES["birth_date_from_id"]["text"]}
    assert {r["agency_name"] for r in _rows(dash, "fact_dq_run")} >= {rows[0]["agency_name"]}


def test_new_models_carry_agency_and_pass_checks(dash):
    for name in NEW:
        outcomes = {c.name: c for c in analytics.check_model(dash, name, environ={})}
        assert all(c.passed for c in outcomes.values()), (name, outcomes)
        cols = set(_rows(dash, name)[0])
        assert {"agency_code", "agency_name", "prefecture_name"} <= cols, name


def test_monthly_summaries_add_up_to_their_detail(dash):
    """The dashboards read the monthly summaries: per agency, stage, month and result they hold exactly the
    detail facts' sums (转递时限), per agency and month the payments' count and amount (党费)."""
    from collections import Counter
    detail, summary = Counter(), Counter()
    for r in _rows(dash, "fact_transfer_deadline"):
        if r["start_date"] is None:
            continue
        key = (r["agency_code"], r["stage"], r["result"], int(r["start_month_key"]))
        for col in ("transfer_count", "on_time_count", "late_count", "open_count", "overdue_count"):
            detail[key + (col,)] += int(r[col])
    for r in _rows(dash, "fact_transfer_deadline_monthly"):
        assert str(r["start_date"]).endswith("-01") and r["agency_name"]
        key = (r["agency_code"], r["stage"], r["result"], int(r["start_month_key"]))
        assert str(r["start_date"]).replace("-", "")[:6] == str(key[3])
        for col in ("transfer_count", "on_time_count", "late_count", "open_count", "overdue_count"):
            summary[key + (col,)] += int(r[col])
    assert detail and +detail == +summary
    paid, monthly = Counter(), Counter()
    for r in _rows(dash, "fact_party_dues"):
        ym = str(r["paid_on"])[:7]
        paid[(r["agency_code"], ym, "n")] += 1
        paid[(r["agency_code"], ym, "amount")] += round(float(r["amount"] or 0) * 100)
    for r in _rows(dash, "fact_party_dues_monthly"):
        ym = str(r["paid_on"])[:7]
        assert str(r["paid_on"]).endswith("-01") and int(r["year_month_key"]) == int(ym.replace("-", ""))
        monthly[(r["agency_code"], ym, "n")] += int(r["payment_count"])
        monthly[(r["agency_code"], ym, "amount")] += round(float(r["amount"] or 0) * 100)
    assert paid and +paid == +monthly
