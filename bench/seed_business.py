"""Business history for the benchmarks of issue 14, on a database loaded with the 943k synthetic set (MariaDB).

Run by hand, once, after the migration load and `archives db upgrade`:

    DATABASE_URL=mysql+pymysql://root@127.0.0.1:3306/archives_b14 PYTHONPATH=$PWD .venv/bin/python bench/seed_business.py

Set-based (INSERT … SELECT over `person`, deterministic by person id), so it takes about a minute or two:
one 档案转入 per person (its 档案接收时间), 档案转出 for 1 in 12 (10 years of dates, 9 in 10 with 回执), 借阅 for
1 in 20 (9 in 10 returned), 证明 for 1 in 17, three 档案材料 per person (ten classes), two 家庭成员 per person,
the 集体户口 rows of persons whose form says 集体户口. Volumes: ~943k 转入, ~79k 转出, ~47k 借阅, ~55k 证明,
~2.8M 材料, ~1.9M 家庭成员. Idempotent: a table that already has rows of the `bench-seed` creator is skipped.
Issue 15 moves a realistic history into the synthetic generator; this only gives the list pages volume.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BY = "'bench-seed'"
STEPS: list[tuple[str, str]] = [
    ("archive_transfer_in", f"""
insert into archive_transfer_in (agency_code, person_id, in_date, from_unit, archive_kind, receive_mode,
  confidential_no, material_count, cross_province, status, handler, shelved_date, version, created_by, updated_by,
  created_at, updated_at)
select agency_code, id, coalesce(archive_received_date, date '2015-01-01'), '原存档单位', '正式', '机要通信',
  concat('JY', lpad(id, 9, '0')), 12, 0, '已接收', '经办人', coalesce(archive_received_date, date '2015-01-01')
  + interval 7 day, 1, {BY}, {BY}, now(), now() from person"""),
    ("archive_transfer_out", f"""
insert into archive_transfer_out (agency_code, person_id, to_unit, out_date, request_date, reason, confidential_no,
  delivery_mode, notice_no, receipt_returned, receipt_date, status, cross_province, handler, version, created_by,
  updated_by, created_at, updated_at)
select agency_code, id, '贵州省人才交流服务中心', date '2016-01-01' + interval (id % 3650) day,
  date '2016-01-01' + interval (id % 3650) day - interval 20 day, '工作调动', concat('ZC', lpad(id, 9, '0')),
  '机要通信', concat('ZD-', agency_code, '-B-', lpad(id, 9, '0')), id % 10 <> 0,
  case when id % 10 <> 0 then date '2016-01-01' + interval (id % 3650) day + interval 15 day end,
  case when id % 10 <> 0 then '已回执' else '已寄出' end, 0, '经办人', 1, {BY}, {BY}, now(), now()
from person where id % 12 = 0"""),
    ("archive_loan", f"""
insert into archive_loan (agency_code, person_id, borrower_unit, loan_date, reason, due_date, return_date, notice_no,
  status, handler, version, created_by, updated_by, created_at, updated_at)
select agency_code, id, '某某单位组织部', date '2016-01-01' + interval (id % 3650) day, '政审',
  date '2016-01-01' + interval (id % 3650) day + interval 30 day,
  case when id % 10 <> 1 then date '2016-01-01' + interval (id % 3650) day + interval 20 day end,
  concat('JY-', agency_code, '-B-', lpad(id, 9, '0')), case when id % 10 <> 1 then '已归还' else '借出' end,
  '经办人', 1, {BY}, {BY}, now(), now() from person where id % 20 = 1"""),
    ("certificate", f"""
insert into certificate (agency_code, person_id, cert_type, cert_no, purpose, recipient_unit, content, issued_on,
  handler, revoked, version, created_by, updated_by, created_at, updated_at)
select agency_code, id, case id % 3 when 0 then '存档证明' when 1 then '经历证明' else '亲属关系证明' end,
  concat('CD-', agency_code, '-B-', lpad(id, 9, '0')), '办理手续', '某某单位', null,
  date '2016-01-01' + interval (id % 3650) day, '经办人', 0, 1, {BY}, {BY}, now(), now()
from person where id % 17 = 2"""),
    ("archive_material", f"""
insert into archive_material (agency_code, person_id, category_code, seq, title, material_date, pages, copies,
  stage, is_supplement, received_date, archived_date, handler, version, created_by, updated_by, created_at,
  updated_at)
select p.agency_code, p.id, k.code, 1, k.title, coalesce(p.archive_received_date, date '2015-01-01')
  - interval k.n year, 2 + k.n, 1, '归档', 0, coalesce(p.archive_received_date, date '2015-01-01'),
  coalesce(p.archive_received_date, date '2015-01-01') + interval 10 day, '经办人', 1, {BY}, {BY}, now(), now()
from person p cross join (select '1' code, '干部履历表' title, 3 n union all select '4-1', '高等学校毕业生登记表', 6
  union all select '9-1', '工资审批表', 1) k"""),
    ("person_family", f"""
insert into person_family (agency_code, person_id, relation, name, birth_date, political_status, employer, seq,
  version, created_by, updated_by, created_at, updated_at)
select p.agency_code, p.id, k.relation, concat(left(coalesce(p.name, '某'), 1), k.given), date '1960-05-01',
  '群众', '务农', k.seq, 1, {BY}, {BY}, now(), now()
from person p cross join (select '父亲' relation, '建国' given, 1 seq union all select '母亲', '秀英', 2) k"""),
    ("collective_hukou", f"""
insert into collective_hukou (agency_code, person_id, hukou_reg_no, settle_date, employer, status, version,
  created_by, updated_by, created_at, updated_at)
select agency_code, id, coalesce(hukou_reg_no, concat('H', lpad(id, 9, '0'))), settle_date, employer_name, '在户', 1,
  {BY}, {BY}, now(), now() from person p
where collective_hukou = 1 and not exists (select 1 from collective_hukou h where h.person_id = p.id)"""),
]


def main() -> None:
    from archives_domain.config import Settings
    from archives_domain.db import make_engine
    engine = make_engine(Settings.from_env().database_url)
    for table, sql in STEPS:
        with engine.begin() as conn:
            if conn.execute(sa.text(f"select 1 from {table} where created_by = 'bench-seed' limit 1")).first():
                print(f"{table}: already seeded")
                continue
            t = time.perf_counter()
            n = conn.execute(sa.text(sql)).rowcount
            print(f"{table}: {n:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
    with engine.begin() as conn:
        for table, _ in STEPS:
            conn.execute(sa.text(f"analyze table {table}"))
    engine.dispose()


if __name__ == "__main__":
    main()
