"""个人快捷受理 → 个人信息管理 → 待核实: the review queue of the pipelines' items and 一人多档 pairs (pages and
JSON API over `archives_domain.business.review`)."""
from __future__ import annotations


def register(appbuilder) -> None:
    from .api import ReviewApi
    from .views import ReviewView
    appbuilder.add_view_no_menu(ReviewView)
    appbuilder.add_api(ReviewApi)
