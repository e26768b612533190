-- 档案存量月末数: per agency and month for the ten years up to the snapshot month, the archives held at the
-- month's end, and the month's inflow (档案接收时间) and outflow (转出时间). An archive is held from its
-- receipt until its transfer out; no receipt date counts as received before the window; 已转出 without a
-- date as gone before it. Stock = held at the window's start + the running sum of (in - out).
SELECT
  a.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  m.year_month_key                                         AS year_month_key,
  m.month_start                                            AS month_start,
  m.month_label                                            AS month_label,
  m.year                                                   AS year,
  CASE WHEN m.year_month_key = {{year({{today}})}} * 100 + {{month({{today}})}} THEN 1 ELSE 0 END AS is_current_month,
  COALESCE(f.in_count, 0)                                  AS in_count,
  COALESCE(f.out_count, 0)                                 AS out_count,
  COALESCE(b.base_count, 0) + SUM(COALESCE(f.in_count, 0) - COALESCE(f.out_count, 0))
    OVER (PARTITION BY a.agency_code ORDER BY m.year_month_key) AS stock_count
FROM {{dw}}.dim_agency a
CROSS JOIN (
  SELECT d.year_month_key AS year_month_key, MIN(d.full_date) AS month_start,
         MIN(d.month_label) AS month_label, MIN(d.year) AS year
    FROM {{dw}}.dim_date d
   WHERE d.full_date >= {{add_months({{month_start({{today}})}}, -119)}} AND d.full_date <= {{today}}
   GROUP BY d.year_month_key
) m
LEFT JOIN (
  SELECT x.agency_code AS agency_code, x.ym AS ym, SUM(x.is_in) AS in_count, SUM(x.is_out) AS out_count
    FROM (
      SELECT p.agency_code AS agency_code,
             {{year(p.archive_received_date)}} * 100 + {{month(p.archive_received_date)}} AS ym,
             1 AS is_in, 0 AS is_out
        FROM {{ops}}.person p
       WHERE p.archive_received_date >= {{add_months({{month_start({{today}})}}, -119)}}
         AND p.archive_received_date <= {{today}}
      UNION ALL
      SELECT p.agency_code, {{year(p.transfer_out_date)}} * 100 + {{month(p.transfer_out_date)}}, 0, 1
        FROM {{ops}}.person p
       WHERE p.transfer_out_date >= {{add_months({{month_start({{today}})}}, -119)}}
         AND p.transfer_out_date <= {{today}}
    ) x
   GROUP BY x.agency_code, x.ym
) f ON f.agency_code = a.agency_code AND f.ym = m.year_month_key
LEFT JOIN (
  SELECT p.agency_code AS agency_code, COUNT(*) AS base_count
    FROM {{ops}}.person p
   WHERE (p.archive_received_date IS NULL
          OR p.archive_received_date < {{add_months({{month_start({{today}})}}, -119)}})
     AND (p.transfer_out_date >= {{add_months({{month_start({{today}})}}, -119)}}
          OR (p.transfer_out_date IS NULL AND COALESCE(p.archive_status, '') <> '已转出'))
   GROUP BY p.agency_code
) b ON b.agency_code = a.agency_code
