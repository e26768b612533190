"""Declarative base, naming convention and the mixins every table shares.

Every table is InnoDB/utf8mb4 on MySQL and carries a Chinese COMMENT on the
table and on each column (the schema is read by clerks' DBAs, not only by us).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, MetaData, String, Text, func
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

MYSQL_TABLE_OPTIONS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}

# BIGINT ids on MySQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")
# Microsecond timestamps on MySQL so that audit order is exact.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_args(comment: str, *items) -> tuple:
    """`__table_args__` with the table comment and the MySQL storage options."""
    return (*items, {"comment": comment, **MYSQL_TABLE_OPTIONS})


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class IdPk:
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True, comment="主键")


class Stamped:
    """创建/修改 人和时间."""

    created_at: Mapped[dt.datetime] = mapped_column(
        Timestamp, default=now_utc, server_default=func.current_timestamp(), comment="创建时间"
    )
    created_by: Mapped[str | None] = mapped_column(String(64), comment="创建人（用户名或流水线名）")
    updated_at: Mapped[dt.datetime] = mapped_column(
        Timestamp, default=now_utc, onupdate=now_utc, server_default=func.current_timestamp(),
        comment="最后修改时间",
    )
    updated_by: Mapped[str | None] = mapped_column(String(64), comment="最后修改人")


class Versioned:
    """乐观锁版本号: an UPDATE with a stale version raises StaleDataError."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1",
                                         comment="乐观锁版本号")

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


class AgencyOwned:
    """Rows that belong to one archive agency (存档机构); the unit of data scope."""

    @declared_attr
    def agency_code(cls) -> Mapped[str]:
        return mapped_column(String(8), ForeignKey("agency.code"), nullable=False, index=True,
                             comment="存档机构代码")


class BusinessRecord(IdPk, AgencyOwned, Versioned, Stamped):
    """The columns every business table carries."""


def col(type_, comment: str, *args, **kw):
    """`mapped_column` with its Chinese column comment as a required argument."""
    return mapped_column(type_, *args, comment=comment, **kw)


def pii_enc(kind: str, label: str, *, long: bool = False):
    """The SM4 ciphertext column of a personal-data value (see archives_domain.pii.codec); `long` for free
    text (JSON lists, whole rows) whose token does not fit 160 characters."""
    return mapped_column(Text if long else String(160), info={"pii": kind}, comment=f"{label}（SM4密文）")


def pii_bidx(label: str):
    """The HMAC-SM3 blind-index column that allows exact lookup without decrypting."""
    return mapped_column(String(64), index=True, comment=f"{label}（HMAC-SM3盲索引）")


def person_fk(nullable: bool = False):
    return mapped_column(BigId, ForeignKey("person.id", ondelete="CASCADE"), nullable=nullable,
                         index=True, comment="人员ID")
