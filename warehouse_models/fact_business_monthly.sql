-- 业务经办月汇总: business events per agency, month and event type (from fact_business_event), so the
-- dashboard's charts read a few thousand rows instead of every event. The events are grouped on integers
-- first and labelled after (grouping 3.6M events on the concatenated label took 68 s at 943k).
SELECT
  g.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  g.y * 100 + g.m                                          AS year_month_key,
  {{month_start(g.first_date)}}                            AS month_start,
  {{concat(g.y, '年', {{pad2(g.m)}}, '月')}}               AS month_label,
  g.y                                                      AS year,
  g.event_type                                             AS event_type,
  g.event_count                                            AS event_count,
  g.cross_province_count                                   AS cross_province_count
FROM (SELECT e.agency_code AS agency_code, {{year(e.event_date)}} AS y, {{month(e.event_date)}} AS m,
             e.event_type AS event_type, MIN(e.event_date) AS first_date, SUM(e.event_count) AS event_count,
             SUM(CASE WHEN e.cross_province = 1 THEN 1 ELSE 0 END) AS cross_province_count
        FROM {{dw}}.fact_business_event e
       WHERE e.event_date IS NOT NULL
       GROUP BY e.agency_code, {{year(e.event_date)}}, {{month(e.event_date)}}, e.event_type) g
JOIN {{dw}}.dim_agency a ON a.agency_code = g.agency_code
