"""综合统计 → 自定义查询: the queries a user saved (name and definition; each user sees only their own)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped

from .base import Base, IdPk, Stamped, Versioned, col, table_args


class StatsSavedQuery(IdPk, Versioned, Stamped, Base):
    """自定义查询的已保存查询: one user's named query definition (JSON of dictionary keys, never SQL)."""

    __tablename__ = "stats_saved_query"
    __table_args__ = table_args("自定义查询的已保存查询（每个用户只能看到和修改自己的）",
                                UniqueConstraint("owner", "name", name="uq_stats_saved_query_owner_name"))

    owner: Mapped[str] = col(String(64), "所有者用户名", nullable=False, index=True)
    agency_code: Mapped[str | None] = col(String(8), "所有者所属存档机构代码（保存时）", ForeignKey("agency.code"))
    name: Mapped[str] = col(String(64), "查询名称（同一用户内唯一）", nullable=False)
    definition: Mapped[str] = col(Text, "查询定义（JSON：数据项、条件、分组的字典键，不含SQL）", nullable=False)


# 报表统计 → 档案存量 at a month end counts the agency's persons received by then and not transferred out by
# then: this index answers it from the index alone (no row reads) — 0017.
def _stock_index():
    from sqlalchemy import Index

    from .person import Person
    t = Person.__table__
    return Index("ix_person_agency_received_out", t.c.agency_code, t.c.archive_received_date, t.c.transfer_out_date)


STOCK_INDEX = _stock_index()
