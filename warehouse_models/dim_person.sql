-- 人员维度（脱敏）: one row per person record. Never the ID or phone number (nor their
-- ciphertext or blind index), never the full name: the surname and '*', the birth year and an age band.
-- 行业: the employer's industry, from the unit the person is filed under, else the unit with the employer's USCC.
SELECT
  p.id                                                     AS person_key,
  p.agency_code                                            AS agency_code,
  CASE WHEN p.name IS NULL OR p.name = '' THEN NULL
       ELSE {{concat(SUBSTR(p.name, 1, 1), '*')}} END      AS name_masked,
  p.sex                                                    AS sex,
  {{year(p.birth_date)}}                                   AS birth_year,
  CASE WHEN p.birth_date IS NULL THEN '未知'
       WHEN {{year({{today}})}} - {{year(p.birth_date)}} < 18 THEN '18岁以下'
       WHEN {{year({{today}})}} - {{year(p.birth_date)}} < 30 THEN '18-29岁'
       WHEN {{year({{today}})}} - {{year(p.birth_date)}} < 40 THEN '30-39岁'
       WHEN {{year({{today}})}} - {{year(p.birth_date)}} < 50 THEN '40-49岁'
       WHEN {{year({{today}})}} - {{year(p.birth_date)}} < 60 THEN '50-59岁'
       ELSE '60岁及以上' END                               AS age_band,
  p.ethnic                                                 AS ethnic,
  p.education_level                                        AS education_level,
  p.degree                                                 AS degree,
  p.political_status                                       AS political_status,
  p.party_member_type                                      AS party_member_type,
  p.entrust_mode                                           AS entrust_mode,
  COALESCE(p.archive_status, '未知')                       AS archive_status,
  CASE WHEN p.collective_hukou = 1 THEN '是'
       WHEN p.collective_hukou = 0 THEN '否' END           AS collective_hukou,
  p.employment_status                                      AS employment_status,
  p.insured_status                                         AS insured_status,
  p.data_source                                            AS data_source,
  p.employer_uscc                                          AS employer_uscc,
  COALESCE(u.industry, (SELECT MIN(u2.industry) FROM {{ops}}.unit u2
                         WHERE u2.uscc = p.employer_uscc AND u2.industry IS NOT NULL), '未知')
                                                           AS industry,
  p.unit_id                                                AS unit_key,
  p.unit_account_id                                        AS unit_account_key,
  p.archive_received_date                                  AS archive_received_date,
  {{date_key(p.archive_received_date)}}                    AS received_date_key,
  p.transfer_out_date                                      AS transfer_out_date
FROM {{ops}}.person p
LEFT JOIN {{ops}}.unit u ON u.id = p.unit_id
