-- 日期维度: one row per calendar day from 1 January of the earliest business date's year (not
-- before 1949) to 31 December of the snapshot year. The days are numbered by a cross join of five
-- digit tables (0 … 99999), not a recursive CTE: MySQL 8 stops recursion at 1000 rows by default.
SELECT
  {{date_key(c.d)}}                                        AS date_key,
  c.d                                                      AS full_date,
  {{year(c.d)}}                                            AS year,
  CASE WHEN {{month(c.d)}} <= 3 THEN 1 WHEN {{month(c.d)}} <= 6 THEN 2
       WHEN {{month(c.d)}} <= 9 THEN 3 ELSE 4 END            AS quarter,
  {{month(c.d)}}                                           AS month,
  {{day(c.d)}}                                             AS day,
  {{weekday(c.d)}}                                         AS weekday,
  {{year(c.d)}} * 100 + {{month(c.d)}}                     AS year_month_key,
  {{concat({{year(c.d)}}, '年')}}                          AS year_label,
  {{concat({{year(c.d)}}, '年第',
            CASE WHEN {{month(c.d)}} <= 3 THEN '一' WHEN {{month(c.d)}} <= 6 THEN '二'
                 WHEN {{month(c.d)}} <= 9 THEN '三' ELSE '四' END, '季度')}} AS quarter_label,
  {{concat({{year(c.d)}}, '年', {{pad2({{month(c.d)}})}}, '月')}}       AS month_label,
  {{concat({{year(c.d)}}, '年', {{pad2({{month(c.d)}})}}, '月', {{pad2({{day(c.d)}})}}, '日')}} AS date_label,
  CASE {{weekday(c.d)}} WHEN 1 THEN '星期一' WHEN 2 THEN '星期二' WHEN 3 THEN '星期三'
       WHEN 4 THEN '星期四' WHEN 5 THEN '星期五' WHEN 6 THEN '星期六' ELSE '星期日' END AS weekday_label,
  CASE WHEN {{weekday(c.d)}} >= 6 THEN 1 ELSE 0 END         AS is_weekend
FROM (
  SELECT {{add_days(r.first_day, n.n)}} AS d
    FROM (
      SELECT d1.n + 10 * d2.n + 100 * d3.n + 1000 * d4.n + 10000 * d5.n AS n
      FROM (SELECT 0 AS n UNION ALL SELECT 1 AS n UNION ALL SELECT 2 AS n UNION ALL SELECT 3 AS n UNION ALL SELECT 4 AS n UNION ALL SELECT 5 AS n UNION ALL SELECT 6 AS n UNION ALL SELECT 7 AS n UNION ALL SELECT 8 AS n UNION ALL SELECT 9 AS n) d1
      CROSS JOIN (SELECT 0 AS n UNION ALL SELECT 1 AS n UNION ALL SELECT 2 AS n UNION ALL SELECT 3 AS n UNION ALL SELECT 4 AS n UNION ALL SELECT 5 AS n UNION ALL SELECT 6 AS n UNION ALL SELECT 7 AS n UNION ALL SELECT 8 AS n UNION ALL SELECT 9 AS n) d2
      CROSS JOIN (SELECT 0 AS n UNION ALL SELECT 1 AS n UNION ALL SELECT 2 AS n UNION ALL SELECT 3 AS n UNION ALL SELECT 4 AS n UNION ALL SELECT 5 AS n UNION ALL SELECT 6 AS n UNION ALL SELECT 7 AS n UNION ALL SELECT 8 AS n UNION ALL SELECT 9 AS n) d3
      CROSS JOIN (SELECT 0 AS n UNION ALL SELECT 1 AS n UNION ALL SELECT 2 AS n UNION ALL SELECT 3 AS n UNION ALL SELECT 4 AS n UNION ALL SELECT 5 AS n UNION ALL SELECT 6 AS n UNION ALL SELECT 7 AS n UNION ALL SELECT 8 AS n UNION ALL SELECT 9 AS n) d4
      CROSS JOIN (SELECT 0 AS n UNION ALL SELECT 1 AS n UNION ALL SELECT 2 AS n UNION ALL SELECT 3 AS n UNION ALL SELECT 4 AS n UNION ALL SELECT 5 AS n UNION ALL SELECT 6 AS n UNION ALL SELECT 7 AS n UNION ALL SELECT 8 AS n UNION ALL SELECT 9 AS n) d5
    ) n
    CROSS JOIN (
      SELECT {{year_start(b.first_year)}} AS first_day, {{year_end(b.last_year)}} AS last_day
        FROM (
          SELECT CASE WHEN MIN(y.y) IS NULL OR MIN(y.y) > {{year({{today}})}} THEN {{year({{today}})}}
                      WHEN MIN(y.y) < 1949 THEN 1949 ELSE MIN(y.y) END AS first_year,
                 {{year({{today}})}} AS last_year
            FROM (
              SELECT MIN({{year(archive_received_date)}}) AS y FROM {{ops}}.person
              UNION ALL SELECT MIN({{year(in_date)}}) FROM {{ops}}.archive_transfer_in
              UNION ALL SELECT MIN({{year(out_date)}}) FROM {{ops}}.archive_transfer_out
              UNION ALL SELECT MIN({{year(loan_date)}}) FROM {{ops}}.archive_loan
              UNION ALL SELECT MIN({{year(consult_time)}}) FROM {{ops}}.archive_consultation
              UNION ALL SELECT MIN({{year(issued_on)}}) FROM {{ops}}.certificate
              UNION ALL SELECT MIN({{year(use_time)}}) FROM {{ops}}.material_use
              UNION ALL SELECT MIN({{year(settle_date)}}) FROM {{ops}}.collective_hukou
              UNION ALL SELECT MIN({{year(transfer_date)}}) FROM {{ops}}.party_org_transfer
              UNION ALL SELECT MIN({{year(paid_on)}}) FROM {{ops}}.party_dues_payment
              UNION ALL SELECT MIN({{year(run_at)}}) FROM {{ops}}.dq_run_stat
            ) y
        ) b
    ) r
   WHERE n.n <= {{days_between(r.first_day, r.last_day)}}
) c
