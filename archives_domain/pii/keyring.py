"""The PII key file (密钥文件): SM4 data keys by key id, plus the blind-index key.

Format (JSON, mode 0600):
    {"format": 1, "active": "<kid>", "keys": {"<kid>": "<32 hex>"}, "index_key": "<64 hex>"}

Several data keys can live side by side so that `archives db rotate-key` can
re-encrypt row by row while the old key still decrypts what is not yet done.
The blind-index key is separate: rotating data keys leaves lookups intact.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ConfigError

FORMAT = 1


@dataclass
class Keyring:
    active: str
    keys: dict[str, bytes]
    index_key: bytes
    retired: list[str] = field(default_factory=list)

    def key(self, kid: str) -> bytes:
        return self.keys[kid]

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT,
            "active": self.active,
            "keys": {k: v.hex() for k, v in self.keys.items()},
            "index_key": self.index_key.hex(),
            "retired": self.retired,
        }, indent=2)

    def with_new_active_key(self) -> "Keyring":
        kid = new_kid(self.keys)
        keys = dict(self.keys)
        keys[kid] = secrets.token_bytes(16)
        return Keyring(active=kid, keys=keys, index_key=self.index_key,
                       retired=sorted(set(self.retired) | {self.active}))


def new_kid(existing: dict | None = None) -> str:
    # Date for the reader, random part so that two keys made in one second differ.
    while True:
        kid = "k" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d") + "-" + secrets.token_hex(4)
        if not existing or kid not in existing:
            return kid


def generate_keyring() -> Keyring:
    kid = new_kid()
    return Keyring(active=kid, keys={kid: secrets.token_bytes(16)}, index_key=secrets.token_bytes(32))


def write_keyring(path: Path, keyring: Keyring) -> None:
    """Write atomically with mode 0600 (the old file stays whole until the rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(keyring.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def parse_keyring(text: str, source: str) -> Keyring:
    try:
        doc = json.loads(text)
        if doc.get("format") != FORMAT:
            raise ValueError(f"不支持的格式版本 {doc.get('format')!r}")
        keys = {k: bytes.fromhex(v) for k, v in doc["keys"].items()}
        index_key = bytes.fromhex(doc["index_key"])
        active = doc["active"]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"个人信息密钥文件 {source} 格式错误：{exc}") from exc
    if active not in keys:
        raise ConfigError(f"个人信息密钥文件 {source} 中当前密钥 {active} 不存在")
    bad = [k for k, v in keys.items() if len(v) != 16]
    if bad:
        raise ConfigError(f"个人信息密钥文件 {source} 中密钥 {', '.join(bad)} 长度不是 128 位（SM4）")
    if len(index_key) < 32:
        raise ConfigError(f"个人信息密钥文件 {source} 中索引密钥短于 256 位")
    return Keyring(active=active, keys=keys, index_key=index_key, retired=list(doc.get("retired", [])))


def load_keyring(path: Path, *, create: bool) -> Keyring:
    """Read the key file; create it only when `create` (the embedded default).

    An explicitly configured key file that is missing is an error: starting
    with a fresh key would make every stored value unreadable.
    """
    if not path.exists():
        if not create:
            raise ConfigError(
                f"找不到个人信息密钥文件 {path}（ARCHIVES_PII_KEY_FILE）。"
                "请恢复该文件；不要新建密钥，否则已加密的数据将无法解密。")
        keyring = generate_keyring()
        write_keyring(path, keyring)
        return keyring
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"个人信息密钥文件 {path} 权限为 {oct(mode)}，其他用户可读；请执行 chmod 600 {path}")
    return parse_keyring(path.read_text(encoding="utf-8"), str(path))
