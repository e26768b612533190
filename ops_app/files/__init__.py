"""图片上传和查看 for every business that names it: upload, thumbnail, full view (one package, all owners)."""
from __future__ import annotations


def register(appbuilder) -> None:
    from .views import FilesView
    appbuilder.add_view_no_menu(FilesView)
