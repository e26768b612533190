-- 单位维度: one row per unit; contact person and phone are left out.
SELECT
  u.id                                                     AS unit_key,
  u.agency_code                                            AS agency_code,
  u.uscc                                                   AS uscc,
  u.name                                                   AS unit_name,
  u.unit_type                                              AS unit_type,
  u.unit_no                                                AS unit_no,
  u.industry                                               AS industry,
  u.registry_status                                        AS registry_status,
  (SELECT COUNT(*) FROM {{ops}}.unit_account ua
    WHERE ua.unit_id = u.id)                               AS account_count,
  (SELECT COUNT(*) FROM {{ops}}.unit_account ua
    WHERE ua.unit_id = u.id AND ua.valid_status = '有效')  AS active_account_count,
  (SELECT COUNT(*) FROM {{ops}}.person p
    WHERE p.unit_id = u.id)                                AS person_count
FROM {{ops}}.unit u
