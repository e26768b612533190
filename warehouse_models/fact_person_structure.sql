-- 人员结构: persons per agency, archive status, sex, age band, education and employer industry (from
-- dim_person), so the dashboard's charts read the aggregate, not a row per person.
SELECT
  p.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  p.archive_status                                         AS archive_status,
  CASE WHEN p.archive_status = '已转出' THEN '否' ELSE '是' END AS in_stock,
  COALESCE(p.sex, '未知')                                  AS sex,
  p.age_band                                               AS age_band,
  COALESCE(p.education_level, '未知')                      AS education_level,
  p.industry                                               AS industry,
  COUNT(*)                                                 AS person_count
FROM {{dw}}.dim_person p
JOIN {{dw}}.dim_agency a ON a.agency_code = p.agency_code
GROUP BY p.agency_code, a.agency_name, COALESCE(a.prefecture_name, '省直属'), p.archive_status,
         COALESCE(p.sex, '未知'), p.age_band, COALESCE(p.education_level, '未知'), p.industry
