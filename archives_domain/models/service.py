"""出具相关证明, 通知公告, 工作台 (待办事项, 常用功能)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped

from .base import (BigId, Base, BusinessRecord, IdPk, Stamped, Timestamp, Versioned, col, person_fk, pii_enc,
                   table_args)


class Certificate(BusinessRecord, Base):
    """出具相关证明: 存档/经历/亲属关系/政审/托管 证明."""

    __tablename__ = "certificate"
    # The list's orders (keyset): newest per agency by id, by 出具日期, by 证明类型 (index order = sort order).
    __table_args__ = table_args("出具的证明",
                                Index("ix_certificate_agency_issued", "agency_code", "issued_on", "id"),
                                Index("ix_certificate_agency_type", "agency_code", "cert_type", "id"))

    person_id: Mapped[int] = person_fk()
    cert_type: Mapped[str] = col(String(16), "证明类型：存档证明/经历证明/亲属关系证明/政审证明/托管证明",
                                 nullable=False, index=True)
    cert_no: Mapped[str] = col(String(32), "证明编号", nullable=False, unique=True)
    purpose: Mapped[str | None] = col(String(255), "用途")
    recipient_unit: Mapped[str | None] = col(String(255), "出具给（接收单位）")
    content: Mapped[str | None] = col(Text, "证明正文")
    issued_on: Mapped[dt.date] = col(Date, "出具日期", nullable=False, index=True)
    handler: Mapped[str | None] = col(String(64), "经办人")
    revoked: Mapped[bool] = col(Boolean, "是否作废", nullable=False, default=False, server_default="0")
    verify_code: Mapped[str | None] = col(String(32), "电子证照核验码")
    # The signed facts: the snapshot (canonical JSON) is what was printed; its SM3 digest, and the SM2
    # signature (DER, hex) by the agency's key, let anyone check that the record was not changed since.
    content_snapshot: Mapped[str | None] = col(Text, "证明内容快照（规范化JSON，签名的原文）")
    digest: Mapped[str | None] = col(String(64), "内容摘要（SM3，十六进制）")
    signature: Mapped[str | None] = col(String(160), "SM2签名（DER编码，十六进制）")
    signing_key_id: Mapped[str | None] = col(String(32), "签名密钥标识（agency_signing_key.key_id）")
    revoked_at: Mapped[dt.datetime | None] = col(Timestamp, "作废时间")
    revoked_by: Mapped[str | None] = col(String(64), "作废人")
    revoked_reason: Mapped[str | None] = col(String(255), "作废原因")


class AgencySigningKey(IdPk, Stamped, Base):
    """存档机构的证明签名密钥 (SM2): made on the agency's first certificate; the private key only as an SM4
    token of the PII codec (the key file's keys), never in clear in the database or on disk."""

    __tablename__ = "agency_signing_key"
    __table_args__ = table_args("存档机构证明签名密钥（SM2）")

    agency_code: Mapped[str] = col(String(8), "存档机构代码", ForeignKey("agency.code"), nullable=False, index=True)
    key_id: Mapped[str] = col(String(32), "密钥标识（公钥SM3摘要前16位）", nullable=False, unique=True)
    public_key: Mapped[str] = col(String(130), "SM2公钥（未压缩点 x‖y，十六进制）", nullable=False)
    private_key_enc: Mapped[str] = pii_enc("text", "SM2私钥")
    active: Mapped[bool] = col(Boolean, "是否当前签名密钥", nullable=False, default=True, server_default="1")


class NoticeTemplate(IdPk, Versioned, Stamped, Base):
    """通知公告 文字模板: 正文, 公告类型, 发布者."""

    __tablename__ = "notice_template"
    __table_args__ = table_args("通知公告文字模板",
                                UniqueConstraint("agency_code", "name", name="uq_notice_template_agency_name"))

    # Templates belong to their agency like the notices written from them (issue 13, defect 2).
    agency_code: Mapped[str | None] = col(String(8), "所属存档机构代码", ForeignKey("agency.code"), index=True)
    name: Mapped[str] = col(String(64), "模板名称", nullable=False)
    notice_type: Mapped[str] = col(String(4), "公告类型：通知/提示/关注/政策", nullable=False)
    body: Mapped[str] = col(Text, "正文模板（已净化的HTML）", nullable=False)


class Notice(IdPk, Versioned, Stamped, Base):
    """通知公告, published to the 工作台 of chosen groups or users."""

    __tablename__ = "notice"
    __table_args__ = table_args("通知公告",
                                Index("ix_notice_type_publisher", "notice_type", "publisher_id"))

    agency_code: Mapped[str | None] = col(String(8), "发布机构代码", ForeignKey("agency.code"), index=True)
    notice_type: Mapped[str] = col(String(4), "公告类型：通知/提示/关注/政策", nullable=False)
    title: Mapped[str] = col(String(128), "标题", nullable=False)
    body: Mapped[str] = col(Text, "正文（已净化的HTML）", nullable=False)
    publisher_id: Mapped[int | None] = col(Integer, "发布者（用户ID）", ForeignKey("ab_user.id"))
    published_at: Mapped[dt.datetime | None] = col(Timestamp, "发布时间", index=True)
    status: Mapped[str] = col(String(4), "状态：草稿/已发布/已撤回", nullable=False, default="草稿",
                              server_default="草稿")


class NoticeRecipient(IdPk, Base):
    """A notice's addressee: a user group or a single user."""

    __tablename__ = "notice_recipient"
    __table_args__ = table_args("通知公告接收对象",
                                UniqueConstraint("notice_id", "group_id", "user_id", name="uq_notice_recipient"))

    notice_id: Mapped[int] = col(BigId, "通知公告ID", ForeignKey("notice.id", ondelete="CASCADE"),
                                 nullable=False, index=True)
    group_id: Mapped[int | None] = col(Integer, "接收用户组ID", ForeignKey("ab_group.id", ondelete="CASCADE"),
                                       index=True)
    user_id: Mapped[int | None] = col(Integer, "接收用户ID", ForeignKey("ab_user.id", ondelete="CASCADE"),
                                      index=True)


class NoticeRead(IdPk, Base):
    """Who has read a notice, and when."""

    __tablename__ = "notice_read"
    __table_args__ = table_args("通知公告阅读记录", UniqueConstraint("notice_id", "user_id"))

    notice_id: Mapped[int] = col(BigId, "通知公告ID", ForeignKey("notice.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = col(Integer, "用户ID", ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False,
                               index=True)
    read_at: Mapped[dt.datetime] = col(Timestamp, "阅读时间", nullable=False)


class Todo(BusinessRecord, Base):
    """待办事项: the agency's business of the day, assigned to a group or a user."""

    __tablename__ = "todo"
    __table_args__ = table_args(
        "待办事项",
        UniqueConstraint("agency_code", "business_type", "source_table", "source_id", "due_on",
                         name="uq_todo_source_day"),
        Index("ix_todo_agency_status", "agency_code", "status"),
    )

    business_type: Mapped[str] = col(String(16), "业务类型", nullable=False)
    source_table: Mapped[str | None] = col(String(64), "来源业务表")
    source_id: Mapped[int | None] = col(BigId, "来源业务记录ID")
    title: Mapped[str] = col(String(255), "事项", nullable=False)
    detail: Mapped[str | None] = col(Text, "说明")
    due_on: Mapped[dt.date] = col(Date, "办理日期", nullable=False, index=True)
    assignee_group_id: Mapped[int | None] = col(Integer, "分配给用户组", ForeignKey("ab_group.id"), index=True)
    assignee_user_id: Mapped[int | None] = col(Integer, "分配给用户", ForeignKey("ab_user.id"), index=True)
    assigned_by: Mapped[str | None] = col(String(64), "分配人")
    status: Mapped[str] = col(String(8), "状态：待分配/待办理/已办结", nullable=False, default="待分配",
                              server_default="待分配")
    done_by: Mapped[str | None] = col(String(64), "办结人")
    done_at: Mapped[dt.datetime | None] = col(Timestamp, "办结时间")


class UserShortcut(IdPk, Base):
    """工作台 常用功能: a user's own shortcuts."""

    __tablename__ = "user_shortcut"
    __table_args__ = table_args("工作台常用功能（用户快捷方式）", UniqueConstraint("user_id", "menu_key"))

    user_id: Mapped[int] = col(Integer, "用户ID", ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    menu_key: Mapped[str] = col(String(128), "菜单项标识", nullable=False)
    sort_order: Mapped[int] = col(Integer, "排序号", nullable=False, default=0, server_default="0")


class DocSequence(Base):
    """文书编号: the last number issued per agency, kind of document and year (转递通知单, 借阅告知单, 证明)."""

    __tablename__ = "doc_sequence"
    __table_args__ = table_args("文书编号计数器（每机构、每类文书、每年一行）")

    agency_code: Mapped[str] = col(String(8), "存档机构代码", ForeignKey("agency.code"), primary_key=True)
    kind: Mapped[str] = col(String(16), "文书类别：转递通知单/借阅告知单/存档证明…", primary_key=True)
    year: Mapped[int] = col(Integer, "年度", primary_key=True, autoincrement=False)
    last_no: Mapped[int] = col(Integer, "已用的最大序号", nullable=False, default=0, server_default="0")
