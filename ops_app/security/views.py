"""Login, logout and password change pages."""
from __future__ import annotations

from flask import flash, g, redirect, request, session, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_login import login_user, logout_user

from archives_domain.accounts.passwords import MAX_AGE, PasswordPolicyError

from .forms import ChangePasswordForm, LoginForm
from .session_guard import SESSION_SID, mark_seen

NO_STORE = {"Cache-Control": "no-store"}


class ArchivesAuthDBView(AuthDBView):
    login_template = "security/login.html"
    change_template = "security/change_password.html"

    @expose("/login/", methods=["GET", "POST"])
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_index)
        form = LoginForm()
        if form.validate_on_submit():
            sm = self.appbuilder.sm
            outcome = sm.authenticate(form.username.data, form.password.data)
            if outcome.user is None:
                flash(outcome.message, "danger")
                return redirect(url_for(".login"))
            requested = request.args.get("next")
            next_url = get_safe_redirect(requested) if requested else self.appbuilder.get_url_for_index
            # A fresh cookie session for the new login: nothing from before it survives (session fixation).
            session.clear()
            sid = sm.start_session(outcome.user)
            login_user(outcome.user, remember=False)
            session.permanent = True
            session[SESSION_SID] = sid
            mark_seen()
            if outcome.must_change:
                session["must_change_password"] = True
                flash("首次登录或口令已超过 90 天未修改，请先修改口令", "warning")
                return redirect(url_for(".change_password"))
            return redirect(next_url)
        return self.render_template(self.login_template, title="登录", form=form,
                                    appbuilder=self.appbuilder), 200, NO_STORE

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        user = g.user
        if user is not None and user.is_authenticated:
            self.appbuilder.sm.end_session(user, "登出", "用户登出")
        logout_user()
        session.clear()
        flash("您已安全退出", "info")
        return redirect(url_for(".login"))

    @expose("/password/", methods=["GET", "POST"])
    def change_password(self):
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(url_for(".login"))
        form = ChangePasswordForm()
        if form.validate_on_submit():
            try:
                self.appbuilder.sm.change_password(user, form.old_password.data, form.new_password.data)
            except PasswordPolicyError as exc:
                self.appbuilder.sm.session.rollback()
                flash(f"口令未修改：{exc}", "danger")
            else:
                session.pop("must_change_password", None)
                flash("口令已修改", "success")
                return redirect(self.appbuilder.get_url_for_index)
        return self.render_template(self.change_template, title="修改口令", form=form, max_age_days=MAX_AGE.days,
                                    appbuilder=self.appbuilder), 200, NO_STORE
