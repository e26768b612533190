"""个人信息管理: the person's data pages as commands — 基础信息, 学习经历, 工作经历, 职称（职业资格）,
家庭成员及主要社会关系 — and the counts that mark the tabs holding records (附件 三.6).

Rules (附件 三.4, 三.5):
* no field is required; a value that cannot be right (an impossible date, a 身份证 with a wrong check digit,
  an end before its start) is refused with the field named, all at once (`FieldErrors`);
* 出生日期 that disagrees with the 身份证's birth date is a warning, not a refusal (the clerk decides);
* 转出日期/转往单位/转出原因 are read-only here: 档案转出 writes them; 档案状态 follows 转入/转出/借阅;
* 党员类型/组织关系转入时间/组织关系转出日期 are written to the person AND, if the person has a
  `party_member` row, to it in the same transaction (the 流动党员基础信息 page shows the same values);
* every field a clerk saves is added to `person.clerk_fields` under the collection form's header (the names
  `pipelines.load` reads), so a later migration run never overwrites it;
* each row carries its `version` (乐观锁); every write is audited with before/after, PII masked.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..collection_form import PERSON_COLUMNS, SOURCE_BUSINESS
from ..models import (ArchiveMaterial, CollectiveHukou, PartyMember, Person, PersonFamily, PersonStudy,
                      PersonTitle, PersonWork)
from . import numbering
from .base import (BusinessError, ConflictError, Context, FieldErrors, NotFound, audit, check_version, in_scope,
                   stamp, transaction)
from .fields import FieldSpec as F, apply, form_values, labels, masked_values, parse

MODULE = ("个人快捷受理", "个人信息管理", "基础信息")
OBJECT = "人员"
SEX = ("男", "女")
DEGREES = ("博士", "硕士", "学士", "无")
ENTRUST = ("个人委托", "单位委托")
MEMBER_TYPES = ("正式党员", "预备党员")
STATUSES = ("在库", "借出", "已转出")

# 基础信息: every field of the requirement (附件 三.4: + 档案编号, 委托方式, 转出…, 党员类型…; no 户口性质). The
# 集体户口 fields live in the 集体户口 tab (集体户口代理 keeps them).
BASIC_SPECS: tuple[F, ...] = (
    F("archive_no", "档案编号", max_len=32), F("name", "姓名", max_len=64), F("former_name", "曾用名", max_len=64),
    F("sex", "性别", "choice", SEX), F("ethnic", "民族", max_len=16), F("birth_date", "出生日期", "date"),
    F("id_number", "身份证", "id_number", pii=True), F("phone", "联系电话", "phone", pii=True),
    F("hukou_address", "户籍所在地"), F("political_status", "政治面貌", max_len=16),
    F("party_join_date", "入党时间", "date"), F("party_full_date", "转正时间", "date"),
    F("party_org", "所属党组织", max_len=128), F("party_member_type", "党员类型", "choice", MEMBER_TYPES),
    F("org_rel_in_date", "组织关系转入时间", "date"), F("org_rel_out_date", "组织关系转出日期", "date"),
    F("education_level", "最高学历", max_len=16), F("degree", "最高学位", "choice", DEGREES),
    F("school", "毕业院校", max_len=128), F("major", "所学专业", max_len=128),
    F("graduation_date", "毕业时间", "date"), F("professional_title", "专业技术职务", max_len=64),
    F("vocational_qualification", "职业资格", max_len=128), F("employer_name", "工作单位"),
    F("employer_uscc", "单位统一社会信用代码", max_len=18), F("entrust_mode", "委托方式", "choice", ENTRUST),
    F("unit_account_no", "立户编号", max_len=32), F("archive_source", "档案来源"),
    F("archive_received_date", "档案接收时间", "date"),
    F("archive_status", "档案状态", "choice", STATUSES, readonly=True),
    F("transfer_out_date", "转出日期", "date", readonly=True), F("transfer_out_to", "转往单位", readonly=True),
    F("transfer_out_reason", "转出原因", readonly=True),
    F("employment_status", "就业状态", readonly=True), F("insured_status", "参保状态", readonly=True),
    F("remarks", "备注", "textarea", max_len=2000),
)
EDITABLE_BASIC = tuple(s for s in BASIC_SPECS if not s.readonly)
# person column → the party_member column kept in step (附件 三.4)
PARTY_SYNC = {"party_member_type": "member_type", "org_rel_in_date": "org_in_date", "org_rel_out_date": "org_out_date"}
# person column → collection-form header (what pipelines.load honours in clerk_fields); others by their label
HEADERS = {column: header for header, (column, _kind) in PERSON_COLUMNS.items()}


@dataclass(frozen=True)
class RowKind:
    """One list data page of the person: its table, its fields, its label (rules as data)."""

    key: str
    model: type
    label: str
    specs: tuple[F, ...]
    order: tuple[str, ...]
    sourced: bool = False  # has `source` (采集表/业务): a clerk's row is 业务, which the loader keeps


STUDY = RowKind("study", PersonStudy, "学习经历", (
    F("start_date", "起始时间", "date"), F("end_date", "终止时间", "date"), F("school", "学校", max_len=128),
    F("major", "专业", max_len=128), F("education_level", "学历", max_len=16),
    F("degree", "学位", "choice", DEGREES), F("cert_no", "学历证书编号", max_len=64)), ("seq", "start_date"), True)
WORK = RowKind("work", PersonWork, "工作经历", (
    F("start_date", "起始时间", "date"), F("end_date", "终止时间", "date"), F("employer", "工作单位"),
    F("department", "部门", max_len=128), F("position", "职务", max_len=128)), ("seq", "start_date"), True)
TITLE = RowKind("title", PersonTitle, "职称（职业资格）", (
    F("kind", "类别", "choice", ("职称", "职业资格")), F("name", "名称", max_len=128),
    F("level", "等级", max_len=32), F("grant_date", "取得时间", "date"), F("issuer", "评审或发证机关", max_len=128),
    F("cert_no", "证书编号", max_len=64)), ("grant_date",))
FAMILY = RowKind("family", PersonFamily, "家庭成员及主要社会关系", (
    F("relation", "称谓", max_len=16), F("name", "姓名", max_len=64), F("birth_date", "出生日期", "date"),
    F("id_number", "身份证", "id_number", pii=True), F("political_status", "政治面貌", max_len=16),
    F("employer", "工作单位及职务"), F("remarks", "备注", "textarea", max_len=1000)), ("seq",))
ROW_KINDS = {k.key: k for k in (STUDY, WORK, TITLE, FAMILY)}


# -- checks beyond one field ---------------------------------------------------------------------------------
def _check_span(values: dict, start: str = "start_date", end: str = "end_date") -> None:
    a, b = values.get(start), values.get(end)
    if a and b and b < a:
        raise FieldErrors({end: f"终止时间：{b.isoformat()} 早于起始时间 {a.isoformat()}"})


def birth_warning(birth: dt.date | None, id_number: str | None) -> str | None:
    """出生日期 vs the 身份证's birth date: a warning (附件: the clerk decides), never a refusal."""
    if not birth or not id_number or len(id_number) != 18:
        return None
    try:
        from_id = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None
    if from_id != birth:
        return f"出生日期 {birth.isoformat()} 与身份证中的出生日期 {from_id.isoformat()} 不一致，请核对"
    return None


def _specs_to_parse(ctx: Context, row, specs, raw: dict) -> tuple[F, ...]:
    """Edit forms show PII masked (520102********1234): sent back as shown, it means "unchanged" — the field
    is left out (not re-validated: a stored number with a wrong check digit must not block other fields)."""
    def unchanged(spec) -> bool:
        value = str(raw.get(spec.name) or "").strip()
        return bool(spec.pii and value and value == ctx.codec.display(row, spec.name, full=False))
    return tuple(s for s in specs if not unchanged(s))


def _mark_clerk_fields(p: Person, names) -> None:
    """Add the saved fields' headers to clerk_fields (';'-separated, as pipelines.load.writer reads them)."""
    have = [h.strip() for h in (p.clerk_fields or "").replace("；", ";").split(";") if h.strip()]
    for n in names:
        header = HEADERS.get(n) or next((s.label for s in BASIC_SPECS if s.name == n), n)
        if header not in have:
            have.append(header)
    p.clerk_fields = ";".join(have) or None


def _archive_no_free(ctx: Context, agency: str, archive_no: str, person_id: int | None) -> None:
    q = select(Person.id).where(Person.agency_code == agency, Person.archive_no == archive_no)
    if person_id is not None:
        q = q.where(Person.id != person_id)
    if ctx.session.scalar(q) is not None:
        raise FieldErrors({"archive_no": f"档案编号：{archive_no} 已被本机构的其他人员使用"})


def _sync_party(ctx: Context, p: Person, values: dict) -> dict | None:
    """党员类型/组织关系转入时间/转出日期 into the person's party_member row, if there is one (三.4)."""
    wanted = {PARTY_SYNC[k]: v for k, v in values.items() if k in PARTY_SYNC}
    if not wanted:
        return None
    member = ctx.session.scalar(select(PartyMember).where(PartyMember.person_id == p.id))
    if member is None:
        return None
    for column, value in wanted.items():
        setattr(member, column, value)
    stamp(ctx, member)
    return {"party_member_id": member.id, **{k: (v.isoformat() if isinstance(v, dt.date) else v)
                                             for k, v in wanted.items()}}


# -- 基础信息 --------------------------------------------------------------------------------------------------
def _fresh(ctx: Context, model, pk, what: str):
    """The record in scope, read afresh (a long-lived session must not check the lock against a stale copy)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(what) from None
    row = ctx.session.scalar(select(model).where(model.id == pk, in_scope(ctx, model))
                             .execution_options(populate_existing=True))
    if row is None:
        raise NotFound(what)
    return row


def get_person(ctx: Context, person_id) -> Person:
    return _fresh(ctx, Person, person_id, "人员")


@contextlib.contextmanager
def _named_conflict(ctx: Context, model, pk, version, original: dict | None, label_map: dict, what: str):
    """Two saves at the same moment are caught only by the UPDATE's version (StaleDataError, nobody named):
    read the row again after the rollback so the message names the other editor and the fields too."""
    try:
        yield
    except ConflictError as exc:
        if exc.when is not None:
            raise
        try:
            check_version(_fresh(ctx, model, pk, what), version, original=original, labels=label_map)
        except ConflictError as named:
            raise named from None
        finally:
            ctx.session.rollback()
        raise


def _flush_archive_no(ctx: Context, archive_no: str) -> None:
    """The unique key decides between two clerks giving the same 档案编号 at once: named, not a 500."""
    try:
        ctx.session.flush()
    except IntegrityError:
        raise FieldErrors({"archive_no": f"档案编号：{archive_no} 已被本机构的其他人员使用"}) from None


def update_basic(ctx: Context, person_id, raw: dict, *, version, original: dict | None = None,
                 only_present: bool = False) -> tuple[Person, list[str]]:
    """修改基础信息: (person, warnings). `only_present` (the JSON PATCH): only the fields given change."""
    with _named_conflict(ctx, Person, person_id, version, original, labels(BASIC_SPECS), "人员"):
        return _update_basic(ctx, person_id, raw, version, original, only_present)


def _update_basic(ctx, person_id, raw, version, original, only_present):
    with transaction(ctx):
        p = get_person(ctx, person_id)
        values = parse(_specs_to_parse(ctx, p, EDITABLE_BASIC, raw), raw, only_present=only_present)
        check_version(p, version, original=original, labels=labels(BASIC_SPECS))
        if values.get("archive_no") is None:
            values.pop("archive_no", None)  # 档案编号 cannot be emptied: the archive keeps its number
        elif values["archive_no"] != p.archive_no:
            _archive_no_free(ctx, p.agency_code, values["archive_no"], p.id)
        _check_dates(values)
        before = masked_values(p, EDITABLE_BASIC, ctx.codec)
        apply(p, EDITABLE_BASIC, values, ctx.codec)
        after = masked_values(p, EDITABLE_BASIC, ctx.codec)
        changed = [k for k in after if after[k] != before[k]]
        warnings = [w for w in (birth_warning(p.birth_date, ctx.codec.get(p, "id_number")),) if w]
        if not changed:
            return p, warnings
        _mark_clerk_fields(p, changed)
        stamp(ctx, p)
        party = _sync_party(ctx, p, {k: values[k] for k in changed if k in values})
        if "archive_no" in changed:  # every change made: one UPDATE, one version step
            _flush_archive_no(ctx, p.archive_no)
        audit(ctx, "修改", f"修改人员 {p.archive_no}（{p.name or ''}）的基础信息："
                         f"{'、'.join(labels(BASIC_SPECS)[k] for k in changed)}"
                         + ("；同步流动党员基础信息" if party else ""),
              module=MODULE, object_type=OBJECT, object_id=p.id,
              before={k: before[k] for k in changed}, after={**{k: after[k] for k in changed},
                                                             **({"party_member": party} if party else {})})
    return p, warnings


def _check_dates(values: dict) -> None:
    errors = {}
    for early, late, label in (("party_join_date", "party_full_date", "转正时间：早于入党时间"),
                               ("org_rel_in_date", "org_rel_out_date", "组织关系转出日期：早于组织关系转入时间")):
        if values.get(early) and values.get(late) and values[late] < values[early]:
            errors[late] = label
    if errors:
        raise FieldErrors(errors)


def create_person(ctx: Context, raw: dict, *, agency_code: str | None = None) -> tuple[Person, list[str]]:
    """新建人员 with whatever is filled in. 档案编号 is unique per agency; if empty it is numbered
    (`DA<year><6 digits>` from the agency's 档案编号 counter, skipping numbers already taken)."""
    values = parse(EDITABLE_BASIC, raw)
    agency = agency_code or ctx.actor.agency_code
    if not agency or agency not in ctx.actor.scope:
        raise BusinessError("只能在本人所属的存档机构新建人员", "agency_code")
    _check_dates(values)
    with transaction(ctx):
        if values.get("archive_no"):
            _archive_no_free(ctx, agency, values["archive_no"], None)
        else:
            values["archive_no"] = _next_archive_no(ctx, agency)
        p = Person(agency_code=agency, archive_no=values["archive_no"], data_source=SOURCE_BUSINESS)
        apply(p, EDITABLE_BASIC, values, ctx.codec)
        _mark_clerk_fields(p, [k for k, v in values.items() if v is not None])
        stamp(ctx, p, new=True)
        ctx.session.add(p)
        _flush_archive_no(ctx, p.archive_no)
        audit(ctx, "新增", f"新建人员 {p.archive_no}（{p.name or ''}）", module=MODULE, object_type=OBJECT,
              object_id=p.id, after=masked_values(p, EDITABLE_BASIC, ctx.codec))
    warnings = [w for w in (birth_warning(p.birth_date, values.get("id_number")),) if w]
    return p, warnings


def _next_archive_no(ctx: Context, agency: str) -> str:
    year = ctx.today.year
    while True:
        n = numbering.next_number(ctx.session, agency, "档案编号", year)
        candidate = f"DA{year}{n:06d}"
        if ctx.session.scalar(select(Person.id).where(Person.agency_code == agency,
                                                      Person.archive_no == candidate)) is None:
            return candidate


# -- list data pages (学习经历, 工作经历, 职称, 家庭成员) ---------------------------------------------------------
def kind_of(key: str) -> RowKind:
    if key not in ROW_KINDS:
        raise BusinessError("没有这个数据页", "tab")
    return ROW_KINDS[key]


def rows_of(ctx: Context, kind: RowKind, person_id: int) -> list:
    m = kind.model
    return list(ctx.session.scalars(select(m).where(m.person_id == person_id, in_scope(ctx, m))
                                    .order_by(*[getattr(m, c) for c in kind.order], m.id)))


def _row(ctx: Context, kind: RowKind, person_id, row_id):
    row = _fresh(ctx, kind.model, row_id, kind.label)
    if str(row.person_id) != str(person_id):
        raise NotFound(kind.label)
    return row


def _summary(kind: RowKind, p: Person, verb: str) -> str:
    return f"{verb}人员 {p.archive_no}（{p.name or ''}）的{kind.label}"


def add_row(ctx: Context, key: str, person_id, raw: dict):
    kind = kind_of(key)
    values = parse(kind.specs, raw)
    _check_span(values)
    with transaction(ctx):
        p = get_person(ctx, person_id)
        m = kind.model
        row = m(agency_code=p.agency_code, person_id=p.id)
        if hasattr(m, "seq"):
            row.seq = (ctx.session.scalar(select(func.max(m.seq)).where(m.person_id == p.id)) or 0) + 1
        if kind.sourced:
            row.source = SOURCE_BUSINESS
        _fill(kind, row, values, ctx)
        stamp(ctx, row, new=True)
        ctx.session.add(row)
        ctx.session.flush()
        audit(ctx, "新增", _summary(kind, p, "新增"), module=MODULE, object_type=kind.label,
              object_id=row.id, after=masked_values(row, kind.specs, ctx.codec))
    return row


def _fill(kind: RowKind, row, values: dict, ctx: Context) -> None:
    apply(row, kind.specs, values, ctx.codec)
    if kind is TITLE:  # NOT NULL columns of person_title: empty is stored as the default, not refused (三.5)
        row.kind = row.kind or "职称"
        row.name = row.name or ""


def update_row(ctx: Context, key: str, person_id, row_id, raw: dict, *, version, original: dict | None = None):
    kind = kind_of(key)
    with _named_conflict(ctx, kind.model, row_id, version, original, labels(kind.specs), kind.label):
        return _update_row(ctx, kind, person_id, row_id, raw, version, original)


def _update_row(ctx: Context, kind: RowKind, person_id, row_id, raw: dict, version, original):
    with transaction(ctx):
        p = get_person(ctx, person_id)
        row = _row(ctx, kind, p.id, row_id)
        values = parse(_specs_to_parse(ctx, row, kind.specs, raw), raw)
        _check_span(values)
        check_version(row, version, original=original, labels=labels(kind.specs))
        before = masked_values(row, kind.specs, ctx.codec)
        _fill(kind, row, values, ctx)
        after = masked_values(row, kind.specs, ctx.codec)
        changed = [k for k in after if after[k] != before[k]]
        if not changed:
            return row
        if kind.sourced:
            row.source = SOURCE_BUSINESS  # a clerk's word: the loader keeps 业务 rows (pipelines.load.writer)
        stamp(ctx, row)
        audit(ctx, "修改", _summary(kind, p, "修改") + f"：{'、'.join(labels(kind.specs)[k] for k in changed)}",
              module=MODULE, object_type=kind.label, object_id=row.id,
              before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return row


def delete_row(ctx: Context, key: str, person_id, row_id, *, version) -> None:
    kind = kind_of(key)
    with transaction(ctx):
        p = get_person(ctx, person_id)
        row = _row(ctx, kind, p.id, row_id)
        check_version(row, version)
        before = masked_values(row, kind.specs, ctx.codec)
        ctx.session.delete(row)
        audit(ctx, "删除", _summary(kind, p, "删除"), module=MODULE, object_type=kind.label, object_id=row.id,
              before=before)


# -- read-only pages and the tab marks -----------------------------------------------------------------------
def hukou_rows(ctx: Context, person_id: int) -> list[CollectiveHukou]:
    return list(ctx.session.scalars(select(CollectiveHukou).where(
        CollectiveHukou.person_id == person_id, in_scope(ctx, CollectiveHukou)).order_by(CollectiveHukou.id)))


def material_rows(ctx: Context, person_id: int) -> list[ArchiveMaterial]:
    """The 目录: by 类别 then 类内序号."""
    m = ArchiveMaterial
    return list(ctx.session.scalars(select(m).where(m.person_id == person_id, in_scope(ctx, m))
                                    .order_by(m.category_code, m.seq, m.id)))


def tab_counts(ctx: Context, person_id: int) -> dict[str, int]:
    """Records per data page (附件 三.6 marks), in ONE statement of counts by the indexed person_id."""
    from .person_history import history_count_columns
    tables = {"study": PersonStudy, "work": PersonWork, "title": PersonTitle, "family": PersonFamily,
              "hukou": CollectiveHukou, "materials": ArchiveMaterial}
    cols = [select(func.count()).select_from(m).where(m.person_id == person_id).scalar_subquery().label(k)
            for k, m in tables.items()]
    cols += history_count_columns(person_id)
    row = ctx.session.execute(select(*cols)).one()
    counts = dict(row._mapping)
    history = sum(v for k, v in counts.items() if k.startswith("h_"))
    out = {k: int(v) for k, v in counts.items() if not k.startswith("h_")}
    out["history"] = int(history)
    return out
