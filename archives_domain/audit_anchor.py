"""The audit chain's anchor outside the database (审计日志链锚点).

The chain in `audit_log` proves that no row was edited and none removed from
the middle; it cannot prove that none were cut off the end, because whoever
can delete the last rows can also rewrite `audit_chain_head` to match. So every
commit that appended to the chain also writes a signed checkpoint of the new
head (its id and mac) to an append-only file that the database account cannot
touch: `archives audit verify` then requires every checkpointed row to be in
the table with that mac.

One JSON line per checkpoint:
    {"n": 7, "at": "2026-12-07T03:20:01.123456", "id": 42, "mac": "<64 hex>", "prev": "<sig of line 6>",
     "sig": "<HMAC-SM3 of the other fields>"}
`prev` chains the lines (a removed or reordered line breaks the next one);
the key is derived from the PII key file like the audit key, with its own label,
so neither key can stand in for the other.

Several processes write (gunicorn workers, the CLI, pipeline workers): a line
is read-then-appended under an exclusive flock, and the file is opened with
O_APPEND, so lines never interleave. Checkpoints are written only after the
database commit, so a line never names a row that rolled back; a crash between
the commit and the write merely leaves the newest rows unanchored until the next
commit anchors a later head. No fsync: a lost line weakens nothing that the next
line does not restore, and this runs on every audited request.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .config import Settings
from .pii.keyring import Keyring
from .private_files import private_dir

GENESIS_SIG = "0" * 64
_TAIL = 4096  # a line is ~300 bytes: the last one is always within the file's last 4 KiB


def anchor_key(keyring: Keyring) -> bytes:
    """The checkpoint signing key: derived from the index key like the audit key, another label."""
    return hmac.new(keyring.index_key, b"gz-archives audit-log anchor v1", "sm3").digest()


def anchor_for(settings: Settings, keyring: Keyring) -> "Anchor":
    """The anchor of this installation: ARCHIVES_AUDIT_ANCHOR, else ARCHIVES_VAR_DIR/audit/anchor.log."""
    return Anchor(settings.audit_anchor, anchor_key(keyring))


class AnchorError(RuntimeError):
    """The anchor file is unreadable or a line in it is not a valid checkpoint."""


@dataclass(frozen=True)
class Anchor:
    path: Path
    key: bytes

    def sign(self, fields: dict) -> str:
        body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        return hmac.new(self.key, body, "sm3").hexdigest()

    def checkpoint(self, last_id: int, last_mac: str) -> None:
        """Append one signed checkpoint of the chain head (id, mac), chained to the previous line."""
        self._ensure_dir()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by close
            n, prev, ends_clean = self._last(fd)
            fields = {"n": n + 1, "at": dt.datetime.utcnow().isoformat(timespec="microseconds"),
                      "id": int(last_id), "mac": last_mac, "prev": prev}
            line = json.dumps({**fields, "sig": self.sign(fields)}, sort_keys=True, separators=(",", ":"))
            os.write(fd, (("" if ends_clean else "\n") + line + "\n").encode("ascii"))
        finally:
            os.close(fd)

    def _ensure_dir(self) -> None:
        if not self.path.parent.exists():  # an existing folder (a separate append-only store) is left as it is
            private_dir(self.path.parent)

    def _last(self, fd: int) -> tuple[int, str, bool]:
        """(number, signature, file ends with a newline) of the last line; (0, genesis, True) when empty."""
        size = os.fstat(fd).st_size
        if size == 0:
            return 0, GENESIS_SIG, True
        start = max(0, size - _TAIL)
        tail = os.pread(fd, size - start, start).decode("ascii", "replace")
        for raw in reversed(tail.splitlines()):
            try:
                doc = json.loads(raw)
                return int(doc["n"]), str(doc["sig"]), tail.endswith("\n")
            except (ValueError, KeyError, TypeError):
                continue  # a torn line (crash mid-write): verify reports it; chain onto the last whole one
        return 0, GENESIS_SIG, tail.endswith("\n")

    def lines(self) -> Iterator[tuple[int, dict]]:
        """The checkpoints, verified (signature, numbering, chain), as (line number, fields)."""
        prev, n = GENESIS_SIG, 0
        with open(self.path, encoding="ascii", errors="replace") as fh:
            for lineno, raw in enumerate(fh, start=1):
                doc = self._parse(lineno, raw)
                sig = doc.pop("sig")
                if not hmac.compare_digest(self.sign(doc), sig):
                    raise AnchorError(f"锚点文件第 {lineno} 行的签名不符：该行被伪造或改动")
                if doc["prev"] != prev or doc["n"] != n + 1:
                    raise AnchorError(f"锚点文件第 {lineno} 行与上一行不衔接：其前的锚点被删除、插入或改动")
                prev, n = sig, doc["n"]
                yield lineno, doc

    @staticmethod
    def _parse(lineno: int, raw: str) -> dict:
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict) or set(doc) != {"n", "at", "id", "mac", "prev", "sig"}:
                raise ValueError("fields")
            doc["id"], doc["n"] = int(doc["id"]), int(doc["n"])
            return doc
        except (ValueError, TypeError) as exc:
            raise AnchorError(f"锚点文件第 {lineno} 行不是有效的锚点记录（{exc}）") from exc
