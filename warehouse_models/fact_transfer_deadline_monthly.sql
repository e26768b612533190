-- 转递时限月汇总: fact_transfer_deadline summed per agency, stage, start month and result, so the
-- 转递时限 dashboard's charts read thousands of rows, not one per transfer (1.09M at 943k with ten years of
-- history: 1.1–1.7 s per chart). start_date is the month's first day (the period filter's column).
SELECT
  g.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  g.stage                                                  AS stage,
  g.result                                                 AS result,
  g.start_month_key                                        AS start_month_key,
  {{month_start(g.first_date)}}                            AS start_date,
  g.transfer_count                                         AS transfer_count,
  g.on_time_count                                          AS on_time_count,
  g.late_count                                             AS late_count,
  g.open_count                                             AS open_count,
  g.overdue_count                                          AS overdue_count
FROM (SELECT t.agency_code AS agency_code, t.stage AS stage, t.result AS result,
             t.start_month_key AS start_month_key, MIN(t.start_date) AS first_date,
             SUM(t.transfer_count) AS transfer_count, SUM(t.on_time_count) AS on_time_count,
             SUM(t.late_count) AS late_count, SUM(t.open_count) AS open_count,
             SUM(t.overdue_count) AS overdue_count
        FROM {{dw}}.fact_transfer_deadline t
       WHERE t.start_date IS NOT NULL
       GROUP BY t.agency_code, t.stage, t.result, t.start_month_key) g
JOIN {{dw}}.dim_agency a ON a.agency_code = g.agency_code
