-- 党费交纳月汇总: fact_party_dues summed per agency and month paid, so the 流动党员 dashboard's amount
-- charts read thousands of rows, not one per payment (2.1M at 943k with ten years of history). paid_on is
-- the month's first day (the period filter's column).
SELECT
  g.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  g.y * 100 + g.m                                          AS year_month_key,
  {{month_start(g.first_date)}}                            AS paid_on,
  g.payment_count                                          AS payment_count,
  g.amount                                                 AS amount
FROM (SELECT d.agency_code AS agency_code, {{year(d.paid_on)}} AS y, {{month(d.paid_on)}} AS m,
             MIN(d.paid_on) AS first_date, COUNT(*) AS payment_count, SUM(d.amount) AS amount
        FROM {{dw}}.fact_party_dues d
       WHERE d.paid_on IS NOT NULL
       GROUP BY d.agency_code, {{year(d.paid_on)}}, {{month(d.paid_on)}}) g
JOIN {{dw}}.dim_agency a ON a.agency_code = g.agency_code
