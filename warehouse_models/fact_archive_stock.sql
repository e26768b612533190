-- 档案库存日快照: on the snapshot date, per agency, archive status and entrust mode, how many
-- archives are held. Appended per day (that day's rows replaced), so the history accumulates.
SELECT
  {{today}}                                                AS snapshot_date,
  {{date_key({{today}})}}                                  AS snapshot_date_key,
  p.agency_code                                            AS agency_code,
  COALESCE(p.archive_status, '未知')                       AS archive_status,
  COALESCE(p.entrust_mode, '未知')                         AS entrust_mode,
  COUNT(*)                                                 AS person_count,
  SUM(CASE WHEN p.political_status IN ('中共党员', '中共预备党员') THEN 1 ELSE 0 END)
                                                           AS party_member_count,
  SUM(CASE WHEN p.collective_hukou = 1 THEN 1 ELSE 0 END)  AS collective_hukou_count,
  SUM(CASE WHEN p.data_source = '采集表' THEN 1 ELSE 0 END) AS migrated_count
FROM {{ops}}.person p
GROUP BY p.agency_code, COALESCE(p.archive_status, '未知'), COALESCE(p.entrust_mode, '未知')
