"""个人快捷受理 → 档案材料管理 (补充材料 merged in, 附件 二.4): pages and the JSON API /api/v1/material/."""
from __future__ import annotations


def register(appbuilder) -> None:
    from .api import MaterialApi
    from .views import MaterialsView
    appbuilder.add_view_no_menu(MaterialsView)
    appbuilder.add_api(MaterialApi)
