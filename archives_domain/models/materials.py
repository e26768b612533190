"""档案材料 (收集/鉴别/归档, 补充材料) and 数字化档案 (图像, 操作日志)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped

from .base import BigId, Base, BusinessRecord, IdPk, Timestamp, col, now_utc, person_fk, table_args


class ArchiveMaterial(BusinessRecord, Base):
    """档案材料: one item of a person's file; the rows make its 目录 (catalogue)."""

    __tablename__ = "archive_material"
    __table_args__ = table_args(
        "档案材料（收集、鉴别、归档；补充材料；目录）",
        # the agency's materials waiting for 鉴别 / 归档, in keyset order (archives_domain.business.materials)
        Index("ix_archive_material_agency_stage", "agency_code", "stage", "id"),
        # 库存管理 counts 补充材料 by 收到日期 per agency
        Index("ix_archive_material_agency_received", "agency_code", "received_date"))

    person_id: Mapped[int] = person_fk()
    category_code: Mapped[str] = col(String(8), "材料类别（十大类及4-1…9-4子类）", nullable=False, index=True)
    seq: Mapped[int | None] = col(Integer, "类内序号（目录）")
    title: Mapped[str] = col(String(255), "材料名称", nullable=False)
    material_date: Mapped[dt.date | None] = col(Date, "材料形成时间")
    pages: Mapped[int | None] = col(Integer, "页数")
    copies: Mapped[int | None] = col(Integer, "份数")
    stage: Mapped[str] = col(String(4), "环节：收集/鉴别/归档", nullable=False, default="收集",
                             server_default="收集")
    is_supplement: Mapped[bool] = col(Boolean, "是否补充材料", nullable=False, default=False,
                                      server_default="0")
    received_date: Mapped[dt.date | None] = col(Date, "收集日期")
    identified_by: Mapped[str | None] = col(String(64), "鉴别人")
    identify_result: Mapped[str | None] = col(String(16), "鉴别结论：合格归档/退回补充/不予归档")
    identified_date: Mapped[dt.date | None] = col(Date, "鉴别日期")
    archived_date: Mapped[dt.date | None] = col(Date, "归档日期")
    handler: Mapped[str | None] = col(String(64), "经办人")
    remarks: Mapped[str | None] = col(Text, "备注")


class DigitalImage(BusinessRecord, Base):
    """数字化档案图像: one scanned page, filed under a material category."""

    __tablename__ = "digital_image"
    __table_args__ = table_args("数字化档案图像")

    person_id: Mapped[int] = person_fk()
    material_id: Mapped[int | None] = col(BigId, "档案材料ID", ForeignKey("archive_material.id"), index=True)
    category_code: Mapped[str] = col(String(8), "材料类别", nullable=False, index=True)
    page_no: Mapped[int] = col(Integer, "页序号", nullable=False, default=1, server_default="1")
    storage_key: Mapped[str] = col(String(255), "存储键（统一存储中的对象路径）", nullable=False)
    content_type: Mapped[str] = col(String(64), "文件类型", nullable=False)
    size_bytes: Mapped[int] = col(Integer, "文件大小（字节）", nullable=False)
    width: Mapped[int | None] = col(Integer, "宽（像素）")
    height: Mapped[int | None] = col(Integer, "高（像素）")
    dpi: Mapped[int | None] = col(Integer, "分辨率（DPI）")
    sm3: Mapped[str] = col(String(64), "SM3 摘要（完整性校验）", nullable=False)
    processing: Mapped[str | None] = col(String(64), "已做处理：裁剪/去污/清晰度（分号分隔）")


class ImageOperationLog(IdPk, Base):
    """数字化档案 操作日志 (append-only): 用户名, 操作时间, 操作摘要."""

    __tablename__ = "image_operation_log"
    __table_args__ = table_args("数字化档案操作日志（图像查阅、图像处理）")

    agency_code: Mapped[str] = col(String(8), "存档机构代码", ForeignKey("agency.code"), nullable=False,
                                   index=True)
    username: Mapped[str] = col(String(64), "用户名", nullable=False)
    op_time: Mapped[dt.datetime] = col(Timestamp, "操作时间", nullable=False, default=now_utc, index=True)
    action: Mapped[str] = col(String(16), "操作：查阅/上传/编辑/删除/目录编辑", nullable=False)
    summary: Mapped[str] = col(String(255), "操作摘要", nullable=False)
    person_id: Mapped[int | None] = person_fk(nullable=True)
    image_id: Mapped[int | None] = col(BigId, "图像ID", ForeignKey("digital_image.id", ondelete="SET NULL"))
