"""可办业务的种类 as data: each kind of business, the table that records it and the date it is done on.

One list for the workbench's 业务经办统计 (`workbench=True`) and 综合统计 → 档案信息统计. A Date column is a
Beijing calendar date; a timestamp column is UTC (counted by its Beijing day). Every pair is indexed
(agency_code, date): `archives_domain.models.counting` (0016, 0017).
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..models import (ArchiveConsultation, ArchiveLoan, ArchiveMaterial, ArchiveTransferIn, ArchiveTransferOut,
                      Certificate, CollectiveHukou, HukouCardLoan, MaterialUse, PartyDuesPayment, PartyMember,
                      PartyOrgTransfer, ReviewItem)


@dataclass(frozen=True)
class Kind:
    """One kind of business: `key` (URL/API), Chinese `label`, `model`, the `column` of its date, an optional
    equality `where` (column, value) and whether the workbench shows it. `via`: (parent model, foreign key) when
    the row reaches the person through a parent row (党费 → 流动党员, 户籍卡 → 集体户口), not `person_id`."""

    key: str
    label: str
    model: type
    column: str
    where: tuple[str, str] | None = None
    workbench: bool = True
    via: tuple[type, str] | None = None

    @property
    def date_col(self):
        return getattr(self.model, self.column)

    @property
    def is_timestamp(self) -> bool:
        return isinstance(self.date_col.type, sa.DateTime)

    def filters(self) -> list:
        return [getattr(self.model, self.where[0]) == self.where[1]] if self.where else []


KINDS: tuple[Kind, ...] = (
    Kind("transfer_in", "档案转入", ArchiveTransferIn, "in_date"),
    Kind("transfer_out", "档案转出", ArchiveTransferOut, "out_date"),
    Kind("loan", "档案借阅", ArchiveLoan, "loan_date"),
    Kind("loan_return", "档案归还", ArchiveLoan, "return_date"),
    Kind("certificate", "出具证明", Certificate, "issued_on"),
    Kind("hukou_in", "集体户口迁入", CollectiveHukou, "in_accept_date"),
    Kind("hukou_out", "集体户口迁出", CollectiveHukou, "out_accept_date"),
    Kind("card_loan", "户籍卡借阅", HukouCardLoan, "loan_date", via=(CollectiveHukou, "collective_hukou_id")),
    Kind("card_return", "户籍卡归还", HukouCardLoan, "return_date",
         via=(CollectiveHukou, "collective_hukou_id")),
    Kind("material_received", "材料收集", ArchiveMaterial, "received_date"),
    Kind("material_identified", "材料鉴别", ArchiveMaterial, "identified_date"),
    Kind("material_archived", "材料归档", ArchiveMaterial, "archived_date"),
    Kind("review", "待核实处理", ReviewItem, "decided_at"),
    Kind("consult", "档案查阅", ArchiveConsultation, "consult_time"),
    # 政审考察 is a kind of 档案查阅 (附件 一.4): counted within it, shown apart in 档案信息统计
    Kind("political_review", "其中：政审考察", ArchiveConsultation, "consult_time", ("kind", "政审考察"),
         workbench=False),
    Kind("material_use", "材料利用", MaterialUse, "use_time"),
    Kind("party_dues", "党费交纳", PartyDuesPayment, "paid_on", via=(PartyMember, "party_member_id")),
    Kind("party_transfer", "党组织关系转接", PartyOrgTransfer, "transfer_date", workbench=False,
         via=(PartyMember, "party_member_id")),
)
BY_KEY = {k.key: k for k in KINDS}
WORKBENCH = tuple(k for k in KINDS if k.workbench)
# the pairs indexed (agency_code, date) for counting
COUNTED = tuple(dict.fromkeys((k.model, k.column) for k in KINDS))


def with_person(kind: Kind, query: sa.Select) -> tuple[sa.Select, object]:
    """`query` joined to the parent row when the kind needs it, and the column holding the person's id."""
    if kind.via is None:
        return query, kind.model.person_id
    parent, fk = kind.via
    return query.join(parent, parent.id == getattr(kind.model, fk)), parent.person_id
