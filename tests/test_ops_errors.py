"""Error pages (400, 403, 404, 405, 413, 429, 500) in Chinese inside the app's frame with a way back, JSON
`{"message": ...}` under /api/; request parameters parsed within bounds (no 500 on hostile values, probed on
every URL rule as every built-in role); no DOM sink in the static JS. On SQLite and MariaDB."""
from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
from flask import request
from sqlalchemy.orm import Session
from werkzeug.exceptions import TooManyRequests

from archives_domain.accounts.roles import ADMIN_ROLES, BUSINESS_ROLES
from archives_domain.accounts.users import create_user
from conftest import COUNTY, INITIAL_PASSWORD, relax_totp
from ops_http import csrf, login_admin, login_ready

ROOT = Path(__file__).resolve().parent.parent
HUGE = "99999999999999999999"  # past the signed 64-bit range of both databases
HOSTILE = (HUGE, "-1", "0", "abc", "1.5", "0000-01-01", "9999-12-31", "2026-02-30", "１２")
# Every request parameter the app reads as a number, id or date (ops_app.params), all set at once.
PARAMS = ("page", "page_size", "id", "user", "role", "start", "end", "template_id", "publisher_id")
# Every rule's query parameters and <int:...> URL parts are probed (none left to other tests).
QUERY_OWNED_ELSEWHERE: set[str] = set()
# GETs that end the session or change its language: not probed.
# The OpenID provider's authorize answers in OAuth 2.0's terms (invalid_request …; tests/test_oidc_provider.py).
SKIP = {"ArchivesAuthDBView.logout", "LocaleView.index", "UtilView.back", "static", "appbuilder.static",
        "OidcAuthorizeView.authorize"}
USERS = {"sysadm": "系统管理员", "secadm": "安全管理员", "auditor": "审计管理员", "clerk1": "档案经办人",
         "leader": "业务负责人", "keeper": "库房管理员", "querier": "查询员", "party": "党务专员",
         "analyst": "统计分析员"}


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _message(resp) -> str:
    """What the user reads: the page, or the JSON message (JSON escapes Chinese)."""
    if resp.is_json:
        return str((resp.get_json(silent=True) or {}).get("message", ""))
    return _text(resp)


@pytest.fixture
def everyone(engine, ops_settings, codec):
    """One account per built-in role; the business roles sign in with the password alone (the three
    administrators always need TOTP: `_client` enrols them)."""
    with Session(engine) as s:
        for username, role in USERS.items():
            if username not in ("sysadm", "clerk1"):  # created by ops_settings
                create_user(s, username=username, password=INITIAL_PASSWORD, role_names=[role],
                            agency_code=COUNTY)
        s.commit()
    relax_totp(engine, codec.keyring, *BUSINESS_ROLES)
    return USERS


def _client(app, username, *, home: bool = True):
    client = app.test_client()
    if USERS[username] in ADMIN_ROLES:
        login_admin(client, username, INITIAL_PASSWORD)
    else:
        login_ready(client, username, INITIAL_PASSWORD)
    if home:
        assert client.get("/").status_code == 200, username
    return client


def _assert_framed(resp, status: int, *, signed_in: bool = True, zh: bool = True) -> str:
    """The Chinese error page inside the app's frame, with the ways back."""
    page = _text(resp)
    assert resp.status_code == status and resp.mimetype == "text/html", (resp.status_code, page[:300])
    assert f'id="error-page" data-status="{status}"' in page
    assert 'class="navbar' in page and 'class="navbar-brand"' in page  # the app's frame
    assert "Traceback" not in page and "werkzeug" not in page.lower()
    if signed_in:
        assert 'data-menu-key="workbench"' in page and 'id="logout-link"' in page  # menu and header
        assert 'id="error-home"' in page and (not zh or "返回工作台" in page)
    else:
        assert "data-menu-key" not in page and 'id="error-login"' in page and "返回登录页" in page
    return page


def _assert_json(resp, status: int) -> str:
    assert resp.status_code == status and resp.mimetype == "application/json", (resp.status_code, _text(resp))
    message = json.loads(_text(resp))["message"]
    assert re.search(r"[\u4e00-\u9fff]", message), message  # Chinese
    return message


# -- each status: the page in the frame, JSON under /api/ ----------------------------------------------------
def test_400_names_the_parameter_in_the_frame_and_in_json(ops_app, everyone):
    auditor = _client(ops_app, "auditor")
    resp = auditor.get("/auditlog/?end=9999-12-31", headers={"Referer": "http://localhost/auditlog/?end=2026-01-31"})
    page = _assert_framed(resp, 400)
    assert "400 请求有误" in page and "参数 end 须为 1900-01-01 至 2999-12-31 之间的有效日期" in page
    assert 'id="error-back" href="http://localhost/auditlog/?end=2026-01-31"' in page and "返回上一页" in page
    assert "参数 page 须为 1 至 1000000 之间的整数" in _assert_json(auditor.get(f"/api/v1/audit-log/?page={HUGE}"),
                                                                   400)


def test_400_of_a_form_without_its_csrf_token_is_chinese(ops_app, everyone):
    clerk = _client(ops_app, "clerk1")
    page = _assert_framed(clerk.post("/workbench/shortcuts/add", data={"key": "workbench"}), 400)
    assert "页面已过期或缺少安全令牌" in page and "CSRF token" not in page


def test_403_from_the_access_guard_uses_the_same_frame_and_json(ops_app, everyone):
    clerk = _client(ops_app, "clerk1")
    page = _assert_framed(clerk.get("/system/users/"), 403)
    assert "403 无权访问" in page and 'id="forbidden"' in page and "请联系安全管理员授权" in page
    assert _assert_json(clerk.get("/api/v1/audit-log/"), 403) == "您没有访问该功能的权限"


def test_404_signed_in_in_the_frame_and_json(ops_app, everyone):
    clerk = _client(ops_app, "clerk1")
    for path in ("/no-such-page/", "/person/987654321", f"/system/users/{HUGE}/edit"):
        page = _assert_framed(clerk.get(path), 404)
        assert "404 页面不存在" in page and "不存在，或不在您的管辖范围内" in page and "Not Found" not in page
    assert "不存在" in _assert_json(clerk.get("/api/v1/person/987654321"), 404)
    assert "不存在" in _assert_json(clerk.get("/api/v1/no-such-thing"), 404)


def test_404_signed_out_is_the_plain_frame_with_the_login_link(ops_app, everyone):
    page = _assert_framed(ops_app.test_client().get("/no-such-page/"), 404, signed_in=False)
    assert "404 页面不存在" in page


def test_405_in_the_frame_with_the_allowed_methods_and_json(ops_app, everyone):
    clerk = _client(ops_app, "clerk1")
    resp = clerk.get("/workbench/shortcuts/add")
    page = _assert_framed(resp, 405)
    assert "405 不支持的访问方式" in page and "（GET）" in page and "POST" in resp.headers["Allow"]
    assert "（DELETE）" in _assert_json(clerk.delete("/api/v1/audit-log/"), 405)


def test_413_upload_over_the_limit_in_the_frame_and_json(ops_app, everyone):
    clerk = _client(ops_app, "clerk1")
    token = csrf(clerk, "/")
    big = {"csrf_token": token, "file": (io.BytesIO(b"\0" * (7 * 1024 * 1024)), "big.png")}
    page = _assert_framed(clerk.post("/person/1/attachments", data=big, content_type="multipart/form-data"), 413)
    assert "413 提交的内容过大" in page and "超过了 6 MB 的上限" in page and "Request Entity Too Large" not in page
    # No API of ours takes a body yet: one that reads its form, as any future one will.
    ops_app.view_functions["AuditLogView.api_list"] = lambda: str(len(request.form))
    auditor = _client(ops_app, "auditor", home=False)
    message = _assert_json(auditor.get("/api/v1/audit-log/", data={"x": "y" * (7 * 1024 * 1024)}), 413)
    assert "6 MB" in message


def _too_many():
    raise TooManyRequests(retry_after=30)


def test_429_in_the_frame_and_json(ops_app, everyone):
    ops_app.view_functions["WorkbenchView.index"] = _too_many  # what a rate limiter raises
    ops_app.view_functions["AuditLogView.api_list"] = _too_many
    auditor = _client(ops_app, "auditor", home=False)
    resp = auditor.get("/")
    page = _assert_framed(resp, 429)
    assert "429 请求过于频繁" in page and "请稍后再试" in page and resp.headers["Retry-After"] == "30"
    assert "请稍后再试" in _assert_json(auditor.get("/api/v1/audit-log/"), 429)


def _boom(*args, **kwargs):
    raise RuntimeError("secret detail of the failure")


def test_500_in_the_frame_without_traceback_and_logged(make_ops_app, everyone, caplog):
    app = make_ops_app(PROPAGATE_EXCEPTIONS=False)  # as in production: the handler answers, Flask logs
    app.view_functions["AuditLogView.index"] = _boom
    app.view_functions["AuditLogView.api_list"] = _boom
    auditor = _client(app, "auditor")
    with caplog.at_level(logging.ERROR):
        page = _assert_framed(auditor.get("/auditlog/"), 500)
        body = auditor.get("/api/v1/audit-log/")
    assert "500 系统内部错误" in page and "已记入日志" in page and "secret detail" not in page
    reference = re.search(r'id="error-reference">错误编号：([0-9a-f]{8})', page).group(1)
    logged = caplog.text
    assert "secret detail of the failure" in logged and "Traceback" in logged and reference in logged
    assert "系统内部错误" in _assert_json(body, 500) and "secret" not in _text(body)


def test_english_users_get_the_error_page_in_english(ops_app, everyone):
    clerk = _client(ops_app, "clerk1")
    clerk.get("/lang/en")
    page = _assert_framed(clerk.get("/no-such-page/"), 404, zh=False)
    assert "404 Page not found" in page and "does not exist or is outside your scope" in page
    assert "Back to the workbench" in page and not re.search(r"[\u4e00-\u9fff]", page.split('id="error-page"')[1])


# -- defect 8: hostile parameters ----------------------------------------------------------------------------
def test_non_integer_ids_on_the_permission_tree_answer_400_naming_the_parameter(ops_app, everyone):
    secadm = _client(ops_app, "secadm")
    assert "参数 user 须为" in _assert_framed(secadm.get("/permissions/?user=abc"), 400)
    assert "参数 role 须为" in _assert_framed(secadm.get(f"/permissions/?role={HUGE}"), 400)
    token = csrf(secadm, "/permissions/")
    resp = secadm.post("/permissions/", data={"user": "1 or 1=1", "module": ["workbench"], "csrf_token": token})
    assert "参数 user 须为" in _assert_framed(resp, 400)


def test_audit_log_dates_past_the_range_answer_400_naming_the_parameter(ops_app, everyone):
    auditor = _client(ops_app, "auditor")
    for query, name in (("end=9999-12-31", "end"), ("start=0001-01-01", "start"), ("end=2026-02-30", "end"),
                        ("start=0000-01-01", "start")):
        assert f"参数 {name} 须为" in _assert_framed(auditor.get(f"/auditlog/?{query}"), 400), query
        assert f"参数 {name} 须为" in _assert_json(auditor.get(f"/api/v1/audit-log/?{query}"), 400), query
    assert auditor.get("/auditlog/?start=2026-01-01&end=2026-01-31").status_code == 200


def test_page_numbers_past_the_range_answer_400_on_every_list(ops_app, everyone):
    sysadm = _client(ops_app, "sysadm")
    for path in ("/system/users/", "/system/agencies/"):
        for bad in (HUGE, "-1", "abc"):
            assert "参数 page 须为 1 至 1000000 之间的整数" in _assert_framed(sysadm.get(f"{path}?page={bad}"), 400)
        assert sysadm.get(f"{path}?page=2").status_code == 200
    auditor = _client(ops_app, "auditor")
    assert "参数 page" in _assert_framed(auditor.get(f"/auditlog/?page={HUGE}"), 400)


def _path_for(rule, value: str) -> str | None:
    path = rule.rule
    for name, converter in rule._converters.items():  # noqa: SLF001 (the rule's own parts)
        kind = type(converter).__name__
        if kind == "PathConverter":
            arg = "archives.css"
        elif kind == "IntegerConverter" or kind == "BoundedIntConverter":
            arg = value
        elif name == "code":
            arg = COUNTY
        else:
            arg = "1" if value.isdigit() else value
        path = re.sub(r"<(?:[^<>:]+:)?" + re.escape(name) + r">", arg, path)
    return path


def _probe(client, path: str, failures: list, who: str):
    try:
        resp = client.get(path)
    except Exception as exc:  # noqa: BLE001 — what the user would see as a 500
        failures.append(f"{who} GET {path}: {type(exc).__name__}: {exc}"[:300])
        return None
    if resp.status_code >= 500:
        failures.append(f"{who} GET {path}: {resp.status_code}")
    elif resp.status_code == 400 and not re.search(r"参数 \w+ (须为|超出范围|应为|无效)", _message(resp)):
        failures.append(f"{who} GET {path}: 400 without naming the parameter")
    return resp


def test_hostile_parameters_on_every_rule_as_every_role_never_answer_500(ops_app, everyone):
    rules = [r for r in ops_app.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in SKIP]
    failures: list[str] = []
    probed = 0
    for username in everyone:
        client = _client(ops_app, username)
        for rule in rules:
            plain = _path_for(rule, "1")
            first = _probe(client, plain, failures, username)
            if first is None or first.status_code in (302, 403):
                continue  # not reachable for this role: the guard answers before any parameter is read
            probed += 1
            for value in HOSTILE:
                if rule._converters:  # noqa: SLF001
                    _probe(client, _path_for(rule, value), failures, username)
                if rule.endpoint not in QUERY_OWNED_ELSEWHERE:
                    _probe(client, plain + "?" + "&".join(f"{p}={value}" for p in PARAMS), failures, username)
    assert probed > 40  # every role reached some pages with hostile values
    assert failures == []


# -- defect 10: no DOM sink in the static JS -----------------------------------------------------------------
SINKS = re.compile(r"\.(?:innerHTML|outerHTML)\s*(?:\+?=)(?!=)|insertAdjacentHTML|document\.write|\beval\s*\("
                   r"|new\s+Function\s*\(|\.html\s*\(|createContextualFragment|srcdoc")


def test_no_html_sink_in_the_apps_javascript():
    found = []
    for path in sorted((ROOT / "ops_app" / "static").rglob("*.js")):
        # Comments may name the sinks (to say they are not used): blank them, keeping the line numbers.
        text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), path.read_text(encoding="utf-8"),
                      flags=re.S)
        for n, line in enumerate(text.splitlines(), start=1):
            if SINKS.search(line.split("//")[0]):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []


def test_the_sink_pattern_catches_the_forms_it_must():
    for bad in ('box.innerHTML = area.value;', 'el.outerHTML=x', 'el.innerHTML += s', 'document.write(s)',
                'el.insertAdjacentHTML("beforeend", s)', '$(el).html(s)'):
        assert SINKS.search(bad), bad
    assert not SINKS.search("area.value = box.innerHTML;")  # reading the markup back is no sink


def test_the_parsers_bounds_and_messages():
    import datetime as dt

    from flask import Flask

    from ops_app.params import MAX_ID, ParamError, id_list, parse_date, parse_int
    assert parse_int("page", " 7 ", lo=1, hi=10) == 7 and parse_int("page", "", lo=1, hi=10, default=1) == 1
    for bad in ("11", "0", "abc", "1e3", "0x10", "１", "-1", HUGE):
        with pytest.raises(ParamError) as err:
            parse_int("page", bad, lo=1, hi=10)
        assert err.value.code == 400 and str(err.value.message) == "参数 page 须为 1 至 10 之间的整数"
    assert parse_date("end", "2026-01-31") == dt.date(2026, 1, 31) and parse_date("end", None) is None
    for bad in ("9999-12-31", "0000-01-01", "2026-02-30", "2026-1-31", "20260131", "2026-01-31T00:00"):
        with pytest.raises(ParamError, match="end"):
            parse_date("end", bad)
    app = Flask(__name__)
    with app.test_request_context("/", method="POST", data={"id": ["3", "", str(MAX_ID)]}):
        assert id_list("id") == [3, MAX_ID]
    with app.test_request_context("/", method="POST", data={"id": ["3", str(MAX_ID + 1)]}):
        with pytest.raises(ParamError, match="参数 id"):
            id_list("id")
