"""The one shape of a business command (业务命令): validate → write → audit, in one transaction.

Every business operation of the app (档案转出, 借阅, 出具证明, 集体户迁入 …) is a function of the domain
package taking a `Context` first. The page, the JSON API and the portal API call the same function; none of
them writes a business table themselves. A command

1. checks its input (`fields.parse` → `FieldErrors` naming every bad field; nothing is written),
2. reads the records it changes through the data scope (`get_in_scope`: another agency's record is
   `NotFound`, exactly like a missing one),
3. checks the optimistic lock (`check_version`: `ConflictError` names who changed what, and when),
4. writes, and appends to the audit chain with before/after (`audit`),
5. inside `transaction(ctx)`: all of it commits together or nothing does; a concurrent write caught by
   SQLAlchemy's version counter (`StaleDataError`) becomes the same `ConflictError`.

Errors are `BusinessError`s whose messages are Chinese, for the user; `field` names the form field.
Nothing here knows Flask: `ops_app.business_ui` makes a `Context` from the request.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .. import audit as audit_chain

BEIJING = dt.timezone(dt.timedelta(hours=8))


# -- who acts ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    """The user a command acts for: name, own agency, the agencies whose data they may touch (data scope)."""

    username: str
    agency_code: str | None
    scope: frozenset[str]
    display_name: str | None = None
    client_ip: str | None = None

    @property
    def label(self) -> str:
        return self.display_name or self.username


@dataclass
class Context:
    """What every command needs: the session (its transaction), the actor, the audit key, the PII codec."""

    session: Session
    actor: Actor
    audit_key: bytes
    codec: Any = None  # archives_domain.pii.codec.PiiCodec
    var_dir: Any = None  # pathlib.Path of ARCHIVES_VAR_DIR (files, keys)
    today: dt.date = field(default_factory=lambda: dt.datetime.now(BEIJING).date())


# -- errors ------------------------------------------------------------------------------------------------
class BusinessError(Exception):
    """A refusal for the user (Chinese). `field` is the form field it concerns, if any."""

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class FieldErrors(BusinessError):
    """One or more fields cannot be right; `errors` maps field name → message naming the field's label."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("；".join(self.errors.values()), next(iter(self.errors), None))


class NotFound(BusinessError):
    status = 404

    def __init__(self, what: str = "记录"):
        super().__init__(f"{what}不存在")


class Refused(BusinessError):
    """The operation does not fit the record's state (e.g. returning a loan already returned)."""

    status = 409


class ConflictError(BusinessError):
    """乐观锁冲突: someone saved the record since the editor opened it. Names who, when and which fields."""

    status = 409

    def __init__(self, who: str | None, when: dt.datetime | None, changed: list[str]):
        self.who, self.when, self.changed = who or "其他用户", when, list(changed)
        at = when.replace(tzinfo=dt.timezone.utc).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if when else ""
        what = f"（{'、'.join(self.changed)}）" if self.changed else ""
        super().__init__(f"该记录已被 {self.who} 于 {at} 修改{what}，请核对后再保存；您填写的内容仍保留在表单中")


# -- transaction and audit -----------------------------------------------------------------------------------
@contextlib.contextmanager
def transaction(ctx: Context) -> Iterator[Session]:
    """Commit on success, roll back on any error; a stale version at flush/commit is a ConflictError."""
    s = ctx.session
    try:
        yield s
        s.flush()
        s.commit()
    except StaleDataError:
        s.rollback()
        raise ConflictError(None, None, []) from None
    except BaseException:
        s.rollback()
        raise


def _json(data: dict | None) -> str | None:
    if data is None:
        return None
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)[:60000]


def audit(ctx: Context, action: str, summary: str, *, module: tuple[str, ...], object_type: str | None = None,
          object_id: Any = None, before: dict | None = None, after: dict | None = None,
          result: str = "成功") -> None:
    """Append to the audit chain in the command's transaction (entry and change commit together).
    `before`/`after` must hold no personal data in clear: pass masked values (`masked_snapshot`)."""
    m = tuple(module) + (None, None, None)
    a = ctx.actor
    entry = audit_chain.AuditEntry(
        action=action, summary=summary[:512], result=result, username=a.username, agency_code=a.agency_code,
        module1=m[0], module2=m[1], module3=m[2], object_type=object_type,
        object_id=None if object_id is None else str(object_id), before_data=_json(before),
        after_data=_json(after), client_ip=a.client_ip)
    audit_chain.append(ctx.session, entry, ctx.audit_key)


# -- scope and records ---------------------------------------------------------------------------------------
def in_scope(ctx: Context, model):
    from sqlalchemy import false
    codes = ctx.actor.scope
    return model.agency_code.in_(sorted(codes)) if codes else false()


def get_in_scope(ctx: Context, model, pk: Any, what: str = "记录", *, lock: bool = False):
    """The record if it exists in the actor's scope, else NotFound (no hint that it exists elsewhere)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(what) from None
    q = select(model).where(model.id == pk, in_scope(ctx, model))
    if lock:
        q = q.with_for_update()
    row = ctx.session.scalar(q)
    if row is None:
        raise NotFound(what)
    return row


def stamp(ctx: Context, row, *, new: bool = False) -> None:
    """创建/修改人 on a business row."""
    if new:
        row.created_by = ctx.actor.username
    row.updated_by = ctx.actor.username


def snapshot(row, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes of a row as plain values (dates as ISO text) for before/after."""
    out = {}
    for n in names:
        v = getattr(row, n, None)
        out[n] = v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v
    return out


def changed_fields(before: dict, after: dict) -> dict[str, tuple[Any, Any]]:
    return {k: (before.get(k), after.get(k)) for k in after if before.get(k) != after.get(k)}


def check_version(row, expected: Any, *, original: dict | None = None, labels: dict[str, str] | None = None) -> None:
    """乐观锁: `expected` is the version the editor's form was built from. If the row has moved on, raise
    ConflictError naming the last editor, the time, and — when the form's `original` values are given — the
    fields whose stored value differs from what the editor saw (labels from `labels`)."""
    if expected in (None, ""):
        return
    try:
        expected = int(expected)
    except (TypeError, ValueError):
        raise BusinessError("表单版本号无效，请重新打开后再保存", "version") from None
    if row.version == expected:
        return
    changed: list[str] = []
    if original:
        now = snapshot(row, original.keys())
        labels = labels or {}
        changed = [labels.get(k, k) for k in original if _norm(original[k]) != _norm(now.get(k))]
    raise ConflictError(getattr(row, "updated_by", None), getattr(row, "updated_at", None), changed)


def _norm(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v).strip()
