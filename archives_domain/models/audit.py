"""系统日志 / 审计日志: append-only, each entry chained by HMAC-SM3 to the one before.

No foreign keys on purpose: an audit entry must outlive what it speaks of.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped

from .base import Base, IdPk, Timestamp, col, now_utc, table_args


class AuditLog(IdPk, Base):
    __tablename__ = "audit_log"
    __table_args__ = table_args(
        "系统日志（审计日志，只追加，HMAC-SM3链式防篡改）",
        Index("ix_audit_log_user_time", "username", "ts"),
        Index("ix_audit_log_agency_time", "agency_code", "ts"),
    )

    ts: Mapped[dt.datetime] = col(Timestamp, "操作时间", nullable=False, default=now_utc, index=True)
    username: Mapped[str | None] = col(String(128), "用户名")
    agency_code: Mapped[str | None] = col(String(8), "用户所属机构代码")
    module1: Mapped[str | None] = col(String(32), "一级模块")
    module2: Mapped[str | None] = col(String(32), "二级模块")
    module3: Mapped[str | None] = col(String(32), "三级模块")
    action: Mapped[str] = col(String(32), "操作类型：登录/登出/登录失败/锁定/新增/修改/删除/查看明文/导出/打印/上传/授权/配置",
                              nullable=False, index=True)
    summary: Mapped[str] = col(String(512), "操作摘要", nullable=False)
    object_type: Mapped[str | None] = col(String(64), "操作对象类型")
    object_id: Mapped[str | None] = col(String(64), "操作对象ID")
    before_data: Mapped[str | None] = col(Text, "修改前（JSON，敏感字段已脱敏）")
    after_data: Mapped[str | None] = col(Text, "修改后（JSON，敏感字段已脱敏）")
    client_ip: Mapped[str | None] = col(String(45), "客户端IP")
    result: Mapped[str] = col(String(8), "结果：成功/失败", nullable=False)
    prev_mac: Mapped[str] = col(String(64), "上一条日志的校验值", nullable=False)
    mac: Mapped[str] = col(String(64), "本条校验值 HMAC-SM3(上一条校验值‖本条内容)", nullable=False)


class AuditChainHead(Base):
    """The head of the audit chain: one row, locked by every append.

    Appends take this row's lock (UPDATE first, then read) so that two writers
    can never chain onto the same predecessor; and since it records the last
    id and mac, `archives audit verify` also notices rows cut off the tail.
    Unlike audit_log, the application account keeps UPDATE on this table.
    """

    __tablename__ = "audit_chain_head"
    __table_args__ = table_args("审计日志链头（串行化追加的锁行，记录最后一条的ID与校验值）")

    id: Mapped[int] = col(Integer, "主键（固定为1）", primary_key=True, autoincrement=False)
    last_id: Mapped[int | None] = col(BigInteger().with_variant(Integer, "sqlite"), "最后一条日志ID")
    last_mac: Mapped[str] = col(String(64), "最后一条日志校验值", nullable=False)
    entries: Mapped[int] = col(BigInteger().with_variant(Integer, "sqlite"), "已追加条数", nullable=False,
                               default=0, server_default="0")
