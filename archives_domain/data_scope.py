"""Data scope (数据范围): which agencies' business data a user sees — the rule, without Flask.

A user holding one of `DOWNWARD_ROLES` (业务负责人, 查询员, 统计分析员) sees their agency and
everything below it (市州 ⊃ 县区, via `agency.parent_code`); at a 省级 agency that is the whole province
(the reference list gives the 市级 agencies no parent: the three 省级 centres are peers, none of them the
市州 centres' parent, yet a provincial manager oversees all 103); everyone else with business
roles sees only their own agency; administrator roles (三员) see no business data.

`ops_app/scope.py` applies this rule per request; `analytics_scope.py` turns it into the
row-level security of the analytics schema (Superset).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts.roles import ADMIN_ROLES
from .models import Agency

DOWNWARD_ROLES = frozenset({"业务负责人", "查询员", "统计分析员"})
PROVINCE_LEVEL = "省级"  # its downward scope is every agency of the province


def agency_subtree(s: Session, code: str) -> set[str]:
    """The agency and every agency below it, at any depth (机构及其下级); a 省级 agency: all agencies."""
    if s.scalar(select(Agency.level).where(Agency.code == code)) == PROVINCE_LEVEL:
        return set(s.scalars(select(Agency.code)))
    codes, frontier = {code}, {code}
    while frontier:
        children = set(s.scalars(select(Agency.code).where(Agency.parent_code.in_(sorted(frontier)))))
        frontier = children - codes
        codes |= frontier
    return codes


def scope_for(s: Session, agency_code: str | None, roles: set[str]) -> frozenset[str]:
    """The agency codes a user of `agency_code` holding `roles` may see (数据范围)."""
    if not agency_code:
        return frozenset()
    business = set(roles) - set(ADMIN_ROLES)
    if not business:
        return frozenset()
    if business & DOWNWARD_ROLES:
        return frozenset(agency_subtree(s, agency_code))
    return frozenset({agency_code})
