"""自定义查询: a query definition (dictionary keys, filters, grouping) checked and built with SQLAlchemy Core.

The definition is JSON from the browser: {"items": [key …], "filters": [{"item", "op", "value"}], "group_by":
[key …]}. Every key must be in `dictionary.ITEMS` (else a Chinese 400 naming the field and the key); values
are bound parameters; the data scope is added here, server-side, always. Results are bounded: `PREVIEW` rows
on the page, `DOWNLOAD_MAX` in a download, and the result says when it was cut.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..business.base import BusinessError
from ..models import Person
from ..pii.masking import mask_name, mask_value
from .dictionary import ENTITIES, ITEMS, TYPES, Item

PREVIEW, DOWNLOAD_MAX = 50, 10_000
MAX_ITEMS, MAX_FILTERS, MAX_IN, MAX_TEXT = 20, 10, 50, 100
OPS = {"eq": "等于", "ne": "不等于", "in": "属于", "range": "介于", "prefix": "开头是", "empty": "为空",
       "not_empty": "不为空"}
# which operators each type allows; PII (encrypted) items: exact match through the blind index, or empty
OPS_BY_TYPE = {"text": ("eq", "ne", "in", "prefix", "empty", "not_empty"),
               "date": ("eq", "ne", "range", "empty", "not_empty"),
               "int": ("eq", "ne", "in", "range", "empty", "not_empty"),
               "number": ("eq", "ne", "range", "empty", "not_empty"), "bool": ("eq", "empty", "not_empty")}
PII_OPS = ("eq", "empty", "not_empty")


@dataclass(frozen=True)
class Filter:
    item: Item
    op: str
    value: object


@dataclass(frozen=True)
class Definition:
    items: tuple[Item, ...]
    filters: tuple[Filter, ...]
    group_by: tuple[Item, ...]

    def as_json(self) -> dict:
        return {"items": [i.key for i in self.items], "group_by": [i.key for i in self.group_by],
                "filters": [{"item": f.item.key, "op": f.op, "value": _jsonable(f.value)} for f in self.filters]}


@dataclass
class Result:
    headers: list[str]
    rows: list[list]
    person_ids: list[int | None]
    truncated: bool
    limit: int
    grouped: bool

    def as_dict(self) -> dict:
        return {"headers": self.headers, "rows": self.rows, "person_ids": self.person_ids,
                "truncated": self.truncated, "limit": self.limit, "grouped": self.grouped}


def _jsonable(v):
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v


# -- checking ------------------------------------------------------------------------------------------------
def _item(key, field: str) -> Item:
    if not isinstance(key, str) or key not in ITEMS:
        shown = str(key)[:40]
        raise BusinessError(f"{_FIELD_LABELS[field]}中有未知的数据项“{shown}”", field)
    return ITEMS[key]


_FIELD_LABELS = {"items": "查询数据项", "filters": "查询条件", "group_by": "分组数据项"}


def _scalar(item: Item, raw, field: str):
    label = f"查询条件“{item.label}”"
    if raw is None or isinstance(raw, (list, dict)):
        raise BusinessError(f"{label}的值无效", field)
    text = str(raw).strip()
    if len(text) > MAX_TEXT:
        raise BusinessError(f"{label}的值过长（最多 {MAX_TEXT} 个字）", field)
    try:
        if item.type == "date":
            return dt.date.fromisoformat(text)
        if item.type == "int":
            return int(text)
        if item.type == "number":
            return Decimal(text)
    except (ValueError, InvalidOperation):
        raise BusinessError(f"{label}的值不是有效的{TYPES[item.type]}：{text[:20]}", field) from None
    if item.type == "bool":
        if text not in ("1", "0", "true", "false", "是", "否"):
            raise BusinessError(f"{label}的值应为 是 或 否", field)
        return text in ("1", "true", "是")
    if not text:
        raise BusinessError(f"{label}的值不能为空（查空值请用“为空”）", field)
    return text


def _filter(raw, codec) -> Filter:
    if not isinstance(raw, dict):
        raise BusinessError("查询条件格式无效", "filters")
    item = _item(raw.get("item"), "filters")
    op = raw.get("op")
    allowed = PII_OPS if item.encrypted else OPS_BY_TYPE[item.type]
    if op not in allowed:
        raise BusinessError(f"查询条件“{item.label}”不能用运算“{OPS.get(op, str(op)[:20])}”", "filters")
    value = raw.get("value")
    if op in ("empty", "not_empty"):
        return Filter(item, op, None)
    if op == "in":
        values = value if isinstance(value, list) else str(value or "").replace("，", ",").split(",")
        values = [v for v in values if str(v).strip()]
        if not values or len(values) > MAX_IN:
            raise BusinessError(f"查询条件“{item.label}”应给出 1–{MAX_IN} 个值", "filters")
        return Filter(item, op, tuple(_scalar(item, v, "filters") for v in values))
    if op == "range":
        if not isinstance(value, list) or len(value) != 2 or all(v in (None, "") for v in value):
            raise BusinessError(f"查询条件“{item.label}”的范围应给出起、止（可空其一）", "filters")
        lo, hi = (None if v in (None, "") else _scalar(item, v, "filters") for v in value)
        return Filter(item, op, (lo, hi))
    return Filter(item, op, _scalar(item, value, "filters"))


def parse(raw, codec=None) -> Definition:
    """The definition checked: known keys only, operators by type, values typed; else BusinessError (400)."""
    if not isinstance(raw, dict):
        raise BusinessError("查询定义格式无效", "items")
    keys, filters, groups = raw.get("items") or [], raw.get("filters") or [], raw.get("group_by") or []
    if not all(isinstance(x, list) for x in (keys, filters, groups)):
        raise BusinessError("查询定义格式无效：数据项、条件和分组应为列表", "items")
    if not keys and not groups:
        raise BusinessError("请至少选择一个查询数据项", "items")
    if len(keys) > MAX_ITEMS or len(filters) > MAX_FILTERS or len(groups) > 5:
        raise BusinessError(f"最多 {MAX_ITEMS} 个数据项、{MAX_FILTERS} 个条件、5 个分组", "items")
    items = tuple(dict.fromkeys(_item(k, "items") for k in keys))
    group_by = tuple(dict.fromkeys(_item(k, "group_by") for k in groups))
    for g in group_by:
        if g.pii:
            raise BusinessError(f"个人信息“{g.label}”不能作为分组", "group_by")
    d = Definition(items, tuple(_filter(f, codec) for f in filters), group_by)
    entities = {i.entity.key for i in (*d.items, *d.group_by, *(f.item for f in d.filters))} - {"person"}
    if len(entities) > 1:
        names = "、".join(ENTITIES[e].label for e in sorted(entities))
        raise BusinessError(f"一次查询只能组合人员基本信息和另一类数据（现选了：{names}）", "items")
    return d


# -- building --------------------------------------------------------------------------------------------------
def _root(d: Definition):
    keys = {i.entity.key for i in (*d.items, *d.group_by, *(f.item for f in d.filters))} - {"person"}
    return ENTITIES[keys.pop()] if keys else ENTITIES["person"]


def _col(item: Item):
    return getattr(item.entity.model, item.column + ("_enc" if item.encrypted else ""))


def _condition(f: Filter, codec):
    if f.item.encrypted:
        col = getattr(f.item.entity.model, f.item.column + "_bidx")
        if f.op == "eq":
            return col == codec.blind_index(f.item.pii, str(f.value))
        return col.is_(None) if f.op == "empty" else col.is_not(None)
    col = _col(f.item)
    if f.op == "eq":
        return col.is_(f.value) if f.item.type == "bool" else col == f.value
    if f.op == "ne":
        return sa.or_(col != f.value, col.is_(None))
    if f.op == "in":
        return col.in_(list(f.value))
    if f.op == "prefix":
        escaped = f.value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return col.like(escaped + "%", escape="\\")
    if f.op == "range":
        lo, hi = f.value
        return sa.and_(*([col >= lo] if lo is not None else []), *([col <= hi] if hi is not None else []))
    if f.op == "empty":
        return sa.or_(col.is_(None), col == "") if f.item.type == "text" else col.is_(None)
    return sa.and_(col.is_not(None), col != "") if f.item.type == "text" else col.is_not(None)


def build(d: Definition, codes: list[str], codec, limit: int) -> sa.Select:
    """The SELECT of a checked definition over the agencies `codes` (the data scope), at most `limit` + 1 rows."""
    root = _root(d)
    model = root.model
    if d.group_by:
        cols = [_col(g).label(f"c{i}") for i, g in enumerate(d.group_by)]
        q = sa.select(*cols, sa.func.count().label("n"))
    else:
        cols = [_col(i).label(f"c{n}") for n, i in enumerate(d.items)]
        q = sa.select(*cols, Person.id.label("person_id"))
    q = q.select_from(model)
    if model is not Person:
        pid = model.person_id
        if root.via:
            parent, fk = root.via
            q = q.join(parent, parent.id == getattr(model, fk))
            pid = parent.person_id
        q = q.join(Person, Person.id == pid)
    scope = model.agency_code.in_(codes) if codes else sa.false()
    q = q.where(scope, *[_condition(f, codec) for f in d.filters])
    if d.group_by:
        q = q.group_by(*[_col(g) for g in d.group_by]).order_by(sa.desc("n"), *[_col(g) for g in d.group_by])
    else:
        q = q.order_by(model.id)
    return q.limit(limit + 1)


def _show(item: Item, v, codec, unmasked: bool):
    if v is None:
        return None
    if item.encrypted:
        value = codec.decrypt(item.pii, v)
        return value if unmasked else mask_value(item.pii, value)
    if item.pii == "name":
        return v if unmasked else mask_name(v)
    if item.type == "bool":
        return "是" if v else "否"
    if item.type == "date":
        return str(v)[:10]
    if item.type == "number":
        return float(v)
    return v


def run(s: Session, d: Definition, codes: list[str], codec, *, limit: int = PREVIEW,
        unmasked: bool = False) -> Result:
    """At most `limit` rows of the query (`truncated` when there were more), PII decrypted for these rows only
    and masked unless `unmasked`."""
    rows = s.execute(build(d, codes, codec, limit)).all()
    truncated = len(rows) > limit
    rows = rows[:limit]
    if d.group_by:
        headers = [g.label for g in d.group_by] + ["记录数"]
        out = [[_show(g, r[i], codec, unmasked) for i, g in enumerate(d.group_by)] + [int(r.n)] for r in rows]
        return Result(headers, out, [None] * len(out), truncated, limit, True)
    headers = [i.label for i in d.items]
    out = [[_show(i, r[n], codec, unmasked) for n, i in enumerate(d.items)] for r in rows]
    return Result(headers, out, [r.person_id for r in rows], truncated, limit, False)


def describe(d: Definition) -> str:
    """The definition in words (for the printout and the audit log)."""
    parts = ["数据项：" + "、".join(i.label for i in d.items)] if d.items else []
    for f in d.filters:
        v = "" if f.value is None else "～".join("" if x is None else str(x) for x in f.value) \
            if f.op == "range" else "、".join(map(str, f.value)) if f.op == "in" else str(f.value)
        if f.item.pii and v:  # no personal data in the printout's heading or the audit log
            v = "（已隐去）"
        parts.append(f"条件：{f.item.label}{OPS[f.op]}{v}")
    if d.group_by:
        parts.append("分组：" + "、".join(g.label for g in d.group_by))
    return "；".join(parts)
