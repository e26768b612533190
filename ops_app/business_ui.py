"""Web glue of the business commands (`archives_domain.business`): the context from the request, errors as
pages or JSON, PDFs sent for download or print, forms re-shown with what was typed.

Every business package of the app (`ops_app/<domain>/`) uses these and nothing else to call its commands:

    ctx = business_ui.context()
    try:
        record = transfers.register_out(ctx, request.form, expected_version=...)
    except FieldErrors as exc:        # every bad field named; the form comes back with everything typed
        return self.render_template(..., values=request.form, errors=exc.errors), 400
    except ConflictError as exc:      # the other editor's change named; typed values kept
        ...

JSON APIs answer `business_ui.api_error(exc)`: {"message", "field", "errors"} with the error's status.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote

from flask import current_app, g, jsonify, make_response, request

from archives_domain.business.base import (Actor, BusinessError, ConflictError, Context, FieldErrors, NotFound,
                                           Refused)

from .scope import visible_agency_codes

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

__all__ = ["context", "actor", "api_error", "send_pdf", "send_image", "NO_STORE", "BusinessError", "ConflictError",
           "FieldErrors", "NotFound", "Refused"]


def actor() -> Actor:
    user = g.user
    session = current_app.appbuilder.session
    name = " ".join(x for x in (getattr(user, "first_name", None), getattr(user, "last_name", None)) if x)
    return Actor(username=user.username, agency_code=getattr(user, "agency_code", None),
                 scope=visible_agency_codes(session, user), display_name=name or None,
                 client_ip=request.remote_addr)


def context() -> Context:
    """The command context of the current request: the app's session, the signed-in user and scope."""
    return Context(session=current_app.appbuilder.session, actor=actor(),
                   audit_key=current_app.config["ARCHIVES_AUDIT_KEY"],
                   codec=current_app.extensions["archives_codec"],
                   var_dir=Path(current_app.config["ARCHIVES_VAR_DIR"]))


def api_error(exc: BusinessError):
    body = {"message": exc.message, "field": exc.field}
    if isinstance(exc, FieldErrors):
        body["errors"] = exc.errors
    return jsonify(body), exc.status, NO_STORE


def _disposition(kind: str, filename: str) -> str:
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def send_pdf(data: bytes, filename: str, *, download: bool = False):
    """A PDF: inline (the browser's viewer prints it) or as a download (下载)."""
    resp = make_response(data)
    resp.headers["Content-Type"] = "application/pdf"
    resp.headers["Content-Disposition"] = _disposition("attachment" if download else "inline", filename)
    resp.headers.update(NO_STORE)
    return resp


def send_image(data: bytes, content_type: str, filename: str):
    resp = make_response(data)
    resp.headers["Content-Type"] = content_type
    resp.headers["Content-Disposition"] = _disposition("inline", filename)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers.update(NO_STORE)
    return resp


def today() -> dt.date:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
