"""档案材料管理 (个人快捷受理; 附件 二.4 merges 档案材料管理 and 补充材料 into it): 收集, 鉴别, 归档, the 目录.

A material goes 收集 → 鉴别 → 归档 (`TRANSITIONS`, data): it is collected (one or several at once: 材料名称, 类别,
形成时间, 页数, 份数, 收到日期, 补充材料, 经办人, 备注); identified with a 鉴别结论 (合格归档 / 退回补充 / 不予归档, 鉴别人,
鉴别日期; again after a 退回补充 is made good); filed (归档日期) only after a 合格归档 conclusion. It can be edited at
any stage and deleted only before 归档. On 归档 the material gets its 类内序号: the archived materials of the
person's class (or sub-class) are numbered in order of 形成时间, so a late-filed older paper takes its place.

补充材料 (`is_supplement`): a material received for an archive already held here; 库存管理 counts them by
收到日期 (index `ix_archive_material_agency_received`).

The 目录 (`catalogue`) is the person's archived materials in the standard order — class 1–10, sub-class, 序号 —
with the fixed columns of 附件 一.5: 序号, 类号, 材料名称, 材料形成时间, 页数, 备注.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import select

from ..models import ArchiveMaterial, Person
from .. import paging
from . import fields, material_classes
from .base import (BusinessError, Context, FieldErrors, Refused, audit, check_version, get_in_scope,
                   in_scope, stamp, transaction)
from .fields import FieldSpec

MODULE = ("个人快捷受理", "档案材料管理")
OBJECT = "archive_material"
COLLECTED, IDENTIFIED, ARCHIVED = "收集", "鉴别", "归档"
STAGES = (COLLECTED, IDENTIFIED, ARCHIVED)
PASS, RETURN, REJECT = "合格归档", "退回补充", "不予归档"
RESULTS = (PASS, RETURN, REJECT)


@dataclass(frozen=True)
class Transition:
    """One operation on a material: the stages it may start from, the stage it leaves the material in (None:
    unchanged), the 鉴别结论 it needs."""

    label: str
    from_stages: tuple[str, ...]
    to_stage: str | None = None
    needs_result: str | None = None


TRANSITIONS: dict[str, Transition] = {
    "identify": Transition("鉴别", (COLLECTED, IDENTIFIED), IDENTIFIED),  # again after 退回补充
    "archive": Transition("归档", (IDENTIFIED,), ARCHIVED, needs_result=PASS),
    "edit": Transition("修改", STAGES),
    "delete": Transition("删除", (COLLECTED, IDENTIFIED)),
}

MATERIAL_FIELDS = (
    FieldSpec("title", "材料名称", max_len=255),
    FieldSpec("category_code", "类别", "choice", choices=material_classes.choice_codes()),
    FieldSpec("material_date", "形成时间", "date"),
    FieldSpec("pages", "页数", "int"),
    FieldSpec("copies", "份数", "int"),
    FieldSpec("received_date", "收到日期", "date"),
    FieldSpec("is_supplement", "补充材料", "bool"),
    FieldSpec("handler", "经办人", max_len=64),
    FieldSpec("remarks", "备注", "textarea", max_len=2000),
)
IDENTIFY_FIELDS = (
    FieldSpec("identify_result", "鉴别结论", "choice", choices=RESULTS),
    FieldSpec("identified_by", "鉴别人", max_len=64),
    FieldSpec("identified_date", "鉴别日期", "date"),
)
ARCHIVE_FIELDS = (FieldSpec("archived_date", "归档日期", "date"),)
LABELS = fields.labels(MATERIAL_FIELDS + IDENTIFY_FIELDS + ARCHIVE_FIELDS) | {"stage": "环节", "seq": "序号"}
AUDITED = tuple(LABELS)
# a row of the 收集 form holding only these (pre-filled on the page) is an empty row, not a material
PREFILLED = {"received_date", "handler", "is_supplement"}


def _title(m: ArchiveMaterial) -> str:
    return m.title or "（未命名材料）"


def refusal(op: str, m: ArchiveMaterial) -> str | None:
    """Why `op` does not fit the material's stage (a Chinese sentence), or None when it does."""
    t = TRANSITIONS[op]
    if m.stage not in t.from_stages:
        if m.stage == ARCHIVED:
            return f"材料“{_title(m)}”已归档，不能{t.label}"
        return f"材料“{_title(m)}”尚未鉴别，鉴别结论为“{PASS}”后才能{t.label}"
    if t.needs_result and m.identify_result != t.needs_result:
        return f"材料“{_title(m)}”的鉴别结论为“{m.identify_result or '无'}”，“{t.needs_result}”的材料才能{t.label}"
    if op == "archive" and material_classes.by_code().get(m.category_code or "") is None:
        return f"材料“{_title(m)}”未选择类别，不能归档"
    return None


def _audit_values(m: ArchiveMaterial) -> dict[str, Any]:
    return fields.masked_values(m, MATERIAL_FIELDS + IDENTIFY_FIELDS + ARCHIVE_FIELDS) | {"stage": m.stage,
                                                                                           "seq": m.seq}


# -- 收集 ------------------------------------------------------------------------------------------------------
def _blank(raw: Mapping[str, Any]) -> bool:
    return all(str(raw.get(s.name) or "").strip() == "" for s in MATERIAL_FIELDS if s.name not in PREFILLED)


def parse_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The typed values of the filled rows of a 收集 form; FieldErrors keyed `rows-<i>-<field>` (row named)."""
    values, errors = [], {}
    for i, raw in enumerate(rows):
        if _blank(raw):
            continue
        try:
            values.append(fields.parse(MATERIAL_FIELDS, raw))
        except FieldErrors as exc:
            errors.update({f"rows-{i}-{k}": f"第 {i + 1} 行 {msg}" for k, msg in exc.errors.items()})
    if errors:
        raise FieldErrors(errors)
    if not values:
        raise BusinessError("没有填写任何材料（至少填写材料名称或类别）", "rows-0-title")
    return values


def collect(ctx: Context, person_id: Any, rows: Sequence[Mapping[str, Any]]) -> list[ArchiveMaterial]:
    """收集: add one or several materials to a person's file (stage 收集)."""
    values = parse_rows(rows)
    with transaction(ctx):
        person = get_in_scope(ctx, Person, person_id, "人员")
        added = []
        for v in values:
            m = ArchiveMaterial(agency_code=person.agency_code, person_id=person.id, stage=COLLECTED,
                                title=v.pop("title") or "", category_code=v.pop("category_code") or "")
            fields.apply(m, MATERIAL_FIELDS, v)
            stamp(ctx, m, new=True)
            ctx.session.add(m)
            ctx.session.flush()
            kind = "补充材料" if m.is_supplement else "材料"
            audit(ctx, "收集", f"为人员 {person.archive_no} 收集{kind}“{_title(m)}”（类别 {m.category_code or '未分类'}）",
                  module=MODULE, object_type=OBJECT, object_id=m.id, after=_audit_values(m))
            added.append(m)
    return added


# -- 鉴别, 归档 (one or several materials of the list) ----------------------------------------------------------
def _load(ctx: Context, ids: Iterable[Any], versions: Mapping[Any, Any] | None, op: str) -> list[ArchiveMaterial]:
    """The materials (in scope, locked), each checked against the version its page showed and against the
    stage rule of `op`; every refusal named at once, nothing written."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise BusinessError("请先选择材料", "ids")
    rows = [get_in_scope(ctx, ArchiveMaterial, i, "档案材料", lock=True) for i in ids]
    versions = {str(k): v for k, v in (versions or {}).items()}
    for m in rows:
        check_version(m, versions.get(str(m.id)))
    reasons = [r for m in rows if (r := refusal(op, m))]
    if reasons:
        raise Refused("；".join(reasons))
    return rows


def identify(ctx: Context, ids: Iterable[Any], raw: Mapping[str, Any],
             versions: Mapping[Any, Any] | None = None) -> list[ArchiveMaterial]:
    """鉴别: the 鉴别结论 (needed: it is what the operation records), 鉴别人 (default the user), 鉴别日期
    (default today) on each material."""
    v = fields.parse(IDENTIFY_FIELDS, raw)
    if not v["identify_result"]:
        raise FieldErrors({"identify_result": f"鉴别结论：请选择（{'/'.join(RESULTS)}）"})
    v["identified_by"] = v["identified_by"] or ctx.actor.label
    v["identified_date"] = v["identified_date"] or ctx.today
    with transaction(ctx):
        rows = _load(ctx, ids, versions, "identify")
        for m in rows:
            before = _audit_values(m)
            fields.apply(m, IDENTIFY_FIELDS, v)
            m.stage = TRANSITIONS["identify"].to_stage
            stamp(ctx, m)
            audit(ctx, "鉴别", f"鉴别材料“{_title(m)}”：{m.identify_result}", module=MODULE, object_type=OBJECT,
                  object_id=m.id, before=before, after=_audit_values(m))
    return rows


def archive(ctx: Context, ids: Iterable[Any], raw: Mapping[str, Any],
            versions: Mapping[Any, Any] | None = None) -> list[ArchiveMaterial]:
    """归档: only materials whose 鉴别结论 is 合格归档; 归档日期 (default today, not before the 鉴别日期); the
    类内序号 of the class follows 形成时间."""
    v = fields.parse(ARCHIVE_FIELDS, raw)
    day = v["archived_date"] or ctx.today
    with transaction(ctx):
        rows = _load(ctx, ids, versions, "archive")
        early = [m for m in rows if m.identified_date and day < m.identified_date]
        if early:
            raise FieldErrors({"archived_date": f"归档日期：{day.isoformat()} 早于材料“{_title(early[0])}”的鉴别日期 "
                                                f"{early[0].identified_date.isoformat()}"})
        befores = {m.id: _audit_values(m) for m in rows}
        for m in rows:
            m.stage, m.archived_date = TRANSITIONS["archive"].to_stage, day
            stamp(ctx, m)
        for person_id, code in sorted({(m.person_id, m.category_code) for m in rows}):
            _renumber(ctx, person_id, code)
        for m in rows:
            audit(ctx, "归档", f"材料“{_title(m)}”归档（类号 {m.category_code}，序号 {m.seq}）", module=MODULE,
                  object_type=OBJECT, object_id=m.id, before=befores[m.id], after=_audit_values(m))
    return rows


def _renumber(ctx: Context, person_id: int, category_code: str) -> None:
    """类内序号 1…n of the person's archived materials of one class, in order of 形成时间 (undated last)."""
    ctx.session.flush()
    rows = ctx.session.scalars(select(ArchiveMaterial).where(
        ArchiveMaterial.person_id == person_id, ArchiveMaterial.category_code == category_code,
        ArchiveMaterial.stage == ARCHIVED)).all()
    rows = sorted(rows, key=lambda m: (m.material_date is None, m.material_date or dt.date.min, m.archived_date
                                       or dt.date.min, m.id))
    for n, m in enumerate(rows, start=1):
        if m.seq != n:
            m.seq = n


# -- 修改, 删除 --------------------------------------------------------------------------------------------------
def edit(ctx: Context, material_id: Any, raw: Mapping[str, Any], expected_version: Any = None,
         original: Mapping[str, Any] | None = None, *, only_present: bool = False) -> ArchiveMaterial:
    """修改 at any stage; an archived material keeps a class, and its class is renumbered when its class or
    形成时间 changes."""
    v = fields.parse(MATERIAL_FIELDS, raw, only_present=only_present)
    with transaction(ctx):
        m = get_in_scope(ctx, ArchiveMaterial, material_id, "档案材料", lock=True)
        check_version(m, expected_version, original=dict(original) if original else None, labels=LABELS)
        if m.stage == ARCHIVED and "category_code" in v and not v["category_code"]:
            raise FieldErrors({"category_code": "类别：已归档的材料须有类别"})
        before, old_code = _audit_values(m), m.category_code
        if "title" in v:
            v["title"] = v["title"] or ""
        if "category_code" in v:
            v["category_code"] = v["category_code"] or ""
        fields.apply(m, MATERIAL_FIELDS, v)
        if m.stage == ARCHIVED and (old_code != m.category_code or before["material_date"] != _iso(m.material_date)):
            if old_code != m.category_code:
                m.seq = None
                _renumber(ctx, m.person_id, old_code)
            _renumber(ctx, m.person_id, m.category_code)
        stamp(ctx, m)
        after = _audit_values(m)
        changed = [LABELS[k] for k in after if after[k] != before.get(k)]
        audit(ctx, "修改", f"修改材料“{_title(m)}”：{'、'.join(changed) or '无变化'}", module=MODULE,
              object_type=OBJECT, object_id=m.id, before=before, after=after)
    return m


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def delete(ctx: Context, material_id: Any, expected_version: Any = None) -> None:
    """删除: only before 归档 (an archived material is part of the file)."""
    with transaction(ctx):
        m = get_in_scope(ctx, ArchiveMaterial, material_id, "档案材料", lock=True)
        check_version(m, expected_version)
        reason = refusal("delete", m)
        if reason:
            raise Refused(reason)
        before = _audit_values(m)
        ctx.session.delete(m)
        audit(ctx, "删除", f"删除材料“{_title(m)}”（{m.stage}）", module=MODULE, object_type=OBJECT,
              object_id=m.id, before=before)


# -- queries ---------------------------------------------------------------------------------------------------
@dataclass
class CatalogueSection:
    """One class of the 目录 with its entries (sub-classes of 4 and 9 in order inside)."""

    cls: material_classes.MaterialClass | None  # None: materials without a class
    entries: list[ArchiveMaterial] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.cls.label if self.cls else "未分类"


def _sort_key(m: ArchiveMaterial):
    return (material_classes.order_key(m.category_code), m.seq or 10 ** 6, m.material_date is None,
            m.material_date or dt.date.min, m.id)


def person_materials(ctx: Context, person_id: Any) -> tuple[Person, list[ArchiveMaterial]]:
    person = get_in_scope(ctx, Person, person_id, "人员")
    rows = ctx.session.scalars(select(ArchiveMaterial).where(ArchiveMaterial.person_id == person.id,
                                                             in_scope(ctx, ArchiveMaterial))).all()
    return person, sorted(rows, key=_sort_key)


def count_for_person(ctx: Context, person_id: Any) -> int:
    """How many materials the person's file has (the person page marks its 档案材料 tab, 附件 三.6)."""
    from sqlalchemy import func
    return ctx.session.scalar(select(func.count()).select_from(ArchiveMaterial).where(
        ArchiveMaterial.person_id == person_id, in_scope(ctx, ArchiveMaterial))) or 0


def sections(rows: Iterable[ArchiveMaterial]) -> list[CatalogueSection]:
    """Materials grouped by class in the standard order (rows already sorted by `_sort_key`)."""
    out: list[CatalogueSection] = []
    for m in rows:
        top = material_classes.top_of(m.category_code)
        if not out or out[-1].cls != top:
            out.append(CatalogueSection(top))
        out[-1].entries.append(m)
    return out


def catalogue(ctx: Context, person_id: Any) -> tuple[Person, list[CatalogueSection], list[ArchiveMaterial]]:
    """目录: (person, the archived materials by class in the standard order, the materials not yet archived)."""
    person, rows = person_materials(ctx, person_id)
    return person, sections(m for m in rows if m.stage == ARCHIVED), [m for m in rows if m.stage != ARCHIVED]


def catalogue_rows(sections_: Iterable[CatalogueSection]) -> list[dict[str, Any]]:
    """The 目录's fixed columns (附件 一.5): 序号, 类号, 材料名称, 材料形成时间, 页数, 备注."""
    return [{"序号": m.seq, "类号": m.category_code, "材料名称": m.title,
             "材料形成时间": m.material_date.strftime("%Y.%m.%d") if m.material_date else "",
             "页数": m.pages, "备注": m.remarks or ""} for s in sections_ for m in s.entries]


WAITING = {"identify": COLLECTED, "archive": IDENTIFIED}  # list name → the stage its materials are in
PENDING_ORDER = (ArchiveMaterial.agency_code, ArchiveMaterial.stage, ArchiveMaterial.id)  # ix_..._agency_stage


def pending(ctx: Context, waiting: str, req: paging.PageRequest):
    """The agency's materials waiting for 鉴别 (`identify`) or 归档 (`archive`), oldest first, keyset pages:
    (page of materials, bounded count, {person_id: Person})."""
    if waiting not in WAITING:
        raise BusinessError(f"参数 waiting 只能是 {'/'.join(WAITING)}", "waiting")
    q = select(ArchiveMaterial).where(in_scope(ctx, ArchiveMaterial), ArchiveMaterial.stage == WAITING[waiting])
    page = paging.fetch_page(ctx.session, q, PENDING_ORDER, req)
    total = paging.bounded_count(ctx.session, q)
    ids = {m.person_id for m in page.rows}
    persons = {p.id: p for p in ctx.session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    return page, total, persons


def supplements_by_day(ctx: Context, start: dt.date, end: dt.date) -> list[tuple[dt.date, int]]:
    """补充材料 received per day in [start, end] over the data scope (for 库存管理; index
    `ix_archive_material_agency_received`)."""
    from sqlalchemy import func
    m = ArchiveMaterial
    q = (select(m.received_date, func.count()).where(in_scope(ctx, m), m.received_date >= start,
                                                     m.received_date <= end, m.is_supplement.is_(True))
         .group_by(m.received_date).order_by(m.received_date))
    return [(d, n) for d, n in ctx.session.execute(q)]


def get(ctx: Context, material_id: Any) -> ArchiveMaterial:
    """One material in scope (another agency's is NotFound)."""
    return get_in_scope(ctx, ArchiveMaterial, material_id, "档案材料")
