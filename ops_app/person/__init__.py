"""个人快捷受理 → 个人信息管理: the person list, the person page with a tab per data page, its JSON API.

`search` (list and search box), `tabs` (the tabs as data and what each shows), `views` (pages and their
POSTs, calling `archives_domain.business.person_pages`), `api` (/api/v1/person/), `labels` (the field labels
and choices of the domain's FieldSpecs, marked for translation).
"""
from __future__ import annotations


def register(appbuilder) -> None:
    from .api import PersonApi
    from .views import PersonView
    appbuilder.add_view_no_menu(PersonView)
    appbuilder.add_api(PersonApi)
