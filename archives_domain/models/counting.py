"""Indexes behind 业务经办统计 (the workbench's counts of business done, issue 14).

The workbench counts each kind of business by its own date (转入日期, 转出日期, 借阅/归还日期,
出具日期, 迁入/迁出受理时间, 材料收集/鉴别/归档日期, 核实处理时间, 查阅/利用时间, 缴费日期, 组织关系转接日期)
over the user's agencies for the year: one range scan of (agency_code, date) per agency and kind; 综合统计 →
档案信息统计 counts the same kinds (`archives_domain.statistics.kinds`, whose `COUNTED` must be a subset of
this list — tests/test_statistics.py) by day, month or year. 0016 made the first 13, 0017 the last four. The tables' modules belong to their
business; the counting indexes live here, on the same tables.
"""
from __future__ import annotations

from sqlalchemy import Index

from .household import CollectiveHukou, HukouCardLoan
from .materials import ArchiveMaterial
from .party import PartyDuesPayment, PartyOrgTransfer
from .quality import ReviewItem
from .service import Certificate
from .transfer import ArchiveLoan, ArchiveTransferIn, ArchiveTransferOut
from .warehouse import ArchiveConsultation, MaterialUse

# (model, date column): every pair counted by the workbench (ops_app.views.workbench_queries.BUSINESS_KINDS)
COUNTED = ((ArchiveTransferIn, "in_date"), (ArchiveTransferOut, "out_date"), (ArchiveLoan, "loan_date"),
           (ArchiveLoan, "return_date"), (Certificate, "issued_on"), (CollectiveHukou, "in_accept_date"),
           (CollectiveHukou, "out_accept_date"), (HukouCardLoan, "loan_date"), (HukouCardLoan, "return_date"),
           (ArchiveMaterial, "received_date"), (ArchiveMaterial, "identified_date"),
           (ArchiveMaterial, "archived_date"), (ReviewItem, "decided_at"),
           (ArchiveConsultation, "consult_time"), (MaterialUse, "use_time"), (PartyDuesPayment, "paid_on"),
           (PartyOrgTransfer, "transfer_date"))

for _model, _column in COUNTED:
    _t = _model.__table__
    Index(f"ix_cnt_{_t.name}_{_column}"[:64], _t.c.agency_code, _t.c[_column])
