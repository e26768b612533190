"""Security headers on every response; `csp_nonce()` for FAB's script tags."""
from __future__ import annotations

import secrets

from urllib.parse import urlsplit

from flask import current_app, g, request


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


FRAMING_ENDPOINTS = {"BiView.overview"}


def _frame_src() -> str:
    """Frames only from Superset's origin (数据概览's embedded dashboards), nothing else — not even this app."""
    url = urlsplit(current_app.config.get("ARCHIVES_SUPERSET_URL") or "")
    if url.scheme not in ("http", "https") or not url.netloc:
        return "'none'"
    return f"{url.scheme}://{url.netloc}"


def _superset_form_target() -> str:
    origin = _frame_src()
    return "" if origin == "'none'" else f" {origin}"


def add_headers(response):
    nonce = csp_nonce()
    # Scripts only from this origin or with this response's nonce (FAB's templates carry it);
    # inline styles stay allowed: FAB's widgets use style attributes, which do not run code.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        f"frame-src {_frame_src()}; "
        # The login form's POST ends on Superset when it signs in through the app (/oidc/authorize redirects
        # there); browsers apply form-action to that redirect too.
        f"object-src 'none'; base-uri 'self'; form-action 'self'{_superset_form_target()}; frame-ancestors 'none'")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # 数据概览 frames Superset, which admits the frame only when the Referer names an allowed origin
    # (superset/embedded/view.py): that page sends its origin alone (no path, no query); all others nothing.
    response.headers["Referrer-Policy"] = "strict-origin" if request.endpoint in FRAMING_ENDPOINTS else "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint not in ("static", "appbuilder.static"):
        # Pages may show personal data: no copies in browser or proxy caches.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response
