-- 党费交纳: one row per payment, with the member's agency and person key.
SELECT
  d.id                                                     AS payment_key,
  d.agency_code                                            AS agency_code,
  a.agency_name                                            AS agency_name,
  COALESCE(a.prefecture_name, '省直属')                    AS prefecture_name,
  m.id                                                     AS party_member_key,
  m.person_id                                              AS person_key,
  m.member_type                                            AS member_type,
  m.status                                                 AS member_status,
  d.paid_on                                                AS paid_on,
  {{date_key(d.paid_on)}}                                  AS date_key,
  d.amount                                                 AS amount,
  d.standard                                               AS standard,
  d.period_from                                            AS period_from,
  d.period_to                                              AS period_to,
  CASE WHEN d.period_from IS NULL OR d.period_to IS NULL THEN NULL
       ELSE ({{year(d.period_to)}} - {{year(d.period_from)}}) * 12
            + {{month(d.period_to)}} - {{month(d.period_from)}} + 1 END AS months_covered,
  d.paid_until                                             AS paid_until
FROM {{ops}}.party_dues_payment d
JOIN {{ops}}.party_member m ON m.id = d.party_member_id
LEFT JOIN {{dw}}.dim_agency a ON a.agency_code = d.agency_code
