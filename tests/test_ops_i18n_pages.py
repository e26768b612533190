"""English available on every page, Chinese the default (SQLite and MariaDB).

Walks every page that users holding, between them, all built modules can open (业务负责人: business
and 通知公告; 系统管理员: 存档机构管理 and 用户管理; 安全管理员: 用户权限; 审计管理员: 系统日志) by
following the links of the app from the workbench, with the language switched to English, plus the pages
that show validation errors and flash messages. Fails on any Chinese text outside data values (the
values stored in the database: names, agencies, roles, notices, audit entries …). The reverse: in the
default Chinese, the pages show none of our English interface texts. And the catalogue is complete and
compiled."""
from __future__ import annotations

import html
import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlparse

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain.accounts.users import create_user
from archives_domain.models.base import Base
from biz_seed import seed_persons, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD
from ops_http import csrf, login_admin, login_ready

import pytest

CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff60]")
CATALOGUE = Path(__file__).resolve().parent.parent / "ops_app" / "translations"
SKIP = ("/logout", "/lang/", "/static/", "/appbuilder/", "export.csv", "/api/", "/totp/", "/print")
LANGUAGE_NAMES = ("简体中文",)  # a language's own name in the switcher


@pytest.fixture
def world(ops_app, engine, codec):
    ids = seed_tree_and_users(engine, codec)
    ids["persons"] = seed_persons(engine, codec)
    import datetime as dt

    from biz_seed import seed_todo_sources
    seed_todo_sources(engine, ids["persons"], (dt.datetime.utcnow() + dt.timedelta(hours=8)).date())
    with Session(engine) as s:
        create_user(s, username="secadm", password=INITIAL_PASSWORD, role_names=["安全管理员"], agency_code=COUNTY)
        create_user(s, username="auditor", password=INITIAL_PASSWORD, role_names=["审计管理员"], agency_code=COUNTY)
        s.commit()
    return ids


def data_values(engine) -> list[str]:
    """Every text stored in the database that contains Chinese (longest first)."""
    out: set[str] = set()
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text)) and not c.info.get("pii")]
            if not cols or not sa.inspect(conn).has_table(table.name):
                continue
            for row in conn.execute(sa.select(*cols)):
                for v in row:
                    if isinstance(v, str) and CJK.search(v):
                        out.add(v)
                        out.update(p for p in re.split(r"<[^>]+>|[\s/]+", v) if CJK.search(p))
    out.update(LANGUAGE_NAMES)
    return sorted(out, key=len, reverse=True)


def fragments(page: str) -> list[str]:
    """The visible texts of a page: text nodes and the title/placeholder/alt/value of elements."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    out = []
    for tag in re.findall(r"<[^>]+>", page):
        is_hidden_value = re.search(r'type="hidden"|<option', tag)
        for attr, value in re.findall(r'\b(title|placeholder|alt|value|aria-label)="([^"]*)"', tag):
            if attr == "value" and (is_hidden_value or not re.search(r'type="(submit|button)"', tag)):
                continue
            out.append(html.unescape(value))
    out += [html.unescape(t) for t in re.split(r"<[^>]+>", page)]
    return [f.strip() for f in out if f.strip()]


def leftover_chinese(page: str, data: list[str]) -> list[str]:
    bad = []
    for frag in fragments(page):
        if not CJK.search(frag):
            continue
        rest = frag
        for value in data:
            if value in rest:
                rest = rest.replace(value, " ")
        if CJK.search(rest):
            bad.append(frag)
    return bad


def crawl(client, start="/", limit=80) -> dict[str, str]:
    """GET every page reachable by links of the app (same origin, no side effects), up to `limit`."""
    seen, pages, queue = set(), {}, deque([start])
    while queue and len(pages) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        resp = client.get(path)
        if resp.status_code != 200 or not resp.mimetype == "text/html":
            continue
        text = resp.get_data(as_text=True)
        pages[path] = text
        for href in re.findall(r'href="([^"#]+)"', text):
            url = urlparse(urljoin("http://localhost" + path, html.unescape(href)))
            if url.netloc != "localhost":
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if any(s in target for s in SKIP) or target in seen:
                continue
            queue.append(target)
    return pages


def signed_in(app, username, locale=None):
    c = app.test_client()
    if locale:
        c.get(f"/lang/{locale}")  # chosen on the login page; it survives the login
    if username in ("sysadm", "secadm", "auditor"):
        login_admin(c, username, INITIAL_PASSWORD)
    else:
        login_ready(c, username, INITIAL_PASSWORD)
    return c


def _error_pages(app, clients) -> dict[str, str]:
    """Pages with validation errors and flash messages."""
    out = {}
    leader, sysadm = clients["leader"], clients["sysadm"]
    out["agency form errors"] = sysadm.post("/system/agencies/add", data={
        "csrf_token": csrf(sysadm, "/system/agencies/add"), "code": "", "name": "", "region_code": ""},
        follow_redirects=True).get_data(as_text=True)
    out["user form errors"] = sysadm.post("/system/users/add", data={
        "csrf_token": csrf(sysadm, "/system/users/add"), "username": "坏 名", "first_name": ""},
        follow_redirects=True).get_data(as_text=True)
    out["notice form errors"] = leader.post("/notices/new", data={"csrf_token": csrf(leader, "/notices/new")},
                                            follow_redirects=True).get_data(as_text=True)
    out["quick publish refused"] = leader.post("/notices/quick", data={"csrf_token": csrf(leader, "/")},
                                               follow_redirects=True).get_data(as_text=True)
    out["403"] = leader.get("/system/users/").get_data(as_text=True)
    anon = app.test_client()
    anon.get("/lang/en")
    out["login failed"] = anon.post("/login/", data={"username": "nobody", "password": "x",
                                                     "csrf_token": csrf(anon, "/login/")},
                                    follow_redirects=True).get_data(as_text=True)
    out["login empty"] = anon.post("/login/", data={"csrf_token": csrf(anon, "/login/")},
                                   follow_redirects=True).get_data(as_text=True)
    out["password change errors"] = leader.post("/password/", data={
        "csrf_token": csrf(leader, "/password/"), "old_password": "wrong", "new_password": "short",
        "confirm": "other"}, follow_redirects=True).get_data(as_text=True)
    pa = _first_person(app)
    out["upload refused"] = leader.post(f"/person/{pa}/attachments", content_type="multipart/form-data", data={
        "csrf_token": csrf(leader, f"/person/{pa}"), "file": (__import__("io").BytesIO(b"not an image"), "x.png")},
        follow_redirects=True).get_data(as_text=True)
    out["unmasked"] = leader.post(f"/person/{pa}/full", data={"csrf_token": csrf(leader, f"/person/{pa}")}
                                  ).get_data(as_text=True)
    out["print"] = leader.get(f"/person/{pa}/print").get_data(as_text=True)
    return out


def _first_person(app):
    with app.app_context():
        return app.extensions["sqlalchemy"].session.execute(sa.text("select min(id) from person")).scalar()


USERS = ("leader", "sysadm", "secadm", "auditor")


def _some_business(clients, group_id):
    """A template and a published notice (so that their edit, publish and view pages exist)."""
    leader = clients["leader"]
    leader.post("/notices/templates/new", data={"csrf_token": csrf(leader, "/notices/templates/new"),
                                                "name": "盘库通知模板", "notice_type": "通知", "body": "<p>盘库</p>"})
    leader.post("/notices/quick", data={"csrf_token": csrf(leader, "/"), "title": "本周盘库", "notice_type": "提示",
                                        "body": "<p>暂停借阅</p>", "group_ids": [group_id]})


def test_every_page_is_in_english_when_switched(ops_app, engine, world):
    clients = {u: signed_in(ops_app, u, "en") for u in USERS}
    _some_business(clients, world["group_id"])
    pages = {}
    for user, c in clients.items():
        pages.update({f"{user} {path}": text for path, text in crawl(c).items()})
    # every built module was reached by one of them
    reached = " ".join(pages)
    assert len(pages) > 40, sorted(pages)
    for path in ("/person/", "/notices/", "/notices/templates", "/system/agencies/", "/system/users/",
                 "/permissions/", "/auditlog/", "/password/", "/notices/1/edit", "/notices/1/publish",
                 "/notices/1/view", "/system/agencies/add", "/system/users/add", "/permissions/?user="):
        assert path in reached, path
    pages.update(_error_pages(ops_app, clients))
    data = data_values(engine)
    problems = {name: leftover_chinese(text, data) for name, text in pages.items()}
    problems = {k: v for k, v in problems.items() if v}
    assert problems == {}, problems
    # and English is really there
    assert "Workbench" in pages["leader /"] and "Wrong user name or password" in pages["login failed"]
    assert "Enter the agency code" in pages["agency form errors"]
    assert "Not uploaded" in pages["upload refused"]


ENGLISH_UI = re.compile(r"\b(Workbench|Shortcuts|Recent business|Save|Search|Log out|Change password|Previous|Next|"
                        r"No matching|Enter the|Not saved|Upload|Print|Archive no\.|User name|Password)\b")


def test_the_chinese_default_shows_no_english_interface_text(ops_app, engine, world):
    clients = {u: signed_in(ops_app, u) for u in USERS}
    _some_business(clients, world["group_id"])
    pages = {}
    for user, c in clients.items():
        pages.update({f"{user} {path}": text for path, text in crawl(c).items()})
    problems = {}
    for name, text in pages.items():
        hits = [f for f in fragments(text) if ENGLISH_UI.search(f) and f not in ("English",)]
        if hits:
            problems[name] = hits
    assert problems == {}, problems
    assert "工作台" in pages["leader /"]


def test_the_catalogue_is_complete_and_compiled():
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po
    with open(CATALOGUE / "en" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        po = read_po(fh, locale="en")
    untranslated = [m.id for m in po if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    assert not [m.string for m in po if m.id and CJK.search(m.string)]
    with open(CATALOGUE / "en" / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}, "run pybabel compile"
    # Every marked text of ops_app is in the catalogue (re-extract and compare).
    from babel.messages.extract import extract_from_dir
    root = CATALOGUE.parent
    keywords = {"_": None, "gettext": None, "_l": None, "N_": None, "tr": None, "Msg": None}
    found = {msg for _f, _l, msg, *_ in extract_from_dir(
        str(root), method_map=[("**.py", "python"), ("templates/**.html", "jinja2")], keywords=keywords)
        if isinstance(msg, str)}
    missing = sorted(found - {m.id for m in po})
    assert missing == [], "run ops_app/translations/refresh.sh and translate: " + ", ".join(missing)
