"""Security events into the audit chain (登录/登出/登录失败/锁定/会话超时/修改口令)."""
from __future__ import annotations

from flask import current_app, request

from archives_domain import audit


def client_ip() -> str | None:
    # Behind the reverse proxy, ProxyFix (ARCHIVES_PROXY_HOPS) has already put the client's address here.
    return request.remote_addr


def record(session, action: str, summary: str, *, username: str | None, agency_code: str | None = None,
           result: str = "成功", object_id: str | None = None) -> None:
    """Append to the audit chain in `session`'s transaction; the caller commits."""
    entry = audit.AuditEntry(action=action, summary=summary, result=result, username=(username or "")[:128] or None,
                             agency_code=agency_code,
                             object_type="用户" if object_id else None, object_id=object_id,
                             client_ip=client_ip())
    audit.append(session, entry, current_app.config["ARCHIVES_AUDIT_KEY"])
