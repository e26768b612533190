"""综合统计 (附件 三.3): 档案信息统计 `/stats/archive`, 报表统计 `/stats/reports` (beside the embedded dashboards
of `/bi/overview`), 自定义查询 `/stats/custom`, and their JSON APIs `/api/v1/stats/…`. The rules, queries and
outputs are `archives_domain.statistics`; these modules are the web glue."""
from __future__ import annotations


def register(appbuilder) -> None:
    from .api import StatsArchiveApi, StatsCustomApi, StatsReportApi
    from .views import StatsArchiveView, StatsCustomView, StatsReportView
    for view in (StatsArchiveView, StatsReportView, StatsCustomView):
        appbuilder.add_view_no_menu(view)
    for api in (StatsArchiveApi, StatsReportApi, StatsCustomApi):
        appbuilder.add_api(api)
