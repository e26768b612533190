"""The HMAC-SM3 chained audit log: appends, verification, tampering detected, CLI."""
from __future__ import annotations

import json
import multiprocessing
import os
import stat
import threading

import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session

from archives_domain import audit
from archives_domain.audit import AuditEntry, AuditKey, GENESIS_MAC
from archives_domain.audit_anchor import Anchor, AnchorError

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
    env = {"DATABASE_URL": database_url, "ARCHIVES_VAR_DIR": str(tmp_path / "var"), "ARCHIVES_PII_KEY_FILE": "",
           "ARCHIVES_AUDIT_ANCHOR": ""}
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    from archives_domain.config import Settings
    from archives_domain.db import make_engine
    from archives_domain.pii.store import codec_from_settings
    settings = Settings.from_env(env)
    key = audit.audit_key(codec_from_settings(settings).keyring, settings)
    engine = make_engine(database_url)
    try:
        ids = [audit.write(engine, AuditEntry(action="登录", summary=f"s{i}"), key) for i in range(4)]
        result = runner.invoke(cli, ["audit", "verify"], env=env)
        assert result.exit_code == 0 and "完整" in result.output, result.output
        assert f"已锚定至第 {ids[-1]} 条" in result.output, result.output
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


# -- the anchor outside the table (issue 13, defect 4) ------------------------------------------------
def _anchored(tmp_path, name="anchor.log"):
    return AuditKey(KEY, Anchor(tmp_path / "audit" / name, b"a" * 32))


def _truncate_and_rewrite_head(engine, keep_id):
    """The probe's attack: delete the last rows and make the head name the new last row."""
    with engine.begin() as conn:
        conn.execute(sa.text("delete from audit_log where id > :i"), {"i": keep_id})
        mac = conn.execute(sa.text("select mac from audit_log where id = :i"), {"i": keep_id}).scalar_one()
        conn.execute(sa.text("update audit_chain_head set last_id = :i, last_mac = :m where id = 1"),
                     {"i": keep_id, "m": mac})


def test_truncated_tail_with_rewritten_head_is_found_by_the_anchor(engine, tmp_path):
    key = _anchored(tmp_path)
    ids = _fill(engine, 6) and [audit.write(engine, AuditEntry(action="登录", summary=f"a{i}"), key)
                                for i in range(3)]
    assert audit.find_break(engine, key) is None
    _truncate_and_rewrite_head(engine, ids[0])
    assert audit.find_break(engine, KEY) is None  # the chain and its head alone cannot tell
    broken = audit.find_break(engine, key)
    assert broken is not None and broken.id == ids[1], broken
    assert "锚点" in broken.reason and "第 2 行" in broken.reason and "已无此条" in broken.reason


def test_missing_anchor_file_fails_once_rows_exist(engine, tmp_path):
    key = _anchored(tmp_path)
    assert audit.find_break(engine, key) is None  # empty log, no anchor yet: nothing to prove
    audit.write(engine, AuditEntry(action="登录", summary="x"), key)
    key.anchor.path.unlink()
    broken = audit.find_break(engine, key)
    assert broken is not None and "锚点文件" in broken.reason and "不存在" in broken.reason


def test_replaced_row_under_a_checkpoint_is_found(engine, tmp_path):
    """Rebuilding the whole chain with the audit key (an insider with the key file) still differs from
    the anchor, whose lines name the original macs."""
    key = _anchored(tmp_path)
    ids = [audit.write(engine, AuditEntry(action="登录", summary=f"s{i}"), key) for i in range(3)]
    with engine.begin() as conn:
        log_table = sa.Table("audit_log", sa.MetaData(), autoload_with=conn)
        row = conn.execute(sa.select(log_table).where(log_table.c.id == ids[-1])).mappings().one()
        values = {**row, "summary": "改写"}
        mac = audit.compute_mac(KEY, row["prev_mac"], values)
        conn.execute(sa.text("update audit_log set summary = '改写', mac = :m where id = :i"), {"m": mac, "i": ids[-1]})
        conn.execute(sa.text("update audit_chain_head set last_mac = :m where id = 1"), {"m": mac})
    assert audit.find_break(engine, KEY) is None
    broken = audit.find_break(engine, key)
    assert broken is not None and broken.id == ids[-1] and "校验值与锚点不符" in broken.reason


def _lines(path):
    return path.read_text(encoding="ascii").splitlines()


def test_forged_or_edited_anchor_lines_are_found(engine, tmp_path):
    key = _anchored(tmp_path)
    ids = [audit.write(engine, AuditEntry(action="登录", summary=f"s{i}"), key) for i in range(4)]
    path = key.anchor.path
    original = _lines(path)
    assert [json.loads(line)["id"] for line in original] == ids

    def broken_with(lines):
        path.write_text("".join(line + "\n" for line in lines), encoding="ascii")
        return audit.find_break(engine, key)

    # The attacker truncates the table and edits the last checkpoints to match (without the anchor key).
    _truncate_and_rewrite_head(engine, ids[1])
    edited = [json.loads(line) for line in original[:2]]
    for doc in [json.loads(line) for line in original[2:]]:
        doc.update(id=ids[1], mac=edited[1]["mac"])
        edited.append(doc)
    b = broken_with([json.dumps(d, sort_keys=True, separators=(",", ":")) for d in edited])
    assert b is not None and "第 3 行的签名不符" in b.reason, b
    b = broken_with(original[:2])  # the tail of the anchor cut off: consistent, only the WORM store prevents it
    assert b is None
    b = broken_with([original[0], original[2]])  # a line removed from the middle
    assert b is not None and "第 2 行与上一行不衔接" in b.reason, b
    b = broken_with(original[:2] + ["{not json"])
    assert b is not None and "第 3 行不是有效的锚点记录" in b.reason, b
    forged = Anchor(path, b"f" * 32)  # a checkpoint signed with another key
    path.write_text("".join(line + "\n" for line in original[:2]), encoding="ascii")
    forged.checkpoint(ids[1], json.loads(original[1])["mac"])
    b = audit.find_break(engine, key)
    assert b is not None and "第 3 行的签名不符" in b.reason, b


def test_session_commit_anchors_the_head_once_and_rollback_never(engine, tmp_path):
    key = _anchored(tmp_path)
    with Session(engine) as s:
        audit.append(s, AuditEntry(action="新增", summary="一"), key)
        second = audit.append(s, AuditEntry(action="新增", summary="二"), key)
        assert not key.anchor.path.exists()  # nothing before the commit
        s.commit()
        lines = _lines(key.anchor.path)
        assert len(lines) == 1 and json.loads(lines[0])["id"] == second  # one small write per commit
        audit.append(s, AuditEntry(action="新增", summary="回滚"), key)
        s.rollback()
        s.commit()  # a later commit of the same session must not anchor the rolled-back row
        with s.begin_nested():
            audit.append(s, AuditEntry(action="新增", summary="保存点"), key)
        s.commit()
        third = json.loads(_lines(key.anchor.path)[-1])["id"]
    assert len(_lines(key.anchor.path)) == 2 and third > second
    assert audit.find_break(engine, key) is None


def test_anchor_file_and_folder_are_private(engine, tmp_path):
    key = _anchored(tmp_path)
    audit.write(engine, AuditEntry(action="登录", summary="x"), key)
    assert stat.S_IMODE(os.stat(key.anchor.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(key.anchor.path.parent).st_mode) == 0o700


def _hammer(path, n):
    anchor = Anchor(path, b"a" * 32)
    for i in range(n):
        anchor.checkpoint(i + 1, f"{os.getpid():064d}"[-64:])


def test_concurrent_writers_never_interleave_or_fork_the_anchor(tmp_path):
    """Several processes (gunicorn workers, CLI, pipeline workers) append at once: every line whole,
    every line chained to the one before it."""
    path = tmp_path / "audit" / "anchor.log"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_hammer, args=(path, 50)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    lines = list(Anchor(path, b"a" * 32).lines())
    assert len(lines) == 200 and [doc["n"] for _, doc in lines] == list(range(1, 201))


def test_a_broken_anchor_is_an_error_in_lines(tmp_path):
    path = tmp_path / "a.log"
    Anchor(path, b"a" * 32).checkpoint(1, "0" * 64)
    try:
        list(Anchor(path, b"b" * 32).lines())
    except AnchorError as exc:
        assert "签名不符" in str(exc)
    else:
        raise AssertionError("a line signed with another key verified")


def test_cli_verify_fails_on_the_probes_truncation_naming_the_anchor(database_url, tmp_path):
    from archives_cli.main import cli
    from archives_domain.config import Settings
    from archives_domain.db import make_engine
    from archives_domain.pii.store import codec_from_settings
    anchor_file = tmp_path / "worm" / "anchor.log"
    env = {"DATABASE_URL": database_url, "ARCHIVES_VAR_DIR": str(tmp_path / "var"), "ARCHIVES_PII_KEY_FILE": "",
           "ARCHIVES_AUDIT_ANCHOR": str(anchor_file)}
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    settings = Settings.from_env(env)
    key = audit.audit_key(codec_from_settings(settings).keyring, settings)
    assert key.anchor.path == anchor_file  # ARCHIVES_AUDIT_ANCHOR overrides the var dir
    engine = make_engine(database_url)
    try:
        ids = [audit.write(engine, AuditEntry(action="登录", summary=f"s{i}"), key) for i in range(5)]
        assert len(_lines(anchor_file)) == 5
        _truncate_and_rewrite_head(engine, ids[2])
        result = runner.invoke(cli, ["audit", "verify"], env=env)
        assert result.exit_code == 1, result.output
        assert "锚点" in result.output and f"第 {ids[3]} 条" in result.output, result.output
    finally:
        engine.dispose()


def test_the_app_anchors_what_its_requests_audit(ops_app, engine, ops_settings):
    """Every writer of the installation anchors: the web app's audited login lands in the anchor file of
    its settings, after the commit, and the probe's truncation is then found with the app's own key."""
    from conftest import INITIAL_PASSWORD
    from ops_http import login
    key = ops_app.config["ARCHIVES_AUDIT_KEY"]
    assert key.anchor.path == ops_settings.audit_anchor
    login(ops_app.test_client(), "clerk1", INITIAL_PASSWORD)
    with engine.connect() as conn:
        last_id, last_mac = conn.execute(sa.text("select last_id, last_mac from audit_chain_head")).one()
    newest = json.loads(_lines(key.anchor.path)[-1])
    assert (newest["id"], newest["mac"]) == (last_id, last_mac)
    assert audit.find_break(engine, key) is None
    with engine.connect() as conn:
        first = conn.execute(sa.text("select min(id) from audit_log")).scalar()
    if first != last_id:
        _truncate_and_rewrite_head(engine, first)
    else:  # one entry only: delete it and reset the head to the genesis
        with engine.begin() as conn:
            conn.execute(sa.text("delete from audit_log"))
            conn.execute(sa.text("update audit_chain_head set last_id = null, last_mac = :g"), {"g": GENESIS_MAC})
    broken = audit.find_break(engine, key)
    assert broken is not None and "锚点" in broken.reason
