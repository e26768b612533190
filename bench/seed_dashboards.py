"""Dashboard data for a medium synthetic set (issue 15), until the HISTORY helper's ten-year business history
lands: run after `bench/seed_business.py` on MariaDB. Set-based and deterministic by id, idempotent (marker:
rows created by `dash-seed`).

* 转出: persons with a 转出 get `transfer_out_date` and 已转出 (the month-end stock falls as well as rises);
  1 in 7 transfers sent late (75 days after the 调档函), 1 in 11 of the last year's still open;
* 转入: 入库上架 between 0 and 89 days after receipt (some over 2 months), 1 in 40 not yet shelved;
* 单位: one unit per employer USCC of the persons (the synthetic set has none), its 行业 (GB/T 4754 门类)
  picked by the code, so 人员结构 has an industry breakdown;
* 流动党员: every 中共党员 / 中共预备党员 in the register, with quarterly 党费 payments up to a date that varies by
  id (most paid up, some months behind, a few never paid).

    DATABASE_URL=mysql+pymysql://root@127.0.0.1:3306/dash_ops PYTHONPATH=$PWD .venv/bin/python bench/seed_dashboards.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BY = "'dash-seed'"
TODAY = "current_date"
STEPS: list[tuple[str, str]] = [
    ("late transfers", """
update archive_transfer_out set out_date = request_date + interval 75 day,
  receipt_date = case when receipt_returned = 1 then request_date + interval 75 day + interval (id % 50) day end
 where id % 7 = 0 and out_date is not null"""),
    ("open transfers", f"""
update archive_transfer_out set out_date = null, receipt_returned = 0, receipt_date = null, status = '已审核',
  request_date = {TODAY} - interval (id % 120) day
 where id % 11 = 0"""),
    ("receipts outstanding", f"""
update archive_transfer_out set receipt_returned = 0, receipt_date = null, status = '已寄出',
  out_date = {TODAY} - interval (id % 70) day, request_date = {TODAY} - interval (id % 70) day - interval 20 day
 where id % 11 = 5"""),
    ("persons transferred out", """
update person p join archive_transfer_out o on o.person_id = p.id and o.out_date is not null
   set p.transfer_out_date = o.out_date, p.archive_status = '已转出'"""),
    ("shelving", """
update archive_transfer_in set shelved_date = case when id % 40 = 0 then null
  else in_date + interval (id % 90) day end"""),
    ("unit", f"""
insert into unit (agency_code, uscc, name, unit_type, industry, version, created_by, updated_by, created_at, updated_at)
select min(p.agency_code), p.employer_uscc, min(coalesce(p.employer_name, '某某单位')), '企业',
  elt(1 + crc32(p.employer_uscc) % 10, '制造业', '建筑业', '批发零售业', '信息技术服务业',
      '教育', '卫生社会工作', '住宿餐饮业', '交通运输业', '商务服务业', '金融业'),
  1, {BY}, {BY}, now(), now()
from person p where p.employer_uscc is not null
  and not exists (select 1 from unit u where u.uscc = p.employer_uscc) group by p.employer_uscc"""),
    ("party_member", f"""
insert into party_member (agency_code, person_id, member_type, party_org, join_date, dues_paid_until, status, version,
  created_by, updated_by, created_at, updated_at)
select agency_code, id, case when political_status = '中共预备党员' then '预备党员' else '正式党员' end,
  '流动党员党支部', date '2000-07-01' + interval (id % 7000) day,
  case when id % 23 = 0 then null
       else last_day({TODAY} - interval (case when id % 5 = 0 then id % 12 else 1 end) month) end,
  '在册', 1, {BY}, {BY}, now(), now()
from person p where political_status in ('中共党员', '中共预备党员')
  and not exists (select 1 from party_member m where m.person_id = p.id)"""),
    ("party_dues_payment", f"""
insert into party_dues_payment (agency_code, party_member_id, standard, amount, period_from, period_to, paid_until,
  paid_on, version, created_by, updated_by, created_at, updated_at)
select m.agency_code, m.id, '按比例', 30 + m.id % 50, m.dues_paid_until - interval q.n * 3 + 2 month,
  last_day(m.dues_paid_until - interval q.n * 3 month), last_day(m.dues_paid_until - interval q.n * 3 month),
  m.dues_paid_until - interval q.n * 3 month, 1, {BY}, {BY}, now(), now()
from party_member m cross join (select 0 n union all select 1 union all select 2 union all select 3) q
where m.created_by = {BY} and m.dues_paid_until is not null"""),
]


def main() -> None:
    from archives_domain.config import Settings
    from archives_domain.db import make_engine
    engine = make_engine(Settings.from_env().database_url)
    with engine.begin() as conn:
        done = conn.execute(sa.text(f"select 1 from party_member where created_by = {BY} limit 1")).first()
    for name, sql in STEPS:
        if done and name != "unit":
            continue
        with engine.begin() as conn:
            t = time.perf_counter()
            n = conn.execute(sa.text(sql)).rowcount
            print(f"{name}: {n:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
