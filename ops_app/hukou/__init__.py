"""个人快捷受理 → 可办业务 → 集体户口代理: list, the person's household page, JSON API
(`archives_domain.business.hukou` holds the rules)."""
from __future__ import annotations


def register(appbuilder) -> None:
    from .api import HukouApi
    from .views import HukouView
    appbuilder.add_view_no_menu(HukouView)
    appbuilder.add_api(HukouApi)
