"""待核实 (the review queue): the pipelines' review items and 一人多档 pairs, decided by a clerk.

* `queue(ctx, filters, page)` — an agency's items (status, 问题类别, 字段, 工作表), keyset by id on the index
  ``(agency_code, status, id)`` / ``(agency_code, status, category, id)``; `category_counts` bounded.
* `detail(ctx, item_id)` — the form's value, the record's present value and the feeds' candidates (score,
  source) side by side.
* `decide(ctx, item_id, choice, …)` — **accept** (the best candidate), **choose** (one of them), **type** (a
  value the clerk types, checked like the form field of that header), **reject** (keep the form's value).
  The value goes to the person (or the 学习经历/工作经历 row of the item) through the codec for PII, the field
  is marked in ``person.clerk_fields`` (`collection_form.clerk_field_key`) so that no later load overwrites
  it or raises it again, the item is closed (已采纳/已修改/已驳回) with the decision SM4-encrypted; audited
  with before/after (masked); optimistic lock on the item and the person.
* 一人多档: `pair(ctx, item_id)` — both records of the 身份证 (the other agency's only minimally: agency,
  档案编号, masked name, 档案状态, 档案接收时间); `mark_different(ctx, item_id)` settles it as two persons
  (``dq_settled_pair``, honoured by the load's sweep; both sides' items closed); a transfer settles it:
  `settle_after_transfer(session, person_id, …)` for the transfer module, and `pair` closes the items itself
  once a 档案转出 of either record is registered.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .. import codes
from ..pii.masking import mask_name  # another agency's person is shown by surname alone
from ..collection_form import (PERSON_COLUMNS, SHEET_COLUMNS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK,
                               clerk_field_key)
from ..models import Agency, ArchiveTransferOut, Person, PersonStudy, PersonWork
from ..models.base import now_utc
from ..models.quality import ReviewItem, SettledPair
from ..paging import PageRequest, bounded_count, fetch_page
from ..pii.masking import mask_value
from .base import (BusinessError, Context, FieldErrors, NotFound, Refused, audit, check_version, get_in_scope,
                   in_scope, stamp, transaction)
from .fields import FieldSpec, parse_value

PENDING, ACCEPTED, REJECTED, MODIFIED = "待处理", "已采纳", "已驳回", "已修改"
STATUSES = (PENDING, ACCEPTED, MODIFIED, REJECTED)
MULTI_RULE, MULTI_CATEGORY = "multi_archive", "一人多档"
DIFFERENT, TRANSFERRED = "不同人员", "已转递"
MODULE = ("个人快捷受理", "个人信息管理", "待核实")
SHEETS = (SHEET_PERSON, SHEET_STUDY, SHEET_WORK)
CHILD_MODELS = {SHEET_STUDY: PersonStudy, SHEET_WORK: PersonWork}
#: choice → (the item's status, what the audit calls it)
CHOICES = {"accept": (ACCEPTED, "采纳最佳候选值"), "choose": (ACCEPTED, "选择候选值"),
           "type": (MODIFIED, "录入核实值"), "reject": (REJECTED, "保留采集表值")}
PII_KINDS = {"id_number": "id_number", "phone": "phone"}


# -- the field of an item as a form field -----------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """Where the value of an item's field lives: sheet, header, model column, and the field's form spec."""

    sheet: str
    header: str
    column: str
    kind: str  # collection_form kind: text/date/bool/pii
    spec: FieldSpec


def _column_length(model, column: str) -> int | None:
    return getattr(model.__table__.c[column].type, "length", None)


def target_of(sheet: str, header: str) -> Target | None:
    """The form field of a collection-form header on `sheet` (None: not a field a clerk can set here)."""
    columns = SHEET_COLUMNS.get(sheet or SHEET_PERSON, {})
    if header not in columns or header == "档案编号":
        return None
    column, kind = columns[header]
    model = Person if sheet in (None, SHEET_PERSON) else CHILD_MODELS[sheet]
    if kind == "pii":
        spec = FieldSpec(column, header, "id_number" if column == "id_number" else "phone", pii=True)
    elif kind == "date":
        spec = FieldSpec(column, header, "date")
    elif kind == "bool":
        spec = FieldSpec(column, header, "choice", choices=("是", "否"))
    else:
        code_type = codes.FIELD_CODE_TYPES.get(header) or {"学历": "education_level", "学位": "degree"}.get(header)
        choices = tuple(codes.code_table(code_type).values()) if code_type else ()
        spec = FieldSpec(column, header, "choice" if choices else "text", choices=choices,
                         max_len=_column_length(model, column))
    return Target(sheet or SHEET_PERSON, header, column, kind, spec)


def check_value(target: Target, raw: Any) -> Any:
    """The typed value of `raw` for the field (ValueError naming the field), as the person form checks it."""
    value = parse_value(target.spec, raw)
    if value is not None and target.header == "单位统一社会信用代码":
        from ..identity import validate_uscc
        try:
            value = validate_uscc(str(value))
        except Exception as exc:
            raise ValueError(f"{target.header}：{exc}") from None
    if target.kind == "bool" and value is not None:
        value = value == "是"
    return value


# -- reading items -----------------------------------------------------------------------------------------
@dataclass
class Filters:
    status: str | None = PENDING
    category: str | None = None
    field: str | None = None
    sheet: str | None = None


def filtered(ctx: Context, f: Filters):
    """The select of the queue under `f`, in the actor's scope."""
    q = select(ReviewItem).where(in_scope(ctx, ReviewItem))
    if f.status:
        q = q.where(ReviewItem.status == f.status)
    if f.category:
        q = q.where(ReviewItem.category == f.category)
    if f.field:
        q = q.where(ReviewItem.field == f.field)
    if f.sheet:
        q = q.where(ReviewItem.sheet == f.sheet)
    return q


def queue(ctx: Context, filters: Filters, req: PageRequest):
    """A page of the queue in id order (keyset: the index (agency_code, status[, category], id))."""
    return fetch_page(ctx.session, filtered(ctx, filters), [ReviewItem.id], req)


def category_counts(ctx: Context, status: str | None = PENDING, cap: int = 20000) -> list[tuple[str, int, bool]]:
    """(问题类别, n, exact) of the queue, from one scan of at most `cap` entries of the index (agency_code,
    status, category): exact while the queue holds ≤ `cap` items (the largest agency holds ≈8k at 943k
    persons; 18k are counted in ≈11 ms on MariaDB); past it the counts are lower bounds (shown "n+") and
    categories sorting after the cut are left out (the filter still finds them)."""
    inner = (select(ReviewItem.category).where(in_scope(ctx, ReviewItem), ReviewItem.status == (status or PENDING))
             .limit(cap + 1).subquery())
    rows = ctx.session.execute(select(inner.c.category, func.count()).group_by(inner.c.category)).all()
    exact = sum(n for _, n in rows) <= cap
    return [(c, n, exact) for c, n in sorted(rows, key=lambda r: r[0] or "") if c]


def names_of(session: Session, person_ids: list[int]) -> dict[int, tuple[str | None, int]]:
    """{person id: (姓名, version)} for the rows of a page."""
    if not person_ids:
        return {}
    return {i: (n, v) for i, n, v in session.execute(
        select(Person.id, Person.name, Person.version).where(Person.id.in_(sorted(set(person_ids)))))}


def get_item(ctx: Context, item_id: Any) -> ReviewItem:
    return get_in_scope(ctx, ReviewItem, item_id, "待核实事项")


@dataclass
class Candidate:
    value: str
    score: float | None
    source: str | None


def candidates(ctx: Context, item: ReviewItem) -> list[Candidate]:
    """The feeds' candidates, best first: plain values, [value, score?, source?] or {value, score, source};
    a bare value takes the item's confidence (the first) and feed."""
    text = ctx.codec.decrypt("text", item.candidates_enc) if item.candidates_enc else None
    try:
        raw = json.loads(text) if text else []
    except ValueError:
        raw = []
    out: list[Candidate] = []
    for i, c in enumerate(raw if isinstance(raw, list) else []):
        if isinstance(c, dict):
            value, score, source = c.get("value"), c.get("score"), c.get("source")
        elif isinstance(c, (list, tuple)):
            value = c[0] if c else None
            score = c[1] if len(c) > 1 and isinstance(c[1], (int, float)) else None
            source = c[2] if len(c) > 2 else None
        else:
            value, score, source = c, None, None
        if value in (None, ""):
            continue
        if score is None and i == 0 and item.confidence is not None:
            score = float(item.confidence)
        out.append(Candidate(str(value), None if score is None else float(score), source or item.feed))
    return out


def form_value(ctx: Context, item: ReviewItem) -> str | None:
    """The value the collection form had (the pipeline's current value)."""
    if item.current_value_enc:
        return ctx.codec.decrypt("text", item.current_value_enc)
    return item.current_value


def _row(ctx: Context, item: ReviewItem, person: Person):
    """The row holding the item's field: the person, or its 学习经历/工作经历 row (child_id)."""
    if item.sheet in CHILD_MODELS:
        model = CHILD_MODELS[item.sheet]
        row = ctx.session.scalar(select(model).where(model.id == item.child_id, model.person_id == person.id)) \
            if item.child_id else None
        if row is None:
            raise NotFound(f"{item.sheet}记录")
        return row
    return person


def _person(ctx: Context, item: ReviewItem) -> Person:
    if item.person_id is None:
        raise NotFound("人员")
    return get_in_scope(ctx, Person, item.person_id, "人员")


def present_value(ctx: Context, target: Target | None, row, *, full: bool = False) -> str | None:
    """The value the record holds now, as text (PII masked unless `full`)."""
    if target is None or row is None:
        return None
    if target.kind == "pii":
        return ctx.codec.display(row, target.column, full=full)
    v = getattr(row, target.column, None)
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (dt.date, Decimal)):
        return v.isoformat() if isinstance(v, dt.date) else str(v)
    if v is None and getattr(row, "pending_raw", None):
        raw = json.loads(row.pending_raw).get(target.header)
        return None if raw is None else str(raw)
    return v


def masked(target: Target | None, value: Any) -> Any:
    if value is None or target is None or target.kind != "pii":
        return value.isoformat() if isinstance(value, dt.date) else value
    return mask_value(PII_KINDS[target.column], str(value))


@dataclass
class Detail:
    item: ReviewItem
    person: Person | None
    target: Target | None
    form_value: str | None
    present: str | None
    candidates: list[Candidate] = field(default_factory=list)
    row_missing: bool = False


def detail(ctx: Context, item_id: Any, *, full: bool = False) -> Detail:
    """An item with everything the decision page shows (PII whole only with `full`)."""
    item = get_item(ctx, item_id)
    person = _person(ctx, item) if item.person_id else None
    target = target_of(item.sheet, item.field)
    row, missing = None, False
    if person is not None:
        try:
            row = _row(ctx, item, person)
        except NotFound:
            missing = True
    show = (lambda v: v) if full else (lambda v: masked(target, v))
    cands = candidates(ctx, item) if item.rule != MULTI_RULE else []
    for c in cands:
        c.value = show(c.value)
    return Detail(item, person, target, show(form_value(ctx, item)), present_value(ctx, target, row, full=full),
                  cands, missing)


# -- deciding ----------------------------------------------------------------------------------------------
def _chosen(ctx: Context, item: ReviewItem, target: Target, choice: str, value: Any, candidate: Any) -> Any:
    """The raw value a decision writes (None for reject: the form's value stays)."""
    if choice == "reject":
        return None
    if choice == "type":
        return value
    cands = candidates(ctx, item)
    if not cands:
        raise Refused("该事项没有候选值，请录入核实值或保留采集表值")
    if choice == "accept":
        return cands[0].value
    try:
        i = int(candidate)
    except (TypeError, ValueError):
        raise BusinessError("请选择一个候选值", "candidate") from None
    if not 0 <= i < len(cands):
        raise BusinessError("所选候选值不存在", "candidate")
    return cands[i].value


def _write(ctx: Context, row, target: Target, value: Any) -> None:
    if target.kind == "pii":
        ctx.codec.set(row, target.column, value)
    else:
        setattr(row, target.column, value)
    if getattr(row, "pending_raw", None):  # the non-canonical text the load kept is decided now
        doc = json.loads(row.pending_raw)
        doc.pop(target.header, None)
        row.pending_raw = json.dumps(doc, ensure_ascii=False, sort_keys=True) if doc else None


def mark_clerk_field(person: Person, key: str) -> None:
    """Add `key` to person.clerk_fields (the loader keeps what a clerk decided)."""
    have = [f.strip() for f in (person.clerk_fields or "").replace("；", ";").split(";") if f.strip()]
    if key not in have:
        person.clerk_fields = ";".join([*have, key])


def decide(ctx: Context, item_id: Any, choice: str, *, value: Any = None, candidate: Any = None,
           expected_version: Any = None, person_version: Any = None) -> ReviewItem:
    """Decide a review item (module docstring): accept / choose / type / reject."""
    if choice not in CHOICES:
        raise BusinessError("处理方式无效（采纳/选择/录入/保留）", "choice")
    with transaction(ctx):
        item = get_item(ctx, item_id)
        if item.rule == MULTI_RULE:
            raise Refused("一人多档事项请在配对页面处理（办理转出或标记为不同人员）")
        if item.status != PENDING:
            raise Refused(f"该事项已处理（{item.status}，{item.decided_by or ''}）")
        check_version(item, expected_version)
        person = _person(ctx, item)
        check_version(person, person_version)
        target = target_of(item.sheet, item.field)
        if target is None:
            if choice != "reject":
                raise Refused(f"字段“{item.field}”不能在此写入，只能保留采集表值")
            row = None
        else:
            row = _row(ctx, item, person)
        before = {"值": masked(target, present_value(ctx, target, row, full=True)), "状态": item.status}
        typed = None
        if target is not None and choice != "reject":
            raw = _chosen(ctx, item, target, choice, value, candidate)
            try:
                typed = check_value(target, raw)
            except ValueError as exc:
                raise FieldErrors({"value" if choice == "type" else "candidate": str(exc)}) from None
            _write(ctx, row, target, typed)
            if row is not person:
                stamp(ctx, row)
        seq = getattr(row, "seq", None) if row is not person else None
        mark_clerk_field(person, clerk_field_key(item.sheet, item.field, seq))
        stamp(ctx, person)
        status = CHOICES[choice][0]
        shown = present_value(ctx, target, row, full=True) if target is not None else None
        decision = {"choice": choice, "value": shown}
        for it in [item, *_same_field_items(ctx, item)]:
            _close(ctx, it, status, decision)
        after = {"值": masked(target, shown), "状态": status}
        audit(ctx, "核实数据", f"待核实 {person.archive_no} {item.sheet}·{item.field}：{CHOICES[choice][1]}",
              module=MODULE, object_type="待核实事项", object_id=item.id, before=before, after=after)
    return item


def _same_field_items(ctx: Context, item: ReviewItem) -> list[ReviewItem]:
    """Other pending items on the same field of the same row (two rules may flag one cell): decided too."""
    q = select(ReviewItem).where(ReviewItem.person_id == item.person_id, ReviewItem.field == item.field,
                                 ReviewItem.sheet == item.sheet, ReviewItem.status == PENDING,
                                 ReviewItem.id != item.id, or_(ReviewItem.rule.is_(None), ReviewItem.rule != MULTI_RULE))
    q = q.where(ReviewItem.child_id == item.child_id) if item.child_id else q.where(ReviewItem.child_id.is_(None))
    return list(ctx.session.scalars(q))


def _close(ctx: Context, item: ReviewItem, status: str, decision: dict) -> None:
    item.status = status
    item.decided_by = ctx.actor.username
    item.decided_at = now_utc()
    item.decision_enc = ctx.codec.encrypt("text", json.dumps(decision, ensure_ascii=False, sort_keys=True))
    stamp(ctx, item)


def decision_of(ctx: Context, item: ReviewItem, *, full: bool = False) -> dict | None:
    if not item.decision_enc:
        return None
    doc = json.loads(ctx.codec.decrypt("text", item.decision_enc))
    if not full:
        doc["value"] = masked(target_of(item.sheet, item.field), doc.get("value"))
    return doc


# -- 一人多档 -------------------------------------------------------------------------------------------------
@dataclass
class PairRecord:
    """One record of a 一人多档 group; `mine` False: another agency's, shown minimally."""

    person_id: int
    agency_code: str
    agency_name: str
    archive_no: str
    name: str | None
    archive_status: str | None
    received: dt.date | None
    mine: bool
    item_id: int | None = None
    item_status: str | None = None


@dataclass
class Pair:
    item: ReviewItem
    records: list[PairRecord]
    settled: list[SettledPair]

    @property
    def mine(self) -> list[PairRecord]:
        return [r for r in self.records if r.mine]

    @property
    def others(self) -> list[PairRecord]:
        return [r for r in self.records if not r.mine]


def _group(session: Session, person: Person) -> list[Person]:
    if not person.id_number_bidx:
        return [person]
    return list(session.scalars(select(Person).where(Person.id_number_bidx == person.id_number_bidx)
                                .order_by(Person.id)))


def _multi_items(session: Session, person_ids: list[int]) -> list[ReviewItem]:
    return list(session.scalars(select(ReviewItem).where(ReviewItem.person_id.in_(person_ids),
                                                         ReviewItem.rule == MULTI_RULE).order_by(ReviewItem.id)))


def _pair_key(a: int, b: int) -> tuple[int, int]:
    return (min(a, b), max(a, b))


def _settled(session: Session, ids: list[int]) -> list[SettledPair]:
    return list(session.scalars(select(SettledPair).where(
        or_(SettledPair.person_low_id.in_(ids), SettledPair.person_high_id.in_(ids))).order_by(SettledPair.id)))


def _settle(ctx: Context, person: Person, group: list[Person], settlement: str, choice: str) -> list[ReviewItem]:
    """Record the pairs (person × every other record) as settled and close the items whose every pair is
    settled now (on both sides). Runs in the caller's transaction."""
    s = ctx.session
    have = {(p.person_low_id, p.person_high_id) for p in _settled(s, [p.id for p in group])}
    for other in group:
        key = _pair_key(person.id, other.id)
        if other.id == person.id or key in have:
            continue
        low, high = (person, other) if person.id < other.id else (other, person)
        s.add(SettledPair(person_low_id=low.id, person_high_id=high.id, agency_low=low.agency_code,
                          agency_high=high.agency_code, id_number_bidx=person.id_number_bidx,
                          settlement=settlement, settled_by=ctx.actor.username,
                          settled_agency=ctx.actor.agency_code))
        have.add(key)
    s.flush()
    closed = []
    status = REJECTED if settlement == DIFFERENT else ACCEPTED
    for it in _multi_items(s, [p.id for p in group]):
        if it.status != PENDING:
            continue
        if all(_pair_key(it.person_id, o.id) in have for o in group if o.id != it.person_id):
            _close(ctx, it, status, {"choice": choice, "value": settlement})
            closed.append(it)
    return closed


def pair(ctx: Context, item_id: Any) -> Pair:
    """The 一人多档 group of an item. Seen by every agency holding a record of it: its own records whole, the
    others' minimally. A registered 档案转出 of any record settles the group (its items close)."""
    s = ctx.session
    item = s.get(ReviewItem, int(item_id)) if str(item_id).isdigit() else None
    if item is None or item.rule != MULTI_RULE or item.person_id is None:
        raise NotFound("一人多档事项")
    person = s.get(Person, item.person_id)
    group = _group(s, person)
    if not any(p.agency_code in ctx.actor.scope for p in group):
        raise NotFound("一人多档事项")
    settle_transferred(ctx, group)
    names = {code: name for code, name in s.execute(select(Agency.code, Agency.name).where(
        Agency.code.in_(sorted({p.agency_code for p in group}))))}
    items = {}
    for it in _multi_items(s, [p.id for p in group]):  # the latest item of each record
        items[it.person_id] = it
    records = []
    for p in group:
        mine = p.agency_code in ctx.actor.scope
        it = items.get(p.id)
        records.append(PairRecord(p.id, p.agency_code, names.get(p.agency_code, p.agency_code), p.archive_no,
                                  p.name if mine else mask_name(p.name), p.archive_status,
                                  p.archive_received_date, mine, it.id if it and mine else None,
                                  it.status if it else None))
    return Pair(item, records, _settled(s, [p.id for p in group]))


def settle_transferred(ctx: Context, group: list[Person]) -> int:
    """Close the group's 一人多档 items when a 档案转出 of one of its records is registered (not 已撤销)."""
    ids = [p.id for p in group]
    if len(ids) < 2 or not any(it.status == PENDING for it in _multi_items(ctx.session, ids)):
        return 0
    out = ctx.session.scalar(select(ArchiveTransferOut.person_id).where(
        ArchiveTransferOut.person_id.in_(ids), ArchiveTransferOut.status != "已撤销").limit(1))
    if out is None:
        return 0
    with transaction(ctx):
        person = next(p for p in group if p.id == out)
        closed = _settle(ctx, person, group, TRANSFERRED, "transfer")
        audit(ctx, "核实数据", f"一人多档 {person.archive_no}：已办理档案转出，配对事项关闭", module=MODULE,
              object_type="待核实事项", object_id=closed[0].id if closed else None,
              after={"关闭事项": [c.id for c in closed], "处理方式": TRANSFERRED})
    return len(closed)


def settle_after_transfer(ctx: Context, person_id: int) -> list[ReviewItem]:
    """For the transfer module, inside its transaction, when a 档案转出 of `person_id` is registered: the
    person's 一人多档 pairs are settled (已转递) and the items of both sides close."""
    person = ctx.session.get(Person, person_id)
    if person is None or not person.id_number_bidx:
        return []
    group = _group(ctx.session, person)
    return _settle(ctx, person, group, TRANSFERRED, "transfer") if len(group) > 1 else []


def mark_different(ctx: Context, item_id: Any, *, expected_version: Any = None) -> list[ReviewItem]:
    """Settle an own 一人多档 item as two (or more) different persons: recorded in dq_settled_pair (no later
    load flags the pair again) and the items of both sides close (已驳回), visible to both agencies."""
    with transaction(ctx):
        item = get_item(ctx, item_id)
        if item.rule != MULTI_RULE:
            raise NotFound("一人多档事项")
        if item.status != PENDING:
            raise Refused(f"该事项已处理（{item.status}，{item.decided_by or ''}）")
        check_version(item, expected_version)
        person = _person(ctx, item)
        group = _group(ctx.session, person)
        closed = _settle(ctx, person, group, DIFFERENT, "different")
        if item not in closed:  # a group of three: this record's other pairs are settled by this decision too
            _close(ctx, item, REJECTED, {"choice": "different", "value": DIFFERENT})
            closed.append(item)
        audit(ctx, "核实数据", f"一人多档 {person.archive_no}：标记为不同人员", module=MODULE,
              object_type="待核实事项", object_id=item.id, before={"状态": PENDING},
              after={"状态": REJECTED, "处理方式": DIFFERENT,
                     "配对档案": [f"{p.agency_code}/{p.archive_no}" for p in group if p.id != person.id]})
    return closed
