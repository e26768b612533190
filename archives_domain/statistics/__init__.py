"""综合统计 (附件 三.3) as functions of the domain: 档案信息统计 (`archive_counts`), 报表统计 (`reports`),
自定义查询 (`dictionary`, `custom_query`, `saved_queries`), their xlsx/PDF output (`export`).

The kinds of business counted (`kinds`) are shared with the workbench's 业务经办统计. Nothing here knows
Flask; `ops_app/statistics/` holds the pages and the JSON API and calls these functions.
"""
