"""出具相关证明 over HTTP, on SQLite and MariaDB: issue from the person (page and API), list search, show, PDF,
作废 (permission, reason, audited), scope (another agency's certificate is 404 in the app, yet its public check
works), the public /verify page (no login, masked name, 有效/已作废, 未找到 without hints, 429 past the limit)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from archives_domain.models import Certificate
from biz_seed import seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD
from ops_http import audit_rows, csrf, login_ready
from test_certificates import ID_OK, seed_people


def _text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def world(ops_app, engine, codec):
    seed_tree_and_users(engine, codec)
    return seed_people(engine, codec)


def client_for(app, username):
    c = app.test_client()
    login_ready(c, username, INITIAL_PASSWORD)
    return c


def issue(c, person_id, kind="存档证明", **extra):
    token = csrf(c, f"/certificates/new?person_id={person_id}")
    return c.post("/certificates/new", data={"person_id": person_id, "kind": kind, "csrf_token": token, **extra})


def test_issue_show_print_search_and_revoke_in_the_pages(ops_app, engine, world):
    clerk = client_for(ops_app, "clerk1")
    form = _text(clerk.get(f"/certificates/new?person_id={world['a']}"))
    assert "张三" in form and "110105********002X" in form and ID_OK not in form and "张大山" in form
    resp = issue(clerk, world["a"], purpose="办理落户", recipient_unit="贵阳市公安局某某派出所")
    assert resp.status_code == 302, _text(resp)
    page = _text(clerk.get(resp.location))
    assert f"CD-{COUNTY}-" in page and 'id="certificate-status"' in page and "有效" in page
    assert 'data-ok="1"' in page and "/verify/CD-" in page
    cid = int(resp.location.rstrip("/").rsplit("/", 1)[1])
    pdf = clerk.get(f"/certificates/{cid}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and "inline" in pdf.headers["Content-Disposition"]
    assert "attachment" in clerk.get(f"/certificates/{cid}/pdf?download=1").headers["Content-Disposition"]
    # bad input: 400, the field named, everything typed kept
    resp = issue(clerk, world["a"], kind="亲属关系证明", purpose="用" * 300, recipient_unit="某某小学",
                 member_ids=str(world["family"][0]))
    body = _text(resp)
    assert resp.status_code == 400 and 'id="purpose-error"' in body and "某某小学" in body
    assert re.search(rf'value="{world["family"][0]}" id="member-{world["family"][0]}" checked', body)
    # list and search
    issue(clerk, world["a"], kind="经历证明")
    listing = _text(clerk.get("/certificates/?kind=经历证明"))
    assert f"JL-{COUNTY}-" in listing and f"CD-{COUNTY}-" not in listing
    assert f"CD-{COUNTY}-" in _text(clerk.get(f"/certificates/?q={ID_OK}"))
    listing = _text(clerk.get(f"/certificates/?q={ID_OK}"))
    assert ID_OK not in listing and "110105********002X" in listing
    assert clerk.get("/certificates/?date_from=2026-02-30").status_code == 400
    # 作废: a reason is asked for, then it is done and audited
    show = f"/certificates/{cid}"
    resp = clerk.post(f"{show}/revoke", data={"reason": "", "version": "1", "csrf_token": csrf(clerk, show)})
    assert resp.status_code == 400 and 'id="reason-error"' in _text(resp)
    resp = clerk.post(f"{show}/revoke", data={"reason": "信息有误，重新出具", "version": "1",
                                              "csrf_token": csrf(clerk, show)})
    assert resp.status_code == 302
    page = _text(clerk.get(show))
    assert "已作废" in page and "信息有误，重新出具" in page and 'id="revoke-form"' not in page
    actions = [r[1] for r in audit_rows(engine)]
    assert "出具证明" in actions and "作废证明" in actions and "打印" in actions and "下载" in actions


def test_scope_permission_and_the_public_check(ops_app, engine, world):
    clerk, other = client_for(ops_app, "clerk1"), client_for(ops_app, "clerkb")
    resp = issue(clerk, world["a"])
    cid = int(resp.location.rstrip("/").rsplit("/", 1)[1])
    with Session(engine) as s:
        cert = s.get(Certificate, cid)
        cert_no, code = cert.cert_no, cert.verify_code
    # another agency: 404 by URL and by API, no issuing for a person it cannot see
    for path in (f"/certificates/{cid}", f"/certificates/{cid}/pdf", f"/api/v1/certificate/{cid}"):
        assert other.get(path).status_code == 404, path
    assert other.get(f"/certificates/new?person_id={world['a']}").status_code == 404
    assert other.post(f"/certificates/{cid}/revoke", data={"reason": "x", "csrf_token": csrf(other, "/certificates/")}
                      ).status_code == 404
    assert f"CD-{COUNTY}" not in _text(other.get("/certificates/"))
    # the public page: no login, any agency's certificate, nothing personal but the masked name
    anon = ops_app.test_client()
    page = anon.get(f"/verify/{cert_no}?c={code}")
    text = _text(page)
    assert page.status_code == 200 and 'data-status="valid"' in text and "张*" in text and "张三" not in text
    assert 'data-ok="1"' in text and "NM2024001" not in text and "110105" not in text
    assert _text(other.get(f"/verify/{cert_no}?c={code}")).count('data-status="valid"') == 1
    for path in (f"/verify/{cert_no}?c=WRONG", f"/verify/{cert_no}", f"/verify/CD-{COUNTY}-2026-999999?c={code}"):
        resp = anon.get(path)
        assert resp.status_code == 404 and "未找到" in _text(resp) and "张*" not in _text(resp)
    # nothing else without login
    for path in ("/certificates/", f"/certificates/{cid}", f"/certificates/{cid}/pdf"):
        assert anon.get(path).status_code == 302
    assert anon.get("/api/v1/certificate/").status_code == 401
    # revoked through the API (CSRF header), then the public page says 已作废
    token = csrf(clerk, f"/certificates/{cid}")
    resp = clerk.post(f"/api/v1/certificate/{cid}/revoke", json={"reason": "当事人申请"},
                      headers={"X-CSRFToken": token})
    assert resp.status_code == 200 and resp.get_json()["result"]["status"] == "已作废"
    assert 'data-status="revoked"' in _text(anon.get(f"/verify/{cert_no}?c={code}"))
    again = clerk.post(f"/api/v1/certificate/{cid}/revoke", json={"reason": "再次"}, headers={"X-CSRFToken": token})
    assert again.status_code == 409
    # 作废 is a permission of the tree: 查询员 (no such grant) is refused
    assert "作废证明" in {row[0] for row in _perm_labels(ops_app)}


def _perm_labels(app):
    from ops_app.security import permissions as P
    return [(str(label),) for _p, label in P.ACTIONS]


def test_api_issues_lists_and_names_bad_fields(ops_app, engine, world):
    clerk = client_for(ops_app, "clerk1")
    token = csrf(clerk, "/certificates/")
    resp = clerk.post("/api/v1/certificate/", json={"person_id": world["a"], "kind": "亲属关系证明",
                                                     "member_ids": world["family"][1:], "purpose": "探亲"},
                      headers={"X-CSRFToken": token})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    got = resp.get_json()["result"]
    assert got["cert_no"].startswith(f"QS-{COUNTY}-") and got["signature_ok"]
    assert [r["name"] for r in got["content"]["rows"]] == ["李秀英", "王丽"]
    bad = clerk.post("/api/v1/certificate/", json={"person_id": world["a"], "kind": "结婚证明", "purpose": "x" * 300},
                     headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"kind"}
    bad = clerk.post("/api/v1/certificate/", json={"person_id": world["a"], "kind": "存档证明", "purpose": "x" * 300},
                     headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"purpose"}
    assert clerk.post("/api/v1/certificate/", json={"person_id": world["b"], "kind": "存档证明"},
                      headers={"X-CSRFToken": token}).status_code == 404
    listed = clerk.get("/api/v1/certificate/?page_size=1").get_json()
    assert listed["count"] == 1 and listed["result"][0]["id_number"] == "110105********002X"
    assert clerk.get("/api/v1/certificate/?after=junk").status_code == 400
    # keyset pages in the order of the date index: page 2 follows page 1's cursor (a date inside)
    clerk.post("/api/v1/certificate/", json={"person_id": world["a"], "kind": "存档证明"},
               headers={"X-CSRFToken": token})
    first = clerk.get("/api/v1/certificate/?date_from=2000-01-01&page_size=1").get_json()
    second = clerk.get(f"/api/v1/certificate/?date_from=2000-01-01&page_size=1&after={first['next']}").get_json()
    assert first["count"] == 2 and second["result"][0]["id"] != first["result"][0]["id"] and second["next"] is None
    back = clerk.get(f"/api/v1/certificate/?date_from=2000-01-01&page_size=1&before={second['prev']}").get_json()
    assert back["result"][0]["id"] == first["result"][0]["id"]


@pytest.mark.sqlite_only  # nothing backend-specific: keeps the MariaDB run short
def test_public_check_is_rate_limited_per_address(make_ops_app, engine, world):
    app = make_ops_app(ARCHIVES_VERIFY_RATE_LIMIT="3 per minute")
    anon = app.test_client()
    codes = [anon.get("/verify/CD-1?c=X").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    resp = anon.get("/verify/CD-1?c=X")
    assert resp.status_code == 429 and "查询过于频繁" in _text(resp) and resp.headers["Retry-After"]
    other = app.test_client()  # another address has its own budget
    assert other.get("/verify/CD-1?c=X", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 404


@pytest.mark.sqlite_only  # nothing backend-specific: keeps the MariaDB run short
def test_two_clerks_revoking_the_same_certificate_second_is_told_who(ops_app, engine, world):
    first, second = client_for(ops_app, "clerk1"), client_for(ops_app, "clerk3")
    cid = int(issue(first, world["a"]).location.rstrip("/").rsplit("/", 1)[1])
    show = f"/certificates/{cid}"
    token_first = csrf(first, show)  # clerk1 opens the page (version 1) …
    resp = second.post(f"{show}/revoke", data={"reason": "重复出具", "version": "1", "csrf_token": csrf(second, show)})
    assert resp.status_code == 302  # … clerk3 revokes it meanwhile
    resp = first.post(f"{show}/revoke", data={"reason": "信息有误", "version": "1", "csrf_token": token_first})
    body = _text(resp)
    assert resp.status_code == 409 and "clerk3" in body and "已作废" in body
