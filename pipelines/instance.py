"""Dagster instance storage (实例存储): ``dagster.yaml`` in DAGSTER_HOME, from the environment.

* default: SQLite under ``DAGSTER_HOME`` (default ``<var>/dagster``, i.e. ``var/dagster``);
* ``ARCHIVES_DAGSTER_MYSQL_URL`` set (``mysql+mysqlconnector://user:pw@host:3306/db``; the
  driver must be named: dagster-mysql passes the URL to SQLAlchemy unchanged): runs, events and schedules in MySQL through dagster-mysql.  The URL is
  written as an ``env:`` reference, never as text, so no password lands in the file.

``write_dagster_yaml()`` materialises the file (idempotent) and returns DAGSTER_HOME;
``python -m pipelines.instance`` does the same from a shell (before ``dagster dev``).
Importing this module reads and writes nothing.
"""
from __future__ import annotations

import os
from pathlib import Path

MYSQL_ENV = "ARCHIVES_DAGSTER_MYSQL_URL"


def dagster_home(environ=None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("DAGSTER_HOME"):
        return Path(env["DAGSTER_HOME"])
    from archives_domain.config import Settings
    return Settings.from_env(env).var_dir / "dagster"


def dagster_yaml(environ=None) -> str:
    """The text of ``dagster.yaml`` for this environment."""
    env = os.environ if environ is None else environ
    lines = ["# written by pipelines/instance.py from the environment; do not edit by hand"]
    if env.get(MYSQL_ENV):
        scheme = env[MYSQL_ENV].split("://", 1)[0]
        if scheme != "mysql+mysqlconnector":
            # dagster-mysql hands the URL to SQLAlchemy as is; only mysql-connector is installed
            raise ValueError(f"{MYSQL_ENV} must start with mysql+mysqlconnector:// (got {scheme}://)")
        lines += ["storage:", "  mysql:", "    mysql_url:", f"      env: {MYSQL_ENV}"]
    else:
        base = dagster_home(env) / "storage"
        lines += ["storage:", "  sqlite:", f"    base_dir: {base.as_posix()}"]
    lines += [
        "run_coordinator:",
        "  module: dagster.core.run_coordinator",
        "  class: QueuedRunCoordinator",
        "  config:",
        "    max_concurrent_runs: 2",  # the 2-core machine the pipeline is sized for
        "telemetry:",
        "  enabled: false",
    ]
    return "\n".join(lines) + "\n"


def write_dagster_yaml(environ=None) -> Path:
    """Write ``$DAGSTER_HOME/dagster.yaml`` (atomically; only when it changes); return DAGSTER_HOME."""
    from archives_domain.private_files import private_dir, write_private

    home = private_dir(dagster_home(environ))  # 0700: the run storage records the runs' metadata
    path = home / "dagster.yaml"
    text = dagster_yaml(environ)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_private(path, text)
    return home


def get_instance(environ=None):
    """A `DagsterInstance` on the storage of this environment (writes dagster.yaml first)."""
    import dagster as dg

    home = write_dagster_yaml(environ)
    return dg.DagsterInstance.from_config(str(home))


if __name__ == "__main__":  # pragma: no cover
    print(write_dagster_yaml())
