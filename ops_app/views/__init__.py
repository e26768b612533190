"""Pages of the app, one module per module of the menu."""
from __future__ import annotations


def register_business_views(appbuilder) -> None:
    """The views of the business slice: 通知公告, 工作台 actions, 人员基础信息 (page and API)."""
    from .notices import NoticeView, ReceivedNoticeView
    from .person import PersonApi, PersonView
    from .workbench import WorkbenchActions, beijing
    appbuilder.add_view_no_menu(NoticeView)
    appbuilder.add_view_no_menu(ReceivedNoticeView)
    appbuilder.add_view_no_menu(WorkbenchActions)
    appbuilder.add_view_no_menu(PersonView)
    appbuilder.add_api(PersonApi)
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
    from ..hukou import register as register_hukou; register_hukou(appbuilder)  # 集体户口代理
    from ..review import register as register_review
    register_review(appbuilder)
    from flask import current_app
    current_app.jinja_env.globals["beijing"] = beijing
