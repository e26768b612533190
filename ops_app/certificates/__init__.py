"""出具相关证明 (个人快捷受理 → 出具相关证明): list, issue, show, print, 作废; the JSON API; the public check.

Pages: /certificates/ (search), /certificates/new?person_id=&kind= (the person page's 出具证明 button),
/certificates/<id>, /certificates/<id>/pdf (`?download=1` 下载), POST /certificates/<id>/revoke.
API: /api/v1/certificate/ (GET list, POST issue), /api/v1/certificate/<id> (GET), POST …/<id>/revoke.
Public, no login: /verify/<cert_no>?c=<code> (rate-limited per client address), in `public.py`.
The commands are `archives_domain.business.certificates`.
"""
from __future__ import annotations


def register(appbuilder) -> None:
    from .api import CertificateApi
    from .public import CertificateVerifyView
    from .views import CertificateView
    appbuilder.add_view_no_menu(CertificateView)
    appbuilder.add_view_no_menu(CertificateVerifyView)
    appbuilder.add_api(CertificateApi)
