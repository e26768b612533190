"""The audit log writer and checker (系统日志 / 审计日志).

Each entry carries mac = HMAC-SM3(audit key, prev_mac ‖ canonical JSON of the
entry), where prev_mac is the mac of the entry before it. Editing a row breaks
its own mac; deleting one breaks the link of the next; cutting rows off the
end no longer matches `audit_chain_head`, which every append updates.

Appends are serialised on the single `audit_chain_head` row: it is UPDATEd
before it is read, which takes the row lock on MySQL and the write lock on
SQLite, so two writers can never chain onto the same predecessor (the chain
never forks). The caller's transaction holds the lock until it commits, so an
entry and the business change it records commit (or roll back) together.

Nothing here depends on the web app: the CLI and the pipelines log through it too.
"""
from __future__ import annotations

import datetime as dt
import hmac
import json
from dataclasses import dataclass, field
from typing import Any, Iterator

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.orm import Session

from .models.audit import AuditChainHead, AuditLog
from .models.base import now_utc
from .pii.keyring import Keyring

GENESIS_MAC = "0" * 64
# 等保三级: audit records kept at least 180 days. Nothing in the system deletes audit rows at all
# (tests/test_ops_permissions.py::test_nothing_deletes_audit_rows); a future purge must keep this floor.
RETENTION_DAYS = 180
# The fields that the mac covers, in the canonical JSON (id is assigned by the
# database after the mac is computed, so order is proven by the chain instead).
FIELDS = ("ts", "username", "agency_code", "module1", "module2", "module3", "action", "summary",
          "object_type", "object_id", "before_data", "after_data", "client_ip", "result")
_audit = AuditLog.__table__
_head = AuditChainHead.__table__


class AuditError(RuntimeError):
    """The audit chain could not be extended (no head row: database not migrated)."""


def audit_key(keyring: Keyring) -> bytes:
    """The audit MAC key, derived from the PII key file's index key.

    Derived, not stored: one key file to protect and back up. The index key is
    never rotated (blind indexes depend on it), so the audit chain stays
    verifiable across `archives db rotate-key`.
    """
    return hmac.new(keyring.index_key, b"gz-archives audit-log chain v1", "sm3").digest()


@dataclass
class AuditEntry:
    action: str
    summary: str
    result: str = "成功"
    username: str | None = None
    agency_code: str | None = None
    module1: str | None = None
    module2: str | None = None
    module3: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    before_data: str | None = None
    after_data: str | None = None
    client_ip: str | None = None
    ts: dt.datetime = field(default_factory=now_utc)

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


def canonical(values: dict[str, Any]) -> bytes:
    """The bytes the mac covers: sorted keys, no spaces, UTF-8, microsecond timestamps."""
    doc = {}
    for name in FIELDS:
        value = values.get(name)
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=None).isoformat(timespec="microseconds")
        elif value is not None:
            value = str(value)
        doc[name] = value
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def compute_mac(key: bytes, prev_mac: str, values: dict[str, Any]) -> str:
    return hmac.new(key, prev_mac.encode("ascii") + canonical(values), "sm3").hexdigest()


def append(session_or_conn: Session | Connection, entry: AuditEntry, key: bytes) -> int:
    """Chain `entry` onto the log inside the caller's transaction; returns its id.

    The caller commits. Timestamps are cut to microseconds so that what MySQL's
    DATETIME(6) stores is exactly what was signed.
    """
    conn = session_or_conn
    values = entry.values()
    values["ts"] = values["ts"].replace(tzinfo=None)
    # Take the lock first (see module docstring), then read the head under it.
    locked = conn.execute(update(_head).where(_head.c.id == 1).values(entries=_head.c.entries + 1))
    if locked.rowcount != 1:
        raise AuditError("审计日志链头不存在：数据库未迁移到最新版本（archives db upgrade）")
    prev_mac = conn.execute(select(_head.c.last_mac).where(_head.c.id == 1)).scalar_one()
    mac = compute_mac(key, prev_mac, values)
    new_id = conn.execute(_audit.insert().values(**values, prev_mac=prev_mac, mac=mac)).inserted_primary_key[0]
    conn.execute(update(_head).where(_head.c.id == 1).values(last_id=new_id, last_mac=mac))
    return new_id


def write(engine: Engine, entry: AuditEntry, key: bytes) -> int:
    """Append one entry in its own transaction (for events that change nothing else)."""
    with engine.begin() as conn:
        return append(conn, entry, key)


@dataclass(frozen=True)
class Break:
    id: int
    reason: str


def find_break(engine: Engine, key: bytes, batch: int = 5000) -> Break | None:
    """The first broken link of the chain, with the reason, or None if intact."""
    prev_mac, last_id = GENESIS_MAC, None
    for row in _rows(engine, batch):
        if row.prev_mac != prev_mac:
            return Break(row.id, f"第 {row.id} 条的上一条校验值不符：其前的日志被删除或改动")
        if compute_mac(key, row.prev_mac, row._mapping) != row.mac:
            return Break(row.id, f"第 {row.id} 条的内容与校验值不符：该条日志被改动")
        prev_mac, last_id = row.mac, row.id
    with engine.connect() as conn:
        head = conn.execute(select(_head).where(_head.c.id == 1)).first()
    if head is None:
        return Break(0, "审计日志链头不存在")
    if head.last_mac != prev_mac or head.last_id != last_id:
        missing = head.last_id if head.last_id is not None else 0
        return Break(missing, f"日志链头记录最后一条为第 {head.last_id} 条，实际最后一条为第 {last_id} 条："
                              "末尾的日志被删除或改动")
    return None


def verify(engine: Engine, key: bytes) -> int | None:
    """The id of the first broken link, or None when the whole chain is intact."""
    broken = find_break(engine, key)
    return None if broken is None else broken.id


def _rows(engine: Engine, batch: int) -> Iterator:
    last = None
    while True:
        query = select(_audit).order_by(_audit.c.id).limit(batch)
        if last is not None:
            query = query.where(_audit.c.id > last)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
