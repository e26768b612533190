"""综合统计 → 数据概览 (`/bi/…`): Superset's dashboards embedded in the app (guest tokens scoped by RLS)."""
from __future__ import annotations


def register(appbuilder) -> None:
    from .views import BiView
    appbuilder.add_view_no_menu(BiView)
