"""`archives serve`: the operational app under gunicorn (or Werkzeug's reloader with --dev)."""
from __future__ import annotations

import os
import sys

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8080, show_default=True, type=int, help="监听端口")
@click.option("--workers", default=lambda: int(os.environ.get("ARCHIVES_WORKERS", "4")), show_default="4",
              type=int, help="gunicorn 工作进程数")
@click.option("--dev", is_flag=True, help="开发模式：Werkzeug 自动重载（不启用调试器，Cookie 允许 HTTP）")
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """启动业务经办系统（Web）。"""
    from ops_app.app import create_app

    from .main import Context
    settings = click.get_current_context().ensure_object(Context).settings
    if dev:
        # Plain HTTP on a developer's machine: the Secure cookie flag would make login impossible.
        os.environ["ARCHIVES_INSECURE_COOKIES"] = "1"
        app = create_app(settings)
        click.echo(f"开发模式：http://{host}:{port}/")
        # The Werkzeug debugger executes code typed into the browser: never on, even in --dev.
        app.run(host=host, port=port, debug=False, use_reloader=True)
        return
    create_app(settings)  # fail here, in Chinese, before forking workers (schema head, key file)
    argv = ["gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers), "--access-logfile", "-",
            "--forwarded-allow-ips", os.environ.get("ARCHIVES_FORWARDED_ALLOW_IPS", "127.0.0.1"),
            "ops_app.app:create_app()"]
    click.echo(f"启动 gunicorn：{host}:{port}，{workers} 个工作进程")
    os.execvp(sys.executable, [sys.executable, "-m", *argv])
