"""The HMAC-SM3 chained audit log: appends, verification, tampering detected, CLI."""
from __future__ import annotations

import threading

import sqlalchemy as sa
from click.testing import CliRunner

from archives_domain import audit
from archives_domain.audit import AuditEntry, GENESIS_MAC

KEY = b"k" * 32


def _fill(engine, n=5):
    return [audit.write(engine, AuditEntry(action="登录", summary=f"第{i}次登录", username="u1",
                                           client_ip="10.0.0.1", module1="工作台"), KEY) for i in range(n)]


def test_chain_is_linked_and_verifies(engine):
    assert audit.verify(engine, KEY) is None  # empty log
    ids = _fill(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select id, prev_mac, mac from audit_log order by id")).all()
    assert [r.id for r in rows] == ids
    assert rows[0].prev_mac == GENESIS_MAC
    assert all(rows[i].prev_mac == rows[i - 1].mac for i in range(1, len(rows)))
    assert audit.verify(engine, KEY) is None
    assert audit.verify(engine, b"x" * 32) == ids[0]  # another key: nothing verifies


def test_edited_row_is_found(engine):
    ids = _fill(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("update audit_log set summary = '改过' where id = :i"), {"i": ids[2]})
    assert audit.verify(engine, KEY) == ids[2]


def test_deleted_row_is_found(engine):
    ids = _fill(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("delete from audit_log where id = :i"), {"i": ids[1]})
    assert audit.verify(engine, KEY) == ids[2]


def test_deleted_tail_is_found(engine):
    ids = _fill(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("delete from audit_log where id = :i"), {"i": ids[-1]})
    assert audit.verify(engine, KEY) == ids[-1]


def test_append_rolls_back_with_the_callers_transaction(engine):
    _fill(engine, 2)
    try:
        with engine.begin() as conn:
            audit.append(conn, AuditEntry(action="新增", summary="失败的业务"), KEY)
            raise RuntimeError("业务失败")
    except RuntimeError:
        pass
    assert audit.verify(engine, KEY) is None
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from audit_log")).scalar() == 2


def test_concurrent_appends_never_fork_the_chain(engine):
    errors = []

    def worker(n):
        try:
            for i in range(10):
                audit.write(engine, AuditEntry(action="查看明文", summary=f"w{n}-{i}"), KEY)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from audit_log")).scalar() == 40
        assert conn.execute(sa.text("select count(distinct prev_mac) from audit_log")).scalar() == 40
    assert audit.verify(engine, KEY) is None


def test_cli_audit_verify_names_the_first_broken_link(database_url, tmp_path):
    from archives_cli.main import cli
    env = {"DATABASE_URL": database_url, "ARCHIVES_VAR_DIR": str(tmp_path / "var"), "ARCHIVES_PII_KEY_FILE": ""}
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    from archives_domain.config import Settings
    from archives_domain.db import make_engine
    from archives_domain.pii.store import codec_from_settings
    settings = Settings.from_env(env)
    key = audit.audit_key(codec_from_settings(settings).keyring)
    engine = make_engine(database_url)
    try:
        ids = [audit.write(engine, AuditEntry(action="登录", summary=f"s{i}"), key) for i in range(4)]
        result = runner.invoke(cli, ["audit", "verify"], env=env)
        assert result.exit_code == 0 and "完整" in result.output, result.output
        with engine.begin() as conn:
            conn.execute(sa.text("update audit_log set client_ip = '6.6.6.6' where id = :i"), {"i": ids[1]})
        result = runner.invoke(cli, ["audit", "verify"], env=env)
        assert result.exit_code == 1 and f"第 {ids[1]} 条" in result.output, result.output
        with engine.begin() as conn:
            conn.execute(sa.text("delete from audit_log where id = :i"), {"i": ids[1]})
        result = runner.invoke(cli, ["audit", "verify"], env=env)
        assert result.exit_code == 1 and f"第 {ids[2]} 条" in result.output, result.output
    finally:
        engine.dispose()
