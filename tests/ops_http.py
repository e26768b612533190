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


# -- TOTP (the second factor) --------------------------------------------------------------------------------
SECRET = re.compile(r'id="totp-secret">([A-Z2-7 ]+)</code>')


class Authenticator:
    """A phone's authenticator app: codes for a secret, never reusing a time step (the server refuses that)."""

    def __init__(self, secret: str):
        import pyotp
        self.totp = pyotp.TOTP(secret.replace(" ", ""))
        self.last: int | None = None

    def code(self) -> str:
        import time
        now = self.totp.timecode(time.time())
        step = now if self.last is None else max(now - 1, self.last + 1)
        if step > now + 1:  # the window is used up: wait for the clock
            time.sleep(31)
            return self.code()
        self.last = step
        return self.totp.generate_otp(step)

    def wrong_code(self) -> str:
        import time
        now = self.totp.timecode(time.time())
        valid = {self.totp.generate_otp(now + d) for d in (-1, 0, 1, 2)}
        return next(c for c in (f"{i:06d}" for i in range(123456, 999999, 7919)) if c not in valid)


def totp_post(client, path: str, code: str, *, follow: bool = False):
    return client.post(path, data={"code": code, "csrf_token": csrf(client, path)}, follow_redirects=follow)


def enrol(client, *, signed_in: bool = False) -> Authenticator:
    """On /totp/enroll/ (after the password): read the secret from the page and confirm a code."""
    page = client.get("/totp/enroll/").get_data(as_text=True)
    match = SECRET.search(page)
    assert match, "no TOTP secret on the enrolment page"
    phone = Authenticator(match.group(1))
    resp = totp_post(client, "/totp/enroll/", phone.code())
    if signed_in:
        assert resp.status_code == 302 and 'id="totp-enabled"' in client.get(resp.location).get_data(as_text=True)
    else:
        assert resp.status_code == 302 and "/totp/" not in resp.location, resp.location
    return phone


def login_admin(client, username: str, password: str, phone: Authenticator | None = None):
    """Password, then TOTP (enrolling on the first login), then the forced password change.

    Returns (password now set, authenticator)."""
    resp = login(client, username, password)
    assert resp.status_code == 302, resp.status_code
    if resp.location.endswith("/totp/enroll/"):
        phone = enrol(client)
    else:
        assert resp.location.endswith("/totp/verify/"), resp.location
        resp = totp_post(client, "/totp/verify/", phone.code())
        assert resp.status_code == 302 and "/totp/" not in resp.location
    if client.get("/").location and client.get("/").location.endswith("/password/"):
        resp = change_password(client, password, NEW_PASSWORD)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        password = NEW_PASSWORD
    return password, phone


def logout(client, *, follow: bool = False):
    """Log out as the nav's button does: a POST with the CSRF token (GET /logout/ only asks)."""
    return client.post("/logout/", data={"csrf_token": csrf(client, "/logout/")}, follow_redirects=follow)
