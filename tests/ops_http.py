"""Helpers for HTTP tests of the operational app (Flask test client)."""
from __future__ import annotations

import re

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
NEW_PASSWORD = "Xinkouling#2026"


def csrf(client, path: str) -> str:
    page = client.get(path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str, *, follow: bool = False):
    return client.post("/login/", data={"username": username, "password": password,
                                        "csrf_token": csrf(client, "/login/")}, follow_redirects=follow)


def change_password(client, old: str, new: str, confirm: str | None = None, *, follow: bool = False):
    return client.post("/password/", data={"old_password": old, "new_password": new,
                                           "confirm": new if confirm is None else confirm,
                                           "csrf_token": csrf(client, "/password/")}, follow_redirects=follow)


def login_ready(client, username: str, password: str):
    """Log in and get past the forced first-login password change; returns the password now set."""
    resp = login(client, username, password)
    if resp.location and resp.location.endswith("/password/"):
        resp = change_password(client, password, NEW_PASSWORD)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return NEW_PASSWORD
    return password


def audit_rows(engine, action: str | None = None):
    import sqlalchemy as sa
    query = "select username, action, summary, result, client_ip from audit_log"
    with engine.connect() as conn:
        rows = conn.execute(sa.text(query + " order by id")).all()
    return [r for r in rows if action is None or r.action == action]
