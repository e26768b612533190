"""自定义查询 → 已保存的查询: a user's own named definitions — list, save, load, rename, delete, each only
the user's own (another user's query looks missing: NotFound), audited, optimistic lock on rename."""
from __future__ import annotations

import json

from sqlalchemy import select

from ..business.base import BusinessError, Context, NotFound, audit, check_version, stamp, transaction
from ..models import StatsSavedQuery
from . import custom_query

MODULE = ("综合统计", "自定义查询")
MAX_SAVED = 100


def _name(raw) -> str:
    name = str(raw or "").strip()
    if not name:
        raise BusinessError("请填写查询名称", "name")
    if len(name) > 64:
        raise BusinessError("查询名称最多 64 个字", "name")
    return name


def list_own(ctx: Context) -> list[StatsSavedQuery]:
    return list(ctx.session.scalars(select(StatsSavedQuery).where(StatsSavedQuery.owner == ctx.actor.username)
                                    .order_by(StatsSavedQuery.name)))


def get_own(ctx: Context, query_id) -> StatsSavedQuery:
    try:
        qid = int(query_id)
    except (TypeError, ValueError):
        raise NotFound("查询") from None
    row = ctx.session.scalar(select(StatsSavedQuery).where(StatsSavedQuery.id == qid,
                                                           StatsSavedQuery.owner == ctx.actor.username))
    if row is None:
        raise NotFound("查询")
    return row


def definition_of(row: StatsSavedQuery) -> dict:
    return json.loads(row.definition)


def _taken(ctx: Context, name: str, but: int | None = None) -> bool:
    q = select(StatsSavedQuery.id).where(StatsSavedQuery.owner == ctx.actor.username, StatsSavedQuery.name == name)
    return any(i != but for i in ctx.session.scalars(q))


def save(ctx: Context, name, definition: dict) -> StatsSavedQuery:
    """Save a checked definition under a new name of the user's."""
    name = _name(name)
    d = custom_query.parse(definition, ctx.codec)
    pii = [f.item.label for f in d.filters if f.item.pii and f.value is not None]
    if pii:  # a definition is kept in clear: it may not hold a 身份证号, a phone number or a name
        raise BusinessError(f"含个人信息条件（{'、'.join(pii)}）的查询不能保存，请去掉该条件的值后再保存", "filters")
    with transaction(ctx) as s:
        if _taken(ctx, name):
            raise BusinessError(f"已有名为“{name}”的查询，请换一个名称", "name")
        if len(list_own(ctx)) >= MAX_SAVED:
            raise BusinessError(f"每位用户最多保存 {MAX_SAVED} 个查询", "name")
        row = StatsSavedQuery(owner=ctx.actor.username, agency_code=ctx.actor.agency_code, name=name,
                              definition=json.dumps(d.as_json(), ensure_ascii=False))
        stamp(ctx, row, new=True)
        s.add(row)
        s.flush()
        audit(ctx, "保存查询", f"保存自定义查询“{name}”：{custom_query.describe(d)}", module=MODULE,
              object_type="stats_saved_query", object_id=row.id, after={"name": name, "definition": d.as_json()})
    return row


def rename(ctx: Context, query_id, name, expected_version=None) -> StatsSavedQuery:
    name = _name(name)
    with transaction(ctx):
        row = get_own(ctx, query_id)
        check_version(row, expected_version)
        if _taken(ctx, name, but=row.id):
            raise BusinessError(f"已有名为“{name}”的查询，请换一个名称", "name")
        before = row.name
        row.name = name
        stamp(ctx, row)
        audit(ctx, "修改", f"自定义查询“{before}”改名为“{name}”", module=MODULE, object_type="stats_saved_query",
              object_id=row.id, before={"name": before}, after={"name": name})
    return row


def delete(ctx: Context, query_id) -> None:
    with transaction(ctx) as s:
        row = get_own(ctx, query_id)
        audit(ctx, "删除", f"删除自定义查询“{row.name}”", module=MODULE, object_type="stats_saved_query",
              object_id=row.id, before={"name": row.name, "definition": definition_of(row)})
        s.delete(row)


def audit_output(ctx: Context, action: str, summary: str, module: tuple[str, ...]) -> None:
    """下载/打印 of a statistic into the audit chain (as the other modules audit their 打印/下载)."""
    with transaction(ctx):
        audit(ctx, action, summary, module=module)
