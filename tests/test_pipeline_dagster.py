"""The Dagster code location: definitions, assets end to end for two agencies, checks, the Parquet
IO manager, a bad file in one agency, the landing sensor, the schedule, `archives ingest`.

Every test that materialises ``loaded`` (or runs `archives ingest`) writes into a fresh migrated test
database of its own, on SQLite and on MariaDB (the parametrised ``engine`` fixture of conftest), never
into the database of the environment."""
from __future__ import annotations

import json
import os
import time

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from pipelines.assets import ASSETS
from pipelines.io import read_frames, read_layer_columns, write_frames
from pipelines.resources import PipelineSettings, build_resources
from pipelines.sealed import MAGIC


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from synth.generate import generate

    out = tmp_path_factory.mktemp("gen")
    generate(persons=300, seed=1, out=out, progress=False)
    agencies = sorted(p.name for p in (out / "landing").iterdir() if p.is_dir())
    return out, agencies[:2]


@pytest.fixture(scope="module")
def bad_landing(generated, tmp_path_factory):
    """A copy of the two agencies' folders; the first gets a non-workbook named .xlsx, plus an
    unknown-agency folder at the top."""
    import shutil

    out, (a, b) = generated
    landing = tmp_path_factory.mktemp("bad") / "landing"
    for code in (a, b):
        shutil.copytree(out / "landing" / code, landing / code)
    (landing / a / "2099-01.xlsx").write_bytes(b"this is not a workbook\n")
    (landing / "99999999").mkdir()
    (landing / "99999999" / "2020-01.xlsx").write_bytes(b"x")
    return landing


def _settings(landing, feeds, work) -> PipelineSettings:
    """Settings without a database of their own (tests that stop before `loaded`: the sensor)."""
    return PipelineSettings.from_env(landing_dir=landing, feeds_dir=feeds, work_dir=work)


@pytest.fixture
def pipeline_db(engine, tmp_path, monkeypatch):
    """The migrated test database (both backends) with the reference data (agencies: the FKs of the load),
    and a factory of PipelineSettings writing into it (the test's own key file and reports dir).  The
    environment points at it as well, for `archives ingest` (which reads its settings from there).  The
    analytics schema an ingest builds beside it (MariaDB: `<db>_dw`) is dropped afterwards."""
    from pipelines import analytics
    from seeds.loader import load_reference_data

    load_reference_data(engine)
    url = engine.url.render_as_string(hide_password=False)
    for name in ("ARCHIVES_DW_DATABASE", "ARCHIVES_DW_PATH", "ARCHIVES_PII_KEY_FILE", "ARCHIVES_WORK_DIR",
                 "ARCHIVES_LANDING_DIR", "ARCHIVES_FEEDS_DIR", "ARCHIVES_FEEDS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ARCHIVES_VAR_DIR", str(tmp_path))  # key file: <tmp>/keys/pii.json
    monkeypatch.setenv("ARCHIVES_REPORTS_DIR", str(tmp_path / "reports"))

    def make(landing, feeds, work) -> PipelineSettings:
        return PipelineSettings(database_url=url, landing_dir=str(landing), feeds_dir=str(feeds),
                                work_dir=str(work), pii_key_file=str(tmp_path / "keys" / "pii.json"),
                                pii_key_explicit=False, reports_dir=str(tmp_path / "reports"))

    make.engine = engine
    yield make
    target = analytics.target_for(engine, {})
    if target.dialect == "mysql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target.dw}")


def _persons_in_db(engine, agency) -> set[str]:
    from archives_domain.models import Person

    P = Person.__table__
    with engine.connect() as conn:
        return set(conn.execute(sa.select(P.c.archive_no).where(P.c.agency_code == agency)).scalars())


def _records_layer(work, agency) -> pd.DataFrame:
    """(The layers are sealed under the key file of the environment `pipeline_db` sets.)"""
    return read_frames(work / "layers" / "records" / agency, sealer=PipelineSettings.from_env().sealer())["persons"]


def test_definitions_load():
    from pipelines.definitions import defs

    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    assert {"migrate", "nightly"} <= {j.name for j in repo.get_all_jobs()}
    import warehouse_models
    from pipelines.assets import STAGES

    graph = repo.asset_graph
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    models = {m.name for m in warehouse_models.MODELS}
    # supersets: a new stage or model must not break this test
    assert {"raw", "std", "records", "repaired", "final", "loaded", "dq_scorecard"} <= keys
    assert set(STAGES) <= keys
    assert models <= keys
    assert {"dim_agency", "dim_date", "dim_unit", "dim_person", "fact_archive_stock", "fact_business_event",
            "fact_party_dues", "fact_dq_run", "fact_review_backlog"} <= models
    # the migration stages and the scorecard are partitioned by agency (the 103 codes); the analytics are not
    for key in (*STAGES, "dq_scorecard"):
        assert len(graph.get(dg.AssetKey(key)).partitions_def.get_partition_keys()) == 103, key
    for name in models:
        assert graph.get(dg.AssetKey(name)).partitions_def is None, name
    # the order of the stages; the analytics after `loaded` (directly or through their upstream models)
    parents = {k.to_user_string(): {p.to_user_string() for p in graph.get(k).parent_keys}
               for k in graph.get_all_asset_keys()}
    assert parents["final"] >= {"records", "repaired"} and "final" in parents["loaded"]
    assert "loaded" in parents["dq_scorecard"]
    for name in models:
        assert parents[name] and parents[name] <= models | {"loaded"}, (name, parents[name])
    assert any("loaded" in parents[name] for name in models)
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert {("std", "pandera_person_schema"), ("records", "row_accounting"),
            ("records", "gx_records_person"), ("records", "pandera_records_schema"), ("raw", "no_read_errors"),
            ("repaired", "feeds_available"), ("final", "final_consistent"),
            ("loaded", "loaded_matches_final"), ("dim_person", "no_plain_pii")} <= checks
    for m in warehouse_models.MODELS:
        assert (m.name, "has_rows") in checks, m.name
        if m.has_agency:
            assert (m.name, "agency_code_not_null") in checks, m.name
    assert repo.get_sensor_def("landing_sensor")
    assert repo.get_sensor_def("analytics_after_nightly")
    sched = repo.get_schedule_def("nightly_schedule")
    assert sched.cron_schedule == "0 2 * * *" and sched.execution_timezone == "Asia/Shanghai"


def test_two_agencies_end_to_end(generated, pipeline_db, tmp_path):
    out, agencies = generated
    settings = pipeline_db(out / "landing", out / "feeds", tmp_path / "work")
    instance = dg.DagsterInstance.ephemeral()
    for code in agencies:
        result = dg.materialize(ASSETS, partition_key=code, resources=build_resources(settings),
                                instance=instance)
        assert result.success
        checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
        assert checks[("std", "pandera_person_schema")]
        assert checks[("records", "row_accounting")]
        assert checks[("records", "gx_records_person")]
        assert checks[("records", "pandera_records_schema")]
        assert checks[("final", "final_consistent")]
        assert checks[("loaded", "loaded_matches_final")]
        assert all(checks.values()), checks
        md = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
        rec = md["records"]
        assert rec["rows_in"].value == md["raw"]["rows_in"].value > 0
        assert rec["rows_in"].value == sum(rec[k].value for k in ("loaded", "quarantined", "duplicate", "correction"))
        # the layers are under the work dir, behind a manifest: raw as Parquet, the working layers Arrow IPC,
        # each file sealed (SM4-GCM under the PII key file)
        def layer_file(asset, name):
            folder = tmp_path / "work" / "layers" / asset / code
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            return folder / manifest["generation"] / manifest["files"][name]

        sealer = settings.sealer()
        persons = layer_file("records", "persons")
        assert persons.name.endswith(".arrow.sm4") and persons.read_bytes()[:8] == MAGIC
        assert sealer.read(persons)[:6] == b"ARROW1"
        assert len(pa.ipc.open_file(pa.py_buffer(sealer.read(persons))).read_all()) == md["records"]["records"].value
        raw_persons = layer_file("raw", "基本信息")
        assert raw_persons.name.endswith(".parquet.sm4") and raw_persons.read_bytes()[:8] == MAGIC
        assert sealer.read(raw_persons)[:4] == b"PAR1"
        assert pq.read_table(pa.BufferReader(sealer.read(raw_persons))).num_rows >= md["records"]["records"].value
        # loaded into the test database: the agency's persons are its records
        assert md["final"]["persons"].value == md["records"]["records"].value
        assert md["loaded"]["persons_inserted"].value == md["records"]["records"].value
        assert _persons_in_db(pipeline_db.engine, code) == set(_records_layer(tmp_path / "work", code)["档案编号"])
        assert (tmp_path / "reports").is_dir() and "scorecard" in md["dq_scorecard"]
    for key in ("repaired", "final", "loaded", "dq_scorecard"):
        assert instance.get_materialized_partitions(dg.AssetKey(key)) == set(agencies), key
    # a second materialisation with nothing new writes nothing
    again = dg.materialize(ASSETS, partition_key=agencies[0], resources=build_resources(settings), instance=instance)
    md = {e.asset_key.to_user_string(): e.materialization.metadata for e in again.get_asset_materialization_events()}
    assert again.success and md["loaded"]["unchanged"].value is True


@pytest.fixture
def sealer():
    from archives_domain.pii.keyring import generate_keyring
    from pipelines.sealed import FileSealer

    return FileSealer(generate_keyring())


def test_io_manager_writes_atomically(tmp_path, sealer):
    folder = tmp_path / "layer"
    write_frames(folder, {"a": pd.DataFrame({"x": ["1"]}), "b": pd.DataFrame({"y": ["2"]})}, sealer=sealer)
    first = json.loads((folder / "manifest.json").read_text())["generation"]
    # a later materialisation without sheet b: b does not linger
    write_frames(folder, {"a": pd.DataFrame({"x": ["3", "4"]})}, sealer=sealer)
    frames = read_frames(folder, sealer=sealer)
    assert list(frames) == ["a"] and frames["a"]["x"].tolist() == ["3", "4"]
    assert not (folder / first).exists()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    # a run killed before the manifest switch: readers still see the complete previous layer
    (folder / "g-killed").mkdir()
    (folder / "g-killed" / "a.parquet").write_bytes(b"PAR1 half written")
    assert read_frames(folder, sealer=sealer)["a"]["x"].tolist() == ["3", "4"]
    assert read_frames(tmp_path / "nothing", sealer=sealer) is None
    # both formats round-trip the same frame (text with NA, integers, nullable integers)
    frame = pd.DataFrame({"t": pd.Series(["甲", None, "c"], dtype="str"), "n": [1, 2, 3],
                          "m": pd.Series([1, None, 3], dtype="Int64")})
    for fmt in (".parquet", ".arrow"):
        write_frames(folder / fmt, {"f": frame}, fmt, sealer=sealer)
        back = read_frames(folder / fmt, sealer=sealer)["f"]
        pd.testing.assert_frame_equal(back, frame)
        assert read_layer_columns(folder / fmt, "f", ["m", "absent"], sealer=sealer).columns.tolist() == ["m"]


def test_io_manager_hands_over_what_it_wrote_to_the_consumers_of_the_run(tmp_path, monkeypatch):
    """With hand_over, the consumers of a layer get the tables just written (equal to reading the files,
    which are written all the same) without reading them; after the last consumer nothing is kept; a layer
    rewritten by another process in between is read from its files."""
    from pipelines import io

    frame = pd.DataFrame({"t": pd.Series(["甲", None, "c"], dtype="str"), "n": [1, 2, 3],
                          "m": pd.Series([1, None, 3], dtype="Int64"), "o": ["x", None, "z"]}, index=[5, 6, 7])
    seen = {}

    @dg.asset
    def made():
        return {"f": frame, "side": frame[["n"]]}

    @dg.asset
    def first(made: dict):
        seen["first"] = made
        return None

    @dg.asset(ins={"made": dg.AssetIn(metadata={"frames": ["side"]})})
    def second(made: dict):
        seen["second"] = made
        return None

    assets = [made, first, second]
    key_file = tmp_path / "keys" / "pii.json"
    manager = io.LayerIOManager(base_dir=str(tmp_path / "layers"), key_file=str(key_file),
                                hand_over=io.consumer_counts(assets))
    assert manager.hand_over == {"made": 2}
    reads = []
    real_read = io._read_one
    monkeypatch.setattr(io, "_read_one", lambda *a, **k: reads.append(a) or real_read(*a, **k))
    assert dg.materialize(assets, resources={"io_manager": manager}).success
    assert reads == [] and io._HANDED == {}
    sealer = io.sealer_for_key_file(key_file, False)
    on_disk = read_frames(tmp_path / "layers" / "made" / "all", sealer=sealer)
    assert list(seen["first"]) == ["f", "side"] and list(seen["second"]) == ["side"]
    for name in ("f", "side"):
        pd.testing.assert_frame_equal(seen["first"][name], on_disk[name])
    pd.testing.assert_frame_equal(seen["second"]["side"], on_disk["side"])
    # another process rewrites the layer between the write and the load: the files win
    monkeypatch.undo()
    real_write = io.write_frames

    def write_then_rewritten(folder, frames, fmt=io.ARROW, tables=None, *, sealer):
        gen_dir = real_write(folder, frames, fmt, tables, sealer=sealer)
        real_write(folder, {"f": frame.head(1), "side": frame.head(1)[["n"]]}, fmt, sealer=sealer)
        return gen_dir

    monkeypatch.setattr(io, "write_frames", write_then_rewritten)
    seen.clear()
    assert dg.materialize(assets, resources={"io_manager": manager}).success
    assert len(seen["first"]["f"]) == 1 and len(seen["second"]["side"]) == 1
    assert io._HANDED == {}


def test_bad_file_in_one_agency_does_not_block_another(generated, bad_landing, pipeline_db, tmp_path):
    out, (a, b) = generated
    settings = pipeline_db(bad_landing, out / "feeds", tmp_path / "work")
    instance = dg.DagsterInstance.ephemeral()
    ra = dg.materialize(ASSETS, partition_key=a, resources=build_resources(settings), instance=instance)
    rb = dg.materialize(ASSETS, partition_key=b, resources=build_resources(settings), instance=instance)
    assert ra.success and rb.success
    raw_a = {e.asset_key.to_user_string(): e.materialization.metadata
             for e in ra.get_asset_materialization_events()}["raw"]
    assert raw_a["read_errors"].value >= 1
    assert "2099-01.xlsx" in raw_a["errors"].value
    checks_a = {e.check_name: e for e in ra.get_asset_check_evaluations()}
    assert not checks_a["no_read_errors"].passed
    assert checks_a["no_read_errors"].severity == dg.AssetCheckSeverity.WARN
    assert checks_a["row_accounting"].passed
    checks_b = {e.check_name: e.passed for e in rb.get_asset_check_evaluations()}
    assert all(checks_b.values()), checks_b
    errors = read_frames(tmp_path / "work" / "layers" / "raw" / a, sealer=settings.sealer())["_errors"]
    assert "not_workbook" in set(errors["code"])
    bad = errors[errors["code"] == "not_workbook"]
    assert bad["file"].tolist() == [f"{a}/2099-01.xlsx"]
    # both agencies loaded all their records
    for code in (a, b):
        assert _persons_in_db(pipeline_db.engine, code) == set(_records_layer(tmp_path / "work", code)["档案编号"])
        assert _persons_in_db(pipeline_db.engine, code)


def test_sensor_requests_only_changed_agencies(generated, bad_landing, tmp_path):
    from pipelines.sensors import landing_sensor

    out, (a, b) = generated
    settings = _settings(bad_landing, out / "feeds", tmp_path / "work")
    first = landing_sensor(dg.build_sensor_context(cursor=None, resources={"settings": settings}))
    assert sorted(r.partition_key for r in first.run_requests) == [a, b]  # the unknown folder starts nothing
    cursor = first.cursor
    assert set(json.loads(cursor)) == {a, b}
    again = landing_sensor(dg.build_sensor_context(cursor=cursor, resources={"settings": settings}))
    assert not again.run_requests
    new = bad_landing / b / "2099-02.csv"
    new.write_text("x", encoding="utf-8")
    try:
        changed = landing_sensor(dg.build_sensor_context(cursor=cursor, resources={"settings": settings}))
        assert [r.partition_key for r in changed.run_requests] == [b]
        assert changed.run_requests[0].job_name in (None, "migrate")
        # a modified file (same name, new mtime) counts as a change too
        os.utime(new, (time.time() + 10, time.time() + 10))
        modified = landing_sensor(dg.build_sensor_context(cursor=changed.cursor, resources={"settings": settings}))
        assert [r.partition_key for r in modified.run_requests] == [b]
    finally:
        new.unlink()


def test_nightly_schedule_requests_every_partition():
    from pipelines.partitions import AGENCY_PARTITIONS
    from pipelines.schedules import nightly_schedule

    from datetime import datetime, timezone

    when = datetime(2026, 11, 24, 18, 0, tzinfo=timezone.utc)
    requests = list(nightly_schedule(dg.build_schedule_context(scheduled_execution_time=when)))
    assert len(requests) == 103
    assert {r.partition_key for r in requests} == set(AGENCY_PARTITIONS.get_partition_keys())
    assert requests[0].run_key.startswith("nightly:2026-11-24:")


def test_instance_yaml(tmp_path):
    from pipelines.instance import dagster_yaml, write_dagster_yaml

    env = {"DAGSTER_HOME": str(tmp_path / "dh")}
    text = dagster_yaml(env)
    assert "sqlite" in text and str(tmp_path / "dh") in text
    home = write_dagster_yaml(env)
    assert (home / "dagster.yaml").read_text() == text
    my = dagster_yaml({**env, "ARCHIVES_DAGSTER_MYSQL_URL": "mysql+mysqlconnector://u:secret@h/db"})
    assert "mysql" in my and "env: ARCHIVES_DAGSTER_MYSQL_URL" in my and "secret" not in my
    with pytest.raises(ValueError):
        dagster_yaml({**env, "ARCHIVES_DAGSTER_MYSQL_URL": "mysql://u@h/db"})
    instance = dg.DagsterInstance.from_config(str(home))
    assert type(instance.run_storage).__name__ == "SqliteRunStorage"


def test_ingest_cli_prints_summary(generated, pipeline_db, tmp_path):
    from click.testing import CliRunner

    from archives_cli.ingest import ingest

    out, (a, b) = generated
    result = CliRunner().invoke(ingest, ["--landing", str(out / "landing"), "--feeds", str(out / "feeds"),
                                         "--agency", a, "--agency", b, "--work", str(tmp_path / "work")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "迁移汇总" in result.output and "2 个机构" in result.output
    for word in ("loaded", "quarantined", "duplicates", "corrections", "seconds", "records"):
        assert word in result.output
    # nothing new: nothing runs
    again = CliRunner().invoke(ingest, ["--landing", str(out / "landing"), "--feeds", str(out / "feeds"),
                                        "--agency", a, "--agency", b, "--work", str(tmp_path / "work")],
                               catch_exceptions=False)
    assert again.exit_code == 0 and "0 个机构" in again.output and "skipped: 2" in again.output
    # the ingest loaded into the test database (from DATABASE_URL) and built the analytics schema once
    for code in (a, b):
        assert _persons_in_db(pipeline_db.engine, code) == set(_records_layer(tmp_path / "work", code)["档案编号"])
    assert "分析库 analytics" in result.output and "失败" not in result.output
    # the first ingest into the empty database deferred the person indexes (MySQL) and rebuilt them all
    from pipelines.load.indexes import missing_indexes

    with pipeline_db.engine.connect() as conn:
        assert missing_indexes(conn) == []


def test_gx_suite_catches_duplicate_and_missing_keys_and_bad_ids():
    from dq_rules.gx_suites import validate

    frame = pd.DataFrame({"档案编号": ["1", "1", None], "姓名": ["甲", "乙", "丙"], "_agency": ["52010001"] * 3,
                          "公民身份号码": ["52010119900101001X", "x", "52010119900101001X"]}).astype("string")
    ok, rows = validate(frame, "records_person")
    failed = {(r["expectation"], r["column"]) for r in rows if not r["success"]}
    assert not ok
    assert failed == {("expect_column_values_to_not_be_null", "档案编号"),
                      ("expect_column_values_to_be_unique", "档案编号"),
                      ("expect_column_values_to_match_regex", "公民身份号码")}
    assert validate(frame.iloc[[0]], "records_person")[0]


def test_ingest_reports_unknown_folder_and_bad_file_and_loads_the_rest(generated, bad_landing, pipeline_db,
                                                                       tmp_path):
    from click.testing import CliRunner

    from archives_cli.ingest import ingest

    out, (a, b) = generated
    result = CliRunner().invoke(ingest, ["--landing", str(bad_landing), "--feeds", str(out / "feeds"),
                                         "--work", str(tmp_path / "work"), "--workers", "1", "--no-analytics"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 个机构" in result.output
    assert "99999999" in result.output  # the unknown-agency folder, reported, not read
    assert "读取错误" in result.output
    for code in (a, b):
        assert (tmp_path / "work" / "layers" / "repaired" / code / "manifest.json").exists()
        assert _persons_in_db(pipeline_db.engine, code) == set(_records_layer(tmp_path / "work", code)["档案编号"])
    assert not _persons_in_db(pipeline_db.engine, "99999999")


@pytest.fixture()
def mariadb_url(mysql_server):
    """A throw-away database on the local MariaDB/MySQL (root@127.0.0.1:3306); no server fails the test."""
    import uuid

    import mysql.connector as mysql
    conn = mysql.connect(host="127.0.0.1", port=3306, user="root", connection_timeout=3)
    name = f"dagster_test_{uuid.uuid4().hex[:8]}"
    cur = conn.cursor()
    cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    try:
        yield f"mysql+mysqlconnector://root@127.0.0.1:3306/{name}"
    finally:
        cur.execute(f"DROP DATABASE {name}")
        conn.close()


def test_instance_on_mariadb_with_dagster_mysql(generated, mariadb_url, pipeline_db, tmp_path, monkeypatch):
    from pipelines.instance import get_instance

    out, agencies = generated
    env = {"DAGSTER_HOME": str(tmp_path / "dh"), "ARCHIVES_DAGSTER_MYSQL_URL": mariadb_url}
    monkeypatch.setenv("ARCHIVES_DAGSTER_MYSQL_URL", mariadb_url)  # the yaml refers to it by name
    instance = get_instance(env)
    try:
        assert type(instance.run_storage).__name__ == "MySQLRunStorage"
        assert type(instance.event_log_storage).__name__ == "MySQLEventLogStorage"
        settings = pipeline_db(out / "landing", out / "feeds", tmp_path / "work")
        for code in agencies:
            assert dg.materialize(ASSETS, partition_key=code, resources=build_resources(settings),
                                  instance=instance).success
            assert _persons_in_db(pipeline_db.engine, code)
        assert instance.get_materialized_partitions(dg.AssetKey("records")) == set(agencies)
        event = instance.get_latest_materialization_event(dg.AssetKey("records"))
        assert "基本信息" in event.asset_materialization.metadata["counts"].value  # utf8mb4 round trip
        assert len(instance.get_runs()) == 2
    finally:
        instance.dispose()
