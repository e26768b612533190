"""Login, logout and password change pages."""
from __future__ import annotations

import time

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder.baseviews import BaseView, expose
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_login import login_user, logout_user

from archives_domain.accounts.passwords import MAX_AGE, PasswordPolicyError

from . import totp
from ..i18n import _, show
from .forms import ChangePasswordForm, LoginForm, TotpForm
from .models import ArchivesUser
from .session_guard import SESSION_SID, mark_seen

NO_STORE = {"Cache-Control": "no-store"}
MFA_USER, MFA_AT, MFA_NEXT = "mfa_user", "mfa_at", "mfa_next"
MFA_TIMEOUT_SECONDS = 300


def clear_session() -> None:
    """A fresh cookie session (no fixation, nothing of the previous login); the chosen language survives."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def complete_login(user, must_change: bool, next_url: str):
    """Every factor checked: make the user's one session and go on (to the forced password change if due)."""
    sm = current_app.appbuilder.sm
    clear_session()
    sid = sm.start_session(user)
    login_user(user, remember=False)
    session.permanent = True
    session[SESSION_SID] = sid
    mark_seen()
    if must_change:
        session["must_change_password"] = True
        flash(_("首次登录或口令已超过 90 天未修改，请先修改口令"), "warning")
        return redirect(url_for("ArchivesAuthDBView.change_password"))
    return redirect(next_url)


def pending_user():
    """The user who passed the password step and owes the second factor (for 5 minutes), or None."""
    uid, at = session.get(MFA_USER), session.get(MFA_AT, 0)
    if uid is None or time.time() - at > MFA_TIMEOUT_SECONDS:
        return None
    user = current_app.appbuilder.sm.session.get(ArchivesUser, uid)
    return user if user is not None and user.active else None


class TotpView(BaseView):
    """动态口令: enrolment by QR code and the code asked after the password."""

    route_base = "/totp"
    default_view = "verify"

    @expose("/verify/", methods=["GET", "POST"])
    def verify(self):
        user = pending_user()
        if user is None or not user.totp_enabled:
            clear_session()
            flash(_("请先输入用户名和口令"), "warning")
            return redirect(url_for("ArchivesAuthDBView.login"))
        form = TotpForm()
        if form.validate_on_submit():
            outcome = self.appbuilder.sm.check_totp(user, form.code.data)
            if outcome.user is not None:
                return complete_login(outcome.user, outcome.must_change, session.get(MFA_NEXT) or "/")
            if "锁定" in (outcome.message or ""):
                clear_session()  # the pending login ends with the lock (then the message, kept in the new session)
                flash(show(outcome.message), "danger")
                return redirect(url_for("ArchivesAuthDBView.login"))
            flash(show(outcome.message), "danger")
            return redirect(url_for(".verify"))
        return self.render_template("security/totp_verify.html", title=_("动态口令"), form=form, username=user.username,
                                    appbuilder=self.appbuilder), 200, NO_STORE

    @expose("/enroll/", methods=["GET", "POST"])
    def enroll(self):
        signed_in = g.user is not None and g.user.is_authenticated
        user = g.user if signed_in else pending_user()
        if user is None:
            clear_session()
            flash(_("请先输入用户名和口令"), "warning")
            return redirect(url_for("ArchivesAuthDBView.login"))
        sm = self.appbuilder.sm
        if user.totp_enabled:
            if not signed_in:
                return redirect(url_for(".verify"))
            return self.render_template("security/totp_enroll.html", title=_("动态口令"), enabled=True, form=None,
                                        appbuilder=self.appbuilder), 200, NO_STORE
        form = TotpForm()
        if form.validate_on_submit():
            outcome = sm.check_totp(user, form.code.data, enrolling=True)
            if outcome.user is not None:
                flash(_("动态口令已绑定，今后登录时须输入手机上显示的 6 位动态口令"), "success")
                if signed_in:
                    return redirect(url_for(".enroll"))
                return complete_login(outcome.user, outcome.must_change, session.get(MFA_NEXT) or "/")
            if "锁定" in (outcome.message or ""):
                clear_session()  # the pending login ends with the lock (then the message, kept in the new session)
                flash(show(outcome.message), "danger")
                return redirect(url_for("ArchivesAuthDBView.login"))
            flash(show(outcome.message), "danger")
            return redirect(url_for(".enroll"))
        secret = sm.totp_enrolment_secret(user)
        uri = totp.provisioning_uri(secret, user.username)
        return self.render_template("security/totp_enroll.html", title=_("绑定动态口令"), enabled=False, form=form,
                                    qr=totp.qr_data_uri(uri), secret=totp.grouped(secret),
                                    required=not signed_in, appbuilder=self.appbuilder), 200, NO_STORE


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
                flash(show(outcome.message), "danger")
                return redirect(url_for(".login"))
            requested = request.args.get("next")
            next_url = get_safe_redirect(requested) if requested else self.appbuilder.get_url_for_index
            # A fresh cookie session for the new login: nothing from before it survives (session fixation).
            clear_session()
            if sm.totp_needed(outcome.user):
                # Second factor: the password alone signs nobody in; the code (or its enrolment) comes next.
                session.update({MFA_USER: outcome.user.id, MFA_AT: int(time.time()), MFA_NEXT: next_url})
                session.permanent = True
                enrolled = outcome.user.totp_enabled
                return redirect(url_for("TotpView.verify" if enrolled else "TotpView.enroll"))
            return complete_login(outcome.user, outcome.must_change, next_url)
        return self.render_template(self.login_template, title=_("登录"), form=form,
                                    appbuilder=self.appbuilder), 200, NO_STORE

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        """POST (with the CSRF token, as every POST) logs out; GET only asks, so no link or image can log anyone out."""
        user = g.user
        signed_in = user is not None and user.is_authenticated
        if request.method == "GET":
            if not signed_in:
                return redirect(url_for(".login"))
            return self.render_template("security/logout_confirm.html", title=_("退出"),
                                        appbuilder=self.appbuilder), 200, NO_STORE
        if signed_in:
            self.appbuilder.sm.end_session(user, "登出", "用户登出")
        logout_user()
        clear_session()
        flash(_("您已安全退出"), "info")
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
                flash(_("口令未修改：") + show(exc), "danger")
            else:
                session.pop("must_change_password", None)
                flash(_("口令已修改"), "success")
                return redirect(self.appbuilder.get_url_for_index)
        return self.render_template(self.change_template, title=_("修改口令"), form=form, max_age_days=MAX_AGE.days,
                                    appbuilder=self.appbuilder), 200, NO_STORE
