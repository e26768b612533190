"""档案转递: 档案转入, 档案转出 (with 转递通知单 and 转出回执), 档案借阅 (借阅告知单)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped

from .base import Base, BusinessRecord, col, person_fk, table_args


class ArchiveTransferIn(BusinessRecord, Base):
    """档案转入 (absorbs the former 预存/机要接收/正式/暂存 modules)."""

    __tablename__ = "archive_transfer_in"
    __table_args__ = table_args(
        "档案转入",
        # list pages by date, newest first (keyset order = index order); by id alone the agency_code index serves
        Index("ix_archive_transfer_in_agency_in_date", "agency_code", "in_date", "id"))

    person_id: Mapped[int] = person_fk()
    in_date: Mapped[dt.date | None] = col(Date, "转入日期", index=True)
    from_unit: Mapped[str | None] = col(String(255), "何处转入（原存档单位）")
    shelved_date: Mapped[dt.date | None] = col(Date, "入库上架日期（接收后2个月内应上架，逾期为待办）")
    reason: Mapped[str | None] = col(String(255), "转入原因")
    archive_kind: Mapped[str | None] = col(String(8), "档案类别：正式/暂存/预存")
    receive_mode: Mapped[str | None] = col(String(16), "接收方式：机要通信/专人送取/其他")
    confidential_no: Mapped[str | None] = col(String(32), "机要编号", index=True)
    material_count: Mapped[int | None] = col(Integer, "材料份数")
    cross_province: Mapped[bool] = col(Boolean, "是否跨省转入", nullable=False, default=False,
                                       server_default="0")
    platform_ref: Mapped[str | None] = col(String(64), "全国档案服务平台业务编号")
    status: Mapped[str] = col(String(8), "状态：待接收/已接收/已退回", nullable=False,
                              default="已接收", server_default="已接收")
    handler: Mapped[str | None] = col(String(64), "经办人")
    remarks: Mapped[str | None] = col(Text, "备注")


class ArchiveTransferOut(BusinessRecord, Base):
    """档案转出 (merged 转出档案/档案转出审核/机要档案寄出)."""

    __tablename__ = "archive_transfer_out"
    __table_args__ = table_args(
        "档案转出",
        Index("ix_archive_transfer_out_agency_out_date", "agency_code", "out_date", "id"),
        Index("ix_archive_transfer_out_agency_notice", "agency_code", "notice_no"))

    person_id: Mapped[int] = person_fk()
    to_unit: Mapped[str | None] = col(String(255), "转往单位")
    to_address: Mapped[str | None] = col(String(255), "转往地址")
    request_date: Mapped[dt.date | None] = col(Date, "转档申请（调档函）日期：2个月内应转出，逾期为待办", index=True)
    out_date: Mapped[dt.date | None] = col(Date, "转出日期（转档日期）", index=True)
    reason: Mapped[str | None] = col(String(255), "转出原因")
    confidential_no: Mapped[str | None] = col(String(32), "机要编号", index=True)
    delivery_mode: Mapped[str | None] = col(String(16), "转递方式")
    notice_no: Mapped[str | None] = col(String(32), "转递通知单编号", index=True)
    receipt_returned: Mapped[bool] = col(Boolean, "转出回执：是否已收回执", nullable=False,
                                         default=False, server_default="0")
    receipt_date: Mapped[dt.date | None] = col(Date, "回执日期")
    status: Mapped[str] = col(String(8), "状态：待审核/已审核/已寄出/已回执/已撤销", nullable=False,
                              default="待审核", server_default="待审核")
    reviewed_by: Mapped[str | None] = col(String(64), "审核人")
    reviewed_on: Mapped[dt.date | None] = col(Date, "审核日期")
    cross_province: Mapped[bool] = col(Boolean, "是否跨省转出", nullable=False, default=False,
                                       server_default="0")
    platform_ref: Mapped[str | None] = col(String(64), "全国档案服务平台业务编号")
    handler: Mapped[str | None] = col(String(64), "经办人")
    remarks: Mapped[str | None] = col(Text, "备注")
    prior_state: Mapped[str | None] = col(
        Text, "登记转出前人员的档案状态、转出日期、转往单位、转出原因（JSON；撤销转出时恢复）")


class ArchiveLoan(BusinessRecord, Base):
    """档案借阅."""

    __tablename__ = "archive_loan"
    __table_args__ = table_args(
        "档案借阅",
        Index("ix_archive_loan_agency_loan_date", "agency_code", "loan_date", "id"),
        Index("ix_archive_loan_agency_notice", "agency_code", "notice_no"))

    person_id: Mapped[int] = person_fk()
    borrower_unit: Mapped[str | None] = col(String(255), "借阅单位")
    loan_date: Mapped[dt.date | None] = col(Date, "借阅日期", index=True)
    reason: Mapped[str | None] = col(String(255), "借阅原因")
    due_date: Mapped[dt.date | None] = col(Date, "应还日期", index=True)
    return_date: Mapped[dt.date | None] = col(Date, "归还日期")
    notice_no: Mapped[str | None] = col(String(32), "借阅告知单编号")
    status: Mapped[str] = col(String(8), "状态：借出/已归还", nullable=False, default="借出",
                              server_default="借出")
    handler: Mapped[str | None] = col(String(64), "经办人")
    remarks: Mapped[str | None] = col(Text, "备注")
