"""Business operations into the audit chain (新增/修改/发布/分配/办结 …), with the module path."""
from __future__ import annotations

import json

from flask import current_app, g, request

from archives_domain import audit


def _json(data: dict | None) -> str | None:
    if data is None:
        return None
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)[:60000]


def record(session, action: str, summary: str, *, module: tuple[str, ...], object_type: str | None = None,
           object_id=None, before: dict | None = None, after: dict | None = None, result: str = "成功") -> None:
    """Append to the audit chain in `session`'s transaction; the caller commits (entry and change together)."""
    user = g.get("user")
    m = tuple(module) + (None, None, None)
    entry = audit.AuditEntry(
        action=action, summary=summary[:512], result=result,
        username=getattr(user, "username", None), agency_code=getattr(user, "agency_code", None),
        module1=m[0], module2=m[1], module3=m[2], object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before_data=_json(before), after_data=_json(after), client_ip=request.remote_addr)
    audit.append(session, entry, current_app.config["ARCHIVES_AUDIT_KEY"])
