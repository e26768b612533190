"""流动党员管理: 流动党员基础信息, 党费交纳, 组织关系转接.

Name, sex, ethnic group, ID and phone are the person's (相关数据关联), not copied.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, relationship

from .base import BigId, Base, BusinessRecord, col, person_fk, table_args


class PartyMember(BusinessRecord, Base):
    """流动党员基础信息."""

    __tablename__ = "party_member"
    __table_args__ = table_args("流动党员基础信息", UniqueConstraint("person_id", name="uq_party_member_person"))

    person_id: Mapped[int] = person_fk()
    member_type: Mapped[str | None] = col(String(8), "党员类型：正式党员/预备党员")
    party_org: Mapped[str | None] = col(String(128), "所属党组织", index=True)
    join_date: Mapped[dt.date | None] = col(Date, "入党时间")
    full_date: Mapped[dt.date | None] = col(Date, "转正时间")
    development_type: Mapped[str | None] = col(String(32), "发展类型")
    org_in_date: Mapped[dt.date | None] = col(Date, "组织关系转入时间")
    org_out_date: Mapped[dt.date | None] = col(Date, "组织关系转出时间")
    from_where: Mapped[str | None] = col(String(255), "何处转入")
    to_where: Mapped[str | None] = col(String(255), "转往何处")
    dues_paid_until: Mapped[dt.date | None] = col(Date, "党费交纳截止时间")
    status: Mapped[str] = col(String(8), "状态：在册/已转出", nullable=False, default="在册",
                              server_default="在册")
    remarks: Mapped[str | None] = col(Text, "备注")

    payments: Mapped[list["PartyDuesPayment"]] = relationship(back_populates="member")


class PartyDuesPayment(BusinessRecord, Base):
    """党费交纳 (缴费)."""

    __tablename__ = "party_dues_payment"
    __table_args__ = table_args("党费交纳记录")

    party_member_id: Mapped[int] = col(BigId, "流动党员ID", ForeignKey("party_member.id", ondelete="CASCADE"),
                                       nullable=False, index=True)
    salary_base: Mapped[Decimal | None] = col(Numeric(12, 2), "工资基数（元/月）")
    standard: Mapped[str | None] = col(String(32), "缴费标准（按比例/固定金额）")
    ratio: Mapped[Decimal | None] = col(Numeric(6, 4), "缴费比例")
    fixed_amount: Mapped[Decimal | None] = col(Numeric(12, 2), "固定金额（元/月）")
    amount: Mapped[Decimal] = col(Numeric(12, 2), "本次缴纳金额（元）", nullable=False)
    period_from: Mapped[dt.date | None] = col(Date, "缴费所属期起")
    period_to: Mapped[dt.date | None] = col(Date, "缴费所属期止")
    paid_until: Mapped[dt.date | None] = col(Date, "党费交纳截止时间")
    paid_on: Mapped[dt.date | None] = col(Date, "缴费日期", index=True)
    receipt_no: Mapped[str | None] = col(String(32), "收据编号")
    handler: Mapped[str | None] = col(String(64), "经办人")

    member: Mapped[PartyMember] = relationship(back_populates="payments")


class PartyOrgTransfer(BusinessRecord, Base):
    """组织关系转接 (转入 / 转出)."""

    __tablename__ = "party_org_transfer"
    __table_args__ = table_args("党员组织关系转接")

    party_member_id: Mapped[int] = col(BigId, "流动党员ID", ForeignKey("party_member.id", ondelete="CASCADE"),
                                       nullable=False, index=True)
    direction: Mapped[str] = col(String(4), "方向：转入/转出", nullable=False)
    transfer_date: Mapped[dt.date | None] = col(Date, "转入时间或转出时间", index=True)
    place: Mapped[str | None] = col(String(255), "何处转入或转往何处")
    letter_no: Mapped[str | None] = col(String(32), "介绍信编号")
    handler: Mapped[str | None] = col(String(64), "经办人")
    remarks: Mapped[str | None] = col(Text, "备注")
