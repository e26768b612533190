-- 转递时限: one row per transfer and stage, against the deadlines of `archives_domain.deadlines`
-- (rendered from its rules): 转出 (调档函 → 转出), 回执 (转出 → 回执), 上架 (转入 → 入库上架).
-- result: 按时办结 / 逾期办结 / 办理中 (deadline not passed) / 超期未办; a deadline is kept on its last day.
-- Withdrawn transfers (已撤销) and returned receipts (已退回) have no deadline and are left out.
SELECT
  t.stage                                                  AS stage,
  t.source_id                                              AS source_id,
  t.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  t.person_key                                             AS person_key,
  t.deadline_months                                        AS deadline_months,
  t.start_date                                             AS start_date,
  {{year(t.start_date)}} * 100 + {{month(t.start_date)}}   AS start_month_key,
  {{concat({{year(t.start_date)}}, '年', {{pad2({{month(t.start_date)}})}}, '月')}} AS start_month_label,
  t.due_date                                               AS due_date,
  t.done_date                                              AS done_date,
  CASE WHEN t.done = 1 AND (t.done_date IS NULL OR t.done_date <= t.due_date) THEN '按时办结'
       WHEN t.done = 1 THEN '逾期办结'
       WHEN t.due_date >= {{today}} THEN '办理中'
       ELSE '超期未办' END                                  AS result,
  CASE WHEN t.done = 1 AND (t.done_date IS NULL OR t.done_date <= t.due_date) THEN 1 ELSE 0 END AS on_time_count,
  CASE WHEN t.done = 1 AND t.done_date > t.due_date THEN 1 ELSE 0 END AS late_count,
  CASE WHEN t.done = 0 AND t.due_date >= {{today}} THEN 1 ELSE 0 END AS open_count,
  CASE WHEN t.done = 0 AND t.due_date < {{today}} THEN 1 ELSE 0 END AS overdue_count,
  CASE WHEN t.done_date IS NOT NULL THEN {{days_between(t.start_date, t.done_date)}} END AS days_taken,
  1                                                        AS transfer_count
FROM (
  SELECT '转出' AS stage, o.id AS source_id, o.agency_code AS agency_code, o.person_id AS person_key,
         {{deadline_months(转出超期)}} AS deadline_months, o.request_date AS start_date,
         {{add_months(o.request_date, {{deadline_months(转出超期)}})}} AS due_date, o.out_date AS done_date,
         CASE WHEN o.out_date IS NOT NULL OR o.status IN ('已寄出', '已回执') THEN 1 ELSE 0 END AS done
    FROM {{ops}}.archive_transfer_out o
   WHERE o.request_date IS NOT NULL AND o.status <> '已撤销'
  UNION ALL
  SELECT '回执', o.id, o.agency_code, o.person_id, {{deadline_months(回执超期)}}, o.out_date,
         {{add_months(o.out_date, {{deadline_months(回执超期)}})}}, o.receipt_date,
         CASE WHEN o.receipt_returned = 1 THEN 1 ELSE 0 END
    FROM {{ops}}.archive_transfer_out o
   WHERE o.out_date IS NOT NULL AND o.status <> '已撤销'
  UNION ALL
  SELECT '上架', i.id, i.agency_code, i.person_id, {{deadline_months(上架超期)}}, i.in_date,
         {{add_months(i.in_date, {{deadline_months(上架超期)}})}}, i.shelved_date,
         CASE WHEN i.shelved_date IS NOT NULL THEN 1 ELSE 0 END
    FROM {{ops}}.archive_transfer_in i
   WHERE i.in_date IS NOT NULL AND i.status <> '已退回'
) t
JOIN {{dw}}.dim_agency a ON a.agency_code = t.agency_code
