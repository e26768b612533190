"""统计范围: which of the actor's agencies a statistic covers — one agency, or an agency with its subtree —
always cut to the actor's data scope (`Actor.scope`); a code outside it is refused, never widened."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..business.base import Actor, BusinessError
from ..data_scope import agency_subtree
from ..models import Agency


def agencies_in_scope(s: Session, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the agencies the actor may choose, in code order."""
    if not actor.scope:
        return []
    return [tuple(r) for r in s.execute(select(Agency.code, Agency.name).where(Agency.code.in_(sorted(actor.scope)))
                                        .order_by(Agency.code))]


def chosen_codes(s: Session, actor: Actor, agency: str | None, subtree: bool = True) -> list[str]:
    """The agency codes covered: the whole scope when no agency is chosen; else the chosen agency (and the
    agencies below it when `subtree`) within the scope. A code outside the scope → a Chinese 400 naming 存档机构."""
    scope = set(actor.scope)
    if not agency:
        return sorted(scope)
    if agency not in scope:
        raise BusinessError("存档机构不在您的数据范围内", "agency")
    if not subtree:
        return [agency]
    return sorted(agency_subtree(s, agency) & scope)   # the data scope's own rule (a 省级 agency: the province)
