"""集体户口 / 集体户口代理 (merged 集体户转入/转出, 户籍卡借阅/归还) and 子女挂靠落户.

One row serves both the person's 集体户口 data page and the 集体户口代理
business, so the two views are the same data (附件 一.2 互相关联).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped

from .base import BigId, Base, BusinessRecord, col, person_fk, pii_bidx, pii_enc, table_args


class CollectiveHukou(BusinessRecord, Base):
    """集体户口 (个人数据页) and 集体户口代理 (业务)."""

    __tablename__ = "collective_hukou"
    __table_args__ = table_args(
        "集体户口与集体户口代理",
        # the 集体户口代理 list: scope first, then each search's order (keyset pages, no sort)
        Index("ix_collective_hukou_agency_reg_no", "agency_code", "hukou_reg_no"),
        Index("ix_collective_hukou_agency_settle", "agency_code", "settle_date"),
        Index("ix_collective_hukou_agency_status", "agency_code", "status"),
    )

    person_id: Mapped[int] = person_fk()
    hukou_reg_no: Mapped[str | None] = col(String(32), "户籍编号", index=True)
    original_address: Mapped[str | None] = col(String(255), "户籍原所在地")
    settle_date: Mapped[dt.date | None] = col(Date, "落户时间")
    employer: Mapped[str | None] = col(String(255), "工作单位")
    move_reason: Mapped[str | None] = col(String(255), "迁户原因")
    police_station_in: Mapped[str | None] = col(String(128), "迁入派出所")
    in_accept_date: Mapped[dt.date | None] = col(Date, "迁入受理时间")
    in_handler: Mapped[str | None] = col(String(64), "迁入经办人")
    out_accept_date: Mapped[dt.date | None] = col(Date, "迁出受理时间")
    out_date: Mapped[dt.date | None] = col(Date, "迁出时间", index=True)
    out_address: Mapped[str | None] = col(String(255), "迁出地址")
    status: Mapped[str] = col(String(8), "状态：在户/已迁出", nullable=False, default="在户",
                              server_default="在户")
    source: Mapped[str] = col(String(8), "数据来源：采集表（迁移装载所建，流水线随采集表更新）/业务（经办人办理或修改过，流水线不再改动）",
                              nullable=False, default="业务", server_default="业务")
    police_checked_on: Mapped[dt.date | None] = col(Date, "最近公安数据核对日期")
    remarks: Mapped[str | None] = col(Text, "备注")


class HukouCardLoan(BusinessRecord, Base):
    """户籍卡借阅 / 归还."""

    __tablename__ = "hukou_card_loan"
    __table_args__ = table_args("户籍卡借阅与归还")

    collective_hukou_id: Mapped[int] = col(BigId, "集体户口ID",
                                           ForeignKey("collective_hukou.id", ondelete="CASCADE"),
                                           nullable=False, index=True)
    borrower: Mapped[str | None] = col(String(64), "借用人")
    loan_date: Mapped[dt.date | None] = col(Date, "借出日期", index=True)
    reason: Mapped[str | None] = col(String(255), "借用原因")
    due_date: Mapped[dt.date | None] = col(Date, "应还日期")
    return_date: Mapped[dt.date | None] = col(Date, "归还日期")
    handler: Mapped[str | None] = col(String(64), "经办人")
    remarks: Mapped[str | None] = col(Text, "备注")


class HukouDependent(BusinessRecord, Base):
    """子女挂靠落户 in the collective household."""

    __tablename__ = "hukou_dependent"
    __table_args__ = table_args("集体户子女挂靠落户")

    collective_hukou_id: Mapped[int] = col(BigId, "集体户口ID",
                                           ForeignKey("collective_hukou.id", ondelete="CASCADE"),
                                           nullable=False, index=True)
    name: Mapped[str] = col(String(64), "姓名", nullable=False)
    relation: Mapped[str | None] = col(String(16), "与户主关系（子/女）")
    id_number_enc: Mapped[str | None] = pii_enc("id_number", "公民身份号码")
    id_number_bidx: Mapped[str | None] = pii_bidx("公民身份号码")
    birth_date: Mapped[dt.date | None] = col(Date, "出生日期")
    settle_date: Mapped[dt.date | None] = col(Date, "落户时间")
    out_date: Mapped[dt.date | None] = col(Date, "迁出时间")
    remarks: Mapped[str | None] = col(Text, "备注")
