"""Checks on every request: one session per user, idle timeout, forced password change."""
from __future__ import annotations

import time

from flask import current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_login import logout_user

from ..i18n import Msg, show
from .permissions import PUBLIC_BLUEPRINTS

SESSION_SID = "sid"
LAST_SEEN = "last_seen"
# Reachable while a password change is forced (the change page itself, logout, static files).
_OPEN_WHILE_FORCED = {"ArchivesAuthDBView.change_password", "ArchivesAuthDBView.logout",
                      "ArchivesAuthDBView.login", "static", "appbuilder.static"}


def mark_seen() -> None:
    session[LAST_SEEN] = int(time.time())


def _end(message: str):
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale  # the message below in the user's language
    g.user = None
    if request.path.startswith("/api/"):
        return jsonify(message=show(message)), 401
    flash(show(message), "warning")
    return redirect(url_for("ArchivesAuthDBView.login"))


def guard():
    """before_request, after FAB has set g.user. A returned response ends the request."""
    user = g.get("user")
    if request.endpoint in ("static", "appbuilder.static") or user is None or not user.is_authenticated:
        return None
    if request.blueprint in PUBLIC_BLUEPRINTS:  # a public page neither ends nor extends anyone's session
        return None
    sm = current_app.appbuilder.sm
    if not sm.session_is_current(user, session.get(SESSION_SID)):
        # Another login (or a logout) replaced this session: the cookie is dead, whoever holds it.
        return _end(Msg("会话已失效（账号已在别处登录或已退出），请重新登录"))
    idle = current_app.config["ARCHIVES_IDLE_TIMEOUT"]
    last = session.get(LAST_SEEN, 0)
    if time.time() - last > idle.total_seconds():
        minutes = int(idle.total_seconds() // 60)
        sm.end_session(user, "会话超时", f"{minutes} 分钟无操作，会话结束")
        return _end(Msg("超过 %(n)s 分钟无操作，已自动退出，请重新登录", n=minutes))
    mark_seen()
    if session.get("must_change_password") and request.endpoint not in _OPEN_WHILE_FORCED:
        return redirect(url_for("ArchivesAuthDBView.change_password"))
    return None
