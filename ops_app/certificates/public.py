"""证明核验: the public page a certificate's QR code opens — /verify/<cert_no>?c=<code>, no login.

Open to anyone (`PUBLIC_BLUEPRINTS`: the access guard and the session guard let it through), so it shows only
what checks a paper: number, kind, issuing agency, issue date, the name masked (张*), 有效/已作废 and whether
the signature still holds. An unknown number and a wrong code get the same 未找到, with no hint which. Queries
are counted per client address by the app's Flask-Limiter storage (`ARCHIVES_VERIFY_RATE_LIMIT`, default
30 per minute): beyond it, 429. Not audited (nobody is signed in; the limiter counts it).
"""
from __future__ import annotations

import math
import time

from flask import current_app, render_template, request
from flask_appbuilder import BaseView, expose
from limits import parse_many

from archives_domain.business import certificates

from ..i18n import _
from ..security.throttle import EXT, client_address

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Robots-Tag": "noindex",
            "Referrer-Policy": "no-referrer"}


def _over_limit() -> int | None:
    """Seconds until the address may query again, or None while within the limit."""
    limiter = current_app.extensions[EXT]
    address = client_address()
    for item in parse_many(current_app.config["ARCHIVES_VERIFY_RATE_LIMIT"]):
        if not limiter.limiter.hit(item, "verify-address", address):
            reset_at = limiter.limiter.get_window_stats(item, "verify-address", address).reset_time
            return max(1, math.ceil(reset_at - time.time()))
    return None


class CertificateVerifyView(BaseView):
    route_base = "/verify"

    @expose("/<path:cert_no>")
    def verify(self, cert_no: str):
        wait = _over_limit()
        if wait is not None:
            page = render_template("certificates/verify.html", result=None, cert_no="", limited=True,
                                   message=_("查询过于频繁，请 %(n)s 秒后再试", n=wait))
            return page, 429, {**NO_STORE, "Retry-After": str(wait)}
        result = certificates.verify(self.appbuilder.session, cert_no, request.args.get("c"))
        self.appbuilder.session.rollback()  # read only: end the transaction now
        page = render_template("certificates/verify.html", result=result, cert_no=cert_no[:32] if result else "",
                               limited=False, message=None)
        return page, 200 if result else 404, NO_STORE
