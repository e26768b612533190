"""单位管理: 单位基础信息 and 单位立户信息."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, relationship

from .base import BigId, Base, BusinessRecord, col, pii_bidx, pii_enc, table_args


class Unit(BusinessRecord, Base):
    """单位基础信息."""

    __tablename__ = "unit"
    __table_args__ = table_args(
        "单位基础信息",
        Index("ix_unit_agency_name", "agency_code", "name"),
        Index("ix_unit_agency_unit_no", "agency_code", "unit_no"),
    )

    uscc: Mapped[str | None] = col(String(18), "统一社会信用代码", index=True)
    name: Mapped[str] = col(String(255), "单位名称", nullable=False, index=True)
    unit_type: Mapped[str | None] = col(String(16), "单位类型")
    unit_no: Mapped[str | None] = col(String(32), "单位编号")
    industry: Mapped[str | None] = col(String(8), "所属行业（GB/T 4754 门类）")
    phone_enc: Mapped[str | None] = pii_enc("phone", "联系电话")
    phone_bidx: Mapped[str | None] = pii_bidx("联系电话")
    contact: Mapped[str | None] = col(String(64), "联系人")
    other_contact: Mapped[str | None] = col(String(128), "其他联系方式")
    remarks: Mapped[str | None] = col(Text, "备注")
    former_names: Mapped[str | None] = col(Text, "曾用名（工商数据，分号分隔）")
    registry_status: Mapped[str | None] = col(String(8), "登记状态：存续/在业/注销/吊销/迁出")
    registry_checked_on: Mapped[dt.date | None] = col(Date, "最近工商核验日期")


class UnitAccount(BusinessRecord, Base):
    """单位立户信息: a unit that entrusts its employees' archives to the agency."""

    __tablename__ = "unit_account"
    __table_args__ = table_args(
        "单位立户信息",
        UniqueConstraint("agency_code", "account_no", name="uq_unit_account_agency_no"),
    )

    account_no: Mapped[str] = col(String(32), "立户编号", nullable=False)
    unit_id: Mapped[int] = col(BigId, "单位ID", ForeignKey("unit.id"), nullable=False, index=True)
    valid_status: Mapped[str] = col(String(4), "有效状态：有效/无效", nullable=False,
                                    default="有效", server_default="有效")
    phone_enc: Mapped[str | None] = pii_enc("phone", "联系电话")
    phone_bidx: Mapped[str | None] = pii_bidx("联系电话")
    region_code: Mapped[str | None] = col(String(6), "区域（行政区划代码）", index=True)
    handler: Mapped[str | None] = col(String(64), "经办人")
    start_date: Mapped[dt.date | None] = col(Date, "立户开始日期")
    end_date: Mapped[dt.date | None] = col(Date, "立户结束日期")
    related_unit: Mapped[str | None] = col(String(255), "关联单位（名称）", index=True)
    related_unit_id: Mapped[int | None] = col(BigId, "关联单位ID", ForeignKey("unit.id"), index=True)
    business_scope: Mapped[str | None] = col(String(255), "代理的业务类型（分号分隔）")
    remarks: Mapped[str | None] = col(Text, "备注")

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
