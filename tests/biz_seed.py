"""Seed data for the business tests: an agency tree, users of several roles, a group, persons and business."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from archives_domain.accounts.users import create_user
from archives_domain.models import (Agency, ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut, Group,
                                    InventoryMark, Person)
from archives_domain.models.quality import ReviewItem
from archives_domain.models.security import User, user_group
from conftest import COUNTY, INITIAL_PASSWORD, PROVINCE

PREFECTURE, COUNTY_B, COUNTY_C = "52030001", "52010301", "52030201"
GROUP = "南明区档案组"
ID_A = "520102199001011234"
ID_B = "520103198502023456"
ID_C = "520302197703034567"


def seed_tree_and_users(engine, codec) -> dict:
    """On top of conftest's seed (province ⊃ county A, clerk1, sysadm): county B under the province, a
    prefecture with county C; users of the business roles; group 南明区档案组 = {clerk1}."""
    with Session(engine) as s:
        s.add_all([Agency(code=PREFECTURE, name="遵义市人才服务中心", level="市级", region_code="520300",
                          parent_code=PROVINCE, active=True),
                   Agency(code=COUNTY_B, name="贵阳市云岩区人才服务中心", level="县级", region_code="520103",
                          parent_code=PROVINCE, active=True)])
        s.flush()
        s.add(Agency(code=COUNTY_C, name="遵义市红花岗区人才服务中心", level="县级", region_code="520302",
                     parent_code=PREFECTURE, active=True))
        s.flush()
        for username, role, agency in (("leader", "业务负责人", COUNTY), ("clerk3", "档案经办人", COUNTY),
                                       ("clerkb", "档案经办人", COUNTY_B), ("prov", "查询员", PROVINCE),
                                       ("prefstat", "统计分析员", PREFECTURE), ("prefquery", "查询员", PREFECTURE)):
            create_user(s, username=username, password=INITIAL_PASSWORD, role_names=[role], agency_code=agency,
                        first_name={"leader": "王科长", "clerk3": "李经办", "clerkb": "赵经办", "prov": "省查询员",
                                    "prefstat": "市统计员", "prefquery": "市查询员"}[username])
        group = Group(name=GROUP, label=GROUP, agency_code=COUNTY)
        s.add(group)
        s.flush()
        clerk1 = s.scalar(select(User.id).where(User.username == "clerk1"))
        s.execute(insert(user_group).values(user_id=clerk1, group_id=group.id))
        s.commit()
        group_id = group.id
    # These tests are about business pages, not the second factor: sign these roles in with the password.
    from conftest import relax_totp
    relax_totp(engine, codec.keyring, "业务负责人", "查询员", "统计分析员")
    return {"group_id": group_id}


def add_person(s: Session, codec, agency: str, archive_no: str, name: str, id_number: str, **kw) -> Person:
    p = Person(agency_code=agency, archive_no=archive_no, name=name, sex=kw.pop("sex", "男"),
               employer_name=kw.pop("employer_name", "贵州某某科技有限公司"), archive_status=kw.pop("archive_status", "在库"),
               **kw)
    codec.set(p, "id_number", id_number)
    s.add(p)
    s.flush()
    return p


def seed_persons(engine, codec) -> dict:
    with Session(engine) as s:
        a = add_person(s, codec, COUNTY, "NM2024001", "张三", ID_A)
        b = add_person(s, codec, COUNTY_B, "YY2024001", "李四", ID_B, sex="女")
        c = add_person(s, codec, COUNTY_C, "HHG2024001", "王五", ID_C)
        s.commit()
        return {"a": a.id, "b": b.id, "c": c.id}


def seed_todo_sources(engine, persons: dict, today: dt.date) -> dict:
    """Business state that calls for to-dos at county A (and some that does not)."""
    d = dt.timedelta
    with Session(engine) as s:
        pa, pb = persons["a"], persons["b"]
        late = ArchiveTransferOut(agency_code=COUNTY, person_id=pa, to_unit="重庆市人才交流中心",
                                  out_date=today - d(days=45), status="已寄出", confidential_no="JY-0001")
        recent = ArchiveTransferOut(agency_code=COUNTY, person_id=pa, to_unit="成都", out_date=today - d(days=3),
                                    status="已寄出")
        returned = ArchiveTransferOut(agency_code=COUNTY, person_id=pa, to_unit="昆明", out_date=today - d(days=40),
                                      status="已回执", receipt_returned=True)
        other = ArchiveTransferOut(agency_code=COUNTY_B, person_id=pb, to_unit="长沙", out_date=today - d(days=40),
                                   status="已寄出")
        overdue = ArchiveLoan(agency_code=COUNTY, person_id=pa, borrower_unit="贵州大学", loan_date=today - d(days=30),
                              due_date=today - d(days=2))
        back = ArchiveLoan(agency_code=COUNTY, person_id=pa, borrower_unit="某局", loan_date=today - d(days=30),
                           due_date=today - d(days=2), return_date=today - d(days=1), status="已归还")
        not_due = ArchiveLoan(agency_code=COUNTY, person_id=pa, borrower_unit="某校", loan_date=today,
                              due_date=today + d(days=5))
        s.add_all([late, recent, returned, other, overdue, back, not_due])
        s.flush()
        hold = InventoryMark(agency_code=COUNTY, business_type="档案转入", business_id=1, person_id=pa, mark="搁置",
                             note="材料不全")
        ok = InventoryMark(agency_code=COUNTY, business_type="档案转入", business_id=2, person_id=pa, mark="确认")
        review = ReviewItem(agency_code=COUNTY, person_id=pa, archive_no="NM2024001", field="工作单位",
                            category="单位不一致", reason="工商登记名称与采集表不一致")
        decided = ReviewItem(agency_code=COUNTY, person_id=pa, archive_no="NM2024001", field="学历",
                             reason="x", status="已采纳")
        s.add_all([hold, ok, review, decided])
        s.commit()
        return {"late": late.id, "overdue": overdue.id, "hold": hold.id, "review": review.id}
