"""A real Superset 6.1 (from .venv-superset) for the EMBED tests: metadata made once per session (db upgrade,
init; SQLite under the session's tmp dir), copied per test; roles and the app's service account added; served
on a free port of 8111–8119 with the SSO configuration pointing at the app under test. (The PLATFORM helper's
tests/superset_server.py replaces this once merged.)"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SUPERSET = ROOT / ".venv-superset" / "bin" / "superset"
PYTHON = ROOT / ".venv-superset" / "bin" / "python"
SECRET = "embed-test-superset-secret-0123456789abcdef"


def free_port(lo=8111, hi=8119) -> int:
    for port in range(lo, hi + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in 8111-8119")


def env(meta: Path, app_url: str, secret: str = SECRET) -> dict:
    return {**os.environ, "SUPERSET_CONFIG_PATH": str(ROOT / "bi" / "superset_config.py"),
            "SUPERSET_SECRET_KEY": secret, "ARCHIVES_SUPERSET_METADATA_URL": f"sqlite:///{meta}",
            "ARCHIVES_APP_URL": app_url, "ARCHIVES_APP_ORIGIN": app_url,
            "FLASK_APP": "superset", "PYTHONPATH": ""}


def make_template(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    meta = folder / "template.db"
    if not meta.exists():
        e = env(meta, "http://127.0.0.1:1")
        subprocess.run([str(SUPERSET), "db", "upgrade"], env=e, check=True, capture_output=True, timeout=600)
        subprocess.run([str(SUPERSET), "init"], env=e, check=True, capture_output=True, timeout=600)
    return meta


SETUP = """
import sys
from superset.app import create_app
app = create_app()
with app.app_context():
    sm = app.appbuilder.sm
    for name in sys.argv[3:]:
        sm.add_role(name)
    if not sm.find_user(username=sys.argv[1]):
        sm.add_user(sys.argv[1], "service", "account", "service@archives.invalid", sm.find_role("Admin"),
                    password=sys.argv[2])
"""


def start(meta: Path, port: int, app_url: str, superset_secret: str, service_password: str, roles: list[str],
          log: Path, **extra):
    e = {**env(meta, app_url, superset_secret), **extra}
    subprocess.run([str(PYTHON), "-c", SETUP, "archives_service", service_password, *roles], env=e, check=True,
                   capture_output=True, timeout=300)
    proc = subprocess.Popen([str(SUPERSET), "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"], env=e,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("Superset did not start: " + log.read_text(errors="replace")[-2000:])


def copy_template(template: Path, dest: Path) -> Path:
    shutil.copy(template, dest)
    return dest
