"""analytics_scope: the app's data scope as the analytics schema's row-level security clause."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from archives_domain.accounts.roles import ensure_builtin_roles
from archives_domain.accounts.users import create_user
from archives_domain.analytics_scope import (ScopeCodeError, rls_clause, scope_agency_codes, scope_role_name)
from archives_domain.models import Agency
from archives_domain.models.security import User

PROV, CITY, COUNTY = "52000001", "52010001", "52010201"
CITY2 = "52030001"  # a 市级 agency without a parent, as the reference list has them all


@pytest.fixture
def tree(engine):
    with Session(engine) as s:
        s.add(Agency(code=PROV, name="贵州省人才大市场", level="省级", region_code="520000", active=True))
        s.flush()
        s.add(Agency(code=CITY, name="贵阳市人才服务中心", level="市级", region_code="520100", parent_code=PROV,
                     active=True))
        s.flush()
        s.add(Agency(code=COUNTY, name="南明区人才服务中心", level="县级", region_code="520102", parent_code=CITY,
                     active=True))
        s.add(Agency(code=CITY2, name="遵义市人才服务中心", level="市级", region_code="520300", active=True))
        ensure_builtin_roles(s)
        create_user(s, username="stat_prov", password="Init#Pass1", role_names=["统计分析员"], agency_code=PROV)
        create_user(s, username="stat_city", password="Init#Pass1", role_names=["统计分析员"], agency_code=CITY)
        create_user(s, username="clerk_city", password="Init#Pass1", role_names=["档案经办人"], agency_code=CITY)
        create_user(s, username="sysadm", password="Init#Pass1", role_names=["系统管理员"], agency_code=PROV)
        s.commit()
    return engine


def _user(s, name):
    return s.scalar(select(User).where(User.username == name))


def test_scope_follows_the_apps_rule(tree):
    with Session(tree) as s:
        assert scope_agency_codes(s, _user(s, "stat_city")) == [CITY, COUNTY]     # downward role: subtree
        assert scope_agency_codes(s, _user(s, "clerk_city")) == [CITY]            # own agency only
        assert scope_agency_codes(s, _user(s, "sysadm")) == []                    # 三员: no business data
        assert scope_agency_codes(s, _user(s, "stat_city").id) == [CITY, COUNTY]
        assert scope_agency_codes(s, PROV) == sorted([PROV, CITY, COUNTY, CITY2])
        # a 省级 agency oversees the province, though no 市级 agency names it as parent
        assert scope_agency_codes(s, _user(s, "stat_prov")) == sorted([PROV, CITY, COUNTY, CITY2])
        assert scope_agency_codes(s, CITY2) == [CITY2]
        assert scope_agency_codes(s, COUNTY) == [COUNTY]
        assert scope_agency_codes(s, "52999999") == []


def test_rls_clause_is_built_from_checked_codes_only():
    assert rls_clause([COUNTY, CITY, CITY]) == f"agency_code IN ('{CITY}', '{COUNTY}')"
    assert rls_clause([]) == "1 = 0"
    for bad in ["52' OR '1'='1", "52 01", "", "５２"]:
        with pytest.raises(ScopeCodeError):
            rls_clause([bad])
    with pytest.raises(ScopeCodeError):
        rls_clause([CITY], column="agency_code; drop")
    assert scope_role_name(CITY) == "scope_" + CITY
    with pytest.raises(ScopeCodeError):
        scope_role_name("x'")


def test_sync_spec_users_roles_and_scopes(tree, settings):
    """Who becomes a Superset user, with which role and scope (the spec `archives superset sync` applies)."""
    from archives_domain.accounts import grants
    from archives_domain.bi.superset_spec import ANALYST, MANAGER, build_spec
    from archives_domain.models import Role
    from archives_domain.pii.store import codec_from_settings
    from ops_app.security.permissions import DEFAULT_GRANTS, expand, universe
    key = grants.seal_key(codec_from_settings(settings).keyring)
    with Session(tree) as s:
        for name in ("统计分析员", "档案经办人", "查询员", "业务负责人"):
            grants.set_role_grants(s, key, s.scalar(select(Role).where(Role.name == name)),
                                   expand(DEFAULT_GRANTS[name]), universe())
        create_user(s, username="query_city", password="Init#Pass1", role_names=["查询员"], agency_code=CITY)
        create_user(s, username="lead_city", password="Init#Pass1", role_names=["业务负责人"], agency_code=CITY)
        viewer = Role(name="看板查看")
        s.add(viewer)
        s.flush()
        grants.set_role_grants(s, key, viewer, expand(("stats.overview",)), universe())
        create_user(s, username="viewer_city", password="Init#Pass1", role_names=["看板查看"], agency_code=CITY)
        s.commit()
        spec = build_spec(s, key, bundle_dir="/b", database_uri="sqlite://", database_schema="main",
                          rls_tables=["fact_archive_stock"], secret="s" * 40, embed_origins=["http://app"])
    users = {u["username"]: u["roles"] for u in spec["users"]}
    # 统计分析员: 综合统计 with 自定义查询 → analyst, scope the subtree; 查询员: 档案信息统计 only → no Superset
    # account (the SSO provider refuses them too); 业务负责人: 自定义查询 too → analyst; a role with 数据概览 alone → manager;
    # 档案经办人 (own agency only) → the `_self` scope; 系统管理员: no 综合统计 → not synced.
    assert users == {"clerk_city": [ANALYST, f"scope_{CITY}_self"], "lead_city": [ANALYST, f"scope_{CITY}"],
                     "viewer_city": [MANAGER, f"scope_{CITY}_self"],
                     "stat_city": [ANALYST, f"scope_{CITY}"], "stat_prov": [ANALYST, f"scope_{PROV}"]}
    scopes = {r["name"]: r["clause"] for r in spec["scope_roles"]}
    assert scopes == {f"scope_{CITY}": rls_clause([CITY, COUNTY]), f"scope_{CITY}_self": rls_clause([CITY]),
                      f"scope_{PROV}": rls_clause([PROV, CITY, COUNTY, CITY2])}
    assert spec["service"]["password"] != spec["service"]["username"] and len(spec["service"]["password"]) == 64
