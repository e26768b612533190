"""The audit log writer and checker (系统日志 / 审计日志).

Each entry carries mac = HMAC-SM3(audit key, prev_mac ‖ canonical JSON of the
entry), where prev_mac is the mac of the entry before it. Editing a row breaks
its own mac; deleting one breaks the link of the next; cutting rows off the
end no longer matches `audit_chain_head`, which every append updates. Whoever
can delete rows can also rewrite that head, so each commit that appended also
writes a signed checkpoint of the head to a file outside the database
(`audit_anchor`), which `find_break` checks too.

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
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

from sqlalchemy import Connection, Engine, event, select, update
from sqlalchemy.orm import Session, scoped_session

from .audit_anchor import Anchor, AnchorError, anchor_for
from .models.audit import AuditChainHead, AuditLog
from .models.base import now_utc
from .pii.keyring import Keyring

if TYPE_CHECKING:
    from .config import Settings

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
_PENDING, _HOOKED = "audit_anchor_pending", "audit_anchor_hooked"
log = logging.getLogger(__name__)


class AuditError(RuntimeError):
    """The audit chain could not be extended (no head row: database not migrated)."""


class AuditKey(bytes):
    """The audit MAC key (it is the bytes) with the installation's anchor: appends made with it are
    checkpointed to the anchor after their commit, and `find_break` checks the anchor too."""

    anchor: Anchor | None

    def __new__(cls, key: bytes, anchor: Anchor | None = None) -> "AuditKey":
        obj = super().__new__(cls, key)
        obj.anchor = anchor
        return obj


def audit_key(keyring: Keyring, settings: "Settings | None" = None) -> bytes:
    """The audit MAC key, derived from the PII key file's index key; with `settings`, carrying the anchor.

    Derived, not stored: one key file to protect and back up. The index key is
    never rotated (blind indexes depend on it), so the audit chain stays
    verifiable across `archives db rotate-key`. Every writer of a real
    installation passes its settings; the bare key (no anchor) is for checks of
    the chain alone.
    """
    key = hmac.new(keyring.index_key, b"gz-archives audit-log chain v1", "sm3").digest()
    return AuditKey(key, anchor_for(settings, keyring) if settings is not None else None)


def _anchor_of(key: bytes) -> Anchor | None:
    return getattr(key, "anchor", None)


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
    DATETIME(6) stores is exactly what was signed. With an anchored key and a
    Session, the new head is checkpointed once the session commits (a bare
    Connection's owner anchors after its commit, as `write` does).
    """
    new_id, mac = _chain(session_or_conn, entry, key)
    anchor = _anchor_of(key)
    if anchor is not None and isinstance(session_or_conn, (Session, scoped_session)):
        _defer_checkpoint(session_or_conn, anchor, new_id, mac)
    return new_id


def _chain(conn: Session | Connection, entry: AuditEntry, key: bytes) -> tuple[int, str]:
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
    return new_id, mac


def write(engine: Engine, entry: AuditEntry, key: bytes) -> int:
    """Append one entry in its own transaction (for events that change nothing else)."""
    with engine.begin() as conn:
        new_id, mac = _chain(conn, entry, key)
    anchor = _anchor_of(key)
    if anchor is not None:
        _checkpoint(anchor, new_id, mac)
    return new_id


def _defer_checkpoint(session: Session | scoped_session, anchor: Anchor, new_id: int, mac: str) -> None:
    """Remember the new head; it is anchored once the session has committed, never before (a
    checkpoint must not name a row that rolls back). Within one transaction the last append wins:
    the head row stays locked until the commit, so it is the head that commits."""
    if isinstance(session, scoped_session):
        session = session()
    session.info[_PENDING] = (anchor, new_id, mac)
    if not session.info.get(_HOOKED):
        event.listen(session, "after_commit", _flush_checkpoint)
        event.listen(session, "after_soft_rollback", _drop_checkpoint)
        session.info[_HOOKED] = True


def _flush_checkpoint(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        _checkpoint(*pending)


def _checkpoint(anchor: Anchor, new_id: int, mac: str) -> None:
    try:
        anchor.checkpoint(new_id, mac)
    except OSError as exc:
        # The rows are committed: failing the caller now would not undo them. Unanchored rows show
        # in `archives audit verify` (the anchor covers less than the table); the next commit anchors.
        log.error("审计日志锚点写入失败（%s）：%s", anchor.path, exc)


def _drop_checkpoint(session: Session, previous_transaction) -> None:
    # Any rollback, a savepoint's too, may have removed the pending row: anchor nothing now
    # rather than a row that might not commit (the next commit anchors a later head).
    session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class Break:
    id: int
    reason: str


@dataclass(frozen=True)
class Coverage:
    """What the anchor proves: its checkpoints and the newest row they name."""
    checkpoints: int = 0
    last_id: int | None = None


def find_break(engine: Engine, key: bytes, batch: int = 5000) -> Break | None:
    """The first broken link of the chain (or of its anchor), with the reason, or None if intact."""
    return check(engine, key, batch)[0]


def check(engine: Engine, key: bytes, batch: int = 5000) -> tuple[Break | None, Coverage | None]:
    """The first break (None if intact) and, for an anchored key, what the anchor covers."""
    prev_mac, last_id = GENESIS_MAC, None
    for row in _rows(engine, batch):
        if row.prev_mac != prev_mac:
            return Break(row.id, f"第 {row.id} 条的上一条校验值不符：其前的日志被删除或改动"), None
        if compute_mac(key, row.prev_mac, row._mapping) != row.mac:
            return Break(row.id, f"第 {row.id} 条的内容与校验值不符：该条日志被改动"), None
        prev_mac, last_id = row.mac, row.id
    with engine.connect() as conn:
        head = conn.execute(select(_head).where(_head.c.id == 1)).first()
    if head is None:
        return Break(0, "审计日志链头不存在"), None
    if head.last_mac != prev_mac or head.last_id != last_id:
        missing = head.last_id if head.last_id is not None else 0
        return Break(missing, f"日志链头记录最后一条为第 {head.last_id} 条，实际最后一条为第 {last_id} 条："
                              "末尾的日志被删除或改动"), None
    anchor = _anchor_of(key)
    return check_anchor(engine, anchor, last_id) if anchor is not None else (None, None)


def check_anchor(engine: Engine, anchor: Anchor, last_id: int | None,
                 batch: int = 1000) -> tuple[Break | None, Coverage]:
    """Every checkpoint signed and chained, and every (id, mac) it names present in the table.

    The head row agrees with the table whenever this runs (`check`), so a checkpoint naming a row
    that is gone is the truncation that rewriting the head hides."""
    if not anchor.path.exists():
        if last_id is None:
            return None, Coverage()
        return Break(0, f"审计日志锚点文件 {anchor.path} 不存在：无法证明末尾的日志未被删除"), Coverage()
    count, newest = 0, None
    try:
        for chunk in _chunks(anchor.lines(), batch):
            with engine.connect() as conn:
                macs = dict(conn.execute(select(_audit.c.id, _audit.c.mac)
                                         .where(_audit.c.id.in_({doc["id"] for _, doc in chunk}))).all())
            for lineno, doc in chunk:
                broken = _checkpoint_break(anchor, lineno, doc, macs.get(doc["id"]))
                if broken is not None:
                    return broken, Coverage(count, newest)
                count, newest = count + 1, max(newest or 0, doc["id"])
    except AnchorError as exc:
        return Break(0, f"审计日志锚点 {anchor.path}：{exc}"), Coverage(count, newest)
    return None, Coverage(count, newest)


def _checkpoint_break(anchor: Anchor, lineno: int, doc: dict, mac: str | None) -> Break | None:
    where = f"审计日志锚点 {anchor.path} 第 {lineno} 行记录了第 {doc['id']} 条"
    if mac is None:
        return Break(doc["id"], f"{where}，表中已无此条：末尾的日志被删除且链头被改写")
    if mac != doc["mac"]:
        return Break(doc["id"], f"{where}，表中此条的校验值与锚点不符：日志被替换")
    return None


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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
