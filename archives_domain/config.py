"""Configuration from the environment (环境变量配置).

Nothing here connects or creates files at import time; `Settings.from_env()`
reads the environment when a command or app factory asks for it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    pii_key_file: Path
    pii_key_file_explicit: bool
    # Where the audit chain's signed checkpoints go (archives_domain.audit_anchor); None: under var_dir.
    # Production points ARCHIVES_AUDIT_ANCHOR at an append-only store the database account cannot reach.
    audit_anchor_file: Path | None = None

    @classmethod
    def from_env(cls, environ: os._Environ | dict | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        var_dir = Path(env.get("ARCHIVES_VAR_DIR") or PROJECT_ROOT / "var")
        default_db = f"sqlite:///{var_dir / 'archives.sqlite3'}"
        key_file = env.get("ARCHIVES_PII_KEY_FILE")
        return cls(
            var_dir=var_dir,
            database_url=env.get("DATABASE_URL") or default_db,
            pii_key_file=Path(key_file) if key_file else var_dir / "keys" / "pii.json",
            pii_key_file_explicit=bool(key_file),
            audit_anchor_file=Path(env["ARCHIVES_AUDIT_ANCHOR"]) if env.get("ARCHIVES_AUDIT_ANCHOR") else None,
        )

    @property
    def audit_anchor(self) -> Path:
        return self.audit_anchor_file or self.var_dir / "audit" / "anchor.log"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
