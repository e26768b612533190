"""Security events into the audit chain (登录/登出/登录失败/锁定/会话超时/修改口令)."""
from __future__ import annotations

from flask import current_app, has_request_context, request

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


def record_plain(session, action: str, summary: str, *, result: str = "成功", object_type: str | None = None,
                 object_id: str | None = None, before: str | None = None, after: str | None = None,
                 module: tuple[str, ...] | None = None) -> None:
    """Append an event of the signed-in user (or the system) with module path and before/after; caller commits."""
    from flask import g
    user = g.get("user") if has_request_context() else None
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    m = tuple(module or ()) + (None, None, None)
    entry = audit.AuditEntry(action=action, summary=summary[:512], result=result,
                             username=user.username if signed_in else None,
                             agency_code=user.agency_code if signed_in else None,
                             module1=m[0], module2=m[1], module3=m[2],
                             object_type=object_type, object_id=object_id, before_data=before, after_data=after,
                             client_ip=client_ip() if has_request_context() else None)
    audit.append(session, entry, current_app.config["ARCHIVES_AUDIT_KEY"])
