"""集体户口代理 (附件 一.2, 二.9, 三.7): 集体户迁入 / 修改 / 迁出, 户籍卡借阅 / 归还, 子女挂靠落户.

One `collective_hukou` row serves the person's 集体户口 data page and this business (附件 一.2 互相关联):
every command keeps the person in step in the same transaction — `person.collective_hukou` (在户 → 是,
已迁出 → 否), `person.hukou_reg_no` and `person.settle_date` follow the row, and the three headers go into
`person.clerk_fields`, so a later pipeline run never overwrites what the clerk set (`pipelines.load.hukou`
fills rows from the collection forms — `source` 采集表 — but never touches a row a clerk has written: every
command here sets `source` 业务).

Rules as data: the field specs below; the statuses `IN` / `OUT`; 户籍编号 unique within the agency among
households 在户 (a move-out frees the number). A card already lent cannot be lent again until it is
returned. Every write: fields parsed (all bad ones named) → record in scope → optimistic lock → write →
audit with before/after (身份证 of a dependent masked).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ..models import Person
from ..models.household import CollectiveHukou, HukouCardLoan, HukouDependent
from .base import (Context, FieldErrors, NotFound, Refused, audit, check_version, get_in_scope, in_scope, stamp,
                   transaction)
from .fields import FieldSpec, apply, labels, masked_values, parse

MODULE = ("个人快捷受理", "可办业务", "集体户口代理")
OBJECT, LOAN_OBJECT, DEPENDENT_OBJECT = "collective_hukou", "hukou_card_loan", "hukou_dependent"
IN, OUT = "在户", "已迁出"
STATUSES = (IN, OUT)
SOURCE_FORM, SOURCE_BUSINESS = "采集表", "业务"  # collective_hukou.source: the load keeps only 采集表 rows in step

# 集体户迁入 and its edit form: every field of 附件 一.2 but the 迁出 ones
HOUSEHOLD_SPECS = (
    FieldSpec("hukou_reg_no", "户籍编号", max_len=32),
    FieldSpec("original_address", "户籍原所在地"),
    FieldSpec("settle_date", "落户时间", "date"),
    FieldSpec("employer", "工作单位"),
    FieldSpec("move_reason", "迁户原因"),
    FieldSpec("police_station_in", "迁入派出所", max_len=128),
    FieldSpec("in_accept_date", "迁入受理时间", "date"),
    FieldSpec("in_handler", "迁入经办人", max_len=64),
    FieldSpec("remarks", "备注", "textarea", max_len=2000),
)
MOVE_OUT_SPECS = (
    FieldSpec("out_accept_date", "迁出受理时间", "date"),
    FieldSpec("out_date", "迁出时间", "date"),
    FieldSpec("out_address", "迁出地址"),
)
ALL_SPECS = HOUSEHOLD_SPECS + MOVE_OUT_SPECS
LOAN_SPECS = (
    FieldSpec("borrower", "借用人", max_len=64),
    FieldSpec("loan_date", "借出日期", "date"),
    FieldSpec("due_date", "应还日期", "date"),
    FieldSpec("reason", "借用原因"),
    FieldSpec("handler", "经办人", max_len=64),
    FieldSpec("remarks", "备注", "textarea", max_len=2000),
)
RETURN_SPECS = (FieldSpec("return_date", "归还日期", "date"),)
DEPENDENT_SPECS = (
    FieldSpec("name", "姓名", max_len=64),
    FieldSpec("relation", "与户主关系", "choice", choices=("子", "女")),
    FieldSpec("id_number", "身份证", "id_number", pii=True),
    FieldSpec("birth_date", "出生日期", "date"),
    FieldSpec("settle_date", "落户时间", "date"),
    FieldSpec("remarks", "备注", "textarea", max_len=2000),
)
# the person's columns that follow the row, and the collection-form headers that name them (clerk_fields)
PERSON_HEADERS = ("集体户口", "户籍编号", "落户时间")


# -- queries -------------------------------------------------------------------------------------------------
def get_household(ctx: Context, hukou_id) -> CollectiveHukou:
    return get_in_scope(ctx, CollectiveHukou, hukou_id, "集体户口")


def households_of(ctx: Context, person_id) -> list[CollectiveHukou]:
    """The person's households, the current (在户) first, then the moved-out ones, newest first."""
    rows = ctx.session.scalars(select(CollectiveHukou).where(
        CollectiveHukou.person_id == int(person_id), in_scope(ctx, CollectiveHukou))
        .order_by(CollectiveHukou.id.desc())).all()
    return sorted(rows, key=lambda h: h.status != IN)


def current_household(ctx: Context, person_id) -> CollectiveHukou | None:
    rows = households_of(ctx, person_id)
    return rows[0] if rows and rows[0].status == IN else None


def loans_of(ctx: Context, household: CollectiveHukou) -> list[HukouCardLoan]:
    return list(ctx.session.scalars(select(HukouCardLoan).where(
        HukouCardLoan.collective_hukou_id == household.id).order_by(HukouCardLoan.id.desc())))


def open_loan(ctx: Context, household: CollectiveHukou) -> HukouCardLoan | None:
    return ctx.session.scalar(select(HukouCardLoan).where(
        HukouCardLoan.collective_hukou_id == household.id, HukouCardLoan.return_date.is_(None)))


def dependents_of(ctx: Context, household: CollectiveHukou) -> list[HukouDependent]:
    return list(ctx.session.scalars(select(HukouDependent).where(
        HukouDependent.collective_hukou_id == household.id).order_by(HukouDependent.id)))


# -- rules ---------------------------------------------------------------------------------------------------
def _check_unique_reg_no(ctx: Context, agency: str, reg_no: str | None, own_id: int | None) -> None:
    """户籍编号 unique within the agency among households 在户 (Refused naming the field)."""
    if not reg_no:
        return
    q = select(CollectiveHukou.id, Person.name).join(Person, Person.id == CollectiveHukou.person_id).where(
        CollectiveHukou.agency_code == agency, CollectiveHukou.hukou_reg_no == reg_no,
        CollectiveHukou.status == IN)
    if own_id is not None:
        q = q.where(CollectiveHukou.id != own_id)
    other = ctx.session.execute(q.limit(1)).first()
    if other is not None:
        raise Refused(f"户籍编号：{reg_no} 已被本机构集体户在户人员 {other.name or ''}（集体户口 ID {other.id}）使用",
                      "hukou_reg_no")


def _check_order(values: dict, first: str, then: str, specs) -> None:
    a, b = values.get(first), values.get(then)
    if a and b and b < a:
        lab = labels(specs)
        raise FieldErrors({then: f"{lab[then]}：{b.isoformat()} 早于{lab[first]} {a.isoformat()}"})


def _sync_person(ctx: Context, person: Person, h: CollectiveHukou) -> None:
    """The person's 集体户口 / 户籍编号 / 落户时间 follow the row; the headers become the clerk's (kept)."""
    person.collective_hukou = h.status == IN
    person.hukou_reg_no = h.hukou_reg_no
    person.settle_date = h.settle_date
    have = [f.strip() for f in (person.clerk_fields or "").replace("；", ";").split(";") if f.strip()]
    person.clerk_fields = ";".join(have + [x for x in PERSON_HEADERS if x not in have])
    stamp(ctx, person)


def _clerks(ctx: Context, h: CollectiveHukou, *, new: bool = False) -> None:
    """The row is the clerk's from now on: stamped, and the migration load leaves it alone (source 业务)."""
    stamp(ctx, h, new=new)
    h.source = SOURCE_BUSINESS


def _person(ctx: Context, h: CollectiveHukou) -> Person:
    return get_in_scope(ctx, Person, h.person_id, "人员")


def _audit(ctx, action, summary, h_or_row, object_type, before=None, after=None):
    audit(ctx, action, summary, module=MODULE, object_type=object_type, object_id=h_or_row.id,
          before=before, after=after)


def _label(p: Person) -> str:
    return f"{p.name or ''}（档案编号 {p.archive_no}）"


# -- commands: the household ----------------------------------------------------------------------------------
def move_in(ctx: Context, person_id, raw: dict) -> CollectiveHukou:
    """集体户迁入: the person's household row with every 迁入 field; the person follows (集体户口 是)."""
    values = parse(HOUSEHOLD_SPECS, raw)
    with transaction(ctx):
        p = get_in_scope(ctx, Person, person_id, "人员")
        if current_household(ctx, p.id) is not None:
            raise Refused(f"{_label(p)} 已在本机构集体户中，请修改现有记录或先办理迁出")
        _check_unique_reg_no(ctx, p.agency_code, values.get("hukou_reg_no"), None)
        h = CollectiveHukou(agency_code=p.agency_code, person_id=p.id, status=IN)
        apply(h, HOUSEHOLD_SPECS, values)
        _clerks(ctx, h, new=True)
        ctx.session.add(h)
        ctx.session.flush()
        _sync_person(ctx, p, h)
        _audit(ctx, "集体户迁入", f"{_label(p)} 迁入集体户，户籍编号 {h.hukou_reg_no or '（未填）'}", h, OBJECT,
               after=masked_values(h, ALL_SPECS))
    return h


def edit(ctx: Context, hukou_id, raw: dict, *, expected_version=None, original: dict | None = None) -> CollectiveHukou:
    """修改 the household's fields (the 迁出 ones too once moved out); the person follows."""
    h0 = get_household(ctx, hukou_id)
    specs = ALL_SPECS if h0.status == OUT else HOUSEHOLD_SPECS
    values = parse(specs, raw)
    if h0.status == OUT:
        _check_order(values, "out_accept_date", "out_date", specs)
    with transaction(ctx):
        h = get_household(ctx, hukou_id)
        check_version(h, expected_version, original=original, labels=labels(ALL_SPECS))
        if h.status == IN:
            _check_unique_reg_no(ctx, h.agency_code, values.get("hukou_reg_no"), h.id)
        before = masked_values(h, ALL_SPECS)
        apply(h, specs, values)
        _clerks(ctx, h)
        p = _person(ctx, h)
        _sync_person(ctx, p, h)
        _audit(ctx, "修改", f"修改 {_label(p)} 的集体户口信息", h, OBJECT, before, masked_values(h, ALL_SPECS))
    return h


def move_out(ctx: Context, hukou_id, raw: dict, *, expected_version=None) -> CollectiveHukou:
    """集体户迁出: 迁出受理时间, 迁出时间, 迁出地址 → 已迁出; the person's 集体户口 becomes 否."""
    values = parse(MOVE_OUT_SPECS, raw)
    _check_order(values, "out_accept_date", "out_date", MOVE_OUT_SPECS)
    with transaction(ctx):
        h = get_household(ctx, hukou_id)
        check_version(h, expected_version)
        if h.status == OUT:
            raise Refused("该人员已从集体户迁出，不能再次迁出")
        if values.get("out_date") and h.settle_date and values["out_date"] < h.settle_date:
            raise FieldErrors({"out_date": f"迁出时间：{values['out_date'].isoformat()} 早于落户时间 "
                                           f"{h.settle_date.isoformat()}"})
        before = masked_values(h, ALL_SPECS) | {"status": h.status}
        apply(h, MOVE_OUT_SPECS, values)
        h.status = OUT
        _clerks(ctx, h)
        p = _person(ctx, h)
        _sync_person(ctx, p, h)
        _audit(ctx, "集体户迁出", f"{_label(p)} 迁出集体户，迁出地址 {h.out_address or '（未填）'}", h, OBJECT,
               before, masked_values(h, ALL_SPECS) | {"status": h.status})
    return h


def _touch(ctx: Context, h: CollectiveHukou, expected_version) -> None:
    """A card loan or a dependent changes the household: its version moves (two clerks at the same card
    conflict) and it is the clerk's from now on (the migration never refreshes it)."""
    check_version(h, expected_version)
    _clerks(ctx, h)
    h.updated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# -- commands: 户籍卡借阅 / 归还 ---------------------------------------------------------------------------------
def lend_card(ctx: Context, hukou_id, raw: dict, *, expected_version=None) -> HukouCardLoan:
    """户籍卡借阅: borrower, dates, reason. A card already out cannot be lent again; nor after 迁出."""
    values = parse(LOAN_SPECS, raw)
    _check_order(values, "loan_date", "due_date", LOAN_SPECS)
    with transaction(ctx):
        h = get_household(ctx, hukou_id)
        _touch(ctx, h, expected_version)
        if h.status == OUT:
            raise Refused("该人员已从集体户迁出，户籍卡不能借出")
        out = open_loan(ctx, h)
        if out is not None:
            raise Refused(f"户籍卡已于 {out.loan_date or ''} 借给 {out.borrower or ''}，尚未归还，不能再次借出",
                          "borrower")
        loan = HukouCardLoan(agency_code=h.agency_code, collective_hukou_id=h.id)
        apply(loan, LOAN_SPECS, values)
        if loan.loan_date is None:
            loan.loan_date = ctx.today
        stamp(ctx, loan, new=True)
        ctx.session.add(loan)
        ctx.session.flush()
        p = _person(ctx, h)
        _audit(ctx, "户籍卡借阅", f"{_label(p)} 的户籍卡借给 {loan.borrower or '（未填）'}", loan, LOAN_OBJECT,
               after=masked_values(loan, LOAN_SPECS) | {"collective_hukou_id": h.id})
    return loan


def return_card(ctx: Context, loan_id, raw: dict, *, expected_version=None) -> HukouCardLoan:
    """户籍卡归还: the 归还日期 (today when empty); a card already back cannot be returned again."""
    values = parse(RETURN_SPECS, raw)
    with transaction(ctx):
        loan = get_in_scope(ctx, HukouCardLoan, loan_id, "户籍卡借阅记录")
        h = get_household(ctx, loan.collective_hukou_id)
        _touch(ctx, h, expected_version)
        if loan.return_date is not None:
            raise Refused(f"户籍卡已于 {loan.return_date.isoformat()} 归还")
        back = values.get("return_date") or ctx.today
        if loan.loan_date and back < loan.loan_date:
            raise FieldErrors({"return_date": f"归还日期：{back.isoformat()} 早于借出日期 {loan.loan_date.isoformat()}"})
        before = masked_values(loan, LOAN_SPECS + RETURN_SPECS)
        loan.return_date = back
        stamp(ctx, loan)
        p = _person(ctx, h)
        _audit(ctx, "户籍卡归还", f"{_label(p)} 的户籍卡由 {loan.borrower or '（未填）'} 归还", loan, LOAN_OBJECT,
               before, masked_values(loan, LOAN_SPECS + RETURN_SPECS))
    return loan


# -- commands: 子女挂靠落户 ------------------------------------------------------------------------------------
def add_dependent(ctx: Context, hukou_id, raw: dict, *, expected_version=None) -> HukouDependent:
    """子女挂靠落户: a child settled into the person's collective household (身份证 through the codec)."""
    values = parse(DEPENDENT_SPECS, raw)
    if not any(v for v in values.values()):
        raise FieldErrors({"name": "姓名：子女挂靠的内容都是空的，请至少填写一项"})
    _check_order(values, "birth_date", "settle_date", DEPENDENT_SPECS)
    with transaction(ctx):
        h = get_household(ctx, hukou_id)
        _touch(ctx, h, expected_version)
        if h.status == OUT:
            raise Refused("该人员已从集体户迁出，不能办理子女挂靠")
        d = HukouDependent(agency_code=h.agency_code, collective_hukou_id=h.id, name="")
        apply(d, DEPENDENT_SPECS, {**values, "name": values.get("name") or ""}, ctx.codec)
        stamp(ctx, d, new=True)
        ctx.session.add(d)
        ctx.session.flush()
        p = _person(ctx, h)
        _audit(ctx, "子女挂靠落户", f"{d.name or '子女'} 挂靠 {_label(p)} 的集体户", d, DEPENDENT_OBJECT,
               after=masked_values(d, DEPENDENT_SPECS, ctx.codec) | {"collective_hukou_id": h.id})
    return d


def remove_dependent(ctx: Context, dependent_id, *, expected_version=None) -> None:
    """取消挂靠: the dependent leaves the household record (its before kept in the audit chain)."""
    with transaction(ctx):
        d = get_in_scope(ctx, HukouDependent, dependent_id, "挂靠子女")
        h = get_household(ctx, d.collective_hukou_id)
        _touch(ctx, h, expected_version)
        if h.status == OUT:
            raise Refused("该人员已从集体户迁出，挂靠记录作为历史保留，不能取消")
        before = masked_values(d, DEPENDENT_SPECS, ctx.codec) | {"collective_hukou_id": h.id}
        p = _person(ctx, h)
        ctx.session.delete(d)
        _audit(ctx, "取消子女挂靠", f"{before.get('name') or '子女'} 不再挂靠 {_label(p)} 的集体户", d,
               DEPENDENT_OBJECT, before=before)


# -- the list's search (附件: 户籍编号, 姓名, 身份证, 状态, 落户时间) ---------------------------------------------
SEARCH_SPECS = (
    FieldSpec("hukou_reg_no", "户籍编号", max_len=32),
    FieldSpec("name", "姓名", max_len=64),
    FieldSpec("id_number", "身份证", max_len=32),
    FieldSpec("status", "状态", "choice", choices=STATUSES),
    FieldSpec("settle_from", "落户时间（起）", "date"),
    FieldSpec("settle_to", "落户时间（止）", "date"),
)
H = CollectiveHukou
# each filter's keyset order, served by an index that begins with the scope column (migration 0013)
ORDER_DEFAULT = (H.agency_code, H.id)  # ix_collective_hukou_agency_code (+ the primary key)
ORDER_REG_NO = (H.agency_code, H.hukou_reg_no, H.id)  # ix_collective_hukou_agency_reg_no
ORDER_SETTLE = (H.agency_code, H.settle_date, H.id)  # ix_collective_hukou_agency_settle
ORDER_STATUS = (H.agency_code, H.status, H.id)  # ix_collective_hukou_agency_status


def search(ctx: Context, raw: dict):
    """(query, order) of the households in scope matching the filters; FieldErrors naming a bad one
    (an impossible date, a 身份证 that cannot be one, a status not offered). 户籍编号 and 姓名 match
    from the start; 身份证 exactly, through the person's blind index (never compared in clear)."""
    from .. import person_search
    values = parse(SEARCH_SPECS, raw)
    _check_order(values, "settle_from", "settle_to", SEARCH_SPECS)
    q, order = select(H).where(in_scope(ctx, H)), ORDER_DEFAULT
    if values.get("status"):
        q, order = q.where(H.status == values["status"]), ORDER_STATUS
    if values.get("settle_from") or values.get("settle_to"):
        q, order = q.where(H.settle_date.is_not(None)), ORDER_SETTLE
        if values.get("settle_from"):
            q = q.where(H.settle_date >= values["settle_from"])
        if values.get("settle_to"):
            q = q.where(H.settle_date <= values["settle_to"])
    if values.get("hukou_reg_no"):
        q = q.where(H.hukou_reg_no.like(person_search.like_prefix(values["hukou_reg_no"]),
                                        escape=person_search.LIKE_ESCAPE))
        order = ORDER_REG_NO
    if values.get("name") or values.get("id_number"):
        q = q.join(Person, Person.id == H.person_id)
        if values.get("name"):
            q = q.where(Person.name.like(person_search.like_prefix(values["name"]), escape=person_search.LIKE_ESCAPE))
        if values.get("id_number"):
            number, problem = person_search.id_number(values["id_number"])
            if problem:
                raise FieldErrors({"id_number": f"身份证：{problem}"})
            q = q.where(ctx.codec.lookup(Person, "id_number", number))
    return q, order


def person_by_archive_no(ctx: Context, archive_no: str) -> Person:
    """The person in scope with this 档案编号 (unique within an agency; the actor's own agency first)."""
    rows = ctx.session.scalars(select(Person).where(Person.archive_no == (archive_no or "").strip()[:32],
                                                    in_scope(ctx, Person)).limit(20)).all()
    if not rows:
        raise NotFound("人员")
    return sorted(rows, key=lambda p: p.agency_code != ctx.actor.agency_code)[0]


def persons_of(ctx: Context, households) -> dict[int, Person]:
    ids = sorted({h.person_id for h in households})
    if not ids:
        return {}
    return {p.id: p for p in ctx.session.scalars(select(Person).where(Person.id.in_(ids), in_scope(ctx, Person)))}
