"""Superset's secrets (Superset 密钥): the key file and what is derived from it.

`var/keys/superset.key` (0600, made on first use) is Superset's SECRET_KEY: it signs Superset's sessions
and encrypts the analytics database's password in Superset's metadata. The password of the app's
service account (`archives_service`, which asks Superset for guest tokens) is derived from it, so the
app and Superset agree on it without it being stored anywhere.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from ..config import Settings
from ..private_files import private_dir, write_private

SERVICE_USERNAME = "archives_service"
MIN_LENGTH = 32


class SupersetSecretError(RuntimeError):
    """The key is missing or unsafe; the message (Chinese) says what to do."""


def secret_file(settings: Settings, environ=None) -> Path:
    env = os.environ if environ is None else environ
    explicit = env.get("ARCHIVES_SUPERSET_SECRET_FILE")
    return Path(explicit) if explicit else settings.var_dir / "keys" / "superset.key"


def ensure_secret(settings: Settings, environ=None) -> str:
    """The key from SUPERSET_SECRET_KEY, else the key file — created (random, 0600) when absent."""
    env = os.environ if environ is None else environ
    value = (env.get("SUPERSET_SECRET_KEY") or "").strip()
    if not value:
        path = secret_file(settings, env)
        if not path.exists():
            private_dir(path.parent)
            write_private(path, secrets.token_urlsafe(48) + "\n")
        value = path.read_text(encoding="utf-8").strip()
    if len(value) < MIN_LENGTH:
        raise SupersetSecretError(f"Superset 密钥过短（至少 {MIN_LENGTH} 个字符）：请重新生成 {secret_file(settings, env)}")
    return value


def service_password(secret: str) -> str:
    """口令 of the service account: HMAC-SHA256 of the Superset key (hex)."""
    return hmac.new(secret.encode(), b"archives-superset-service-account", hashlib.sha256).hexdigest()
