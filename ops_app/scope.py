"""Data scope (数据范围): which agencies' business data a user sees — one mechanism for every view.

Every user belongs to an agency (`ab_user.agency_code`). A user holding one of
`DOWNWARD_ROLES` (业务负责人, 查询员, 统计分析员) sees the agency and everything
below it (省 ⊃ 市州 ⊃ 县区, via `agency.parent_code`): at the provincial agency
that is the whole province, at a prefecture its counties. Everyone else with
business roles (档案经办人, 库房管理员, 党务专员) sees only their own agency.
Admin roles see no business data.

Use it as
* `visible_agency_codes(session, user)` — the codes (computed once per request);
* `in_scope(Model)` — a where-clause for any query over a business model;
* `get_in_scope(session, Model, pk)` — a record or 404, so that a record of
  another agency looks exactly like one that does not exist;
* `AgencyScopeFilter` — the same clause as a FAB base filter for ModelView /
  ModelRestApi: `base_filters = [["agency_code", AgencyScopeFilter, lambda: None]]`.
"""
from __future__ import annotations

from flask import abort, g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false, select
from sqlalchemy.orm import Session

from archives_domain.data_scope import DOWNWARD_ROLES, agency_subtree, scope_for  # noqa: F401 (re-exported)


def visible_agency_codes(s: Session, user) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cache_key = ("archives_scope", user.id)
    if has_request_context() and g.get("archives_scope_key") == cache_key:
        return g.archives_scope
    codes = scope_for(s, user.agency_code, {r.name for r in user.roles})
    if has_request_context():
        g.archives_scope_key, g.archives_scope = cache_key, codes
    return codes


def _current_codes() -> frozenset[str]:
    from flask import current_app
    return visible_agency_codes(current_app.appbuilder.session, g.get("user"))


def in_scope(model, codes: frozenset[str] | None = None):
    """Where-clause: the row belongs to an agency the current user may see."""
    codes = _current_codes() if codes is None else codes
    return model.agency_code.in_(sorted(codes)) if codes else false()


def get_in_scope(s: Session, model, pk: int):
    """The record if it exists and is in scope; 404 otherwise (no hint that it exists elsewhere)."""
    row = s.scalar(select(model).where(model.id == pk, in_scope(model)))
    if row is None:
        abort(404)
    return row


class AgencyScopeFilter(BaseFilter):
    """FAB base filter: restricts a ModelView / ModelRestApi to the current user's data scope."""

    name = "数据范围"
    arg_name = None

    def apply(self, query, value):
        return query.filter(in_scope(self.model))
