"""The `archives db` commands, end to end, on both databases."""
from __future__ import annotations

import json
import os

from click.testing import CliRunner

from archives_cli.main import cli


def _run(args, env):
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_upgrade_seed_check_downgrade(database_url, tmp_path):
    env = {"DATABASE_URL": database_url, "ARCHIVES_VAR_DIR": str(tmp_path / "var"), "ARCHIVES_PII_KEY_FILE": ""}
    code, out = _run(["db", "check"], env)
    assert code == 1 and "archives db upgrade" in out
    code, out = _run(["db", "upgrade"], env)
    from archives_domain import migrate
    assert code == 0 and migrate.head_revision() in out
    assert os.stat(tmp_path / "var" / "keys" / "pii.json").st_mode & 0o777 == 0o600
    code, first = _run(["db", "seed"], env)
    assert code == 0 and "agency: 103" in first
    code, second = _run(["db", "seed"], env)
    assert code == 0 and second == first
    code, out = _run(["db", "check"], env)
    assert code == 0, out
    assert "最新" in out and "与数据库登记一致" in out
    code, out = _run(["db", "downgrade"], env)
    assert code == 0 and migrate.revisions()[-2] in out


def test_wrong_key_file_stops_with_a_clear_message(database_url, tmp_path):
    env = {"DATABASE_URL": database_url, "ARCHIVES_VAR_DIR": str(tmp_path / "var")}
    assert _run(["db", "upgrade"], env)[0] == 0
    other = tmp_path / "other.json"
    key = json.loads((tmp_path / "var" / "keys" / "pii.json").read_text())
    key["keys"] = {key["active"]: "00" * 16}
    other.write_text(json.dumps(key))
    other.chmod(0o600)
    env["ARCHIVES_PII_KEY_FILE"] = str(other)
    code, out = _run(["db", "upgrade"], env)
    assert code == 2 and "配置错误" in out and "不符" in out
    code, out = _run(["db", "check"], env)
    assert code == 1 and "✗ 个人信息密钥" in out
    env["ARCHIVES_PII_KEY_FILE"] = str(tmp_path / "missing.json")
    code, out = _run(["db", "upgrade"], env)
    assert code == 2 and "找不到个人信息密钥文件" in out


def _environment_value(name):
    return os.environ.get(name)


def test_ingest_workers_start_with_the_heap_on_huge_pages(monkeypatch):
    """The worker processes of `archives ingest` start with WORKER_ENV (glibc's malloc on transparent huge
    pages); the parent's environment is as before afterwards; a value the operator set is kept."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from archives_cli.ingest import WORKER_ENV, _worker_environment

    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool, _worker_environment():
        seen = pool.submit(_environment_value, "GLIBC_TUNABLES").result()
    assert seen == WORKER_ENV["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=1"
    assert "GLIBC_TUNABLES" not in os.environ
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    with _worker_environment():
        assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2"
    assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2"
