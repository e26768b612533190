"""附件 (图片上传): images uploaded to any record the requirement gives 图片上传.

Owners: 数据图表 of a unit account, 组织关系转接, 档案查阅, 材料利用, 转出回执,
档案转出, 档案转入, 集体户口代理. The file itself lives in the store
(统一存储), addressed by `storage_key`; its SM3 digest proves it unchanged.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped

from .base import Base, BusinessRecord, col, table_args

ATTACHMENT_OWNERS = {
    "unit_account": "单位立户信息·数据图表",
    "party_org_transfer": "组织关系转接",
    "archive_consultation": "档案查阅",
    "material_use": "材料利用",
    "archive_transfer_out": "档案转出（含转出回执）",
    "archive_transfer_in": "档案转入",
    "collective_hukou": "集体户口代理",
}


class Attachment(BusinessRecord, Base):
    __tablename__ = "attachment"
    __table_args__ = table_args("附件（上传的图片）", Index("ix_attachment_owner", "owner_type", "owner_id"))

    owner_type: Mapped[str] = col(String(32), "所属业务表：" + "/".join(ATTACHMENT_OWNERS), nullable=False)
    owner_id: Mapped[int] = col(BigInteger, "所属业务记录ID", nullable=False)
    purpose: Mapped[str | None] = col(String(32), "用途，如 转出回执、数据图表")
    filename: Mapped[str] = col(String(255), "原文件名", nullable=False)
    content_type: Mapped[str] = col(String(64), "文件类型", nullable=False)
    size_bytes: Mapped[int] = col(Integer, "文件大小（字节）", nullable=False)
    sm3: Mapped[str] = col(String(64), "SM3 摘要", nullable=False)
    storage_key: Mapped[str] = col(String(255), "存储键", nullable=False)
