"""The synthetic business history (`synth.history`, `archives synth history`) on 300 loaded persons, SQLite and
MariaDB: its invariants (no 借阅 while 已转出 or 借出, dates inside each person's custody and the window, the
persons' state equals what the history implies, 文书编号 formats), determinism, idempotence beside a clerk's
rows, plausible proportions and seasons, and the analytics build seeing every event type."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain.business import certificates
from archives_domain.migrate import upgrade
from archives_domain.pii.codec import PiiCodec
from archives_domain.pii.keyring import generate_keyring, load_keyring, write_keyring
from synth.history import run
from synth.history_rules import CREATED_BY

from conftest import BACKENDS, MYSQL_SERVER

TODAY = dt.date(2026, 3, 15)       # the window: 2016-01-01 … 2026-03-14
YESTERDAY = TODAY - dt.timedelta(days=1)
EVENT_TYPES = {"转入", "转出", "借阅", "归还", "查阅", "政审考察", "开具证明", "材料利用", "集体户迁入", "集体户迁出",
               "户籍卡借用", "党组织关系转入", "党组织关系转出"}
# every table the history writes, with its event date(s) and how to reach the person
DATED = {
    "archive_transfer_in": ("in_date", "t.person_id"), "archive_transfer_out": ("out_date", "t.person_id"),
    "archive_loan": ("loan_date", "t.person_id"), "archive_consultation": ("consult_time", "t.person_id"),
    "material_use": ("use_time", "t.person_id"), "certificate": ("issued_on", "t.person_id"),
    "archive_material": ("received_date", "t.person_id"), "collective_hukou": ("settle_date", "t.person_id"),
    "hukou_card_loan": ("loan_date", "(select person_id from collective_hukou h where h.id = t.collective_hukou_id)"),
    "party_org_transfer": ("transfer_date", "(select person_id from party_member m where m.id = t.party_member_id)"),
    "party_dues_payment": ("paid_on", "(select person_id from party_member m where m.id = t.party_member_id)"),
}


@pytest.fixture(scope="module")
def finals(tmp_path_factory):
    from pipelines.cleaning import clean_agency
    from pipelines.cleaning.repair import repair
    from pipelines.feeds import Feeds
    from pipelines.load import final_frames
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


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request, finals, tmp_path_factory):
    """A migrated database with the 300 persons loaded and the history written once (seed 5): (url, engine)."""
    from pipelines.load import load_agency
    from pipelines.load.bulk import loader_engine
    from seeds.loader import load_reference_data

    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        url, server, name = f"sqlite:///{tmp / 'h.sqlite3'}", None, None
    else:
        server, name = request.getfixturevalue("mysql_server"), f"archives_t_{uuid.uuid4().hex[:12]}"
        with server.connect() as conn:
            conn.execute(sa.text(f"create database {name} character set utf8mb4 collate utf8mb4_unicode_ci"))
        url = f"{MYSQL_SERVER}/{name}"
    engine = loader_engine(url)
    upgrade(engine)
    load_reference_data(engine)
    write_keyring(tmp / "pii.json", generate_keyring())
    codec = PiiCodec(load_keyring(tmp / "pii.json", create=False))
    for code, f in finals.items():
        load_agency(engine, codec, code, f, run_id="r1")
    before = persons(engine)
    run(url, seed=5, today=TODAY)
    yield url, engine, before
    engine.dispose()
    if server is not None:
        with server.connect() as conn:
            conn.execute(sa.text(f"drop database if exists {name}"))


def persons(engine) -> dict[int, dict]:
    with engine.connect() as conn:
        return {r["id"]: dict(r) for r in conn.execute(sa.text("select * from person")).mappings()}


def q(engine, sql: str, **kw) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), kw).all()


def day(v) -> dt.date | None:
    """A DATE or a DATETIME (SQLite gives text) as a date."""
    if v is None:
        return None
    if isinstance(v, str):
        return dt.date.fromisoformat(v[:10])
    return v.date() if isinstance(v, dt.datetime) else v


def checksum(engine) -> dict[str, tuple[int, str]]:
    """Per table: row count and a digest of the rows' content (ids replaced by the person they belong to)."""
    out = {}
    for table, (_, person) in DATED.items():
        with engine.connect() as conn:
            cols = [c for c in sa.inspect(conn).get_columns(table)
                    if c["name"] not in ("id", "collective_hukou_id", "party_member_id", "created_at", "updated_at")]
            names = ", ".join(f"t.{c['name']}" for c in cols)
            rows = conn.execute(sa.text(f"select {person} pid, {names} from {table} t where t.created_by = :by"),
                                {"by": CREATED_BY}).all()
        text = "\n".join(sorted("|".join(str(day(v) if isinstance(v, (dt.date, dt.datetime)) else v) for v in r)
                                for r in rows))
        out[table] = (len(rows), hashlib.sha256(text.encode()).hexdigest())
    return out


def test_loans_only_while_in_custody_and_never_twice(loaded):
    _, engine, _ = loaded
    state = {pid: p for pid, p in persons(engine).items()}
    loans: dict[int, list] = {}
    for pid, a, b in q(engine, "select person_id, loan_date, return_date from archive_loan"):
        loans.setdefault(pid, []).append((day(a), day(b)))
    assert sum(len(v) for v in loans.values()) > 50
    for pid, spans in loans.items():
        p = state[pid]
        spans.sort()
        for (a1, b1), (a2, _) in zip(spans, spans[1:]):
            assert b1 is not None and b1 < a2, (pid, spans)  # no 借阅 while already 借出
        open_ = [s for s in spans if s[1] is None]
        assert len(open_) == (1 if p["archive_status"] == "借出" else 0), (pid, spans, p["archive_status"])
        if p["archive_status"] == "已转出":  # no 借阅 once 已转出
            assert spans[-1][1] < day(p["transfer_out_date"])
    lent = [pid for pid, p in state.items() if p["archive_status"] == "借出" and p["archive_received_date"]]
    assert lent and all(pid in loans for pid in lent)


def test_every_event_inside_the_custody_and_the_window(loaded):
    _, engine, _ = loaded
    first_in = dict(q(engine, "select person_id, min(in_date) from archive_transfer_in group by person_id"))
    reentered = {pid for pid, n in q(engine, "select person_id, count(*) from archive_transfer_in "
                                             "group by person_id") if n > 1}
    received = {pid: day(p["archive_received_date"]) for pid, p in persons(engine).items()}
    checked = 0
    for table, (column, person) in DATED.items():
        rows = q(engine, f"select {person}, t.{column} from {table} t where t.created_by = :by", by=CREATED_BY)
        assert rows, f"{table} has no history rows"
        for pid, value in rows:
            d = day(value)
            assert d <= YESTERDAY, (table, pid, d)
            assert d >= day(first_in[pid]), (table, pid, d, first_in[pid])
            if pid not in reentered:
                assert d >= received[pid], (table, pid, d, received[pid])
            checked += 1
    assert checked > 1500 and reentered


def test_persons_state_is_what_the_history_implies(loaded):
    _, engine, before = loaded
    now = persons(engine)
    ins: dict[int, list] = {}
    outs: dict[int, list] = {}
    for pid, d in q(engine, "select person_id, in_date from archive_transfer_in"):
        ins.setdefault(pid, []).append(day(d))
    for pid, d, to in q(engine, "select person_id, out_date, to_unit from archive_transfer_out"):
        outs.setdefault(pid, []).append((day(d), to))
    filled = {"transfer_out_date", "transfer_out_to", "transfer_out_reason", "org_rel_in_date", "org_rel_out_date"}
    for pid, p in now.items():
        old = before[pid]
        for k, v in p.items():  # nothing loaded changes; the history fills only empty fields it must agree with
            if k not in ("updated_at", "version"):
                assert v == old[k] or (k in filled and old[k] is None), (pid, k, old[k], v)
        if p["archive_received_date"] is None:
            assert pid not in ins
            continue
        assert max(ins[pid]) == day(p["archive_received_date"])  # 档案接收时间 = the latest 转入
        last_out = max(outs.get(pid, [(None, None)]), key=lambda o: o[0] or dt.date.min)
        if p["archive_status"] == "已转出":
            assert last_out == (day(p["transfer_out_date"]), p["transfer_out_to"]) and last_out[0] > max(ins[pid])
        else:
            assert last_out[0] is None or last_out[0] < max(ins[pid])
    members = dict(q(engine, "select person_id, status from party_member"))
    party = {pid for pid, p in now.items() if p["political_status"] in ("中共党员", "中共预备党员")
             and p["archive_received_date"]}
    assert party and set(members) == party
    for pid in party:
        assert members[pid] == ("已转出" if now[pid]["org_rel_out_date"] else "在册")


def test_document_numbers_follow_the_numbering_formats(loaded):
    url, engine, _ = loaded
    seq = {(a, k, y): n for a, k, y, n in q(engine, "select agency_code, kind, year, last_no from doc_sequence")}
    from archives_domain.business.numbering import PREFIXES
    for table, column, kind_col in (("archive_transfer_out", "notice_no", "'转递通知单'"),
                                    ("archive_loan", "notice_no", "'借阅告知单'"), ("certificate", "cert_no", "cert_type")):
        rows = q(engine, f"select agency_code, {column}, {kind_col} from {table}")
        assert len({r[1] for r in rows}) == len(rows)
        for agency, no, kind in rows:
            m = re.fullmatch(rf"{PREFIXES[kind]}-{agency}-(\d{{4}})-(\d{{6}})", no)
            assert m, no
            assert seq[(agency, kind, int(m.group(1)))] >= int(m.group(2))
    kinds = {k for (k,) in q(engine, "select distinct cert_type from certificate")}
    assert kinds == set(certificates.KINDS)  # every kind the app can show and print, no other
    with Session(engine) as s:  # a synthetic certificate never passes the public check
        cert = s.scalar(sa.select(certificates.Certificate).limit(1))
        assert cert.verify_code is None and not certificates.signature_ok(s, cert)
        assert certificates.verify(s, cert.cert_no, "ANYCODE") is None
        snap = certificates.snapshot_of(cert)  # the show page and the PDF still have what they read
        assert snap["cert_no"] == cert.cert_no and snap["person"]["archive_no"] and "不能通过核验" in snap["paragraphs"][0]
        assert certificates.render_pdf(cert, "/verify/none").startswith(b"%PDF")


def test_proportions_and_seasons_are_plausible(loaded):
    _, engine, _ = loaded
    n = q(engine, "select count(*) from person where archive_received_date is not null")[0][0]
    count = {t: q(engine, f"select count(*) from {t}")[0][0] for t in DATED}
    assert 1.0 <= count["archive_transfer_in"] / n <= 1.2
    assert 0.1 <= count["archive_loan"] / n <= 0.8
    assert 0.2 <= count["archive_consultation"] / n <= 1.2
    assert 0.2 <= count["certificate"] / n <= 1.2
    assert 1.5 <= count["archive_material"] / n <= 4.0
    members = q(engine, "select count(*) from party_member")[0][0]
    assert 5 <= count["party_dues_payment"] / members <= 130
    months = [day(d).month for (d,) in q(engine, "select out_date from archive_transfer_out")]
    assert sum(6 <= m <= 9 for m in months) / len(months) > 4 / 12  # 毕业季
    years = [day(d).year for (d,) in q(engine, "select consult_time from archive_consultation")]
    assert years.count(2025) > years.count(2016)  # business grows


def test_rerun_gives_the_same_rows_and_keeps_the_clerks(loaded):
    url, engine, _ = loaded
    first = checksum(engine)
    with engine.begin() as conn:  # a clerk's certificate, already numbered in the window's last year
        pid, agency = conn.execute(sa.text("select id, agency_code from person where archive_received_date is not null "
                                           "order by id limit 1")).one()
        conn.execute(sa.text(
            "insert into certificate (agency_code, person_id, cert_type, cert_no, issued_on, revoked, version, "
            "created_by, created_at, updated_at) values (:a, :p, '存档证明', :no, :d, 0, 1, 'clerk', :t, :t)"),
            {"a": agency, "p": pid, "no": f"CD-{agency}-2026-000500", "d": YESTERDAY, "t": dt.datetime(2026, 3, 1)})
    run(url, seed=5, today=TODAY)
    second = checksum(engine)
    assert {t: c[0] for t, c in second.items()} == {t: c[0] for t, c in first.items()}
    changed = {t for t in first if first[t] != second[t]}
    assert changed <= {"certificate"}  # only the agency's 2026 numbers moved past the clerk's
    assert q(engine, "select count(*) from certificate where created_by = 'clerk'")[0][0] == 1
    nos = [no for (no,) in q(engine, "select cert_no from certificate where agency_code = :a and cert_no like :p "
                                     "and created_by = :by", a=agency, p=f"CD-{agency}-2026-%", by=CREATED_BY)]
    assert all(int(no[-6:]) > 500 for no in nos)
    with engine.begin() as conn:
        conn.execute(sa.text("delete from certificate where created_by = 'clerk'"))
    run(url, seed=5, today=TODAY)
    assert checksum(engine) == first  # same seed, same persons → the same rows
    run(url, seed=6, today=TODAY)
    other = checksum(engine)
    assert other["archive_loan"] != first["archive_loan"]
    run(url, seed=5, today=TODAY)
    assert checksum(engine) == first


def test_analytics_build_sees_every_event_type(loaded):
    from pipelines import analytics

    _, engine, _ = loaded
    analytics.build_all(engine, today=TODAY, environ={})
    target = analytics.target_for(engine, {})
    try:
        rows = analytics.read_table(engine, "fact_business_event", environ={})
    finally:
        if target.dialect == "mysql":
            with engine.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target.dw_name}")
    assert {r["event_type"] for r in rows} == EVENT_TYPES
    mine = q(engine, "select count(*) from archive_transfer_in")[0][0]
    assert sum(r["event_type"] == "转入" for r in rows) == mine


def test_cli_writes_the_history_up_to_yesterday(loaded, monkeypatch, tmp_path):
    """`archives synth history` against DATABASE_URL (today's window); runs last on each database."""
    from click.testing import CliRunner

    from archives_cli.main import cli

    url, engine, _ = loaded
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ARCHIVES_VAR_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(cli, ["synth", "history", "--seed", "5", "--years", "3", "--quiet"])
    assert result.exit_code == 0, result.output
    total = sum(int(ln.split()[1]) for ln in result.output.splitlines() if ln.split()[0] in DATED)
    assert total == sum(q(engine, f"select count(*) from {t} where created_by = :by", by=CREATED_BY)[0][0]
                        for t in DATED) > 0
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    yesterday = today - dt.timedelta(days=1)
    latest = max(day(d) for (d,) in q(engine, "select max(loan_date) from archive_loan"))
    assert latest <= yesterday
    first = min(day(d) for (d,) in q(engine, "select min(consult_time) from archive_consultation"))
    assert first >= dt.date(today.year - 3, 1, 1)
    assert "业务历史：" in result.output
