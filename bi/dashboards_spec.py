"""综合统计的六个看板, as data: datasets (analytics tables with Chinese column labels), charts and dashboards.

`bi/author_dashboards.py` turns this into Superset's asset bundle (stable uuids, uuid5 of the names),
imports it into a running Superset and writes Superset's own export back into `bi/assets/`. Nothing here
imports Superset or the archive packages (the file is read by both virtualenvs' scripts).
"""
from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("5f1f3b0e-7c0e-4d43-9a3a-15a1e2d0b015")   # the bundle's uuid5 namespace (never change)
DATABASE_UUID = "28b3c099-c2df-49da-9288-948e04658b11"          # 分析库 (the PLATFORM part's fixed uuid)


def stable_uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


# Column labels (verbose names) shared by every dataset.
LABELS = {
    "agency_code": "机构代码", "agency_name": "存档机构", "prefecture_name": "市州",
    "year_month_key": "年月", "month_start": "月份", "month_label": "月份（文字）", "year": "年度",
    "is_current_month": "是否本月", "in_count": "接收数", "out_count": "转出数", "stock_count": "月末在档数",
    "event_type": "业务类型", "event_count": "业务量", "cross_province_count": "跨省业务量",
    "stage": "环节", "source_id": "业务记录号", "person_key": "人员键", "deadline_months": "期限（月）",
    "start_date": "起算日期", "start_month_key": "起算年月", "start_month_label": "起算月份", "due_date": "截止日期",
    "done_date": "办结日期", "result": "办理结果", "on_time_count": "按时办结", "late_count": "逾期办结",
    "open_count": "办理中", "overdue_count": "超期未办", "days_taken": "用时（天）", "transfer_count": "件数",
    "archive_status": "档案状态", "in_stock": "是否在档", "sex": "性别", "age_band": "年龄段",
    "education_level": "学历", "industry": "单位行业", "person_count": "人数",
    "party_member_key": "党员键", "member_type": "党员类型", "member_status": "党员状态",
    "paid_until": "党费交至", "months_unpaid": "欠缴月数", "dues_state": "党费交纳状态",
    "paid_last_12m": "近12个月党费（元）", "member_count": "党员数", "payment_count": "缴费笔数",
    "payment_key": "缴费记录号", "paid_on": "缴费日期", "date_key": "日期键", "amount": "金额（元）",
    "standard": "缴费标准", "period_from": "所属期起", "period_to": "所属期止", "months_covered": "所属月数",
    "run_id": "运行号", "run_at": "运行时间", "run_date": "运行日期", "run_date_key": "运行日期键",
    "rows_in": "输入行数", "records": "记录数", "quarantined": "隔离行数", "duplicates": "重复数",
    "repaired": "修复数", "review_items": "待核实数", "persons_written": "写入人数", "completeness": "完整率",
    "validity": "有效率", "quarantine_rate": "隔离率", "repair_rate": "修复率", "seconds": "耗时（秒）",
    "is_latest": "是否最新运行", "detail": "明细", "rule": "修复规则", "field": "字段", "feed": "依据数据",
    "outcome": "处理方式", "repair_count": "修复条数", "rule_text": "修复规则说明", "sheet": "工作表", "category": "问题类别",
    "status": "状态", "is_open": "是否待处理", "item_count": "事项数", "oldest_date": "最早日期",
    "oldest_date_key": "最早日期键",
}

# dataset → (analytics table, temporal column the period filter applies to, description)
DATASETS = {
    "fact_stock_monthly": ("month_start", "档案存量月末数：近十年每月每个机构的月末在档数及当月接收、转出数"),
    "fact_business_monthly": ("month_start", "业务经办月汇总：每个机构每月各类业务事件数"),
    "fact_transfer_deadline_monthly": ("start_date", "转递时限月汇总：各环节按起算月份、办理结果的笔数"),
    "fact_person_structure": (None, "人员结构：按档案状态、性别、年龄段、学历、单位行业的人数"),
    "fact_party_member": (None, "流动党员：在册党员的党费交纳状态"),
    "fact_party_dues_monthly": ("paid_on", "党费交纳月汇总：每个机构每月交纳笔数与金额"),
    "fact_dq_run": ("run_at", "数据质量：每次运行每个机构的完整率、有效率等"),
    "fact_dq_repair": ("run_date", "数据修复：按修复规则的修复条数"),
    "fact_review_backlog": ("oldest_date", "数据核实积压"),
}


def m(label: str, sql: str, fmt: str | None = None) -> dict:
    """An adhoc SQL metric with a Chinese label."""
    return {"label": label, "sql": sql, **({"format": fmt} if fmt else {})}


STOCK = m("在档人数", "SUM(stock_count)")
ON_TIME_RATE = m("按时办结率", "1.0 * SUM(on_time_count) / NULLIF(SUM(on_time_count) + SUM(late_count), 0)", ".1%")
CURRENT = "is_current_month = 1"
IN_STOCK = "in_stock = '是'"

# Each chart: key, title, viz, dataset, and the query: x (axis column; temporal when `grain`), groupby,
# metrics, where (SQL), order (metric label, descending), limit, chart options.
DASHBOARDS = [
    {"slug": "archive-stock", "title": "档案存量", "period": True,
     "description": "各机构、市州、月份的在档人数与接收、转出流量",
     "charts": [
         {"key": "stock-total", "title": "当前在档人数", "viz": "big_number_total", "dataset": "fact_stock_monthly",
          "metrics": [STOCK], "where": CURRENT, "width": 4},
         {"key": "stock-in-total", "title": "期间接收档案", "viz": "big_number_total", "dataset": "fact_stock_monthly",
          "metrics": [m("接收数", "SUM(in_count)")], "time": True, "width": 4},
         {"key": "stock-out-total", "title": "期间转出档案", "viz": "big_number_total", "dataset": "fact_stock_monthly",
          "metrics": [m("转出数", "SUM(out_count)")], "time": True, "width": 4},
         {"key": "stock-trend", "title": "月末在档人数趋势", "viz": "echarts_timeseries_line",
          "dataset": "fact_stock_monthly", "x": "month_start", "grain": "P1M", "metrics": [STOCK],
          "x_title": "月份", "y_title": "在档人数", "width": 12},
         {"key": "stock-flows", "title": "每月接收与转出", "viz": "echarts_timeseries_bar",
          "dataset": "fact_stock_monthly", "x": "month_start", "grain": "P1M",
          "metrics": [m("接收数", "SUM(in_count)"), m("转出数", "SUM(out_count)")],
          "x_title": "月份", "y_title": "件数", "width": 12},
         {"key": "stock-by-prefecture", "title": "各市州当前在档人数", "viz": "echarts_timeseries_bar",
          "dataset": "fact_stock_monthly", "x": "prefecture_name", "metrics": [STOCK], "where": CURRENT,
          "order": "在档人数", "x_title": "市州", "y_title": "在档人数", "width": 6},
         {"key": "stock-by-agency", "title": "各机构当前在档人数", "viz": "table", "dataset": "fact_stock_monthly",
          "groupby": ["prefecture_name", "agency_name"], "metrics": [STOCK], "where": CURRENT,
          "order": "在档人数", "limit": 200, "width": 6},
     ]},
    {"slug": "business", "title": "业务经办", "period": True,
     "description": "各类业务按月份、机构的经办量",
     "charts": [
         {"key": "business-total", "title": "期间业务总量", "viz": "big_number_total",
          "dataset": "fact_business_monthly", "metrics": [m("业务量", "SUM(event_count)")], "time": True,
          "width": 4},
         {"key": "business-by-type", "title": "业务类型构成", "viz": "pie", "dataset": "fact_business_monthly",
          "groupby": ["event_type"], "metrics": [m("业务量", "SUM(event_count)")], "time": True, "width": 8},
         {"key": "business-trend", "title": "每月业务量（按类型）", "viz": "echarts_timeseries_bar",
          "dataset": "fact_business_monthly", "x": "month_start", "grain": "P1M", "groupby": ["event_type"],
          "metrics": [m("业务量", "SUM(event_count)")], "stack": True, "x_title": "月份", "y_title": "业务量",
          "width": 12},
         {"key": "business-by-agency", "title": "各机构业务量", "viz": "table", "dataset": "fact_business_monthly",
          "groupby": ["prefecture_name", "agency_name", "event_type"], "metrics": [m("业务量", "SUM(event_count)")],
          "order": "业务量", "limit": 5000, "time": True, "width": 12},
     ]},
    {"slug": "transfer-deadline", "title": "转递时限", "period": True,
     "description": "调档函后2个月内转出、转出后1个月内收回回执、接收后2个月内入库上架的办理情况",
     "charts": [
         {"key": "deadline-overdue", "title": "超期未办", "viz": "big_number_total",
          "dataset": "fact_transfer_deadline_monthly", "metrics": [m("超期未办", "SUM(overdue_count)")], "width": 4},
         {"key": "deadline-rate", "title": "按时办结率", "viz": "big_number_total",
          "dataset": "fact_transfer_deadline_monthly", "metrics": [ON_TIME_RATE], "time": True, "width": 4},
         {"key": "deadline-open", "title": "办理中（未到期）", "viz": "big_number_total",
          "dataset": "fact_transfer_deadline_monthly", "metrics": [m("办理中", "SUM(open_count)")], "width": 4},
         {"key": "deadline-by-stage", "title": "各环节办理结果", "viz": "echarts_timeseries_bar",
          "dataset": "fact_transfer_deadline_monthly", "x": "stage",
          "metrics": [m("按时办结", "SUM(on_time_count)"), m("逾期办结", "SUM(late_count)"),
                      m("办理中", "SUM(open_count)"), m("超期未办", "SUM(overdue_count)")],
          "stack": True, "time": True, "x_title": "环节", "y_title": "件数", "width": 6},
         {"key": "deadline-rate-trend", "title": "按时办结率（按起算月份）", "viz": "echarts_timeseries_line",
          "dataset": "fact_transfer_deadline_monthly", "x": "start_date", "grain": "P1M", "groupby": ["stage"],
          "metrics": [ON_TIME_RATE], "x_title": "起算月份", "y_title": "按时办结率", "y_format": ".0%", "width": 6},
         {"key": "deadline-by-agency", "title": "各机构超期未办排名", "viz": "table",
          "dataset": "fact_transfer_deadline_monthly", "groupby": ["prefecture_name", "agency_name"],
          "metrics": [m("超期未办", "SUM(overdue_count)"), m("办理中", "SUM(open_count)"),
                      m("逾期办结", "SUM(late_count)"), m("按时办结", "SUM(on_time_count)")],
          "order": "超期未办", "limit": 200, "width": 12},
     ]},
    {"slug": "person-structure", "title": "人员结构", "period": False,
     "description": "在档人员的年龄、性别、学历与单位行业构成",
     "charts": [
         {"key": "person-total", "title": "在档人数", "viz": "big_number_total", "dataset": "fact_person_structure",
          "metrics": [m("人数", "SUM(person_count)")], "where": IN_STOCK, "width": 4},
         {"key": "person-sex", "title": "性别构成", "viz": "pie", "dataset": "fact_person_structure",
          "groupby": ["sex"], "metrics": [m("人数", "SUM(person_count)")], "where": IN_STOCK, "width": 4},
         {"key": "person-education", "title": "学历构成", "viz": "pie", "dataset": "fact_person_structure",
          "groupby": ["education_level"], "metrics": [m("人数", "SUM(person_count)")], "where": IN_STOCK,
          "width": 4},
         {"key": "person-age", "title": "年龄段分布", "viz": "echarts_timeseries_bar",
          "dataset": "fact_person_structure", "x": "age_band", "groupby": ["sex"],
          "metrics": [m("人数", "SUM(person_count)")], "where": IN_STOCK, "stack": True, "x_title": "年龄段",
          "y_title": "人数", "width": 6},
         {"key": "person-industry", "title": "单位行业分布", "viz": "echarts_timeseries_bar",
          "dataset": "fact_person_structure", "x": "industry", "metrics": [m("人数", "SUM(person_count)")],
          "where": IN_STOCK, "order": "人数", "x_title": "单位行业", "y_title": "人数", "width": 6},
     ]},
    {"slug": "party", "title": "流动党员", "period": True,
     "description": "在册流动党员、党费交纳与欠缴情况",
     "charts": [
         {"key": "party-members", "title": "在册党员", "viz": "big_number_total", "dataset": "fact_party_member",
          "metrics": [m("党员数", "SUM(member_count)")], "width": 4},
         {"key": "party-overdue", "title": "欠缴党费党员", "viz": "big_number_total",
          "dataset": "fact_party_member", "metrics": [m("欠缴人数", "SUM(overdue_count)")], "width": 4},
         {"key": "party-dues-total", "title": "期间党费交纳金额（元）", "viz": "big_number_total",
          "dataset": "fact_party_dues_monthly", "metrics": [m("党费金额", "SUM(amount)")], "time": True, "width": 4},
         {"key": "party-type", "title": "党员类型", "viz": "pie", "dataset": "fact_party_member",
          "groupby": ["member_type"], "metrics": [m("党员数", "SUM(member_count)")], "width": 4},
         {"key": "party-dues-state", "title": "党费交纳状态", "viz": "echarts_timeseries_bar",
          "dataset": "fact_party_member", "x": "dues_state", "metrics": [m("党员数", "SUM(member_count)")],
          "x_title": "交纳状态", "y_title": "党员数", "width": 8},
         {"key": "party-dues-trend", "title": "每月党费交纳金额", "viz": "echarts_timeseries_bar",
          "dataset": "fact_party_dues_monthly", "x": "paid_on", "grain": "P1M", "metrics": [m("党费金额", "SUM(amount)")],
          "x_title": "月份", "y_title": "金额（元）", "width": 12},
         {"key": "party-by-agency", "title": "各机构欠缴党费排名", "viz": "table", "dataset": "fact_party_member",
          "groupby": ["prefecture_name", "agency_name"],
          "metrics": [m("欠缴人数", "SUM(overdue_count)"), m("党员数", "SUM(member_count)")],
          "order": "欠缴人数", "limit": 200, "width": 12},
     ]},
    {"slug": "data-quality", "title": "数据质量", "period": True,
     "description": "各机构每次迁移/入库运行的完整率、有效率、修复与待核实积压（供审计）",
     "charts": [
         {"key": "dq-latest", "title": "各机构最新一次运行（按完整率升序）", "viz": "table", "dataset": "fact_dq_run",
          "groupby": ["prefecture_name", "agency_name"],
          "metrics": [m("完整率", "AVG(completeness)", ".1%"), m("有效率", "AVG(validity)", ".1%"),
                      m("隔离行数", "SUM(quarantined)"), m("修复数", "SUM(repaired)"),
                      m("待核实数", "SUM(review_items)")],
          "where": "is_latest = 1", "order": "完整率", "ascending": True, "limit": 200, "width": 12},
         {"key": "dq-trend", "title": "完整率与有效率（按运行日期）", "viz": "echarts_timeseries_line",
          "dataset": "fact_dq_run", "x": "run_at", "grain": "P1D",
          "metrics": [m("完整率", "AVG(completeness)"), m("有效率", "AVG(validity)")],
          "x_title": "运行日期", "y_title": "比率", "y_format": ".0%", "width": 6},
         {"key": "dq-repairs", "title": "按规则的修复条数", "viz": "table",
          "dataset": "fact_dq_repair", "groupby": ["rule_text", "outcome"],
          "metrics": [m("修复条数", "SUM(repair_count)")], "order": "修复条数", "time": True, "limit": 200,
          "width": 6},
         {"key": "dq-backlog", "title": "待核实积压（按机构）", "viz": "table", "dataset": "fact_review_backlog",
          "groupby": ["prefecture_name", "agency_name", "field"],
          "metrics": [m("事项数", "SUM(item_count)"), m("最早日期", "MIN(oldest_date)")],
          "where": "is_open = 1", "order": "事项数", "limit": 1000, "width": 12},
     ]},
]
