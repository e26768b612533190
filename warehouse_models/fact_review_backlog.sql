-- 数据核实积压: review-queue items per agency, sheet, field, category and status
-- (status 待处理 is the backlog), with the oldest item's date.
SELECT
  r.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  r.sheet                                                  AS sheet,
  r.field                                                  AS field,
  COALESCE(r.category, '未分类')                           AS category,
  r.status                                                 AS status,
  CASE WHEN r.status = '待处理' THEN 1 ELSE 0 END          AS is_open,
  COUNT(*)                                                 AS item_count,
  MIN(DATE(r.created_at))                                  AS oldest_date,
  {{date_key(MIN(r.created_at))}}                          AS oldest_date_key
FROM {{ops}}.dq_review_item r
LEFT JOIN {{dw}}.dim_agency a ON a.agency_code = r.agency_code
GROUP BY r.agency_code, a.agency_name, COALESCE(a.prefecture_name, '省直属'), r.sheet, r.field, COALESCE(r.category, '未分类'), r.status
