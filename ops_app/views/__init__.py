"""Pages of the app, one module per module of the menu."""
from __future__ import annotations


def register_business_views(appbuilder) -> None:
    """The views of the business modules: 通知公告, 工作台 actions, and one package per business domain."""
    from .notices import NoticeView, ReceivedNoticeView
    from .workbench import WorkbenchActions, beijing
    appbuilder.add_view_no_menu(NoticeView)
    appbuilder.add_view_no_menu(ReceivedNoticeView)
    appbuilder.add_view_no_menu(WorkbenchActions)
    from ..person import register as register_person
    register_person(appbuilder)
    from ..files import register as register_files
    register_files(appbuilder)
    from ..certificates import register as register_certificates
    register_certificates(appbuilder)
    from ..transfer import register as register_transfer
    register_transfer(appbuilder)
    from ..materials import register as register_materials
    register_materials(appbuilder)
    from ..groups import register as register_groups
    register_groups(appbuilder)
    from ..hukou import register as register_hukou  # 集体户口代理
    register_hukou(appbuilder)
    from ..bi import register as register_bi  # 综合统计 → 数据概览 (embedded Superset dashboards)
    register_bi(appbuilder)
    from ..review import register as register_review
    register_review(appbuilder)
    from ..statistics import register as register_statistics  # 综合统计
    register_statistics(appbuilder)
    from flask import current_app
    current_app.jinja_env.globals["beijing"] = beijing
