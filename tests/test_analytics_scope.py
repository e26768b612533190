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
        ensure_builtin_roles(s)
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
        assert scope_agency_codes(s, PROV) == sorted([PROV, CITY, COUNTY])
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
