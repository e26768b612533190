"""The analytics schema (warehouse_models + pipelines.analytics): built on both backends from a few
agencies' business rows, with real numbers checked against the operational tables; the daily stock
snapshot appended idempotently; no plain PII in dim_person; the swap atomic; the Dagster assets."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import warehouse_models
from archives_domain.models import (ArchiveConsultation, ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut,
                                    Certificate, PartyDuesPayment, PartyMember, Person, Unit, UnitAccount)
from archives_domain.models.quality import RepairLog, ReviewItem, RunStat
from pipelines import analytics

PROV, CITY, COUNTY = "52000001", "52010001", "52010201"   # 省级, 贵阳市 (市级), 南明区 (县级, under 贵阳市)
DAY = dt.date(2024, 5, 1)
VALID_ID = "52010219900101123X"
PHONE = "13812345678"


@pytest.fixture
def wh(engine, monkeypatch):
    """The migrated test database with reference data and business rows; the analytics schema
    (MySQL database `<db>_dw`, or the SQLite file beside the test database) removed afterwards."""
    from seeds.loader import load_reference_data

    monkeypatch.delenv("ARCHIVES_DW_DATABASE", raising=False)
    monkeypatch.delenv("ARCHIVES_DW_PATH", raising=False)
    load_reference_data(engine)
    seed_business(engine)
    yield engine
    target = analytics.target_for(engine, {})
    if target.dialect == "mysql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target.dw}")


def _person(s, agency, no, name, **kw):
    p = Person(agency_code=agency, archive_no=no, name=name, **kw)
    s.add(p)
    s.flush()
    return p


def seed_business(engine) -> None:
    with Session(engine) as s:
        unit = Unit(agency_code=COUNTY, name="贵州某某科技有限公司", uscc="91520100MA6DKY1234", contact="赵联系")
        s.add(unit)
        s.flush()
        s.add(UnitAccount(agency_code=COUNTY, account_no="LH001", unit_id=unit.id))
        a1 = _person(s, COUNTY, "A001", "张三丰", sex="男", birth_date=dt.date(1990, 1, 1), archive_status="在库",
                     political_status="中共党员", collective_hukou=True, entrust_mode="单位委托", unit_id=unit.id,
                     id_number_enc="SM4G1.k1.c2VjcmV0", id_number_bidx="b" * 64, phone_enc="SM4G1.k1.cGhvbmU=",
                     remarks=f"电话 {PHONE}，身份证 {VALID_ID}", data_source="采集表")
        a2 = _person(s, COUNTY, "A002", "李四", sex="女", birth_date=dt.date(1960, 6, 1), archive_status="在库",
                     entrust_mode="个人委托")
        a3 = _person(s, COUNTY, "A003", "王五", sex="男", archive_status="借出", entrust_mode="个人委托")
        b1 = _person(s, CITY, "B001", "赵六", sex="女", birth_date=dt.date(2008, 3, 3), archive_status="在库",
                     entrust_mode="个人委托")
        b2 = _person(s, CITY, "B002", "钱七", archive_status="已转出", entrust_mode="个人委托")
        _person(s, PROV, "C001", "孙八")  # no archive status, no entrust mode → 未知
        s.add_all([
            ArchiveTransferIn(agency_code=COUNTY, person_id=a1.id, in_date=dt.date(2019, 3, 2), archive_kind="正式"),
            ArchiveTransferIn(agency_code=COUNTY, person_id=a2.id, in_date=dt.date(2020, 7, 8), archive_kind="暂存"),
            ArchiveTransferOut(agency_code=COUNTY, person_id=a3.id, out_date=dt.date(2023, 1, 5), status="已寄出"),
            ArchiveTransferOut(agency_code=CITY, person_id=b2.id, out_date=dt.date(2024, 2, 1), status="已回执"),
            ArchiveLoan(agency_code=COUNTY, person_id=a3.id, loan_date=dt.date(2024, 4, 1),
                        return_date=dt.date(2024, 4, 10), status="已归还"),
            ArchiveLoan(agency_code=CITY, person_id=b1.id, loan_date=dt.date(2024, 4, 20), status="借出"),
            ArchiveConsultation(agency_code=COUNTY, person_id=a1.id, kind="政审考察",
                                consult_time=dt.datetime(2024, 3, 15, 10, 30)),
            Certificate(agency_code=CITY, person_id=b1.id, cert_type="存档证明", cert_no="ZM2024001",
                        issued_on=dt.date(2024, 4, 2)),
        ])
        member = PartyMember(agency_code=COUNTY, person_id=a1.id, member_type="正式党员")
        s.add(member)
        s.flush()
        s.add_all([
            PartyDuesPayment(agency_code=COUNTY, party_member_id=member.id, amount=Decimal("30.00"),
                             period_from=dt.date(2024, 1, 1), period_to=dt.date(2024, 3, 31),
                             paid_on=dt.date(2024, 4, 3)),
            PartyDuesPayment(agency_code=COUNTY, party_member_id=member.id, amount=Decimal("12.50"),
                             period_from=dt.date(2024, 4, 1), period_to=dt.date(2024, 4, 30),
                             paid_on=dt.date(2024, 4, 28)),
        ])
        s.add_all([
            RunStat(run_id="run-1", agency_code=COUNTY, run_at=dt.datetime(2024, 4, 1, 2, 0), rows_in=100,
                    records=90, quarantined=10, duplicates=3, repaired=9, review_items=2,
                    completeness=Decimal("0.9500"), validity=Decimal("0.9000")),
            RunStat(run_id="run-2", agency_code=COUNTY, run_at=dt.datetime(2024, 4, 2, 2, 0), rows_in=100,
                    records=95, quarantined=5, duplicates=0, repaired=4, review_items=1),
            RunStat(run_id="run-2", agency_code=CITY, run_at=dt.datetime(2024, 4, 2, 2, 5), rows_in=40,
                    records=40, quarantined=0),
        ])
        s.add_all([
            ReviewItem(agency_code=COUNTY, person_id=a1.id, field="工作单位", category="单位不一致", reason="r"),
            ReviewItem(agency_code=COUNTY, person_id=a2.id, field="工作单位", category="单位不一致", reason="r"),
            ReviewItem(agency_code=COUNTY, person_id=a3.id, field="学历", category="学历不符", reason="r",
                       status="已采纳"),
        ])
        s.add(RepairLog(run_id="run-1", agency_code=COUNTY, field="学历", rule="学历标准化", applied=True))
        s.commit()


def _ops_counts(engine, table: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text(f"SELECT agency_code, COUNT(*) FROM {table} GROUP BY agency_code")).all())


def _by(rows, *keys, value="person_count") -> dict:
    out = {}
    for r in rows:
        k = tuple(r[c] for c in keys) if len(keys) > 1 else r[keys[0]]
        out[k] = out.get(k, 0) + int(r[value])
    return out


def test_models_are_data_and_ordered():
    names = [m.name for m in warehouse_models.build_order()]
    assert set(names) == {m.name for m in warehouse_models.MODELS}
    for m in warehouse_models.MODELS:
        assert m.path.is_file(), m.path
        assert all(names.index(d) < names.index(m.name) for d in m.deps)
        assert m.sql().lstrip().upper().startswith(("SELECT", "--"))
    assert [m.name for m in warehouse_models.build_order(["fact_party_dues"])] == ["fact_party_dues"]


def test_render_per_backend():
    sqlite_t = analytics.Target("sqlite", "main", "dw", "/x.sqlite3")
    mysql_t = analytics.Target("mysql", "`ops`", "`ops_dw`", "ops_dw")
    sql = "SELECT {{concat({{year(d)}}, '年', {{pad2({{month(d)}})}})}}, {{today}} FROM {{ops}}.t"
    assert analytics.render(sql, sqlite_t, DAY) == (
        "SELECT (CAST(strftime('%Y', d) AS INTEGER) || '年' || printf('%02d', CAST(strftime('%m', d) AS INTEGER))), "
        "'2024-05-01' FROM main.t")
    assert analytics.render(sql, mysql_t, DAY) == (
        "SELECT CONCAT(YEAR(d), '年', LPAD(MONTH(d), 2, '0')), CAST('2024-05-01' AS DATE) FROM `ops`.t")
    with pytest.raises(analytics.AnalyticsError):
        analytics.render("SELECT {{nope(x)}}", sqlite_t, DAY)


def test_pii_offences_finds_ids_phones_and_full_names():
    assert analytics.pii_offences([{"name_masked": "张*", "employer_uscc": "91520100MA6DKY1234", "birth_year": 1990}]) == []
    assert analytics.pii_offences([{"note": f"x{VALID_ID}y"}])
    assert analytics.pii_offences([{"note": f"电话{PHONE}"}])
    assert analytics.pii_offences([{"name_masked": "张三丰"}])


def test_build_all_numbers_match_the_operational_tables(wh):
    results = {r.model: r for r in analytics.build_all(wh, today=DAY, environ={})}
    assert set(results) == set(warehouse_models.BY_NAME)

    # dim_agency: every agency, with its prefecture agency and region
    agencies = {r["agency_code"]: r for r in analytics.read_table(wh, "dim_agency", environ={})}
    with wh.connect() as conn:
        assert len(agencies) == conn.execute(sa.text("SELECT COUNT(*) FROM agency")).scalar() == 103
    assert agencies[COUNTY]["prefecture_agency_code"] == CITY
    assert agencies[COUNTY]["county_name"] == "南明区" and agencies[COUNTY]["prefecture_name"] == "贵阳市"
    assert agencies[CITY]["prefecture_agency_code"] == CITY
    assert agencies[PROV]["province_agency_code"] == PROV and agencies[PROV]["prefecture_agency_code"] is None

    # dim_date: 1 Jan of the earliest business year (2019) to 31 Dec of the snapshot year
    dates = analytics.read_table(wh, "dim_date", environ={})
    assert len(dates) == (dt.date(2024, 12, 31) - dt.date(2019, 1, 1)).days + 1
    assert len({d["date_key"] for d in dates}) == len(dates)
    may1 = next(d for d in dates if d["date_key"] == 20240501)
    assert (may1["year"], may1["quarter"], may1["month"], may1["day"], may1["weekday"]) == (2024, 2, 5, 1, 3)
    assert (may1["month_label"], may1["quarter_label"], may1["weekday_label"]) == ("2024年05月", "2024年第二季度", "星期三")
    assert str(may1["full_date"]) == "2024-05-01"

    # dim_unit
    units = analytics.read_table(wh, "dim_unit", environ={})
    assert [(u["agency_code"], u["account_count"], u["active_account_count"], u["person_count"]) for u in units] == [
        (COUNTY, 1, 1, 1)]
    assert "contact" not in units[0] and not any(c.startswith("phone") for c in units[0])

    # dim_person: counts per agency as in person; masked
    persons = analytics.read_table(wh, "dim_person", environ={})
    assert _count(persons, "agency_code") == _ops_counts(wh, "person") == {COUNTY: 3, CITY: 2, PROV: 1}
    zhang = next(p for p in persons if p["name_masked"] == "张*")
    assert (zhang["birth_year"], zhang["age_band"], zhang["collective_hukou"], zhang["sex"]) == (1990, "30-39岁", "是", "男")
    assert {p["age_band"] for p in persons} >= {"18岁以下", "60岁及以上", "未知"}

    # fact_archive_stock: the snapshot equals person grouped by agency and status
    stock = analytics.read_table(wh, "fact_archive_stock", environ={})
    assert _by(stock, "agency_code") == _ops_counts(wh, "person")
    assert _by(stock, "agency_code", "archive_status") == {
        (COUNTY, "在库"): 2, (COUNTY, "借出"): 1, (CITY, "在库"): 1, (CITY, "已转出"): 1, (PROV, "未知"): 1}
    assert _by(stock, "agency_code", value="party_member_count")[COUNTY] == 1
    assert _by(stock, "agency_code", value="collective_hukou_count")[COUNTY] == 1
    assert {r["snapshot_date_key"] for r in stock} == {20240501}

    # fact_business_event: one row per event
    events = analytics.read_table(wh, "fact_business_event", environ={})
    assert _by(events, "agency_code", "event_type", value="event_count") == {
        (COUNTY, "转入"): 2, (COUNTY, "转出"): 1, (COUNTY, "借阅"): 1, (COUNTY, "归还"): 1, (COUNTY, "政审考察"): 1,
        (CITY, "转出"): 1, (CITY, "借阅"): 1, (CITY, "开具证明"): 1}
    assert _count([e for e in events if e["event_type"] in ("转入",)], "agency_code") == _ops_counts(
        wh, "archive_transfer_in")
    review = next(e for e in events if e["event_type"] == "政审考察")
    assert review["date_key"] == 20240315 and str(review["event_date"]) == "2024-03-15"
    assert next(e for e in events if e["event_type"] == "开具证明")["event_subtype"] == "存档证明"

    # fact_party_dues
    dues = analytics.read_table(wh, "fact_party_dues", environ={})
    assert len(dues) == 2 and {d["agency_code"] for d in dues} == {COUNTY}
    assert sum(Decimal(str(d["amount"])) for d in dues) == Decimal("42.50")
    assert sorted(int(d["months_covered"]) for d in dues) == [1, 3]
    assert sorted(d["date_key"] for d in dues) == [20240403, 20240428]

    # fact_dq_run: one row per run × agency, the latest flagged
    runs = analytics.read_table(wh, "fact_dq_run", environ={})
    assert _count(runs, "agency_code") == _ops_counts(wh, "dq_run_stat") == {COUNTY: 2, CITY: 1}
    latest = {r["agency_code"]: r["run_id"] for r in runs if int(r["is_latest"]) == 1}
    assert latest == {COUNTY: "run-2", CITY: "run-2"}
    first = next(r for r in runs if r["run_id"] == "run-1")
    assert float(first["quarantine_rate"]) == pytest.approx(0.1) and first["run_date_key"] == 20240401
    assert float(first["completeness"]) == pytest.approx(0.95)

    # fact_review_backlog: 待处理 is the backlog
    backlog = analytics.read_table(wh, "fact_review_backlog", environ={})
    open_items = {(b["agency_code"], b["field"]): int(b["item_count"]) for b in backlog if b["status"] == "待处理"}
    assert open_items == {(COUNTY, "工作单位"): 2}
    assert sum(int(b["item_count"]) for b in backlog) == 3

    # every table but the calendar carries agency_code, never null; checks pass
    for m in warehouse_models.MODELS:
        outcomes = {c.name: c for c in analytics.check_model(wh, m.name, environ={})}
        assert all(c.passed for c in outcomes.values()), (m.name, outcomes)
        assert ("agency_code_not_null" in outcomes) == (m.name != "dim_date")


def _count(rows, key) -> dict:
    out = {}
    for r in rows:
        out[r[key]] = out.get(r[key], 0) + 1
    return out


def test_dim_person_holds_no_plain_pii(wh):
    analytics.build_model(wh, "dim_person", today=DAY, environ={})
    rows = analytics.read_table(wh, "dim_person", environ={})
    cols = set(rows[0])
    assert not {c for c in cols if c.endswith(("_enc", "_bidx"))}
    assert not cols & {"name", "id_number", "phone", "archive_no", "remarks", "hukou_address"}
    assert analytics.pii_offences(rows) == []
    flat = " ".join(str(v) for r in rows for v in r.values())
    for secret in ("SM4G1", "张三丰", "李四", PHONE, VALID_ID, "b" * 64):
        assert secret not in flat
    assert {r["name_masked"] for r in rows} == {"张*", "李*", "王*", "赵*", "钱*", "孙*"}
    check = next(c for c in analytics.check_model(wh, "dim_person", environ={}) if c.name == "no_plain_pii")
    assert check.passed


def test_pii_check_fails_on_a_leaky_model(wh, monkeypatch):
    leaky = (f"SELECT 1 AS person_key, '{COUNTY}' AS agency_code, '张三丰' AS name_masked, "
             f"'在库' AS archive_status, '{PHONE}' AS note FROM {{{{ops}}}}.agency WHERE code = '{COUNTY}'")
    monkeypatch.setattr(warehouse_models.Model, "sql", lambda self: leaky)
    analytics.build_model(wh, "dim_person", today=DAY, environ={})
    check = next(c for c in analytics.check_model(wh, "dim_person", environ={}) if c.name == "no_plain_pii")
    assert not check.passed and len(check.detail["offences"]) == 2
    # an ID inside a longer text, under a well-masked name, is found too; a USCC (18 characters) is not PII
    leaky = (f"SELECT 1 AS person_key, '{COUNTY}' AS agency_code, '张*' AS name_masked, "
             f"'在库' AS archive_status, '91520100MA6DKY1234' AS employer_uscc, 'x{VALID_ID}y' AS note FROM {{{{ops}}}}.agency "
             f"WHERE code = '{COUNTY}'")
    analytics.build_model(wh, "dim_person", today=DAY, environ={})
    check = next(c for c in analytics.check_model(wh, "dim_person", environ={}) if c.name == "no_plain_pii")
    assert not check.passed and check.detail["offences"] == ["note=x520…"], check.detail


def test_stock_snapshot_appends_per_day_idempotently(wh):
    def rows():
        return analytics.read_table(wh, "fact_archive_stock", environ={})

    analytics.build_model(wh, "fact_archive_stock", today=DAY, environ={})
    one_day = rows()
    assert sum(int(r["person_count"]) for r in one_day) == 6
    analytics.build_model(wh, "fact_archive_stock", today=DAY, environ={})
    assert len(rows()) == len(one_day)                      # same day twice: one copy
    # a person arrives; the next day's snapshot counts it, the previous day's stays as it was
    with Session(wh) as s:
        _person(s, COUNTY, "A004", "周九", archive_status="在库", entrust_mode="个人委托")
        s.commit()
    nxt = DAY + dt.timedelta(days=1)
    analytics.build_model(wh, "fact_archive_stock", today=nxt, environ={})
    after = rows()
    per_day = {}
    for r in after:
        per_day[r["snapshot_date_key"]] = per_day.get(r["snapshot_date_key"], 0) + int(r["person_count"])
    assert per_day == {20240501: 6, 20240502: 7}
    analytics.build_model(wh, "fact_archive_stock", today=nxt, environ={})
    assert len(rows()) == len(after)


def test_failing_model_leaves_the_previous_table_intact(wh, monkeypatch):
    analytics.build_model(wh, "dim_agency", today=DAY, environ={})
    before = analytics.read_table(wh, "dim_agency", environ={})
    monkeypatch.setattr(warehouse_models.Model, "sql",
                        lambda self: "SELECT code AS agency_code, no_such_column FROM {{ops}}.agency")
    with pytest.raises(analytics.AnalyticsError, match="dim_agency"):
        analytics.build_model(wh, "dim_agency", today=DAY, environ={})
    monkeypatch.undo()
    assert analytics.read_table(wh, "dim_agency", environ={}) == before
    with analytics.connect(wh, {}) as (conn, target):
        assert not analytics.table_exists(conn, target, "dim_agency__new")
        assert not analytics.table_exists(conn, target, "dim_agency__old")
    # and a later good build swaps in cleanly
    assert analytics.build_model(wh, "dim_agency", today=DAY, environ={}).rows == 103


def test_analytics_schema_is_separate_and_overridable(wh, tmp_path):
    target = analytics.target_for(wh, {})
    if target.dialect == "mysql":
        assert target.dw_name == f"{wh.url.database}_dw"
        other = f"{wh.url.database}_x"
        env = {"ARCHIVES_DW_DATABASE": other}
    else:
        assert target.dw_name == str(tmp_path.resolve() / "analytics.sqlite3")
        other = str(tmp_path / "elsewhere" / "dw.sqlite3")
        env = {"ARCHIVES_DW_PATH": other}
    try:
        analytics.build_model(wh, "dim_agency", today=DAY, environ=env)
        assert analytics.target_for(wh, env).dw_name == other
        assert len(analytics.read_table(wh, "dim_agency", environ=env)) == 103
        # nothing of the analytics schema lands in the operational schema
        assert not sa.inspect(wh).has_table("dim_agency")
    finally:
        if target.dialect == "mysql":
            with wh.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{other}`")


def test_assets_materialise_through_dagster(wh):
    from pipelines.assets import ANALYTICS_ASSETS
    from pipelines.resources import PipelineSettings

    settings = PipelineSettings.from_env({}, database_url=wh.url.render_as_string(hide_password=False))
    result = dg.materialize(ANALYTICS_ASSETS, resources={"settings": settings},
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    md = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert set(md) == set(warehouse_models.BY_NAME)
    assert md["dim_agency"]["rows"].value == 103
    assert md["dim_person"]["rows"].value == 6
    assert md["fact_business_event"]["rows"].value == 9
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks[("dim_person", "no_plain_pii")] and checks[("dim_agency", "has_rows")]
    assert all(checks.values()), checks
    assert len(checks) == 2 * len(warehouse_models.MODELS) - 1 + 1   # has_rows + agency (not dim_date) + pii


def test_definitions_wire_analytics_into_the_nightly_job():
    from pipelines.definitions import defs
    from pipelines.schedules import ANALYTICS_KEYS, PARTITIONED_KEYS, analytics_request, nightly_schedule

    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert set(warehouse_models.BY_NAME) <= keys
    nightly = repo.get_job("nightly")
    assert {k.to_user_string() for k in nightly.asset_layer.executable_asset_keys} >= set(warehouse_models.BY_NAME)
    assert repo.asset_graph.get(dg.AssetKey("dim_agency")).parent_keys == {dg.AssetKey("loaded")}
    assert dg.AssetKey("dim_person") in repo.asset_graph.get(dg.AssetKey("fact_business_event")).parent_keys
    # the schedule's per-agency runs leave the analytics out; the sensor asks for them once
    with dg.build_schedule_context() as ctx:
        requests = list(nightly_schedule(ctx))
    assert len(requests) == 103 and all(r.asset_selection == PARTITIONED_KEYS for r in requests)
    assert not set(ANALYTICS_KEYS) & set(PARTITIONED_KEYS)
    instance = dg.DagsterInstance.ephemeral()
    assert isinstance(analytics_request(instance), dg.SkipReason)


def test_cli_builds_and_lists(wh, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from archives_cli.main import cli

    monkeypatch.setenv("DATABASE_URL", wh.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ARCHIVES_VAR_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(cli, ["analytics", "build", "--date", "2024-05-01"])
    assert result.exit_code == 0, result.output
    lines = {ln.split()[0]: ln for ln in result.output.splitlines()[1:]}
    assert set(lines) == set(warehouse_models.BY_NAME)
    assert " 103 行" in lines["dim_agency"] and "快照 2024-05-01" in lines["fact_archive_stock"]
    result = CliRunner().invoke(cli, ["analytics", "build", "--model", "nope"])
    assert result.exit_code == 1 and "未知的分析模型" in result.output
    result = CliRunner().invoke(cli, ["analytics", "list"])
    assert result.exit_code == 0 and "fact_dq_run" in result.output
