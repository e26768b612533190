"""工作台: the landing page after login, with its five panels."""
from __future__ import annotations

import datetime as dt

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose

from ..menu import by_key
from . import workbench_queries as q

BEIJING = dt.timedelta(hours=8)


def beijing(ts: dt.datetime | None) -> str:
    return (ts + BEIJING).strftime("%Y-%m-%d %H:%M:%S") if ts else "—"


class WorkbenchView(IndexView):
    index_template = "workbench.html"

    @expose("/")
    def index(self):
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(url_for("ArchivesAuthDBView.login"))
        s = self.appbuilder.session
        today = (dt.datetime.utcnow() + BEIJING).date()
        scope = q.agency_scope(s, user.agency_code)
        menu = by_key()
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, title="工作台",
            shortcuts=[menu[k] for k in q.shortcuts(s, user.id) if k in menu],
            done=q.done_business(s, user.username),
            notices=q.received_notices(s, user.id),
            counts=q.business_counts(s, scope, today),
            todos=q.todos(s, user.id, user.agency_code, today),
            prev_login_at=beijing(user.prev_login_at), prev_login_ip=user.prev_login_ip or "—",
            first_login=user.prev_login_at is None, beijing=beijing, today=today)
