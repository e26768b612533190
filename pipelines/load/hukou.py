"""The load's 集体户口代理 rows (`collective_hukou`) from the collection forms and the 公安 register.

``fill_collective_hukou(conn, agency, addresses, now) -> HukouFill`` runs in the agency's load
transaction, after the persons are written (`pipelines.load.writer`), set-based — a handful of statements
per agency, whatever its size:

1. **insert**: one ``INSERT … SELECT`` of a 在户 row for every person of the agency loaded from the forms
   (数据来源 采集表) whose 集体户口 is 是 and who has no row at all yet (in any status: a household a clerk
   moved out is history, not a reason for a new one): 户籍编号 and 落户时间 from the person;
2. **refresh**: one ``UPDATE … JOIN`` of the rows the pipeline owns (``source`` 采集表: made by a load and
   not touched by a clerk since) whose 户籍编号 / 落户时间 differ from the person's;
3. **withdraw**: one ``DELETE`` of the pipeline's own rows whose person no longer says 集体户口 是 (a form
   corrected since), unless an image is attached to the row;
4. **户籍原所在地**: the 公安 register's 户籍地址 (the final frame ``hukou``) onto the pipeline's rows whose
   value differs — only those rows, through the bulk path (`bulk.update_rows`).

A row a clerk has written (迁入, 修改, 迁出, a card loan, a dependent: `archives_domain.business.hukou`
sets its ``source`` to 业务) is never touched again; the commands also mark the person's
集体户口 / 户籍编号 / 落户时间 as the clerk's (``person.clerk_fields``), so the person keeps them too.
Idempotent: a second run finds nothing to insert, refresh or withdraw. Refreshes bump ``version`` (a
clerk's open form then sees the change).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from archives_domain.collection_form import SOURCE_FORM
from archives_domain.models import Attachment, CollectiveHukou, Person

from . import bulk

ACTOR = "流水线"
IN = "在户"
H, P, A = CollectiveHukou.__table__, Person.__table__, Attachment.__table__
KEY = "档案编号"


@dataclass
class HukouFill:
    inserted: int = 0
    refreshed: int = 0
    withdrawn: int = 0
    addresses: int = 0


def _pipeline_owned():
    return H.c.source == SOURCE_FORM


def fill_collective_hukou(conn: sa.Connection, agency: str, addresses: pd.DataFrame | None,
                          now: dt.datetime) -> HukouFill:
    """The agency's 集体户口代理 rows in step with its persons and the register (module docstring)."""
    res = HukouFill()
    collective = sa.and_(P.c.agency_code == agency, P.c.collective_hukou.is_(True), P.c.data_source == SOURCE_FORM)
    has_row = sa.exists().where(H.c.person_id == P.c.id)
    cols = ["agency_code", "person_id", "hukou_reg_no", "settle_date", "status", "source", "version", "created_at",
            "created_by", "updated_at", "updated_by"]
    pick = sa.select(P.c.agency_code, P.c.id, P.c.hukou_reg_no, P.c.settle_date, sa.literal(IN),
                     sa.literal(SOURCE_FORM), sa.literal(1),
                     sa.literal(now), sa.literal(ACTOR), sa.literal(now), sa.literal(ACTOR)
                     ).where(collective, ~has_row)
    res.inserted = conn.execute(H.insert().from_select(cols, pick)).rowcount or 0

    mine = sa.and_(H.c.agency_code == agency, _pipeline_owned())
    differs = sa.or_(H.c.hukou_reg_no.is_distinct_from(P.c.hukou_reg_no),
                     H.c.settle_date.is_distinct_from(P.c.settle_date))
    res.refreshed = conn.execute(
        H.update().where(H.c.person_id == P.c.id, mine, differs, P.c.collective_hukou.is_(True))
        .values(hukou_reg_no=P.c.hukou_reg_no, settle_date=P.c.settle_date, version=H.c.version + 1,
                updated_at=now)).rowcount or 0

    still = sa.exists().where(P.c.id == H.c.person_id, P.c.collective_hukou.is_(True))
    imaged = sa.exists().where(A.c.owner_type == "collective_hukou", A.c.owner_id == H.c.id)
    res.withdrawn = conn.execute(H.delete().where(mine, ~still, ~imaged)).rowcount or 0

    res.addresses = _addresses(conn, agency, addresses)
    return res


def _addresses(conn: sa.Connection, agency: str, addresses: pd.DataFrame | None) -> int:
    """户籍原所在地 from the register onto the pipeline's rows whose value differs (none on a re-run)."""
    if addresses is None or not len(addresses):
        return 0
    want = dict(zip(addresses[KEY].astype(str), addresses["户籍原所在地"].astype(str).str.slice(0, 255)))
    rows = conn.execute(sa.select(H.c.id, P.c.archive_no, H.c.original_address)
                        .join(P, P.c.id == H.c.person_id)
                        .where(H.c.agency_code == agency, _pipeline_owned())).all()
    ids, values = [], []
    for hid, no, current in rows:
        new = want.get(no)
        if new and new != current:
            ids.append(hid)
            values.append(new)
    return bulk.update_rows(conn, H, {"id": ids, "original_address": values}) if ids else 0
