"""Reference data (基础代码): code tables, administrative divisions, synonyms.

Loaded from the data files of `seeds/` by `archives db seed`; rows are keyed
by natural keys so that loading twice changes nothing.
"""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IdPk, table_args


class CodeItem(IdPk, Base):
    """代码项: one entry of a national-standard or business code table."""

    __tablename__ = "code_item"
    __table_args__ = table_args(
        "代码表（民族、政治面貌、学历、学位、材料类别、业务类型、公告类型等）",
        UniqueConstraint("code_type", "code"),
    )

    code_type: Mapped[str] = mapped_column(String(32), nullable=False, index=True,
                                           comment="代码类别，如 ethnic、political_status")
    code: Mapped[str] = mapped_column(String(16), nullable=False, comment="代码值（标准代码）")
    name: Mapped[str] = mapped_column(String(64), nullable=False, comment="名称（规范值）")
    parent_code: Mapped[str | None] = mapped_column(String(16), comment="上级代码（分类层级）")
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0, comment="排序号")
    standard: Mapped[str | None] = mapped_column(String(32), comment="依据标准，如 GB 3304-1991")
    note: Mapped[str | None] = mapped_column(String(255), comment="说明")


class Division(Base):
    """行政区划 (GB/T 2260), with historical codes and their validity years."""

    __tablename__ = "division"
    __table_args__ = table_args("行政区划代码（GB/T 2260，含历史代码）")

    code: Mapped[str] = mapped_column(String(6), primary_key=True, comment="六位行政区划代码")
    name: Mapped[str] = mapped_column(String(64), nullable=False, index=True, comment="区划名称")
    province: Mapped[str | None] = mapped_column(String(32), comment="所属省级名称")
    prefecture: Mapped[str | None] = mapped_column(String(64), comment="所属地级名称")
    level: Mapped[str] = mapped_column(String(8), nullable=False, comment="层级：省级/地级/县级")
    parent_code: Mapped[str | None] = mapped_column(String(6), index=True, comment="上级区划代码")
    valid_from: Mapped[int | None] = mapped_column(Integer, comment="启用年份（可空：未知）")
    valid_to: Mapped[int | None] = mapped_column(Integer, comment="停用年份（空：现行有效）")


class Synonym(IdPk, Base):
    """同义词映射: a variant spelling mapped to the canonical value of a field."""

    __tablename__ = "synonym"
    __table_args__ = table_args("清洗同义词映射（如 汉→汉族、本科→大学本科）",
                                UniqueConstraint("field", "alias"))

    field: Mapped[str] = mapped_column(String(32), nullable=False, comment="采集表字段名（表头）")
    alias: Mapped[str] = mapped_column(String(64), nullable=False, comment="原始写法")
    canonical: Mapped[str] = mapped_column(String(64), nullable=False, comment="规范值")


class Agency(Base):
    """存档机构: the 103 archive agencies in three levels (省级/市级/县级)."""

    __tablename__ = "agency"
    __table_args__ = table_args("存档机构（省、市州、县区三级）")

    code: Mapped[str] = mapped_column(String(8), primary_key=True, comment="机构代码（8位）")
    name: Mapped[str] = mapped_column(String(128), nullable=False, unique=True, comment="机构名称")
    level: Mapped[str] = mapped_column(String(8), nullable=False, comment="级别：省级/市级/县级")
    region_code: Mapped[str] = mapped_column(String(6), nullable=False, index=True,
                                             comment="所在行政区划代码")
    parent_code: Mapped[str | None] = mapped_column(String(8), ForeignKey("agency.code"), index=True,
                                                    comment="上级机构代码（县级指向市级）")
    address: Mapped[str | None] = mapped_column(String(255), comment="地址")
    phone: Mapped[str | None] = mapped_column(String(32), comment="联系电话")
    contact: Mapped[str | None] = mapped_column(String(64), comment="联系人")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default="1",
                                         comment="是否启用")
