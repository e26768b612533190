-- 存档机构维度: one row per agency, with its parent, the prefecture-level agency it reports to
-- (for row-level security by 市州) and its region from GB/T 2260.
SELECT
  a.code                                                   AS agency_code,
  a.name                                                   AS agency_name,
  a.level                                                  AS agency_level,
  a.parent_code                                            AS parent_agency_code,
  pa.name                                                  AS parent_agency_name,
  CASE WHEN a.level = '市级' THEN a.code
       WHEN pa.level = '市级' THEN pa.code
       WHEN gpa.level = '市级' THEN gpa.code END           AS prefecture_agency_code,
  CASE WHEN a.level = '省级' THEN a.code
       WHEN pa.level = '省级' THEN pa.code
       WHEN gpa.level = '省级' THEN gpa.code END           AS province_agency_code,
  a.region_code                                            AS region_code,
  d.name                                                   AS region_name,
  d.level                                                  AS region_level,
  COALESCE(d.province, '贵州省')                           AS province_name,
  CASE WHEN d.level = '地级' THEN d.code
       WHEN d.level = '县级' THEN d.parent_code END        AS prefecture_region_code,
  d.prefecture                                             AS prefecture_name,
  CASE WHEN d.level = '县级' THEN d.name END               AS county_name,
  CASE WHEN a.active = 1 THEN '启用' ELSE '停用' END       AS active_label
FROM {{ops}}.agency a
LEFT JOIN {{ops}}.agency pa ON pa.code = a.parent_code
LEFT JOIN {{ops}}.agency gpa ON gpa.code = pa.parent_code
LEFT JOIN {{ops}}.division d ON d.code = a.region_code
