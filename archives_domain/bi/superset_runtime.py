"""How the archive system runs Superset (Superset 运行环境): its venv, environment and analytics URI.

Superset lives in its own venv (`.venv-superset`, pinned in requirements/superset.txt) and is only ever
talked to through a subprocess with the environment built here — never imported.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from ..config import PROJECT_ROOT, Settings
from .superset_secrets import secret_file


class SupersetSetupError(RuntimeError):
    """Superset can not be run or reached as configured; the message (Chinese) says what to do."""


def venv_dir(environ=None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("ARCHIVES_SUPERSET_VENV") or PROJECT_ROOT / ".venv-superset")


def venv_bin(name: str, environ=None) -> Path:
    path = venv_dir(environ) / "bin" / name
    if not path.exists():
        raise SupersetSetupError(f"未找到 {path}：请先执行 make setup（安装 Superset 的独立虚拟环境）")
    return path


def config_path() -> Path:
    return PROJECT_ROOT / "bi" / "superset_config.py"


def bundle_dir() -> Path:
    return PROJECT_ROOT / "bi" / "assets"


def analytics_uri(dialect: str, dw_name: str, environ=None) -> str:
    """The URI Superset uses for 分析库: read-only in both cases.

    SQLite: the analytics file opened read-only (`mode=ro`). MariaDB/MySQL: the `archives_bi` account
    (SELECT on the analytics database alone) from ARCHIVES_BI_DATABASE_URL, made by `archives db accounts`,
    whose password is shown once and kept by the operator — never in the repository."""
    env = os.environ if environ is None else environ
    if dialect == "sqlite":
        return f"sqlite:///file:{Path(dw_name).resolve()}?mode=ro&uri=true"
    raw = env.get("ARCHIVES_BI_DATABASE_URL")
    if not raw:
        raise SupersetSetupError("未设置 ARCHIVES_BI_DATABASE_URL：请先以属主账号执行 archives db accounts，"
                                 "并把输出的 archives_bi 连接串设为该环境变量（Superset 只用只读账号连接分析库）")
    url = make_url(raw)
    if url.database != dw_name:
        raise SupersetSetupError(f"ARCHIVES_BI_DATABASE_URL 的数据库 {url.database!r} 不是分析库 {dw_name!r}")
    url = url.set(drivername="mysql+pymysql", query={**url.query, "charset": "utf8mb4"})
    return url.render_as_string(hide_password=False)


def superset_environ(settings: Settings, *, sqlite_analytics: bool, environ=None) -> dict[str, str]:
    """The environment of a Superset process (config path, key file, var dir, the analytics flavour)."""
    env = dict(os.environ if environ is None else environ)
    env.update({
        "SUPERSET_CONFIG_PATH": str(config_path()),
        "ARCHIVES_VAR_DIR": str(settings.var_dir),
        "FLASK_APP": "superset.app:create_app()",
        "ARCHIVES_SUPERSET_SQLITE_ANALYTICS": "1" if sqlite_analytics else "0",
        "PYTHONPATH": "",   # never the archive packages inside Superset's interpreter
    })
    if not env.get("SUPERSET_SECRET_KEY"):
        env["ARCHIVES_SUPERSET_SECRET_FILE"] = str(secret_file(settings, env))
    env.setdefault("ARCHIVES_SUPERSET_METADATA_URL", f"sqlite:///{settings.var_dir / 'superset' / 'superset.db'}")
    return env
