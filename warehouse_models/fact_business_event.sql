-- 业务事件: one row per business event of the operational tables. event_type in Chinese;
-- event_subtype the kind within it (转入的档案类别, 证明类型, …); status as the source row has it.
SELECT '转入' AS event_type, t.archive_kind AS event_subtype, 'archive_transfer_in' AS source_table,
       t.id AS source_id, t.agency_code AS agency_code, t.person_id AS person_key,
       t.in_date AS event_date, {{date_key(t.in_date)}} AS date_key, t.status AS status,
       t.cross_province AS cross_province, 1 AS event_count
  FROM {{ops}}.archive_transfer_in t
UNION ALL
SELECT '转出', t.delivery_mode, 'archive_transfer_out', t.id, t.agency_code, t.person_id,
       t.out_date, {{date_key(t.out_date)}}, t.status, t.cross_province, 1
  FROM {{ops}}.archive_transfer_out t
UNION ALL
SELECT '借阅', NULL, 'archive_loan', l.id, l.agency_code, l.person_id,
       l.loan_date, {{date_key(l.loan_date)}}, l.status, 0, 1
  FROM {{ops}}.archive_loan l
UNION ALL
SELECT '归还', NULL, 'archive_loan', l.id, l.agency_code, l.person_id,
       l.return_date, {{date_key(l.return_date)}}, l.status, 0, 1
  FROM {{ops}}.archive_loan l
 WHERE l.return_date IS NOT NULL
UNION ALL
SELECT CASE WHEN c.kind = '政审考察' THEN '政审考察' ELSE '查阅' END, c.kind, 'archive_consultation', c.id,
       c.agency_code, c.person_id, DATE(c.consult_time), {{date_key(c.consult_time)}}, NULL, 0, 1
  FROM {{ops}}.archive_consultation c
UNION ALL
SELECT '开具证明', c.cert_type, 'certificate', c.id, c.agency_code, c.person_id,
       c.issued_on, {{date_key(c.issued_on)}}, CASE WHEN c.revoked = 1 THEN '已作废' ELSE '有效' END, 0, 1
  FROM {{ops}}.certificate c
UNION ALL
SELECT '材料利用', u.use_mode, 'material_use', u.id, u.agency_code, u.person_id,
       DATE(u.use_time), {{date_key(u.use_time)}}, NULL, 0, 1
  FROM {{ops}}.material_use u
UNION ALL
SELECT '集体户迁入', NULL, 'collective_hukou', h.id, h.agency_code, h.person_id,
       COALESCE(h.settle_date, h.in_accept_date), {{date_key(COALESCE(h.settle_date, h.in_accept_date))}},
       h.status, 0, 1
  FROM {{ops}}.collective_hukou h
UNION ALL
SELECT '集体户迁出', NULL, 'collective_hukou', h.id, h.agency_code, h.person_id,
       h.out_date, {{date_key(h.out_date)}}, h.status, 0, 1
  FROM {{ops}}.collective_hukou h
 WHERE h.out_date IS NOT NULL
UNION ALL
SELECT '户籍卡借用', NULL, 'hukou_card_loan', k.id, k.agency_code, h.person_id,
       k.loan_date, {{date_key(k.loan_date)}}, CASE WHEN k.return_date IS NULL THEN '借出' ELSE '已归还' END, 0, 1
  FROM {{ops}}.hukou_card_loan k
  JOIN {{ops}}.collective_hukou h ON h.id = k.collective_hukou_id
UNION ALL
SELECT CASE WHEN o.direction = '转出' THEN '党组织关系转出' ELSE '党组织关系转入' END, NULL, 'party_org_transfer',
       o.id, o.agency_code, m.person_id, o.transfer_date, {{date_key(o.transfer_date)}}, NULL, 0, 1
  FROM {{ops}}.party_org_transfer o
  JOIN {{ops}}.party_member m ON m.id = o.party_member_id
