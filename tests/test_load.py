"""The load stage and the export: atomic, idempotent, clerks win, 一人多档, PII encrypted, export round trip,
and a run killed with SIGKILL during the load ends, after a re-run, exactly as an uninterrupted run.

Every test runs on SQLite and on MariaDB (`database_url` fixture)."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from archives_domain.migrate import upgrade
from archives_domain.pii.codec import PiiCodec
from archives_domain.pii.keyring import generate_keyring, load_keyring, write_keyring
from pipelines.load import final_frames, load_agency
from pipelines.load.bulk import loader_engine
from seeds.loader import load_reference_data

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from synth.generate import generate

    out = tmp_path_factory.mktemp("gen")
    generate(persons=400, seed=5, out=out, progress=False)
    return out


def _finals(landing: Path, feeds: Path, agencies=None) -> dict[str, dict]:
    from pipelines.cleaning import clean_agency
    from pipelines.cleaning.repair import repair
    from pipelines.feeds import Feeds

    codes = agencies or sorted(p.name for p in landing.iterdir() if p.is_dir())
    fd = Feeds(feeds)
    out = {}
    for code in codes:
        r = clean_agency(landing, code)
        m = r.merged
        res = repair(m.persons, m.study, m.work, fd, workers=1)
        recs = {"persons": m.persons, "study": m.study, "work": m.work, "quarantine": m.quarantine}
        rep = {"records": res.records, "study": res.study, "work": res.work, "log": res.log, "review": res.review,
               "status": res.status}
        out[code] = final_frames(recs, rep, r.read.frames if hasattr(r.read, "frames") else None)
    return out


@pytest.fixture(scope="module")
def finals(generated):
    return _finals(generated / "landing", generated / "feeds")


@pytest.fixture
def db(database_url, tmp_path):
    engine = loader_engine(database_url)
    upgrade(engine)
    load_reference_data(engine)
    key_file = tmp_path / "keys" / "pii.json"
    write_keyring(key_file, generate_keyring())
    yield engine, PiiCodec(load_keyring(key_file, create=False)), key_file
    engine.dispose()


def _load_all(engine, codec, finals, run_id="r1"):
    return {code: load_agency(engine, codec, code, f, run_id=run_id) for code, f in finals.items()}


# content checksums that do not depend on ids, timestamps, run ids or SM4 nonces (blind indexes are stable)
CHECKSUM_SQL = {
    "person": "select agency_code, archive_no, name, sex, ethnic, birth_date, id_number_bidx, phone_bidx, "
              "employer_name, employer_uscc, graduation_date, archive_status, collective_hukou, pending_raw, "
              "load_hash, data_source, version from person order by agency_code, archive_no",
    "person_study": "select p.agency_code, p.archive_no, s.seq, s.start_date, s.end_date, s.school, s.major, "
                    "s.education_level, s.degree, s.source, s.pending_raw from person_study s join person p "
                    "on p.id = s.person_id order by p.agency_code, p.archive_no, s.seq",
    "person_work": "select p.agency_code, p.archive_no, w.seq, w.start_date, w.end_date, w.employer, "
                   "w.department, w.position, w.source, w.pending_raw from person_work w join person p "
                   "on p.id = w.person_id order by p.agency_code, p.archive_no, w.seq",
    "dq_review_item": "select agency_code, archive_no, sheet, field, category, current_value, reason, rule, "
                      "feed, status from dq_review_item order by agency_code, archive_no, sheet, field, rule, reason",
    "dq_repair_log": "select agency_code, archive_no, sheet, field, old_value, new_value, rule, applied "
                     "from dq_repair_log order by agency_code, archive_no, sheet, field, rule, old_value, new_value",
    "dq_quarantine": "select agency_code, source_file, sheet, row_no, archive_no, reason from dq_quarantine "
                     "order by agency_code, source_file, sheet, row_no",
    "dq_load_state": "select agency_code, content_hash, persons, quarantined from dq_load_state order by agency_code",
}


def table_checksums(engine) -> dict[str, tuple[int, str]]:
    out = {}
    with engine.connect() as conn:
        for table, sql in CHECKSUM_SQL.items():
            rows = conn.execute(sa.text(sql)).all()
            text = "\n".join("|".join("" if v is None else str(int(v) if isinstance(v, bool) else v) for v in r)
                             for r in rows)
            out[table] = (len(rows), hashlib.sha256(text.encode()).hexdigest())
    return out


def test_load_writes_everything_encrypted_and_a_rerun_writes_nothing(db, finals):
    engine, codec, _ = db
    first = _load_all(engine, codec, finals)
    assert all(not r.unchanged for r in first.values())
    persons = sum(len(f["persons"]) for f in finals.values())
    assert sum(r.persons_inserted for r in first.values()) == persons
    before = table_checksums(engine)
    assert before["person"][0] == persons
    assert before["person_study"][0] == sum(len(f["study"]) for f in finals.values())
    assert before["dq_quarantine"][0] == sum(len(f["quarantine"]) for f in finals.values())
    # PII only as SM4 tokens + blind index; the index finds the person
    with engine.connect() as conn:
        row = conn.execute(sa.text("select id_number_enc, id_number_bidx, phone_enc from person "
                                   "where id_number_enc is not null limit 1")).one()
    assert row.id_number_enc.startswith("SM4G1.") and len(row.id_number_bidx) == 64
    plain = codec.decrypt("id_number", row.id_number_enc)
    assert len(plain) == 18 and plain not in row.id_number_enc
    # the same content again: nothing written at all
    again = _load_all(engine, codec, finals, run_id="r2")
    assert all(r.unchanged and r.persons_written == 0 for r in again.values())
    assert table_checksums(engine) == before
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from dq_run_stat where run_id = 'r2'")).scalar() == 0


def test_a_changed_person_is_rewritten_alone_and_clerk_fields_are_kept(db, finals):
    engine, codec, _ = db
    code = max(finals, key=lambda c: len(finals[c]["persons"]))
    final = finals[code]
    load_agency(engine, codec, code, final, run_id="r1")
    no_a, no_b = final["persons"]["档案编号"].iloc[0], final["persons"]["档案编号"].iloc[1]
    # a clerk corrected person A's 姓名 and 备注 in the application and confirmed them
    with engine.begin() as conn:
        conn.execute(sa.text("update person set name = '王经办', remarks = '经办人确认', clerk_fields = '姓名;备注', version = version + 1 "
                             "where agency_code = :a and archive_no = :n"), {"a": code, "n": no_a})
    # a new batch changes A's 姓名, 备注 and 毕业院校 and B's 备注
    changed = {k: (v.copy() if isinstance(v, pd.DataFrame) else v) for k, v in final.items()}
    p = changed["persons"]
    p.loc[p["档案编号"] == no_a, ["姓名", "备注", "毕业院校"]] = ["李表格", "表格备注", "贵州大学"]
    p.loc[p["档案编号"] == no_b, "备注"] = "新备注"
    extra = pd.DataFrame([{"档案编号": no_a, "sheet": "基本信息", "_seq": pd.NA, "field": "姓名", "category": "x",
                           "current": "李表格", "candidates": "[]", "reason": "测试", "rule": "name_test",
                           "feed": None, "confidence": None}])
    changed["review"] = pd.concat([changed["review"], extra], ignore_index=True)
    res = load_agency(engine, codec, code, changed, run_id="r2")
    assert (res.persons_inserted, res.persons_updated) == (0, 2)
    assert res.persons_same == len(p) - 2
    with engine.connect() as conn:
        a = conn.execute(sa.text("select name, remarks, school, version from person where agency_code = :a and "
                                 "archive_no = :n"), {"a": code, "n": no_a}).one()
        b = conn.execute(sa.text("select remarks, version from person where agency_code = :a and archive_no = :n"),
                         {"a": code, "n": no_b}).one()
        flagged = conn.execute(sa.text("select count(*) from dq_review_item where archive_no = :n and field = '姓名' "
                                       "and status = '待处理'"), {"n": no_a}).scalar()
    assert (a.name, a.remarks, a.school) == ("王经办", "经办人确认", "贵州大学")   # clerk's fields kept
    assert a.version == 3 and b.version == 2                                     # optimistic lock bumped
    assert b.remarks == "新备注"
    assert flagged == 0                                                          # no review on a clerk's field


def test_records_created_in_the_application_are_never_touched(db, finals):
    engine, codec, _ = db
    code = sorted(finals)[0]
    final = finals[code]
    no = final["persons"]["档案编号"].iloc[0]
    with engine.begin() as conn:
        conn.execute(sa.text("insert into person (agency_code, archive_no, name, data_source, version) "
                             "values (:a, :n, '业务录入', '业务', 1)"), {"a": code, "n": no})
    load_agency(engine, codec, code, final, run_id="r1")
    with engine.connect() as conn:
        row = conn.execute(sa.text("select name, data_source from person where agency_code = :a and archive_no = :n"),
                           {"a": code, "n": no}).one()
        total = conn.execute(sa.text("select count(*) from person where agency_code = :a"), {"a": code}).scalar()
    assert tuple(row) == ("业务录入", "业务")
    assert total == len(final["persons"])


def test_multi_archive_flags_both_records_once(db, finals):
    engine, codec, _ = db
    a, b = sorted(finals)[:2]
    fa = {k: (v.copy() if isinstance(v, pd.DataFrame) else v) for k, v in finals[a].items()}
    fb = finals[b]
    # the first person of b is also filed at a (一人多档), under a's own archive number
    twin = fb["persons"].iloc[[0]].copy()
    twin["档案编号"] = "TWIN-0001"
    fa["persons"] = pd.concat([fa["persons"], twin], ignore_index=True)
    load_agency(engine, codec, a, fa, run_id="r1")
    res_b = load_agency(engine, codec, b, fb, run_id="r1")
    assert res_b.multi_archive_items == 2
    load_agency(engine, codec, b, fb, run_id="r2")  # unchanged: nothing more
    with engine.connect() as conn:
        items = conn.execute(sa.text("select agency_code, archive_no from dq_review_item where rule = 'multi_archive' "
                                     "and status = '待处理' order by agency_code")).all()
    assert [tuple(i) for i in items] == [(a, "TWIN-0001"), (b, fb["persons"]["档案编号"].iloc[0])]


def test_a_sweep_flags_pairs_loaded_side_by_side(db, finals, monkeypatch):
    """Two agencies loading at once do not see each other's records: the sweep after them flags the pair."""
    from pipelines.load import sweep_multi_archive, writer

    engine, codec, _ = db
    a, b = sorted(finals)[:2]
    fa = {k: (v.copy() if isinstance(v, pd.DataFrame) else v) for k, v in finals[a].items()}
    twin = finals[b]["persons"].iloc[[0]].copy()
    twin["档案编号"] = "TWIN-0002"
    fa["persons"] = pd.concat([fa["persons"], twin], ignore_index=True)
    load_agency(engine, codec, a, fa, run_id="r1")
    monkeypatch.setattr(writer, "flag_multi_archive", lambda *args, **kw: 0)  # as if b ran beside a
    load_agency(engine, codec, b, finals[b], run_id="r1")
    monkeypatch.undo()
    count = "select count(*) from dq_review_item where rule = 'multi_archive' and status = '待处理'"
    with engine.connect() as conn:
        assert conn.execute(sa.text(count)).scalar() == 0
    assert sweep_multi_archive(engine, codec, "sweep") == 2
    assert sweep_multi_archive(engine, codec, "sweep2") == 0
    with engine.connect() as conn:
        assert conn.execute(sa.text(count)).scalar() == 2


def test_the_initial_load_defers_the_secondary_indexes_and_rebuilds_them(db, finals):
    """MySQL, empty person table: the non-unique indexes are dropped for the load and built again after it,
    identical to the models' (names, columns) — but the ID's blind index, which the 一人多档 sweep uses right
    after the load, before the others are rebuilt. SQLite: nothing is deferred."""
    from pipelines.load import sweep_multi_archive
    from pipelines.load.indexes import begin_bulk_load, deferrable, missing_indexes, restore_indexes

    engine, codec, _ = db
    mysql = engine.dialect.name == "mysql"
    assert begin_bulk_load(engine) is mysql
    with engine.connect() as conn:
        dropped = [ix.name for ix in missing_indexes(conn)]
    assert dropped == ([ix.name for ix in deferrable()] if mysql else [])
    # 15 non-unique, 2 of them needed by foreign keys, 1 by the sweep (13: + initials, + the two of 综合统计, 0017)
    assert len(dropped) == (13 if mysql else 0) and "ix_person_id_number_bidx" not in dropped
    assert {"ix_person_stats_dims", "ix_person_agency_received_out"} <= set(dropped) or not mysql
    a, b = sorted(finals)[:2]
    fa = {k: (v.copy() if isinstance(v, pd.DataFrame) else v) for k, v in finals[a].items()}
    twin = finals[b]["persons"].iloc[[0]].copy()
    twin["档案编号"] = "TWIN-0003"
    fa["persons"] = pd.concat([fa["persons"], twin], ignore_index=True)
    for code, f in ((a, fa), (b, finals[b])):
        assert load_agency(engine, codec, code, f, run_id="r1", flag_multi=False).multi_archive_items == 0
    assert sweep_multi_archive(engine, codec, "sweep") == 2  # as `archives ingest`: before the rebuild
    assert sorted(restore_indexes(engine)) == sorted(dropped)
    with engine.connect() as conn:
        assert missing_indexes(conn) == []
        have = {ix["name"]: ix["column_names"] for ix in sa.inspect(conn).get_indexes("person")}
    from archives_domain.models import Person
    for ix in Person.__table__.indexes:
        assert have[ix.name] == [c.name for c in ix.columns]
    assert restore_indexes(engine) == []  # nothing missing: nothing done
    assert begin_bulk_load(engine) is False  # persons present: never again
    assert sweep_multi_archive(engine, codec, "sweep again") == 0  # flagged once


def test_indexes_a_killed_initial_load_left_missing_are_restored(db, finals):
    from pipelines.load.indexes import missing_indexes, restore_indexes

    engine, codec, _ = db
    _load_all(engine, codec, finals)
    with engine.begin() as conn:
        for name in ("ix_person_name", "ix_person_id_number_bidx"):
            conn.exec_driver_sql(f"DROP INDEX {name} ON person" if engine.dialect.name == "mysql"
                                 else f"DROP INDEX {name}")
        before = conn.execute(sa.text("select count(*) from person")).scalar()
    with engine.connect() as conn:
        assert sorted(ix.name for ix in missing_indexes(conn)) == ["ix_person_id_number_bidx", "ix_person_name"]
    assert sorted(restore_indexes(engine)) == ["ix_person_id_number_bidx", "ix_person_name"]
    with engine.connect() as conn:
        assert missing_indexes(conn) == []
        assert conn.execute(sa.text("select count(*) from person")).scalar() == before


def _read_export(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.csv")) if p.name != "隔离.csv"}


def test_export_round_trip_is_identical(db, finals, generated, tmp_path):
    from pipelines.export import export

    engine, codec, _ = db
    _load_all(engine, codec, finals)
    first = tmp_path / "export1"
    res = export(engine, codec, first)
    assert res.rows["基本信息"] == sum(len(f["persons"]) for f in finals.values())
    head = (first / res.agencies[0] / f"{res.agencies[0]}.基本信息.csv").read_bytes()
    assert head.startswith(b"\xef\xbb\xbf")                         # UTF-8 with BOM
    header = head.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[-2:] == ["待核实字段", "数据来源"] and "户口性质" in header
    quarantine = pd.read_csv(first / "隔离.csv", dtype=str, encoding="utf-8-sig")
    assert list(quarantine.columns[:4]) == ["来源文件", "工作表", "行号", "原因"]
    # ingest the export into an empty database (as a landing folder), export again: identical sheets
    landing = tmp_path / "landing"
    for agency in res.agencies:
        (landing / agency).mkdir(parents=True)
        for f in (first / agency).iterdir():
            (landing / agency / f.name).write_bytes(f.read_bytes())
    url2 = str(engine.url.render_as_string(hide_password=False))
    if engine.dialect.name == "sqlite":
        url2 = f"sqlite:///{tmp_path / 'second.sqlite3'}"
        engine2 = loader_engine(url2)
    else:
        server = sa.create_engine(url2.rsplit("/", 1)[0] + "/?charset=utf8mb4", isolation_level="AUTOCOMMIT")
        name2 = engine.url.database + "_rt"
        with server.connect() as conn:
            conn.execute(sa.text(f"drop database if exists {name2}"))
            conn.execute(sa.text(f"create database {name2} character set utf8mb4 collate utf8mb4_unicode_ci"))
        engine2 = loader_engine(url2.rsplit("/", 1)[0] + f"/{name2}")
    try:
        upgrade(engine2)
        load_reference_data(engine2)
        for code, f in _finals(landing, generated / "feeds").items():
            load_agency(engine2, codec, code, f, run_id="rt")
        second = tmp_path / "export2"
        export(engine2, codec, second)
        a, b = _read_export(first), _read_export(second)
        assert a.keys() == b.keys()
        diff = [k for k in a if a[k] != b[k]]
        assert not diff, diff
    finally:
        engine2.dispose()
        if engine.dialect.name != "sqlite":
            with server.connect() as conn:
                conn.execute(sa.text(f"drop database if exists {name2}"))


KILL_SCRIPT = textwrap.dedent("""
    import os, sys, time, pickle
    from pipelines.load import bulk, writer
    from pipelines.load.bulk import loader_engine
    from archives_domain.pii.codec import PiiCodec
    from archives_domain.pii.keyring import load_keyring
    url, key_file, finals_file, marker = sys.argv[1:5]
    finals = pickle.load(open(finals_file, "rb"))
    real_insert = bulk.insert_rows
    def slow_insert(conn, table, rows):
        n = real_insert(conn, table, rows)
        if table.name == "person_study":       # persons and some child rows written, transaction open
            open(marker, "w").write("in load")
            time.sleep(600)
        return n
    bulk.insert_rows = slow_insert
    engine = loader_engine(url)
    codec = PiiCodec(load_keyring(__import__("pathlib").Path(key_file), create=False))
    for code, f in finals.items():
        writer.load_agency(engine, codec, code, f, run_id="killed")
""")


def test_sigkill_during_the_load_then_rerun_equals_an_uninterrupted_run(db, finals, tmp_path, database_url):
    import pickle

    engine, codec, key_file = db
    codes = sorted(finals)[:3]
    subset = {c: finals[c] for c in codes}
    # the first agency loads completely in the run that is killed during the second one
    finals_file = tmp_path / "finals.pkl"
    finals_file.write_bytes(pickle.dumps(subset))
    marker = tmp_path / "marker"
    script = tmp_path / "kill_me.py"
    script.write_text(KILL_SCRIPT, encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # make the first agency complete before the kill: load it here, the subprocess starts with it unchanged
    load_agency(engine, codec, codes[0], subset[codes[0]], run_id="first")
    proc = subprocess.Popen([sys.executable, str(script), url, str(key_file), str(finals_file), str(marker)],
                            env=env, cwd=str(ROOT))
    deadline = time.time() + 120
    while not marker.exists():
        assert proc.poll() is None, "the loader ended before reaching the load"
        assert time.time() < deadline, "the loader never reached the load"
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)  # MariaDB notices the dropped connection and rolls back
    with engine.connect() as conn:
        in_second = conn.execute(sa.text("select count(*) from person where agency_code = :a"),
                                 {"a": codes[1]}).scalar()
    assert in_second == 0, "a killed load left part of its agency behind"
    # re-run everything; compare with an uninterrupted run into a fresh database
    for code in codes:
        load_agency(engine, codec, code, subset[code], run_id="rerun")
    after_rerun = table_checksums(engine)
    fresh_url = (f"sqlite:///{tmp_path / 'fresh.sqlite3'}" if engine.dialect.name == "sqlite" else None)
    if fresh_url is None:
        server = sa.create_engine(url.rsplit("/", 1)[0] + "/?charset=utf8mb4", isolation_level="AUTOCOMMIT")
        name = engine.url.database + "_fresh"
        with server.connect() as conn:
            conn.execute(sa.text(f"drop database if exists {name}"))
            conn.execute(sa.text(f"create database {name} character set utf8mb4 collate utf8mb4_unicode_ci"))
        fresh_url = url.rsplit("/", 1)[0] + f"/{name}"
    fresh = loader_engine(fresh_url)
    try:
        upgrade(fresh)
        load_reference_data(fresh)
        for code in codes:
            load_agency(fresh, codec, code, subset[code], run_id="clean")
        assert table_checksums(fresh) == after_rerun
    finally:
        fresh.dispose()
        if engine.dialect.name != "sqlite":
            with server.connect() as conn:
                conn.execute(sa.text(f"drop database if exists {name}"))


# text a LOAD DATA file could garble: separators, quotes at every position, the NULL markers as data
AWKWARD_TEXT = ["tab\there", "quote\"inside", "\"", "\"\"", "\"\t\"", "a\"\t", "\t\"", "end\"", "\"start",
                "line\nbreak", "cr\r\nlf", "\"\n\"", "back\\slash", "\\", "\\N", "NULL", "null", "", " ", "中文，全角　空格",
                "emoji 😀", "\\t not a tab", "x" * 300]


def test_bulk_writes_keep_every_value(database_url):
    """insert_rows and update_rows (LOAD DATA on MySQL, executemany on SQLite) give back exactly what they
    were given: awkward text, NULL beside the words NULL and \\N, numbers, decimals, dates, timestamps, flags."""
    import datetime as dt
    from decimal import Decimal

    from pipelines.load import bulk

    md = sa.MetaData()
    t = sa.Table("bulk_probe", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("txt", sa.Text), sa.Column("short", sa.String(32)), sa.Column("num", sa.BigInteger),
                 sa.Column("dec", sa.Numeric(6, 3)), sa.Column("day", sa.Date), sa.Column("at", sa.DateTime),
                 sa.Column("at6", sa.DateTime().with_variant(sa.dialects.mysql.DATETIME(fsp=6), "mysql")),
                 sa.Column("flag", sa.Boolean), sa.Column("version", sa.Integer, nullable=False))
    engine = loader_engine(database_url)
    md.create_all(engine)
    n = len(AWKWARD_TEXT) + 2
    texts = [*AWKWARD_TEXT, None, None]
    rows = {"id": list(range(1, n + 1)), "txt": texts,
            "short": [None if v is None else v[:32] for v in texts],
            "num": [None if i % 5 == 0 else i * 10**12 for i in range(n)],
            "dec": [None if i % 4 == 0 else Decimal(i) / 8 for i in range(n)],
            "day": [None if i % 3 == 0 else dt.date(1990, 1, 1) + dt.timedelta(days=97 * i) for i in range(n)],
            "at": [dt.datetime(2026, 11, 24, 8, 30, 5) + dt.timedelta(minutes=i) for i in range(n)],
            "at6": [None if i % 6 == 0 else dt.datetime(2026, 1, 1, 0, 0, 1, 123456) for i in range(n)],
            "flag": [None if i % 7 == 0 else i % 2 == 0 for i in range(n)], "version": [1] * n}

    def read_back():
        with engine.connect() as conn:
            got = conn.execute(sa.select(t).order_by(t.c.id)).mappings().all()
        return {c: [r[c] for r in got] for c in rows}

    with engine.begin() as conn:
        assert bulk.insert_rows(conn, t, rows) == n
    assert read_back() == rows
    changed = {"id": rows["id"], "txt": list(reversed(texts)), "short": rows["short"][::-1],
               "num": rows["num"][::-1], "dec": rows["dec"], "day": rows["day"], "at": rows["at"],
               "at6": rows["at6"], "flag": [None if f is None else not f for f in rows["flag"]]}
    with engine.begin() as conn:
        assert bulk.update_rows(conn, t, changed) == n
    back = read_back()
    assert back == {**changed, "version": [2] * n}
    md.drop_all(engine)
    engine.dispose()


def test_row_hashes_tell_rows_apart_that_join_alike():
    """The fingerprint of a row changes with any cell: missing and empty text are the same (both mean no
    value) but differ from every text; texts holding the separator or length digits cannot make two
    different rows join alike; column order counts; dates and numbers hash by their text."""
    import datetime as dt

    import numpy as np

    from pipelines.load.rows import row_hashes

    frame = pd.DataFrame({
        # rows 1 and 5 join alike without the lengths: "x␟y" + "z" and "x" + "y␟z"
        "a": pd.Series(["x", "x\x1fy", "x", None, "", "x", "x", "x"], dtype="str"),
        "b": pd.Series(["y", "z", "y", "y", "y", "y\x1fz", "y", "y"], dtype="str"),
        "d": [dt.date(2020, 1, 1)] * 6 + [None, dt.date(2020, 1, 2)],
        "n": pd.Series([1, 1, 1, 1, 1, 1, 1, 1], dtype="Int64"),
    })
    h = row_hashes(frame, ["a", "b", "d", "n"])
    assert h.dtype == np.uint64 and len(h) == len(frame)
    assert h[0] == row_hashes(frame.iloc[[2]], ["a", "b", "d", "n"])[0]  # the same row, the same hash
    assert h[3] == h[4]  # missing and empty text are both "no value"
    assert len({h[0], h[1], h[3], h[5], h[6], h[7]}) == 6
    swapped = row_hashes(frame.rename(columns={"a": "b", "b": "a"}), ["a", "b", "d", "n"])
    assert swapped[0] != h[0]
    as_text = frame.assign(d=frame["d"].map(lambda v: None if v is None else v.isoformat()).astype("str"),
                           n=frame["n"].astype("str"))
    assert (row_hashes(as_text, ["a", "b", "d", "n"]) == h).all()
    assert len(row_hashes(frame.iloc[:0], ["a"])) == 0
