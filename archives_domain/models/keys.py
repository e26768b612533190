"""Registry of PII keys (密钥登记): which key ids the data uses, and their check values.

Holds no key material: only a fingerprint (HMAC-SM3 of a constant under the
key), so a wrong or missing key file is caught at start, not by garbage reads.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped

from .base import Base, Timestamp, col, now_utc, table_args


class PiiKey(Base):
    __tablename__ = "pii_key"
    __table_args__ = table_args("个人信息加密密钥登记（仅存校验值，不存密钥）")

    kid: Mapped[str] = col(String(32), "密钥ID（index 为盲索引密钥）", primary_key=True)
    fingerprint: Mapped[str] = col(String(32), "密钥校验值", nullable=False)
    created_at: Mapped[dt.datetime] = col(Timestamp, "登记时间", nullable=False, default=now_utc)
    retired_at: Mapped[dt.datetime | None] = col(Timestamp, "停用时间（轮换完成后）")
