"""库房管理: 档案查阅 (incl. 政审考察), 材料利用, 库存管理 marks, 智能库房."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped

from .base import BigId, Base, BusinessRecord, Timestamp, col, person_fk, pii_bidx, pii_enc, table_args


class ArchiveConsultation(BusinessRecord, Base):
    """档案查阅 登记; 政审考察 is a kind of 查阅 (附件 二.7)."""

    __tablename__ = "archive_consultation"
    __table_args__ = table_args("档案查阅（含政审考察）登记")

    person_id: Mapped[int] = person_fk()
    kind: Mapped[str] = col(String(8), "类别：档案查阅/政审考察", nullable=False,
                            default="档案查阅", server_default="档案查阅")
    consult_unit: Mapped[str | None] = col(String(255), "查阅单位")
    reason: Mapped[str | None] = col(String(255), "查阅原因")
    consult_time: Mapped[dt.datetime | None] = col(Timestamp, "查阅时间", index=True)
    reader1: Mapped[str | None] = col(String(64), "查阅人1")
    reader2: Mapped[str | None] = col(String(64), "查阅人2")
    handler: Mapped[str | None] = col(String(64), "经办人")
    remarks: Mapped[str | None] = col(Text, "备注")


class MaterialUse(BusinessRecord, Base):
    """材料利用 登记."""

    __tablename__ = "material_use"
    __table_args__ = table_args("材料利用登记")

    person_id: Mapped[int] = person_fk()
    user_name: Mapped[str | None] = col(String(64), "利用人")
    user_id_number_enc: Mapped[str | None] = pii_enc("id_number", "利用人身份证")
    user_id_number_bidx: Mapped[str | None] = pii_bidx("利用人身份证")
    use_time: Mapped[dt.datetime | None] = col(Timestamp, "利用时间", index=True)
    use_mode: Mapped[str | None] = col(String(32), "利用方式：复印/摘抄/查看/出具证明")
    handler: Mapped[str | None] = col(String(64), "经办人")
    remarks: Mapped[str | None] = col(Text, "备注")


class InventoryMark(BusinessRecord, Base):
    """库存管理 标记: 确认 (蓝) / 搁置 (红) / 提示 (黄) on a 转入, 转出 or 补充材料 item."""

    __tablename__ = "inventory_mark"
    __table_args__ = table_args(
        "库存管理标记（确认/搁置/提示）",
        Index("ix_inventory_mark_business", "agency_code", "business_type", "business_id"),
    )

    business_type: Mapped[str] = col(String(16), "业务类型：档案转入/档案转出/补充材料", nullable=False)
    business_id: Mapped[int] = col(BigInteger, "业务记录ID", nullable=False)
    person_id: Mapped[int] = person_fk()
    mark: Mapped[str] = col(String(4), "标记：确认/搁置/提示", nullable=False, index=True)
    note: Mapped[str | None] = col(Text, "提示内容")
    marked_by: Mapped[str | None] = col(String(64), "标记人")
    marked_at: Mapped[dt.datetime | None] = col(Timestamp, "标记时间")


class Stocktake(BusinessRecord, Base):
    """电子化盘库: one scan session of the archive room."""

    __tablename__ = "stocktake"
    __table_args__ = table_args("电子化盘库批次")

    started_at: Mapped[dt.datetime | None] = col(Timestamp, "开始时间", index=True)
    finished_at: Mapped[dt.datetime | None] = col(Timestamp, "结束时间")
    device_id: Mapped[str | None] = col(String(64), "识别设备编号")
    operator: Mapped[str | None] = col(String(64), "盘点人")
    scanned_count: Mapped[int] = col(Integer, "扫描数量", nullable=False, default=0, server_default="0")
    remarks: Mapped[str | None] = col(Text, "备注")


class StocktakeItem(BusinessRecord, Base):
    """盘点列表 item: 档案编号, 姓名 (from the person), 状态."""

    __tablename__ = "stocktake_item"
    __table_args__ = table_args("电子化盘库明细（盘点列表）")

    stocktake_id: Mapped[int] = col(BigId, "盘库批次ID", ForeignKey("stocktake.id", ondelete="CASCADE"),
                                    nullable=False, index=True)
    archive_no: Mapped[str] = col(String(32), "档案编号", nullable=False, index=True)
    person_id: Mapped[int | None] = person_fk(nullable=True)
    scanned_at: Mapped[dt.datetime | None] = col(Timestamp, "扫描时间")
    status: Mapped[str] = col(String(8), "状态：在库/不在库/未登记", nullable=False)
    location: Mapped[str | None] = col(String(64), "架位")


class MonitorEvent(BusinessRecord, Base):
    """安全监控: a file leaving or entering the archive room, read by a scanner."""

    __tablename__ = "monitor_event"
    __table_args__ = table_args("智能库房安全监控（出入库记录）")

    archive_no: Mapped[str] = col(String(32), "档案编号", nullable=False, index=True)
    person_id: Mapped[int | None] = person_fk(nullable=True)
    out_time: Mapped[dt.datetime | None] = col(Timestamp, "出库时间", index=True)
    in_time: Mapped[dt.datetime | None] = col(Timestamp, "入库时间", index=True)
    device_id: Mapped[str | None] = col(String(64), "识别设备编号")
    alarm: Mapped[bool] = col(Boolean, "是否触发声音报警", nullable=False, default=False, server_default="0")
    alarm_reason: Mapped[str | None] = col(String(255), "报警原因")
