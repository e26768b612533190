"""Data quality (数据质量): the review queue and the repair log of the pipelines."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped

from .base import BigId, Base, BusinessRecord, IdPk, Timestamp, col, now_utc, person_fk, pii_enc, table_args


class ReviewItem(BusinessRecord, Base):
    """数据质量审核队列: a value the pipeline would not decide alone, for a clerk."""

    __tablename__ = "dq_review_item"
    __table_args__ = table_args(
        "数据质量审核队列（待核实字段）",
        Index("ix_dq_review_agency_status", "agency_code", "status"),
        Index("ix_dq_review_person_field", "person_id", "field"),
        # the queue of an agency in keyset order (id), with and without a category filter (待核实 page)
        Index("ix_dq_review_agency_status_id", "agency_code", "status", "id"),
        Index("ix_dq_review_agency_status_category", "agency_code", "status", "category", "id"),
    )

    person_id: Mapped[int | None] = person_fk(nullable=True)
    archive_no: Mapped[str | None] = col(String(32), "档案编号")
    sheet: Mapped[str] = col(String(8), "工作表：基本信息/学习经历/工作经历", nullable=False,
                             default="基本信息", server_default="基本信息")
    child_id: Mapped[int | None] = col(BigId, "子表行ID（学习经历/工作经历的行）")
    field: Mapped[str] = col(String(32), "字段（采集表表头）", nullable=False)
    category: Mapped[str | None] = col(String(32), "问题类别（如 一人多档、单位不一致）", index=True)
    current_value: Mapped[str | None] = col(Text, "当前值（非敏感字段）")
    current_value_enc: Mapped[str | None] = pii_enc("text", "当前值（敏感字段）", long=True)
    candidates_enc: Mapped[str | None] = pii_enc("text", "候选值列表JSON（含评分与来源）", long=True)
    reason: Mapped[str] = col(String(255), "原因", nullable=False)
    rule: Mapped[str | None] = col(String(64), "规则")
    feed: Mapped[str | None] = col(String(16), "依据的外部数据：工商/公安/社保/教育")
    confidence: Mapped[Decimal | None] = col(Numeric(4, 3), "最佳候选置信度")
    run_id: Mapped[str | None] = col(String(64), "产生该事项的流水线运行ID", index=True)
    status: Mapped[str] = col(String(8), "状态：待处理/已采纳/已驳回/已修改", nullable=False,
                              default="待处理", server_default="待处理")
    decided_by: Mapped[str | None] = col(String(64), "处理人")
    decided_at: Mapped[dt.datetime | None] = col(Timestamp, "处理时间")
    decision_enc: Mapped[str | None] = pii_enc("text", "处理结果值", long=True)


class SettledPair(IdPk, Base):
    """一人多档已处理配对: two person records sharing a 身份证 that a clerk settled (two different persons, or
    the archive transferred), so that no later load or sweep flags the pair again."""

    __tablename__ = "dq_settled_pair"
    __table_args__ = table_args(
        "一人多档已处理配对（标记为不同人员或已转递；装载不再提示）",
        UniqueConstraint("person_low_id", "person_high_id", name="uq_dq_settled_pair_persons"),
    )

    person_low_id: Mapped[int] = col(BigId, "人员ID（较小者）", ForeignKey("person.id", ondelete="CASCADE"),
                                     nullable=False)
    person_high_id: Mapped[int] = col(BigId, "人员ID（较大者）", ForeignKey("person.id", ondelete="CASCADE"),
                                      nullable=False, index=True)
    agency_low: Mapped[str] = col(String(8), "较小者的存档机构代码", nullable=False)
    agency_high: Mapped[str] = col(String(8), "较大者的存档机构代码", nullable=False)
    id_number_bidx: Mapped[str | None] = col(String(64), "共同的公民身份号码（HMAC-SM3盲索引）")
    settlement: Mapped[str] = col(String(8), "处理方式：不同人员/已转递", nullable=False)
    settled_by: Mapped[str] = col(String(64), "处理人", nullable=False)
    settled_agency: Mapped[str | None] = col(String(8), "处理人所在存档机构代码")
    settled_at: Mapped[dt.datetime] = col(Timestamp, "处理时间", nullable=False, default=now_utc)


class RepairLog(IdPk, Base):
    """修复日志: every change a pipeline made or proposed, with its evidence."""

    __tablename__ = "dq_repair_log"
    __table_args__ = table_args("数据修复日志", Index("ix_dq_repair_run_agency", "run_id", "agency_code"))

    run_id: Mapped[str] = col(String(64), "流水线运行ID", nullable=False)
    agency_code: Mapped[str] = col(String(8), "存档机构代码", nullable=False)
    person_id: Mapped[int | None] = person_fk(nullable=True)
    archive_no: Mapped[str | None] = col(String(32), "档案编号", index=True)
    sheet: Mapped[str] = col(String(8), "工作表：基本信息/学习经历/工作经历", nullable=False,
                             default="基本信息", server_default="基本信息")
    field: Mapped[str] = col(String(32), "字段（采集表表头）", nullable=False)
    old_value: Mapped[str | None] = col(Text, "原值（非敏感字段）")
    new_value: Mapped[str | None] = col(Text, "新值（非敏感字段）")
    old_value_enc: Mapped[str | None] = pii_enc("text", "原值（敏感字段）")
    new_value_enc: Mapped[str | None] = pii_enc("text", "新值（敏感字段）")
    feed: Mapped[str | None] = col(String(16), "依据的外部数据：工商/公安/社保/教育")
    rule: Mapped[str] = col(String(64), "修复规则", nullable=False, index=True)
    confidence: Mapped[Decimal | None] = col(Numeric(4, 3), "置信度")
    applied: Mapped[bool] = col(Boolean, "是否已自动应用（否：进入审核队列）", nullable=False)
    created_at: Mapped[dt.datetime] = col(Timestamp, "记录时间", nullable=False, default=now_utc)


class QuarantineRow(IdPk, Base):
    """隔离记录: an input row that could not be loaded (contract rules 4–5, unreadable sheets), kept whole."""

    __tablename__ = "dq_quarantine"
    __table_args__ = table_args(
        "隔离记录（无法装载的采集表行，原样保存）",
        UniqueConstraint("agency_code", "source_file", "sheet", "row_no", name="uq_dq_quarantine_source"),
    )

    agency_code: Mapped[str] = col(String(8), "存档机构代码", ForeignKey("agency.code"), nullable=False, index=True)
    source_file: Mapped[str] = col(String(255), "来源文件（落地目录下的路径）", nullable=False)
    sheet: Mapped[str] = col(String(16), "工作表", nullable=False)
    row_no: Mapped[int] = col(Integer, "行号（表头为第1行）", nullable=False)
    archive_no: Mapped[str | None] = col(String(64), "档案编号（原样，可为空）")
    reason: Mapped[str] = col(String(255), "原因", nullable=False)
    row_enc: Mapped[str] = pii_enc("text", "原始行（JSON，表头→原值）", long=True)
    run_id: Mapped[str | None] = col(String(64), "流水线运行ID")
    created_at: Mapped[dt.datetime] = col(Timestamp, "记录时间", nullable=False, default=now_utc)


class LoadState(Base):
    """迁移装载状态: what the last load of an agency partition wrote (a re-run with the same content writes nothing)."""

    __tablename__ = "dq_load_state"
    __table_args__ = table_args("迁移装载状态（每个存档机构一行）")

    agency_code: Mapped[str] = col(String(8), "存档机构代码", ForeignKey("agency.code"), primary_key=True)
    content_hash: Mapped[str] = col(String(64), "装载内容指纹（HMAC-SM3）", nullable=False)
    run_id: Mapped[str | None] = col(String(64), "流水线运行ID")
    loaded_at: Mapped[dt.datetime] = col(Timestamp, "装载时间", nullable=False, default=now_utc)
    persons: Mapped[int] = col(Integer, "人员记录数", nullable=False, default=0)
    quarantined: Mapped[int] = col(Integer, "隔离行数", nullable=False, default=0)


class RunStat(IdPk, Base):
    """数据质量运行统计: one row per agency per pipeline run that loaded it (the DQ fact of the analytics schema)."""

    __tablename__ = "dq_run_stat"
    __table_args__ = table_args("数据质量运行统计（每次运行每个机构一行）",
                                UniqueConstraint("run_id", "agency_code", name="uq_dq_run_stat_run_agency"))

    run_id: Mapped[str] = col(String(64), "流水线运行ID", nullable=False)
    agency_code: Mapped[str] = col(String(8), "存档机构代码", ForeignKey("agency.code"), nullable=False, index=True)
    run_at: Mapped[dt.datetime] = col(Timestamp, "运行时间", nullable=False, default=now_utc)
    rows_in: Mapped[int] = col(Integer, "输入行数", nullable=False, default=0)
    records: Mapped[int] = col(Integer, "人员记录数", nullable=False, default=0)
    quarantined: Mapped[int] = col(Integer, "隔离行数", nullable=False, default=0)
    duplicates: Mapped[int] = col(Integer, "重复行数", nullable=False, default=0)
    repaired: Mapped[int] = col(Integer, "自动修复数", nullable=False, default=0)
    review_items: Mapped[int] = col(Integer, "待核实事项数", nullable=False, default=0)
    persons_written: Mapped[int] = col(Integer, "本次写入（新增或更新）的人员数", nullable=False, default=0)
    completeness: Mapped[Decimal | None] = col(Numeric(5, 4), "完整率（★及主要字段非空比例）")
    validity: Mapped[Decimal | None] = col(Numeric(5, 4), "有效率（无未解决问题的单元格比例）")
    detail: Mapped[str | None] = col(Text, "明细JSON：各字段完整率/有效率、各规则修复数、各类待核实数")
    seconds: Mapped[Decimal | None] = col(Numeric(10, 3), "装载耗时（秒）")
