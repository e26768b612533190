"""`archives db accounts`: the three least-privilege MySQL/MariaDB accounts (issue 13, defect 4b).

The accounts are made on a throw-away database of the test server (MariaDB here) with a random
name suffix, so parallel runs never share an account, and are dropped at the end. On SQLite the
command only says that it applies to MySQL."""
from __future__ import annotations

import os
import stat
import uuid

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from archives_cli.main import cli
from archives_domain import audit
from archives_domain.audit import AuditEntry
from archives_domain.db_accounts import drop_accounts
from tests.conftest import BACKENDS, MYSQL_SERVER

DENIED = 1142  # ER_TABLEACCESS_DENIED_ERROR: "… command denied to user … for table …"


def _code(exc_info) -> int:
    return exc_info.value.orig.args[0]


@pytest.fixture(scope="module")
def instance(mysql_server, tmp_path_factory):
    """A migrated and seeded database (as the owner, root) and its three accounts; the URLs by role."""
    if "mysql" not in BACKENDS:
        pytest.skip("ARCHIVES_TEST_BACKENDS leaves MariaDB/MySQL out")
    tmp = tmp_path_factory.mktemp("accounts")
    name, suffix = f"archives_t_{uuid.uuid4().hex[:12]}", uuid.uuid4().hex[:8]
    with mysql_server.connect() as conn:
        conn.execute(sa.text(f"create database {name} character set utf8mb4 collate utf8mb4_unicode_ci"))
    owner = f"{MYSQL_SERVER}/{name}"
    env = {"DATABASE_URL": owner, "ARCHIVES_VAR_DIR": str(tmp / "var"), "ARCHIVES_PII_KEY_FILE": "",
           "ARCHIVES_AUDIT_ANCHOR": "", "ARCHIVES_DW_DATABASE": ""}
    runner = CliRunner()
    try:
        for args in (["db", "upgrade"], ["db", "seed"]):
            assert runner.invoke(cli, args, env=env).exit_code == 0
        out = tmp / "accounts.env"
        result = runner.invoke(cli, ["db", "accounts", "--suffix", suffix, "--out", str(out)], env=env)
        assert result.exit_code == 0, result.output
        urls = dict(line.split("=", 1) for line in out.read_text(encoding="utf-8").splitlines())
        yield {"owner": owner, "env": env, "suffix": suffix, "out": out, "name": name, "tmp": tmp,
               "app": urls["ARCHIVES_APP_DATABASE_URL"], "etl": urls["ARCHIVES_ETL_DATABASE_URL"],
               "bi": urls["ARCHIVES_BI_DATABASE_URL"], "output": result.output}
    finally:
        owner_engine = sa.create_engine(owner)
        drop_accounts(owner_engine, suffix=suffix)
        owner_engine.dispose()
        with mysql_server.connect() as conn:
            conn.execute(sa.text(f"drop database if exists {name}"))
            conn.execute(sa.text(f"drop database if exists {name}_dw"))


@pytest.fixture
def engines():
    made = []

    def make(url, **kw):
        made.append(sa.create_engine(url, **kw))
        return made[-1]

    yield make
    for e in made:
        e.dispose()


def test_accounts_on_sqlite_say_they_apply_to_mysql_only(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}", "ARCHIVES_VAR_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["db", "accounts"], env=env)
    assert result.exit_code == 1
    assert "仅适用于 MySQL/MariaDB" in result.output


def test_urls_are_printed_once_and_the_out_file_is_private(instance):
    assert stat.S_IMODE(os.stat(instance["out"]).st_mode) == 0o600
    for role in ("app", "etl", "bi"):
        assert f"archives_{role}_{instance['suffix']}:" in instance[role]
        assert instance[role] in instance["output"]  # printed with the password, this once
    assert instance["bi"].split("?")[0].endswith(f"/{instance['name']}_dw")


def test_app_account_appends_to_the_audit_log_but_cannot_change_or_delete_it(instance, engines):
    from archives_domain.config import Settings
    from archives_domain.pii.store import codec_from_settings
    settings = Settings.from_env(instance["env"])
    key = audit.audit_key(codec_from_settings(settings).keyring, settings)
    app = engines(instance["app"])
    new_id = audit.write(app, AuditEntry(action="登录", summary="以 archives_app 账号追加"), key)
    with app.begin() as conn:  # a business write
        conn.execute(sa.text("update agency set name = concat(name, '') where code = '52000001'"))
        assert conn.execute(sa.text("select count(*) from person")).scalar() >= 0
    for sql in ("update audit_log set summary = '改过' where id = :i", "delete from audit_log where id = :i",
                "delete from audit_chain_head where id = 1 and :i > 0"):
        with pytest.raises(sa.exc.OperationalError) as refused, app.begin() as conn:
            conn.execute(sa.text(sql), {"i": new_id})
        assert _code(refused) == DENIED, sql
    with pytest.raises(sa.exc.OperationalError) as refused, app.begin() as conn:
        conn.execute(sa.text("drop table audit_log"))
    assert _code(refused) == DENIED
    assert audit.find_break(app, key) is None  # the app account can read and verify the chain


def test_bi_account_reads_the_analytics_database_alone(instance, engines, mysql_server):
    dw, ops = f"{instance['name']}_dw", instance["name"]
    with mysql_server.connect() as conn:
        conn.execute(sa.text(f"create table if not exists {dw}.bi_probe (n int)"))
        conn.execute(sa.text(f"insert into {dw}.bi_probe values (7)"))
    bi = engines(instance["bi"])
    with bi.connect() as conn:
        assert conn.execute(sa.text("select n from bi_probe")).scalar() == 7
        for sql in (f"select count(*) from {ops}.person", f"select count(*) from {ops}.audit_log",
                    "insert into bi_probe values (8)"):
            with pytest.raises(sa.exc.OperationalError) as refused:
                conn.execute(sa.text(sql))
            assert _code(refused) == DENIED, sql


def test_etl_account_ingests_builds_analytics_and_audits_an_export(instance, engines, mysql_server, monkeypatch,
                                                                   tmp_path):
    """A small ingest end to end as archives_etl: LOAD DATA LOCAL INFILE, the deferred index rebuild
    (ALTER on person), the 一人多档 sweep, the analytics database; then an audited export."""
    from synth.generate import generate
    gen = tmp_path / "gen"
    generate(persons=120, seed=3, out=gen, progress=False)
    agency = sorted(p.name for p in (gen / "landing").iterdir() if p.is_dir())[0]
    for name in ("ARCHIVES_DW_DATABASE", "ARCHIVES_DW_PATH", "ARCHIVES_PII_KEY_FILE", "ARCHIVES_WORK_DIR",
                 "ARCHIVES_LANDING_DIR", "ARCHIVES_FEEDS_DIR", "ARCHIVES_FEEDS_URL", "ARCHIVES_AUDIT_ANCHOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", instance["etl"])
    monkeypatch.setenv("ARCHIVES_VAR_DIR", instance["env"]["ARCHIVES_VAR_DIR"])  # the owner's key file
    monkeypatch.setenv("ARCHIVES_REPORTS_DIR", str(tmp_path / "reports"))
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", "--landing", str(gen / "landing"), "--feeds", str(gen / "feeds"),
                                 "--agency", agency, "--work", str(tmp_path / "work"), "--workers", "1"],
                           catch_exceptions=False)
    assert result.exit_code == 0 and "失败" not in result.output, result.output
    assert "分析库 analytics" in result.output, result.output
    owner = engines(instance["owner"])
    with owner.connect() as conn:
        assert conn.execute(sa.text("select count(*) from person where agency_code = :a"), {"a": agency}).scalar() > 0
        dw_tables = conn.execute(sa.text("select count(*) from information_schema.tables where table_schema = :s"),
                                 {"s": f"{instance['name']}_dw"}).scalar()
    assert dw_tables > 0
    from pipelines.load.indexes import missing_indexes
    with owner.connect() as conn:
        assert missing_indexes(conn) == []
    result = runner.invoke(cli, ["export", "--out", str(tmp_path / "export"), "--agency", agency],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with owner.connect() as conn:
        assert conn.execute(sa.text("select count(*) from audit_log where action = '导出'")).scalar() == 1
    etl = engines(instance["etl"])
    with pytest.raises(sa.exc.OperationalError) as refused, etl.begin() as conn:
        conn.execute(sa.text("delete from audit_log"))
    assert _code(refused) == DENIED
    with pytest.raises(sa.exc.OperationalError) as refused, etl.connect() as conn:
        conn.execute(sa.text("select count(*) from ab_user"))
    assert _code(refused) == DENIED


def test_a_rerun_sets_new_passwords_unless_keep(instance, engines):
    suffix = uuid.uuid4().hex[:8]
    env, runner = instance["env"], CliRunner()
    owner = engines(instance["owner"])
    try:
        first = runner.invoke(cli, ["db", "accounts", "--suffix", suffix], env=env)
        assert first.exit_code == 0, first.output
        url1 = first.output.split("ARCHIVES_APP_DATABASE_URL=")[1].split()[0]
        with engines(url1).connect() as conn:
            assert conn.execute(sa.text("select count(*) from agency")).scalar() > 0
        kept = runner.invoke(cli, ["db", "accounts", "--suffix", suffix, "--keep"], env=env)
        assert kept.exit_code == 0 and "口令未改" in kept.output, kept.output
        with engines(url1).connect() as conn:  # the old password still works, the grants were re-made
            assert conn.execute(sa.text("select count(*) from agency")).scalar() > 0
        again = runner.invoke(cli, ["db", "accounts", "--suffix", suffix], env=env)
        url2 = again.output.split("ARCHIVES_APP_DATABASE_URL=")[1].split()[0]
        assert url2 != url1
        with pytest.raises(sa.exc.OperationalError) as refused:
            engines(url1).connect()
        assert _code(refused) == 1045  # access denied: the old password is gone
        with engines(url2).connect() as conn:
            assert conn.execute(sa.text("select count(*) from agency")).scalar() > 0
    finally:
        drop_accounts(owner, suffix=suffix)


def test_bad_options_name_the_parameter(instance):
    result = CliRunner().invoke(cli, ["db", "accounts", "--suffix", "Bad-Name!"], env=instance["env"])
    assert result.exit_code == 1 and "--suffix" in result.output
    result = CliRunner().invoke(cli, ["db", "accounts", "--host", "x' or '1"], env=instance["env"])
    assert result.exit_code == 1 and "--host" in result.output
