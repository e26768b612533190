-- 业务经办月汇总: business events per agency, month and event type (from fact_business_event), so the
-- dashboard's charts read a few thousand rows instead of every event.
SELECT
  e.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  {{year(e.event_date)}} * 100 + {{month(e.event_date)}}   AS year_month_key,
  {{month_start(MIN(e.event_date))}}                       AS month_start,
  {{concat({{year(e.event_date)}}, '年', {{pad2({{month(e.event_date)}})}}, '月')}} AS month_label,
  {{year(e.event_date)}}                                   AS year,
  e.event_type                                             AS event_type,
  SUM(e.event_count)                                       AS event_count,
  SUM(CASE WHEN e.cross_province = 1 THEN 1 ELSE 0 END)    AS cross_province_count
FROM {{dw}}.fact_business_event e
JOIN {{dw}}.dim_agency a ON a.agency_code = e.agency_code
WHERE e.event_date IS NOT NULL
GROUP BY e.agency_code, a.agency_name, COALESCE(a.prefecture_name, '省直属'),
         {{year(e.event_date)}} * 100 + {{month(e.event_date)}},
         {{concat({{year(e.event_date)}}, '年', {{pad2({{month(e.event_date)}})}}, '月')}},
         {{year(e.event_date)}}, e.event_type
