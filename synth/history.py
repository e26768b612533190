"""业务历史 (`archives synth history`): a deterministic ten-year business history for the persons already loaded.

Per agency, in one transaction: the rows an earlier run made (`created_by` = synth-history) are deleted, the
agency's persons are read, their events drawn from a generator seeded by (seed, agency) — so the same seed on
the same persons gives the same rows — and written in bulk. Rows clerks made are never touched (a synthetic
党员 or 集体户 row a clerk has added to is kept, and that person gets no new one).

Persons' fields are kept as loaded, except where the history must agree with them and they are empty: an
已转出 person's 转出日期 / 转往单位 / 转出原因 and a member's 组织关系转入/转出时间 (filled only when NULL,
so a rerun reads back the same values). Persons without a 档案接收时间 (or one after yesterday) get no history.
Not audited: this is demo data, millions of rows, and the audit chain records what people did.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from . import history_events as E, history_members as M, history_rules as R, history_transfers as T
from .history_time import Timeline
from .history_write import engine_for, insert, typed

PERSON_COLS = ("id", "archive_no", "archive_received_date", "archive_status", "transfer_out_date", "transfer_out_to",
               "transfer_out_reason", "political_status", "party_join_date", "party_full_date", "party_org",
               "party_member_type", "org_rel_in_date", "org_rel_out_date")
# children first: a rerun deletes in this order
TABLES = ("party_dues_payment", "party_org_transfer", "hukou_card_loan", "party_member", "collective_hukou",
          "archive_transfer_in", "archive_transfer_out", "archive_loan", "archive_consultation", "material_use",
          "certificate", "archive_material")
CHILDREN = {"party_member": (("party_dues_payment", "party_member_id"), ("party_org_transfer", "party_member_id")),
            "collective_hukou": (("hukou_card_loan", "collective_hukou_id"),
                                 ("hukou_dependent", "collective_hukou_id"))}
RETRY = (1213, 1205, 1467)  # deadlock, lock wait timeout, and MariaDB's way of reporting a lock wait on AUTO-INC
NUMBERED = {"archive_transfer_out": "notice_no", "archive_loan": "notice_no", "certificate": "cert_no"}
PARTY = ("中共党员", "中共预备党员")


@dataclass
class Result:
    agencies: int = 0
    persons: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def run(url: str, *, seed: int = 20211231, years: int = 10, today: dt.date | None = None, workers: int = 2,
        progress=None) -> Result:
    """Write the history for every agency with persons; `today` defaults to today in Beijing time. On MySQL
    `workers` agencies at a time (one connection and transaction each; the result does not depend on it)."""
    today = today or dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    tl = Timeline(*R.window(today, years))
    engine, res, t0 = engine_for(url), Result(), time.perf_counter()

    def one(code: str) -> tuple[int, dict[str, int]]:
        for attempt in range(5):  # a deadlock between two agencies' writers rolls one back whole: run it again
            try:
                with engine.connect() as conn:
                    if conn.dialect.name == "mysql":  # no gap locks across agencies' rows
                        conn = conn.execution_options(isolation_level="READ COMMITTED")
                    with conn.begin():
                        return agency_history(conn, tl, seed, code)
            except sa.exc.OperationalError as exc:
                if attempt == 4 or getattr(exc.orig, "args", (0,))[0] not in RETRY:
                    raise
        raise AssertionError("unreachable")

    try:
        with engine.connect() as conn:
            agencies = conn.execute(sa.text("select distinct agency_code from person order by 1")).scalars().all()
        if engine.dialect.name != "mysql":
            workers = 1  # SQLite: one writer at a time anyway
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for code, (n, rows) in zip(agencies, pool.map(one, agencies)):
                res.agencies += 1
                res.persons += n
                for k, v in rows.items():
                    res.rows[k] = res.rows.get(k, 0) + v
                if progress:
                    progress(code, n, sum(rows.values()))
    finally:
        engine.dispose()
    res.seconds = time.perf_counter() - t0
    return res


def agency_history(conn: sa.Connection, tl: Timeline, seed: int, agency: str) -> tuple[int, dict[str, int]]:
    delete_previous(conn, agency)
    persons = conn.execute(sa.text(f"select {', '.join(PERSON_COLS)} from person where agency_code = :a "
                                   "order by id"), {"a": agency}).all()
    if not persons:
        return 0, {}
    rng = np.random.default_rng([seed, zlib.crc32(agency.encode())])
    cols = {c: [r[i] for r in persons] for i, c in enumerate(PERSON_COLS)}
    p = E.People(ids=np.asarray(cols["id"], dtype="int64"), received=tl.offset(cols["archive_received_date"]),
                 status=np.asarray([s or "" for s in cols["archive_status"]]),
                 out_loaded=tl.offset(cols["transfer_out_date"]))
    E.custody(rng, tl, p)
    plan = draw_events(conn, rng, tl, p, cols, agency)
    return len(persons), write(conn, tl, agency, plan, p, cols)


def draw_events(conn, rng, tl: Timeline, p: E.People, cols: dict, agency: str) -> dict[str, dict]:
    re_idx, re_first, re_out = T.reentries(rng, tl, p)
    plan = {"archive_transfer_in": T.transfers_in(rng, tl, p, re_idx, re_first),
            "archive_transfer_out": T.transfers_out(rng, tl, p, re_idx, re_first, re_out,
                                                    cols["transfer_out_to"], cols["transfer_out_reason"]),
            "archive_loan": E.loans(rng, tl, p), "archive_consultation": E.consultations(rng, tl, p),
            "material_use": E.material_uses(rng, tl, p), "certificate": E.certificates(rng, tl, p),
            "archive_material": T.materials(rng, tl, p)}
    held = dict(conn.execute(sa.text("select person_id, max(settle_date) from collective_hukou where agency_code = :a"
                                     " and status = '在户' group by person_id"), {"a": agency}).all())
    any_household = set(conn.execute(sa.text("select distinct person_id from collective_hukou where agency_code = :a"),
                                     {"a": agency}).scalars())
    pos = {int(x): i for i, x in enumerate(p.ids)}
    hi = np.asarray([pos[x] for x in held if x in pos], dtype="int64")
    hi = hi[p.valid[hi]] if len(hi) else hi
    settle = tl.offset([held[int(p.ids[i])] for i in hi]) if len(hi) else np.zeros(0, dtype="int64")
    plan["collective_hukou"] = M.past_households(rng, tl, p, np.isin(p.ids, list(any_household)))
    past = plan["collective_hukou"]
    a = np.concatenate([np.maximum(p.start[hi], settle), np.asarray(past["settle_date"], dtype="int64")])
    b = np.concatenate([p.end[hi], np.asarray(past["out_date"], dtype="int64") - 1])
    plan["hukou_card_loan"] = M.card_loans(rng, tl, np.concatenate([p.ids[hi], past["person_id"]]), a, b)
    members = set(conn.execute(sa.text("select person_id from party_member where agency_code = :a"),
                               {"a": agency}).scalars())
    party = np.isin(np.asarray([s or "" for s in cols["political_status"]]), PARTY) & ~np.isin(p.ids, list(members))
    m = M.members(rng, tl, p, party, tl.offset(cols["party_join_date"]), tl.offset(cols["org_rel_in_date"]))
    plan["party_org_transfer"] = M.org_transfers(rng, m)
    plan["party_dues_payment"] = M.dues(rng, tl, m)
    plan["party_member"] = member_rows(tl, m, plan["party_dues_payment"], cols)
    return plan


def member_rows(tl: Timeline, m: dict, dues: dict, cols: dict) -> dict:
    """party_member columns: the person's party facts, and 党费交纳截止时间 = the last paid period's end."""
    idx = m.pop("_idx")
    last: dict[int, int] = {}
    for person, until in zip(dues["_person"].tolist(), np.asarray(dues["paid_until"]).tolist()):
        last[person] = max(until, last.get(person, E.NEVER))
    kinds = [cols["party_member_type"][i] or ("预备党员" if cols["political_status"][i] == "中共预备党员" else "正式党员")
             for i in idx]
    return {**m, "member_type": kinds, "party_org": [cols["party_org"][i] for i in idx],
            "dues_paid_until": np.asarray([last.get(int(x), E.NEVER) for x in m["person_id"]], dtype="int64"),
            "join_date": tl.offset([cols["party_join_date"][i] for i in idx]),
            "full_date": tl.offset([cols["party_full_date"][i] for i in idx])}


def delete_previous(conn: sa.Connection, agency: str) -> None:
    """The agency's rows of an earlier run; a synthetic 党员/集体户 row a clerk has added to stays."""
    for table in TABLES:
        # NOT EXISTS on the child's foreign-key index: MariaDB runs `id NOT IN (select … where agency_code = :a)`
        # in a DELETE as a scan of the agency's child rows per row — 14 minutes for one big agency at 943k
        keep = "".join(f" and not exists (select 1 from {child} c where c.{fk} = {table}.id)"
                       for child, fk in CHILDREN.get(table, ()))
        conn.execute(sa.text(f"delete from {table} where agency_code = :a and created_by = :by{keep}"),
                     {"a": agency, "by": R.CREATED_BY})


def write(conn: sa.Connection, tl: Timeline, agency: str, plan: dict, p: E.People, cols: dict) -> dict[str, int]:
    numbers(conn, tl, agency, plan)
    plan["certificate"]["content_snapshot"] = snapshots(conn, agency, plan["certificate"], p, cols, tl)
    counts = {}
    for table in ("archive_transfer_in", "archive_transfer_out", "archive_loan", "archive_consultation",
                  "material_use", "certificate", "archive_material", "collective_hukou", "party_member"):
        counts[table] = insert(conn, table, typed(table, plan[table], tl.start, agency))
    households = ids_by_person(conn, "collective_hukou", agency, synth_only=False, status="在户")
    households.update(ids_by_person(conn, "collective_hukou", agency, synth_only=True))
    member_ids = ids_by_person(conn, "party_member", agency, synth_only=True)
    for table, fk, ids in (("hukou_card_loan", "collective_hukou_id", households),
                           ("party_org_transfer", "party_member_id", member_ids),
                           ("party_dues_payment", "party_member_id", member_ids)):
        rows = plan[table]
        rows[fk] = np.asarray([ids[int(x)] for x in rows["_person"]], dtype="int64")
        counts[table] = insert(conn, table, typed(table, rows, tl.start, agency))
    update_persons(conn, tl, plan, p, cols)
    return counts


def snapshots(conn, agency: str, certs: dict, p: E.People, cols: dict, tl: Timeline) -> list[str]:
    """A small snapshot in the shape `certificates.issue` writes (the show page and the PDF read it), saying in
    its text that the certificate is synthetic; no digest, no signature, no 核验码: it never verifies."""
    name = conn.execute(sa.text("select name from agency where code = :a"), {"a": agency}).scalar() or ""
    where = np.searchsorted(p.ids, certs["person_id"])
    days = tl.dates(certs["_day"])
    return [json.dumps({"v": 1, "cert_no": no, "kind": kind, "agency_code": agency, "agency_name": name,
                        "issued_on": d.isoformat(), "recipient_unit": unit, "purpose": purpose, "handler": handler,
                        "person": {"name": "", "sex": "", "id_number": "", "archive_no": cols["archive_no"][i]},
                        "paragraphs": [R.CERT_NOTE], "columns": [], "rows": [], "tail": [], "validity": ""},
                       ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            for no, kind, unit, purpose, handler, d, i in zip(
                certs["cert_no"], certs["cert_type"], certs["recipient_unit"], certs["purpose"], certs["handler"],
                days, where.tolist())]


def ids_by_person(conn, table: str, agency: str, *, synth_only: bool, status: str | None = None) -> dict[int, int]:
    where = " and created_by = :by" if synth_only else ""
    where += " and status = :st" if status else ""
    rows = conn.execute(sa.text(f"select person_id, max(id) from {table} where agency_code = :a{where} "
                                "group by person_id"), {"a": agency, "by": R.CREATED_BY, "st": status})
    return {int(pid): int(i) for pid, i in rows}


def numbers(conn: sa.Connection, tl: Timeline, agency: str, plan: dict) -> None:
    """文书编号 in `numbering.document_no`'s format, per kind and year in date order, after the numbers clerks
    already hold; `doc_sequence` raised to the last number so the next clerk's number follows."""
    from archives_domain.business.numbering import PREFIXES

    used: dict[tuple[str, int], int] = {}
    for table, column in NUMBERED.items():
        used.update(clerks_last(conn, table, column, agency))
        rows = plan[table]
        kinds = rows["_kind"] if "_kind" in rows else rows["cert_type"]
        day = np.asarray(rows["_day"], dtype="int64")
        years = ((np.datetime64(tl.start, "D") + day).astype("datetime64[Y]").astype(int) + 1970).tolist()
        order = np.lexsort((np.asarray(rows["person_id"]), day))
        out = [None] * len(day)
        for i in order.tolist():
            prefix, year = PREFIXES[kinds[i]], years[i]
            n = used[(prefix, year)] = used.get((prefix, year), 0) + 1
            out[i] = f"{prefix}-{agency}-{year}-{n:06d}"
        rows[column] = out
    kind_of = {prefix: kind for kind, prefix in PREFIXES.items()}
    raise_sequences(conn, agency, {(kind_of[prefix], year): n for (prefix, year), n in used.items()
                                   if prefix in kind_of})


def clerks_last(conn, table: str, column: str, agency: str) -> dict[tuple[str, int], int]:
    """The highest number per (prefix, year) among the agency's rows the history did not make."""
    values = conn.execute(sa.text(f"select {column} from {table} where agency_code = :a and {column} like :p and "
                                  "(created_by is null or created_by <> :by)"),
                          {"a": agency, "p": f"%-{agency}-%", "by": R.CREATED_BY}).scalars().all()
    last: dict[tuple[str, int], int] = {}
    for v in values:
        if m := re.fullmatch(r"([A-Z]+)-\w+-(\d{4})-(\d+)", v or ""):
            key = (m.group(1), int(m.group(2)))
            last[key] = max(last.get(key, 0), int(m.group(3)))
    return last


def raise_sequences(conn, agency: str, wanted: dict[tuple[str, int], int]) -> None:
    have = {(k, y): n for k, y, n in conn.execute(sa.text(
        "select kind, year, last_no from doc_sequence where agency_code = :a"), {"a": agency})}
    up = [{"a": agency, "k": k, "y": y, "n": n} for (k, y), n in wanted.items() if (k, y) in have and have[(k, y)] < n]
    new = [{"a": agency, "k": k, "y": y, "n": n} for (k, y), n in wanted.items() if (k, y) not in have]
    if up:
        conn.execute(sa.text("update doc_sequence set last_no = :n where agency_code = :a and kind = :k and "
                             "year = :y"), up)
    if new:
        conn.execute(sa.text("insert into doc_sequence (agency_code, kind, year, last_no) values (:a, :k, :y, :n)"),
                     new)


def update_persons(conn: sa.Connection, tl: Timeline, plan: dict, p: E.People, cols: dict) -> None:
    """Empty fields the history must agree with: 已转出 persons' 转出 facts, members' 组织关系 dates."""
    origin = np.datetime64(tl.start, "D")
    as_date = lambda d: None if d <= E.NEVER else (origin + int(d)).tolist()
    out = plan["archive_transfer_out"]
    params = []
    for j, pid in enumerate(out["person_id"].tolist()):
        i = int(np.searchsorted(p.ids, pid))
        if p.out_day[i] == out["out_date"][j] and p.out_day[i] > E.NEVER:
            params.append({"id": pid, "d": as_date(out["out_date"][j]), "t": out["to_unit"][j],
                           "r": out["reason"][j]})
    if params:
        conn.execute(sa.text("update person set transfer_out_date = coalesce(transfer_out_date, :d), "
                             "transfer_out_to = coalesce(transfer_out_to, :t), "
                             "transfer_out_reason = coalesce(transfer_out_reason, :r) where id = :id"), params)
    m = plan["party_member"]
    params = [{"id": int(pid), "i": as_date(a), "o": as_date(b)}
              for pid, a, b in zip(m["person_id"], m["org_in_date"], m["org_out_date"])]
    if params:
        conn.execute(sa.text("update person set org_rel_in_date = coalesce(org_rel_in_date, :i), "
                             "org_rel_out_date = coalesce(org_rel_out_date, :o) where id = :id"), params)
