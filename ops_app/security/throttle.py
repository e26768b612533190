"""登录失败处理: rate limits per client address (all user names) and per (user name, address) failures.

Both live in the Flask-Limiter storage (`RATELIMIT_STORAGE_URI`: Redis in production and the tests, so
every gunicorn worker sees the same counters; `memory://` by default for the embedded set-up). The rules —
thresholds, growing delays, what an account-wide lock needs — are `archives_domain.accounts.login_policy`.
"""
from __future__ import annotations

import hashlib
import math
import time

from flask import current_app, jsonify, render_template, request
from flask_limiter import Limiter
from limits import parse_many

from archives_domain.accounts import login_policy as policy

from ..i18n import Msg, show

EXT = "archives_limiter"
# Every step of a login an outsider can repeat: the password form and the second factor.
LOGIN_ENDPOINTS = frozenset({"ArchivesAuthDBView.login", "TotpView.verify", "TotpView.enroll"})


def client_address() -> str:
    # Behind the reverse proxy, ProxyFix (ARCHIVES_PROXY_HOPS) has already put the client's address here.
    return request.remote_addr or "-"


def init_app(app) -> None:
    """One limiter per app (its storage and key prefix come from the app's RATELIMIT_* settings)."""
    app.extensions[EXT] = Limiter(key_func=client_address, app=app)
    app.before_request(limit_login_attempts)


def _limiter() -> Limiter:
    return current_app.extensions[EXT]


def limit_login_attempts():
    """before_request: a POST to a login step beyond the address's budget is answered 429, unchecked."""
    if request.method != "POST" or request.endpoint not in LOGIN_ENDPOINTS:
        return None
    limiter, address = _limiter(), client_address()
    for item in parse_many(current_app.config["ARCHIVES_LOGIN_RATE_LIMIT"]):
        if not limiter.limiter.hit(item, "login-address", address):
            reset_at = limiter.limiter.get_window_stats(item, "login-address", address).reset_time
            _audit_breach(address, str(item))
            return too_many(Msg("登录尝试过于频繁，请 %(n)s 秒后再试", n=max(1, math.ceil(reset_at - time.time()))))
    return None


def _audit_breach(address: str, limit: str) -> None:
    """One audit entry per address and minute of refusals (not one per refused request: that would be a flood)."""
    if _limiter().storage.incr(f"login-breach:{address}", 60) != 1:
        return
    from . import events
    s = current_app.appbuilder.sm.session
    events.record(s, "登录限流", f"登录尝试超过限额（{limit}），该地址的登录请求被拒绝", username=None, result="失败")
    s.commit()


def too_many(message: Msg):
    """429 in the user's language: JSON for API clients, a page (with the way back to the login) otherwise."""
    text = show(message)
    retry = str(message.params.get("n", 60)) if isinstance(message, Msg) else "60"
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        resp = jsonify(message=text)
    else:
        resp = current_app.make_response(render_template("security/too_many.html", message=text,
                                                         appbuilder=current_app.appbuilder))
    resp.status_code = 429
    resp.headers["Retry-After"] = retry
    return resp


# -- failures per (user name as typed, client address) --------------------------------------------------------
def _key(kind: str, username: str) -> str:
    name = hashlib.new("sm3", policy.normalise_name(username).encode()).hexdigest()[:32]
    return f"login-{kind}:{name}:{client_address()}"


def _left(key: str) -> float:
    return _limiter().storage.get_expiry(key) - time.time()


def refusal(username: str) -> Msg | None:
    """The answer for this name from this address without looking at the password (locked or too soon), or None."""
    storage = _limiter().storage
    if storage.get(lock := _key("lock", username)):
        return Msg("登录失败次数过多，请 %(m)s 分钟后再试", m=max(1, math.ceil(_left(lock) / 60)))
    if storage.get(wait := _key("wait", username)):
        return Msg("登录尝试过快，请 %(s)s 秒后再试", s=max(1, math.ceil(_left(wait))))
    return None


def count_failure(username: str) -> tuple[int, bool]:
    """One more failure of this name from this address: (consecutive failures, whether this one locked it)."""
    cfg, storage = current_app.config, _limiter().storage
    lock_seconds = int(cfg["ARCHIVES_LOCK_DURATION"].total_seconds())
    failures = storage.incr(_key("fail", username), lock_seconds)
    if policy.is_lock(failures, cfg["ARCHIVES_LOCK_THRESHOLD"]):
        forget_failures(username)
        storage.incr(_key("lock", username), lock_seconds)
        return failures, True
    delay = policy.delay_after(failures, cfg["ARCHIVES_LOGIN_DELAY_SECONDS"])
    if delay:
        storage.incr(_key("wait", username), delay)
    return failures, False


def forget_failures(username: str) -> None:
    storage = _limiter().storage
    storage.clear(_key("fail", username))
    storage.clear(_key("wait", username))
