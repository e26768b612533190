"""`archives superset …`: Superset (综合统计分析平台) — prepare its metadata, sync everything as code, serve."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import click


def _ctx():
    from .main import Context
    return click.get_current_context().ensure_object(Context)


@click.group()
def superset() -> None:
    """Superset：元数据库准备、资产与角色同步（看板即代码、行级数据范围）、启动服务。"""


def _runtime(c):
    """(environment of the Superset process, analytics target) for the configured databases."""
    from archives_domain.bi.superset_runtime import superset_environ
    from archives_domain.bi.superset_secrets import ensure_secret
    from archives_domain.private_files import private_dir
    from pipelines.analytics import target_for
    target = target_for(c.engine)
    if target.dialect == "sqlite" and not Path(target.dw_name).exists():
        raise click.ClickException(f"分析库尚未生成（{target.dw_name}）：请先执行 archives analytics build")
    ensure_secret(c.settings)
    env = superset_environ(c.settings, sqlite_analytics=target.dialect == "sqlite")
    if env["ARCHIVES_SUPERSET_METADATA_URL"].startswith("sqlite:///"):
        private_dir(c.settings.var_dir / "superset")
    return env, target


def _run(argv: list, env: dict, what: str) -> str:
    proc = subprocess.run([str(a) for a in argv], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise click.ClickException(f"{what}失败：\n{tail}")
    return proc.stdout


def prepare_metadata(env: dict) -> None:
    """superset db upgrade + superset init (idempotent)."""
    from archives_domain.bi.superset_runtime import venv_bin
    exe = venv_bin("superset", env)
    _run([exe, "db", "upgrade"], env, "Superset 元数据库迁移")
    _run([exe, "init"], env, "Superset 初始化（内置角色与权限）")


def run_sync(c, env: dict, target, *, force: bool = False) -> dict:
    """Build the spec from the operational database and apply it in Superset; returns its report."""
    import warehouse_models
    from sqlalchemy.orm import Session

    from archives_domain.accounts.grants import seal_key
    from archives_domain.bi.superset_runtime import analytics_uri, bundle_dir, config_path, venv_bin
    from archives_domain.bi.superset_secrets import ensure_secret
    from archives_domain.bi.superset_spec import build_spec
    from archives_domain.pii.store import codec_from_settings
    from archives_domain.private_files import private_dir, write_private
    origin = os.environ.get("ARCHIVES_APP_ORIGIN", "http://127.0.0.1:8080").rstrip("/")
    with Session(c.engine) as s:
        spec = build_spec(s, seal_key(codec_from_settings(c.settings).keyring), bundle_dir=str(bundle_dir()),
                          database_uri=analytics_uri(target.dialect, target.dw_name),
                          database_schema="main" if target.dialect == "sqlite" else target.dw_name,
                          rls_tables=[m.name for m in warehouse_models.MODELS if m.has_agency],
                          secret=ensure_secret(c.settings), embed_origins=[origin], force=force)
    # The spec holds the analytics password and the service password: 0600, removed right after.
    spec_file = private_dir(c.settings.var_dir / "superset") / f".sync-{uuid.uuid4().hex[:8]}.json"
    write_private(spec_file, json.dumps(spec, ensure_ascii=False))
    try:
        out = _run([venv_bin("python", env), config_path().parent / "sync_superset.py", spec_file], env,
                   "Superset 同步")
    finally:
        spec_file.unlink(missing_ok=True)
    return json.loads(out.strip().splitlines()[-1])


@superset.command()
@click.option("--force", is_flag=True, help="资产包未变也重新导入（覆盖在 Superset 界面中对包内看板的修改）")
@click.option("--skip-init", is_flag=True, help="跳过元数据库迁移与初始化")
def sync(force: bool, skip_init: bool) -> None:
    """把 bi/assets 资产包、分析库连接、角色、数据范围（行级安全）与统计用户同步到 Superset（幂等）。"""
    c = _ctx()
    env, target = _runtime(c)
    if not skip_init:
        prepare_metadata(env)
    report = run_sync(c, env, target, force=force)
    changed = report["changed"]
    click.echo("已同步：" + ("，".join(f"{k}={v}" for k, v in sorted(changed.items())) if changed else "无变化"))
    for d in report["dashboards"]:
        click.echo(f"看板 {d['title']}（{d['uuid']}）嵌入 UUID：{d['embedded_uuid']}")


@superset.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8088, show_default=True, type=int, help="监听端口")
@click.option("--workers", default=lambda: int(os.environ.get("ARCHIVES_SUPERSET_WORKERS", "2")), show_default="2",
              type=int, help="gunicorn 工作进程数")
def serve(host: str, port: int, workers: int) -> None:
    """准备元数据库、同步，然后以 gunicorn 启动 Superset。"""
    from archives_domain.bi.superset_runtime import venv_bin
    c = _ctx()
    env, target = _runtime(c)
    prepare_metadata(env)
    report = run_sync(c, env, target)
    click.echo("已同步：" + (json.dumps(report["changed"], ensure_ascii=False) if report["changed"] else "无变化"))
    argv = [str(venv_bin("gunicorn", env)), "--bind", f"{host}:{port}", "--workers", str(workers),
            "--timeout", "120", "--limit-request-line", "0", "--limit-request-field_size", "0",
            "--forwarded-allow-ips", os.environ.get("ARCHIVES_FORWARDED_ALLOW_IPS", "127.0.0.1"),
            "--access-logfile", "-", "superset.app:create_app()"]
    click.echo(f"启动 Superset：http://{host}:{port}/ （{workers} 个工作进程）")
    sys.stdout.flush()
    os.execve(argv[0], argv, env)
