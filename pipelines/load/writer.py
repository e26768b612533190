"""Stage *load* (装载): one agency's final frames into the operational tables, in one transaction.

``load_agency(engine, codec, agency, final, run_id=…) -> LoadResult``

* **Atomic per agency.** Everything below runs in one transaction: a killed run leaves the agency wholly
  as it was (InnoDB / SQLite roll the transaction back).
* **Idempotent.** ``dq_load_state`` keeps a fingerprint of the agency's whole load (HMAC-SM3); the same
  content again writes nothing at all. Otherwise only persons whose own fingerprint (``person.load_hash``:
  values, child rows, review items and repair-log rows of the person) changed are written.
* **Clerks win.** Fields a clerk entered or confirmed (``person.clerk_fields``) are never overwritten, and
  no review item is raised on them — on 基本信息 and, for fields decided in the 待核实 queue, on the
  学习经历/工作经历 row of that 序号 (entries ``工作经历#2/工作单位``: the value is carried over to the row the
  load re-inserts); persons created in the application (数据来源 业务) are never touched; child rows a clerk
  added (来源 业务) stay.
* **PII through the codec.** 公民身份号码 and 联系电话 are stored SM4-encrypted with their blind index;
  review and repair-log values of those fields too; 隔离 rows are stored whole, encrypted.
* **一人多档.** After the persons are written, every ID (blind index) of the agency also held by another
  person record — here or at another agency — gets a 待核实 item on 公民身份号码 for *each* record of the
  group (contract rule 6), once; pairs a clerk settled (``dq_settled_pair``: two different persons, or
  transferred) are not flagged again.
* **集体户口代理.** After the persons, the agency's `collective_hukou` rows follow the forms' 集体户口 /
  户籍编号 / 落户时间 and the 公安 register's address (`pipelines.load.hukou`: set-based, a clerk's row never
  touched).
* **Statistics.** One ``dq_run_stat`` row per run and agency (the data-quality fact and the scorecards).

On MySQL the writes take `bulk` 's fast path (LOAD DATA LOCAL INFILE, staging + UPDATE … JOIN).
"""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from archives_domain.collection_form import (
    PERSON_COLUMNS, SHEET_COLUMNS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, SOURCE_BUSINESS, SOURCE_FORM,
    clerk_field_key, parse_clerk_child_key,
)
from archives_domain.models import LoadState, Person, PersonStudy, PersonWork, QuarantineRow, RepairLog, \
    ReviewItem, RunStat, SettledPair
from archives_domain.pii.codec import PiiCodec
from dq_rules import review_rules as RR

from . import bulk
from .hukou import fill_collective_hukou
from .rows import KEY, add_search_columns, combine_digests, keyed_digests, row_digests, typed_columns

ACTOR = "流水线"
MULTI_RULE = "multi_archive"
PENDING = "待处理"
P, S, W = Person.__table__, PersonStudy.__table__, PersonWork.__table__
REVIEW, LOG, QUAR, STATE, STAT = (ReviewItem.__table__, RepairLog.__table__, QuarantineRow.__table__,
                                  LoadState.__table__, RunStat.__table__)
SETTLED = SettledPair.__table__
CHILD_TABLES = {SHEET_STUDY: S, SHEET_WORK: W}
STATUS_COLUMNS = {"就业状态": "employment_status", "参保状态": "insured_status"}


@dataclass
class LoadResult:
    agency: str
    unchanged: bool = False
    persons_inserted: int = 0
    persons_updated: int = 0
    persons_same: int = 0
    child_rows: int = 0
    review_items: int = 0
    multi_archive_items: int = 0
    log_rows: int = 0
    quarantined: int = 0
    hukou: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    @property
    def persons_written(self) -> int:
        return self.persons_inserted + self.persons_updated


def _na(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v == ""


def _frame_digest(key: bytes, frame: pd.DataFrame) -> str:
    if frame is None or not len(frame):
        return ""
    digests = row_digests(key, frame, list(frame.columns))
    return combine_digests(key, *sorted(digests.tolist()))


def _in(column: pd.Series, keys: pa.Array) -> np.ndarray:
    """``column.isin(keys)`` for many keys: pandas' Arrow-string ``isin`` builds a scalar per key (3 s for
    the 133k archive numbers of the largest agency); Arrow's hash set does it at once."""
    if not len(column):
        return np.zeros(0, dtype=bool)
    values = pa.array(column.to_numpy(dtype=object, na_value=None), type=pa.string())
    return pc.is_in(values, value_set=keys).to_numpy(zero_copy_only=False).astype(bool)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def person_digests(key: bytes, final: dict) -> pd.Series:
    """Fingerprint per 档案编号 over the person row, its child rows, review items and repair-log rows:
    64-bit vectorised hashes per part, combined and keyed once per person (HMAC-SM3)."""
    from .rows import group_hashes, row_hashes

    persons = final["persons"]
    nos = persons[KEY].to_numpy()
    parts = [pd.Series(row_hashes(persons, list(persons.columns)), index=nos)]
    for name in ("study", "work", "review", "log"):
        frame = final.get(name)
        if frame is not None and len(frame):
            parts.append(group_hashes(frame, list(frame.columns), KEY).reindex(nos).fillna(0).astype("uint64"))
    stacked = np.column_stack([p.to_numpy(dtype=np.uint64) for p in parts])
    return pd.Series(keyed_digests(key, stacked), index=nos)


def _person_rows(codec: PiiCodec, agency: str, frame: pd.DataFrame, digests: pd.Series, now) -> dict[str, list]:
    typed, pending = typed_columns(SHEET_PERSON, frame)
    rows: dict[str, list] = {}
    n = len(frame)
    for header, (column, kind) in PERSON_COLUMNS.items():
        if kind == "pii":
            plain = typed.pop(column)
            # the column name is the codec's kind (id_number, phone)
            rows[f"{column}_enc"] = codec.encrypt_many(column, plain)
            rows[f"{column}_bidx"] = codec.blind_index_many(column, plain)
        else:
            rows[column] = typed[column]
    for header, column in STATUS_COLUMNS.items():
        rows[column] = [None if _na(v) else str(v)[:8] for v in frame[header].tolist()] if header in frame.columns \
            else [None] * n
    rows["pending_raw"] = pending
    rows["load_hash"] = digests.reindex(frame[KEY].to_numpy()).tolist()
    rows["source_batch"] = [None if _na(b) else str(b)[-64:] for b in frame["_batches"].tolist()] \
        if "_batches" in frame.columns else [None] * n
    rows["updated_at"] = [now] * n
    rows["updated_by"] = [ACTOR] * n
    return rows


def _child_rows(sheet: str, frame: pd.DataFrame, ids: dict, agency: str, now) -> dict[str, list]:
    typed, pending = typed_columns(sheet, frame)
    n = len(frame)
    rows = {"agency_code": [agency] * n, "person_id": [ids[k] for k in frame[KEY].tolist()],
            **typed, "source": frame["_source"].tolist(), "seq": [int(x) for x in frame["_seq"].tolist()],
            "pending_raw": pending, "version": [1] * n, "created_at": [now] * n, "created_by": [ACTOR] * n,
            "updated_at": [now] * n, "updated_by": [ACTOR] * n}
    return rows


def _pii_split(field: str, value, codec: PiiCodec) -> tuple:
    if _na(value):
        return None, None
    if field in RR.PII_FIELDS:
        return None, codec.encrypt("text", str(value))
    return str(value), None


def _review_rows(codec: PiiCodec, agency: str, frame: pd.DataFrame, ids: dict, child_ids: dict, run_id, now):
    rows = {c: [] for c in ("agency_code", "person_id", "archive_no", "sheet", "child_id", "field", "category",
                            "current_value", "current_value_enc", "candidates_enc", "reason", "rule", "feed",
                            "confidence", "run_id", "status", "version", "created_at", "created_by",
                            "updated_at", "updated_by")}
    for r in frame.to_dict("records"):
        plain, enc = _pii_split(r["field"], r["current"], codec)
        seq = r.get("_seq")
        child = None if _na(seq) else child_ids.get((r["sheet"], r[KEY], int(seq)))
        cands = r.get("candidates")
        for c, v in (("agency_code", agency), ("person_id", ids.get(r[KEY])), ("archive_no", str(r[KEY])[:32]),
                     ("sheet", r["sheet"]), ("child_id", child), ("field", str(r["field"])[:32]),
                     ("category", None if _na(r.get("category")) else str(r["category"])[:32]),
                     ("current_value", plain), ("current_value_enc", enc),
                     ("candidates_enc", None if _na(cands) or cands == "[]" else codec.encrypt("text", cands)),
                     ("reason", (r.get("reason") or "待核实")[:255]), ("rule", None if _na(r.get("rule")) else str(r["rule"])[:64]),
                     ("feed", None if _na(r.get("feed")) else str(r["feed"])[:16]),
                     ("confidence", None if _na(r.get("confidence")) else round(float(r["confidence"]), 3)),
                     ("run_id", run_id), ("status", PENDING), ("version", 1), ("created_at", now),
                     ("created_by", ACTOR), ("updated_at", now), ("updated_by", ACTOR)):
            rows[c].append(v)
    return rows


def _log_rows(codec: PiiCodec, agency: str, frame: pd.DataFrame, ids: dict, run_id, now):
    rows = {c: [] for c in ("run_id", "agency_code", "person_id", "archive_no", "sheet", "field", "old_value",
                            "new_value", "old_value_enc", "new_value_enc", "feed", "rule", "confidence",
                            "applied", "created_at")}
    for r in frame.to_dict("records"):
        old, old_enc = _pii_split(r["field"], r["old"], codec)
        new, new_enc = _pii_split(r["field"], r["new"], codec)
        for c, v in (("run_id", run_id), ("agency_code", agency), ("person_id", ids.get(r[KEY])),
                     ("archive_no", None if _na(r[KEY]) else str(r[KEY])[:32]), ("sheet", r["sheet"]),
                     ("field", str(r["field"])[:32]), ("old_value", old), ("new_value", new),
                     ("old_value_enc", old_enc), ("new_value_enc", new_enc),
                     ("feed", None if _na(r.get("feed")) else str(r["feed"])[:16]), ("rule", str(r["rule"])[:64]),
                     ("confidence", None if _na(r.get("confidence")) else round(float(r["confidence"]), 3)),
                     ("applied", bool(r["applied"])), ("created_at", now)):
            rows[c].append(v)
    return rows


def _quarantine_rows(codec: PiiCodec, agency: str, frame: pd.DataFrame, run_id, now):
    originals = [c for c in frame.columns if c not in ("来源文件", "工作表", "行号", "原因") and not c.startswith("_")]
    rows = {c: [] for c in ("agency_code", "source_file", "sheet", "row_no", "archive_no", "reason", "row_enc",
                            "run_id", "created_at")}
    for r in frame.to_dict("records"):
        doc = {h: (None if _na(r.get(h)) else str(r[h])) for h in originals}
        if not _na(r.get("_extra")):
            doc["_extra"] = str(r["_extra"])
        for c, v in (("agency_code", agency), ("source_file", str(r["来源文件"])[:255]), ("sheet", str(r["工作表"])[:16]),
                     ("row_no", int(r["行号"])), ("archive_no", None if _na(r.get(KEY)) else str(r[KEY])[:64]),
                     ("reason", str(r["原因"])[:255]),
                     ("row_enc", codec.encrypt("text", json.dumps(doc, ensure_ascii=False, sort_keys=True))),
                     ("run_id", run_id), ("created_at", now)):
            rows[c].append(v)
    return rows


def clerk_headers(text) -> set[str]:
    """The headers listed in ``person.clerk_fields`` (``;`` or ``；`` separated)."""
    if not isinstance(text, str):
        return set()
    return {f.strip() for f in text.replace("；", ";").split(";") if f.strip()}


def _clerk_overrides(conn, frame_rows: dict, existing: pd.DataFrame, update_ids: list) -> None:
    """Put back the values of the fields clerks entered or confirmed (person.clerk_fields) into the rows to update."""
    owned = existing[existing["id"].isin(update_ids) & existing["clerk_fields"].notna()]
    if owned.empty:
        return
    pos = {pid: i for i, pid in enumerate(frame_rows["id"])}
    current = {r["id"]: r for r in conn.execute(sa.select(P).where(P.c.id.in_(owned["id"].tolist()))).mappings()}
    for pid, fields in zip(owned["id"], owned["clerk_fields"]):
        i = pos[pid]
        for header in sorted(clerk_headers(fields)):
            spec = PERSON_COLUMNS.get(header)
            if not spec:
                continue
            column, kind = spec
            cols = [f"{column}_enc", f"{column}_bidx"] if kind == "pii" else [column]
            for c in cols:
                frame_rows[c][i] = current[pid][c]
            if frame_rows.get("pending_raw") and frame_rows["pending_raw"][i]:
                raw = json.loads(frame_rows["pending_raw"][i])
                raw.pop(header, None)
                frame_rows["pending_raw"][i] = json.dumps(raw, ensure_ascii=False, sort_keys=True) if raw else None


def _clerk_child_values(conn, clerk: dict, ids: dict, nos: list) -> list[tuple]:
    """The values clerks decided on child rows (``学习经历#2/学校`` entries of clerk_fields) of the persons
    about to be rewritten: (table, person_id, seq, header, column, value) — put back by `_restore_child_values`
    on the row of the same 序号 the load re-inserts."""
    kept = []
    for n in nos:
        for key in sorted(clerk.get(n, ())):
            parsed = parse_clerk_child_key(key)
            if parsed is None or n not in ids:
                continue
            sheet, seq, header = parsed
            spec = SHEET_COLUMNS[sheet].get(header)
            if spec is None:
                continue
            table = CHILD_TABLES[sheet]
            value = conn.execute(sa.select(table.c[spec[0]]).where(
                table.c.person_id == ids[n], table.c.seq == seq,
                sa.or_(table.c.source.is_(None), table.c.source != SOURCE_BUSINESS)).limit(1)).scalar()
            kept.append((table, ids[n], seq, header, spec[0], value))
    return kept


def _restore_child_values(conn, kept: list[tuple]) -> None:
    for table, pid, seq, header, column, value in kept:
        where = (table.c.person_id == pid, table.c.seq == seq,
                 sa.or_(table.c.source.is_(None), table.c.source != SOURCE_BUSINESS))
        for rid, raw in conn.execute(sa.select(table.c.id, table.c.pending_raw).where(*where)).all():
            doc = json.loads(raw) if raw else {}
            doc.pop(header, None)
            conn.execute(table.update().where(table.c.id == rid).values(
                {column: value, "pending_raw": json.dumps(doc, ensure_ascii=False, sort_keys=True) if doc else None}))


DEADLOCK_RETRIES = 3


def load_agency(engine: sa.Engine, codec: PiiCodec, agency: str, final: dict, *, run_id: str,
                stats: dict | None = None, flag_multi: bool = True) -> LoadResult:
    """Load one agency's final frames (`pipelines.load.final`) in one transaction (module docstring).

    Two agencies loading side by side touch the shared tables (review items of 一人多档 across agencies, the
    statistics): the transaction runs at READ COMMITTED (no gap locks between agencies' key ranges), and a
    deadlock the server still detects rolls the whole agency back and is retried — the load is atomic and
    idempotent, so a retry is exact.

    ``flag_multi=False`` leaves 一人多档 to `sweep_multi_archive` after all agencies (the initial migration,
    while the blind-index index is deferred: `pipelines.load.indexes`)."""
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            return _load_agency_once(engine, codec, agency, final, run_id=run_id, stats=stats, flag_multi=flag_multi)
        except sa.exc.OperationalError as exc:
            code = getattr(exc.orig, "args", [None])[0]
            if code not in (1213, 1205) or attempt == DEADLOCK_RETRIES:  # deadlock, lock wait timeout
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def _load_agency_once(engine: sa.Engine, codec: PiiCodec, agency: str, final: dict, *, run_id: str,
                      stats: dict | None = None, flag_multi: bool = True) -> LoadResult:
    t0 = time.perf_counter()
    key = codec.keyring.index_key
    res = LoadResult(agency)
    persons = final["persons"]
    digests = person_digests(key, final)
    content = combine_digests(key, *sorted(digests.tolist()), _frame_digest(key, final.get("quarantine")),
                              _frame_digest(key, final.get("hukou")))
    res.seconds["digest"] = round(time.perf_counter() - t0, 3)
    now = _now()
    rc = {"isolation_level": "READ COMMITTED"} if engine.dialect.name == "mysql" else {}
    with engine.connect().execution_options(**rc) as conn, conn.begin():
        state = conn.execute(sa.select(STATE.c.content_hash).where(STATE.c.agency_code == agency)).scalar()
        if state == content:
            res.unchanged = True
            res.seconds["total"] = round(time.perf_counter() - t0, 3)
            return res
        t = time.perf_counter()
        existing = pd.DataFrame(conn.execute(
            sa.select(P.c.id, P.c.archive_no, P.c.load_hash, P.c.clerk_fields, P.c.data_source)
            .where(P.c.agency_code == agency)).all(), columns=["id", "archive_no", "load_hash", "clerk_fields",
                                                                "data_source"])
        by_no = existing.set_index("archive_no") if len(existing) else None
        nos = persons[KEY].tolist()
        is_new = np.array([by_no is None or n not in by_no.index for n in nos], dtype=bool)
        changed = np.zeros(len(nos), dtype=bool)
        if by_no is not None:
            old_hash = by_no["load_hash"].reindex(nos).to_numpy(dtype=object)
            src = by_no["data_source"].reindex(nos).to_numpy(dtype=object)
            changed = ~is_new & (old_hash != digests.reindex(nos).to_numpy(dtype=object)) & (src != SOURCE_BUSINESS)
        res.persons_same = int((~is_new & ~changed).sum())
        res.seconds["diff"] = round(time.perf_counter() - t, 3)

        # persons: insert the new, update the changed
        t = time.perf_counter()
        new_frame = persons[is_new]
        if len(new_frame):
            rows = _person_rows(codec, agency, new_frame, digests, now)
            n = len(new_frame)
            rows.update({"agency_code": [agency] * n, "data_source": [SOURCE_FORM] * n, "version": [1] * n,
                         "created_at": [now] * n, "created_by": [ACTOR] * n})
            res.persons_inserted = bulk.insert_rows(conn, P, add_search_columns(rows)) and n
        upd_frame = persons[changed]
        if len(upd_frame):
            rows = _person_rows(codec, agency, upd_frame, digests, now)
            rows = {"id": [int(by_no.at[n, "id"]) for n in upd_frame[KEY].tolist()], **rows}
            _clerk_overrides(conn, rows, existing, rows["id"])
            bulk.update_rows(conn, P, add_search_columns(rows))
            res.persons_updated = len(upd_frame)
        res.seconds["persons"] = round(time.perf_counter() - t, 3)

        written = set(new_frame[KEY].tolist()) | set(upd_frame[KEY].tolist())
        written_keys = pa.array(sorted(written), type=pa.string())
        ids = dict(conn.execute(sa.select(P.c.archive_no, P.c.id).where(P.c.agency_code == agency)).all())
        written_ids = [ids[n] for n in written]
        clerk = {} if not len(existing) else {
            n: clerk_headers(c) for n, c in zip(existing["archive_no"], existing["clerk_fields"]) if clerk_headers(c)}

        # child rows of written persons: the pipeline's rows replaced, a clerk's (来源 业务) kept, and values a
        # clerk decided on a pipeline row (待核实) carried over to its re-inserted row
        t = time.perf_counter()
        child_kept = _clerk_child_values(conn, clerk, ids, upd_frame[KEY].tolist()) if clerk else []
        child_ids: dict = {}
        for sheet, table in CHILD_TABLES.items():
            bulk.delete_in(conn, table, "person_id", [ids[n] for n in upd_frame[KEY].tolist()],
                           sa.or_(table.c.source.is_(None), table.c.source != SOURCE_BUSINESS))
            frame = final["study" if sheet == SHEET_STUDY else "work"]
            mine = frame[_in(frame[KEY], written_keys)] if len(frame) else frame
            if len(mine):
                res.child_rows += bulk.insert_rows(conn, table, _child_rows(sheet, mine, ids, agency, now)) and len(mine)
                # ids of the child rows that review items point at (only those: reading back every child
                # row of a large agency costs seconds)
                review = final["review"]
                wanted = review[(review["sheet"] == sheet).to_numpy(dtype=bool) & _in(review[KEY], written_keys)] if len(review) else review
                pids = sorted({ids[n] for n in wanted[KEY].tolist() if n in ids}) if len(wanted) else []
                for start in range(0, len(pids), bulk.CHUNK):
                    for pid, seq, cid in conn.execute(
                            sa.select(table.c.person_id, table.c.seq, table.c.id).where(
                                table.c.person_id.in_(pids[start:start + bulk.CHUNK]),
                                table.c.source != SOURCE_BUSINESS)):
                        child_ids[(sheet, pid, seq)] = cid
        _restore_child_values(conn, child_kept)
        inv = {v: k for k, v in ids.items()}
        child_key = {(s, inv.get(pid), q): cid for (s, pid, q), cid in child_ids.items()}
        res.seconds["children"] = round(time.perf_counter() - t, 3)

        # review items of written persons: the pipeline's pending ones replaced (一人多档 kept: below)
        t = time.perf_counter()
        bulk.delete_in(conn, REVIEW, "person_id", written_ids, REVIEW.c.status == PENDING,
                       REVIEW.c.created_by == ACTOR, sa.or_(REVIEW.c.rule.is_(None), REVIEW.c.rule != MULTI_RULE))
        review = final["review"]
        if len(review):
            mine = review[_in(review[KEY], written_keys)]
            if clerk:
                keep = [clerk_field_key(sh, f, None if _na(q) else q) not in clerk.get(n, ())
                        for n, sh, f, q in zip(mine[KEY], mine["sheet"], mine["field"], mine["_seq"])]
                mine = mine[np.array(keep, dtype=bool)]
            res.review_items = bulk.insert_rows(conn, REVIEW, _review_rows(
                codec, agency, mine, ids, child_key, run_id, now)) and len(mine)
        log = final["log"]
        if len(log):
            mine = log[_in(log[KEY], written_keys)]
            res.log_rows = bulk.insert_rows(conn, LOG, _log_rows(codec, agency, mine, ids, run_id, now)) and len(mine)
        res.seconds["review_log"] = round(time.perf_counter() - t, 3)

        # 隔离: the agency's rows replaced
        t = time.perf_counter()
        conn.execute(QUAR.delete().where(QUAR.c.agency_code == agency))
        quarantine = final.get("quarantine")
        if quarantine is not None and len(quarantine):
            q = quarantine.drop_duplicates(["来源文件", "工作表", "行号"])
            res.quarantined = bulk.insert_rows(conn, QUAR, _quarantine_rows(codec, agency, q, run_id, now)) and len(q)

        # 一人多档: every record sharing an ID with another record gets one pending item on 公民身份号码
        if flag_multi:
            res.multi_archive_items = flag_multi_archive(conn, codec, agency, run_id, now)
        res.seconds["quarantine_multi"] = round(time.perf_counter() - t, 3)

        # 集体户口代理 rows of the forms' 集体户口 persons (set-based; clerks' rows kept)
        t = time.perf_counter()
        res.hukou = vars(fill_collective_hukou(conn, agency, final.get("hukou"), now))
        res.seconds["hukou"] = round(time.perf_counter() - t, 3)

        st = dict(stats or {})
        conn.execute(STAT.delete().where(STAT.c.run_id == run_id, STAT.c.agency_code == agency))
        conn.execute(STAT.insert().values(
            run_id=run_id, agency_code=agency, run_at=now, rows_in=int(st.get("rows_in", 0)),
            records=len(persons), quarantined=len(quarantine) if quarantine is not None else 0,
            duplicates=int(st.get("duplicate", 0)), repaired=int(st.get("repaired", 0)),
            review_items=int(len(final["review"])), persons_written=res.persons_written,
            completeness=st.get("completeness"), validity=st.get("validity"),
            detail=json.dumps(st.get("detail") or {}, ensure_ascii=False),
            seconds=round(time.perf_counter() - t0, 3)))
        conn.execute(STATE.delete().where(STATE.c.agency_code == agency))
        conn.execute(STATE.insert().values(agency_code=agency, content_hash=content, run_id=run_id, loaded_at=now,
                                           persons=len(persons), quarantined=res.quarantined))
    res.seconds["total"] = round(time.perf_counter() - t0, 3)
    return res


def flag_multi_archive(conn: sa.Connection, codec: PiiCodec, agency: str, run_id, now) -> int:
    """Pending 一人多档 items for every record whose ID another record also holds (both sides, once)."""
    # only the IDs of this agency that another record also holds: a self-join on the blind index
    p1, p2 = P.alias("p1"), P.alias("p2")
    shared = [b for (b,) in conn.execute(
        sa.select(p1.c.id_number_bidx).distinct()
        .join(p2, sa.and_(p2.c.id_number_bidx == p1.c.id_number_bidx, p2.c.id != p1.c.id))
        .where(p1.c.agency_code == agency, p1.c.id_number_bidx.is_not(None)))]
    return _flag_groups(conn, codec, _holders(conn, shared), run_id, now)


def _holders(conn: sa.Connection, bidx: list[str]) -> list:
    """The person records (id, agency_code, archive_no, id_number_bidx) holding these blind indexes."""
    rows = []
    for start in range(0, len(bidx), bulk.CHUNK):
        rows += conn.execute(sa.select(P.c.id, P.c.agency_code, P.c.archive_no, P.c.id_number_bidx)
                             .where(P.c.id_number_bidx.in_(bidx[start:start + bulk.CHUNK]))).all()
    return rows


def _flag_groups(conn: sa.Connection, codec: PiiCodec, rows: list, run_id, now) -> int:
    """Pending 一人多档 items for the records of `rows` (id, agency_code, archive_no, id_number_bidx) that
    share their blind index with another, unless already pending."""
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault(r.id_number_bidx, []).append(r)
    dup = [g for g in groups.values() if len(g) > 1]
    if not dup:
        return 0
    members = [r for g in dup for r in g]
    have = set()
    ids = [r.id for r in members]
    for start in range(0, len(ids), bulk.CHUNK):
        have |= set(conn.execute(sa.select(REVIEW.c.person_id).where(
            REVIEW.c.person_id.in_(ids[start:start + bulk.CHUNK]), REVIEW.c.rule == MULTI_RULE,
            REVIEW.c.status == PENDING)).scalars())
    settled = _settled_pairs(conn, ids)
    items = []
    for g in dup:
        for r in g:
            if r.id in have:
                continue
            unsettled = [o for o in g if o.id != r.id and (min(r.id, o.id), max(r.id, o.id)) not in settled]
            if not unsettled:  # a clerk settled every pair of this record (两个不同人员, or transferred)
                continue
            others = [f"{o.agency_code}/{o.archive_no}" for o in unsettled]
            items.append({
                KEY: r.archive_no, "agency": r.agency_code, "person_id": r.id, "sheet": SHEET_PERSON, "_seq": None,
                "field": "公民身份号码", "category": RR.category_of_issue("multi_archive"), "current": None,
                "candidates": json.dumps(others, ensure_ascii=False),
                "reason": ("同一公民身份号码另有档案：" + "；".join(others))[:255], "rule": MULTI_RULE,
                "feed": None, "confidence": None})
    if not items:
        return 0
    frame = pd.DataFrame(items)
    total = 0
    for ag, part in frame.groupby("agency", sort=True):
        ids_map = dict(zip(part[KEY], part["person_id"]))
        total += bulk.insert_rows(conn, REVIEW, _review_rows(codec, ag, part, ids_map, {}, run_id, now)) and len(part)
    return total


def _settled_pairs(conn: sa.Connection, ids: list[int]) -> set[tuple[int, int]]:
    """(low, high) person ids of the 一人多档 pairs clerks settled among `ids` (dq_settled_pair)."""
    out: set[tuple[int, int]] = set()
    for start in range(0, len(ids), bulk.CHUNK):
        part = ids[start:start + bulk.CHUNK]
        out |= {(low, high) for low, high in conn.execute(sa.select(SETTLED.c.person_low_id, SETTLED.c.person_high_id)
                .where(sa.or_(SETTLED.c.person_low_id.in_(part), SETTLED.c.person_high_id.in_(part))))}
    return out


def sweep_multi_archive(engine: sa.Engine, codec: PiiCodec, run_id: str) -> int:
    """一人多档 over the whole database: a pending item for every record whose ID another record holds.

    `load_agency` flags what it can see, but two agencies loading side by side do not see each other's
    uncommitted records, and the initial migration defers it altogether; `archives ingest` therefore sweeps
    once after all agencies (idempotent: records already flagged get nothing new)."""
    dup = sa.select(P.c.id_number_bidx).where(P.c.id_number_bidx.is_not(None)).group_by(
        P.c.id_number_bidx).having(sa.func.count() > 1)
    with engine.begin() as conn:
        return _flag_groups(conn, codec, _holders(conn, list(conn.execute(dup).scalars())), run_id, _now())
