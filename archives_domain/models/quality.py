"""Data quality (数据质量): the review queue and the repair log of the pipelines."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped

from .base import Base, BusinessRecord, IdPk, Timestamp, col, now_utc, person_fk, pii_enc, table_args


class ReviewItem(BusinessRecord, Base):
    """数据质量审核队列: a value the pipeline would not decide alone, for a clerk."""

    __tablename__ = "dq_review_item"
    __table_args__ = table_args(
        "数据质量审核队列（待核实字段）",
        Index("ix_dq_review_agency_status", "agency_code", "status"),
        Index("ix_dq_review_person_field", "person_id", "field"),
    )

    person_id: Mapped[int | None] = person_fk(nullable=True)
    archive_no: Mapped[str | None] = col(String(32), "档案编号")
    field: Mapped[str] = col(String(32), "字段（采集表表头）", nullable=False)
    category: Mapped[str | None] = col(String(32), "问题类别（如 一人多档、单位不一致）", index=True)
    current_value: Mapped[str | None] = col(Text, "当前值（非敏感字段）")
    current_value_enc: Mapped[str | None] = pii_enc("text", "当前值（敏感字段）")
    candidates_enc: Mapped[str | None] = pii_enc("text", "候选值列表JSON（含评分与来源）")
    reason: Mapped[str] = col(String(255), "原因", nullable=False)
    rule: Mapped[str | None] = col(String(64), "规则")
    feed: Mapped[str | None] = col(String(16), "依据的外部数据：工商/公安/社保/教育")
    confidence: Mapped[Decimal | None] = col(Numeric(4, 3), "最佳候选置信度")
    run_id: Mapped[str | None] = col(String(64), "产生该事项的流水线运行ID", index=True)
    status: Mapped[str] = col(String(8), "状态：待处理/已采纳/已驳回/已修改", nullable=False,
                              default="待处理", server_default="待处理")
    decided_by: Mapped[str | None] = col(String(64), "处理人")
    decided_at: Mapped[dt.datetime | None] = col(Timestamp, "处理时间")
    decision_enc: Mapped[str | None] = pii_enc("text", "处理结果值")


class RepairLog(IdPk, Base):
    """修复日志: every change a pipeline made or proposed, with its evidence."""

    __tablename__ = "dq_repair_log"
    __table_args__ = table_args("数据修复日志", Index("ix_dq_repair_run_agency", "run_id", "agency_code"))

    run_id: Mapped[str] = col(String(64), "流水线运行ID", nullable=False)
    agency_code: Mapped[str] = col(String(8), "存档机构代码", nullable=False)
    person_id: Mapped[int | None] = person_fk(nullable=True)
    archive_no: Mapped[str | None] = col(String(32), "档案编号", index=True)
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
