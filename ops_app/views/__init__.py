"""Pages of the app, one module per module of the menu."""
from __future__ import annotations


def register_business_views(appbuilder) -> None:
    """The views of the business slice: 通知公告, 工作台 actions, 人员基础信息 (page and API)."""
    from .notices import NoticeView, ReceivedNoticeView
    from .workbench import WorkbenchActions, beijing
    appbuilder.add_view_no_menu(NoticeView)
    appbuilder.add_view_no_menu(ReceivedNoticeView)
    appbuilder.add_view_no_menu(WorkbenchActions)
    from ..person import register as register_person
    register_person(appbuilder)
    from ..files import register as register_files
    register_files(appbuilder)
    from flask import current_app
    current_app.jinja_env.globals["beijing"] = beijing
