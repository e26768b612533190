-- 数据质量: one row per pipeline run and agency (dq_run_stat), with rates and a flag for the
-- agency's latest run.
SELECT
  s.run_id                                                 AS run_id,
  s.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  s.run_at                                                 AS run_at,
  DATE(s.run_at)                                           AS run_date,
  {{date_key(s.run_at)}}                                   AS run_date_key,
  s.rows_in                                                AS rows_in,
  s.records                                                AS records,
  s.quarantined                                            AS quarantined,
  s.duplicates                                             AS duplicates,
  s.repaired                                               AS repaired,
  s.review_items                                           AS review_items,
  s.persons_written                                        AS persons_written,
  s.completeness                                           AS completeness,
  s.validity                                               AS validity,
  CASE WHEN s.rows_in > 0 THEN 1.0 * s.quarantined / s.rows_in END AS quarantine_rate,
  CASE WHEN s.records > 0 THEN 1.0 * s.repaired / s.records END    AS repair_rate,
  s.seconds                                                AS seconds,
  CASE WHEN s.run_at = (SELECT MAX(s2.run_at) FROM {{ops}}.dq_run_stat s2
                         WHERE s2.agency_code = s.agency_code) THEN 1 ELSE 0 END AS is_latest,
  s.detail                                                 AS detail
FROM {{ops}}.dq_run_stat s
LEFT JOIN {{dw}}.dim_agency a ON a.agency_code = s.agency_code
