-- 数据修复: repairs per pipeline run, agency, rule and field (dq_repair_log), applied or sent to review;
-- rule_text is the rule's Chinese description from dq_rules.repair_rules (rendered into the SQL).
SELECT
  r.run_id                                                 AS run_id,
  r.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  r.rule                                                   AS rule,
  {{repair_rule_text(r.rule)}}                             AS rule_text,
  r.field                                                  AS field,
  COALESCE(r.feed, '无')                                   AS feed,
  CASE WHEN r.applied = 1 THEN '自动修复' ELSE '转人工核实' END AS outcome,
  MIN(DATE(r.created_at))                                  AS run_date,
  COUNT(*)                                                 AS repair_count
FROM {{ops}}.dq_repair_log r
LEFT JOIN {{dw}}.dim_agency a ON a.agency_code = r.agency_code
GROUP BY r.run_id, r.agency_code, a.agency_name, COALESCE(a.prefecture_name, '省直属'), r.rule,
         {{repair_rule_text(r.rule)}}, r.field,
         COALESCE(r.feed, '无'), CASE WHEN r.applied = 1 THEN '自动修复' ELSE '转人工核实' END
