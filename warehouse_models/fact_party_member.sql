-- 流动党员: one row per party member, with the date dues are paid up to (the later of the member's
-- 党费交纳截止时间 and the payments' 党费交纳截止时间 / 所属期止) and the full months unpaid before the
-- snapshot month: a member is overdue (欠缴) when the month before the snapshot month is not paid.
SELECT
  q.party_member_key                                       AS party_member_key,
  q.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  q.person_key                                             AS person_key,
  COALESCE(q.member_type, '未知')                          AS member_type,
  q.member_status                                          AS member_status,
  q.paid_until                                             AS paid_until,
  q.months_unpaid                                          AS months_unpaid,
  CASE WHEN q.paid_until IS NULL THEN '无缴费记录'
       WHEN q.months_unpaid <= 0 THEN '按期交纳'
       WHEN q.months_unpaid <= 2 THEN '欠缴1-2个月'
       WHEN q.months_unpaid <= 5 THEN '欠缴3-5个月'
       ELSE '欠缴6个月及以上' END                           AS dues_state,
  CASE WHEN q.paid_until IS NULL OR q.months_unpaid > 0 THEN 1 ELSE 0 END AS overdue_count,
  q.paid_last_12m                                          AS paid_last_12m,
  1                                                        AS member_count
FROM (
  SELECT
    y.party_member_key AS party_member_key, y.agency_code AS agency_code, y.person_key AS person_key,
    y.member_type AS member_type, y.member_status AS member_status, y.paid_until AS paid_until,
    CASE WHEN y.paid_until IS NULL THEN NULL
         ELSE ({{year({{today}})}} - {{year(y.paid_until)}}) * 12
              + {{month({{today}})}} - {{month(y.paid_until)}} - 1 END AS months_unpaid,
    y.paid_last_12m AS paid_last_12m
  FROM (
    SELECT
      m.id AS party_member_key, m.agency_code AS agency_code, m.person_id AS person_key,
      m.member_type AS member_type, m.status AS member_status,
      CASE WHEN m.dues_paid_until IS NULL OR z.payments_paid_until > m.dues_paid_until
           THEN z.payments_paid_until ELSE m.dues_paid_until END AS paid_until,
      z.paid_last_12m AS paid_last_12m
    FROM {{ops}}.party_member m
    JOIN (
      SELECT m2.id AS member_id,
             CASE WHEN MAX(d.paid_until) IS NULL OR MAX(d.period_to) > MAX(d.paid_until)
                  THEN MAX(d.period_to) ELSE MAX(d.paid_until) END AS payments_paid_until,
             COALESCE(SUM(CASE WHEN d.paid_on > {{add_months({{today}}, -12)}} THEN d.amount END), 0) AS paid_last_12m
        FROM {{ops}}.party_member m2
        LEFT JOIN {{ops}}.party_dues_payment d ON d.party_member_id = m2.id
       GROUP BY m2.id
    ) z ON z.member_id = m.id
    WHERE m.status = '在册'
  ) y
) q
JOIN {{dw}}.dim_agency a ON a.agency_code = q.agency_code
