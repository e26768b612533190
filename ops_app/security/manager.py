"""ArchivesSecurityManager: FAB's security manager with the 等保三级 login rules.

FAB's own password hashing, self-registration and default admin are not used:
passwords are PBKDF2-HMAC-SM3 (archives_domain.accounts.passwords), accounts
come from `archives users create`, and every login decision is audited.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_appbuilder.security.sqla.manager import SecurityManager
from sqlalchemy import select

from archives_domain.accounts import passwords
from archives_domain.accounts.roles import check_role_combination
from archives_domain.accounts.users import set_password
from archives_domain.models.base import now_utc
from archives_domain.models.security import User as DomainUser

from ..i18n import Msg
from . import events, throttle, totp
from .models import ArchivesUser
from .views import ArchivesAuthDBView

BAD_LOGIN = Msg("用户名或口令错误")


@dataclass
class LoginOutcome:
    user: ArchivesUser | None
    message: str | None = None
    must_change: bool = False


def session_digest(sid: str) -> str:
    """What ab_user.session_id holds: a digest, so reading the table gives no usable session."""
    return hashlib.new("sm3", sid.encode()).hexdigest()


class ArchivesSecurityManager(SecurityManager):
    user_model = ArchivesUser
    authdbview = ArchivesAuthDBView

    # -- FAB hooks that would bypass our rules ---------------------------------
    def create_db(self) -> None:
        """Never create tables or default roles: the schema belongs to the migrations."""

    def add_user(self, *args, **kwargs):  # pragma: no cover - guard
        raise NotImplementedError("请使用 archives users create 创建账号（口令策略与审计）")

    def reset_password(self, userid, password):  # pragma: no cover - guard; FAB's admin form
        raise NotImplementedError("请使用本系统的修改口令功能")

    # -- login -------------------------------------------------------------------
    def authenticate(self, username: str, password: str) -> LoginOutcome:
        """Check the credentials under the 登录失败处理 rules (login_policy); audit the outcome. Commits.

        Unknown names, disabled accounts and wrong passwords get the same answers, delays and locks: the
        counters are per (name as typed, client address), so nobody learns whether an account exists and
        an outsider can only lock their own address out of a name."""
        s, now = self.session, now_utc()
        username = (username or "").strip()
        refused = throttle.refusal(username)
        if refused is not None:  # locked or too soon for this name from this address: the password is not checked
            events.record(s, "登录失败", f"登录失败：{refused}", username=username, result="失败")
            s.commit()
            return LoginOutcome(None, refused)
        user = s.scalar(select(ArchivesUser).where(ArchivesUser.username == username)) if username else None
        if user is None or not user.active:
            passwords.dummy_check(password or "")
            return LoginOutcome(None, self._password_failure(username, user, "账号已停用" if user else "用户名不存在"))
        if not passwords.check_password(user.password, password or ""):
            return LoginOutcome(None, self._password_failure(username, user, "口令错误"))
        throttle.forget_failures(username)
        if user.locked_until and user.locked_until > now:
            # Only after the right password: the account-wide lock (wrong TOTP codes) is nobody else's business.
            events.record(s, "登录失败", "登录失败：账号锁定期间尝试登录", username=user.username,
                          agency_code=user.agency_code, result="失败", object_id=str(user.id))
            s.commit()
            return LoginOutcome(None, Msg("账号已被锁定，请于 %(t)s 后再试或联系安全管理员", t=_beijing(user.locked_until)))
        must_change = bool(user.must_change_password) or passwords.is_expired(user.password_changed_at, now)
        return LoginOutcome(user, None, must_change)

    def _password_failure(self, username: str, user: ArchivesUser | None, what: str) -> str:
        """A failed password step: counted for (name, address), audited; the answer never depends on `user`. Commits."""
        s, cfg = self.session, current_app.config
        failures, locked = throttle.count_failure(username)
        who = {"username": username, "agency_code": user.agency_code if user else None,
               "object_id": str(user.id) if user else None}
        events.record(s, "登录失败", f"登录失败：{what}（本地址连续第 {failures} 次）", result="失败", **who)
        message = BAD_LOGIN
        if locked:
            minutes = int(cfg["ARCHIVES_LOCK_DURATION"].total_seconds() // 60)
            events.record(s, "锁定", f"同一地址连续 {failures} 次登录失败，该地址对此用户名的登录暂停 {minutes} 分钟",
                          result="失败", **who)
            message = Msg("连续 %(n)s 次登录失败，请 %(m)s 分钟后再试", n=failures, m=minutes)
        s.commit()
        return message

    def _count_failure(self, user: ArchivesUser, what: str, message: str) -> str:
        """A wrong second factor after the right password: counted for the account itself (only someone holding
        the password can do this), audited; at the threshold the whole account is locked. Commits."""
        cfg, s = current_app.config, self.session
        user.fail_login_count = (user.fail_login_count or 0) + 1
        events.record(s, "登录失败", f"登录失败：{what}（连续第 {user.fail_login_count} 次）",
                      username=user.username, agency_code=user.agency_code, result="失败", object_id=str(user.id))
        if user.fail_login_count >= cfg["ARCHIVES_LOCK_THRESHOLD"]:
            user.locked_until = now_utc() + cfg["ARCHIVES_LOCK_DURATION"]
            user.fail_login_count = 0
            minutes = int(cfg["ARCHIVES_LOCK_DURATION"].total_seconds() // 60)
            events.record(s, "锁定", f"口令正确但连续 {cfg['ARCHIVES_LOCK_THRESHOLD']} 次动态口令错误，账号锁定 {minutes} 分钟",
                          username=user.username, agency_code=user.agency_code, object_id=str(user.id))
            message = Msg("连续 %(n)s 次动态口令错误，账号已锁定 %(m)s 分钟", n=cfg['ARCHIVES_LOCK_THRESHOLD'], m=minutes)
        s.commit()
        return message

    # -- TOTP second factor ----------------------------------------------------------
    def totp_needed(self, user: ArchivesUser) -> bool:
        """The second factor is asked when the user has it on, or any of their roles requires it."""
        return bool(user.totp_enabled) or totp.required(self.session, user)

    def totp_enrolment_secret(self, user: ArchivesUser) -> str:
        """The secret being enrolled (kept encrypted on the user row until confirmed). Commits."""
        if user.totp_enabled:
            raise ValueError("已启用动态口令")
        secret = totp.secret_of(user)
        if not secret:
            secret = totp.new_secret()
            user.totp_secret_enc = totp.encrypt(secret)
            self.session.commit()
        return secret

    def check_totp(self, user: ArchivesUser, code: str, *, enrolling: bool = False) -> LoginOutcome:
        """Check a TOTP code (never the same time step twice); failures count toward the lockout. Commits."""
        s, now = self.session, now_utc()
        if user.locked_until and user.locked_until > now:
            events.record(s, "登录失败", "登录失败：账号锁定期间尝试登录", username=user.username,
                          agency_code=user.agency_code, result="失败", object_id=str(user.id))
            s.commit()
            return LoginOutcome(None, Msg("账号已被锁定，请于 %(t)s 后再试或联系安全管理员", t=_beijing(user.locked_until)))
        if enrolling == bool(user.totp_enabled):
            return LoginOutcome(None, Msg("动态口令状态已变化，请重新登录"))
        step = totp.matching_step(totp.secret_of(user), code)
        if step is None:
            return LoginOutcome(None, self._count_failure(user, "动态口令错误", Msg("动态口令错误")))
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return LoginOutcome(None, self._count_failure(user, "动态口令重复使用（重放）",
                                                          Msg("该动态口令已使用过，请等待下一个口令")))
        user.totp_last_step = step
        if enrolling:
            user.totp_enabled = True
            events.record(s, "启用动态口令", "用户完成TOTP动态口令绑定", username=user.username,
                          agency_code=user.agency_code, object_id=str(user.id))
        s.commit()
        must_change = bool(user.must_change_password) or passwords.is_expired(user.password_changed_at, now)
        return LoginOutcome(user, None, must_change)

    def start_session(self, user: ArchivesUser) -> str:
        """Make `user`'s one valid session; any earlier session of the user stops working. Commits."""
        sid = secrets.token_urlsafe(32)
        now = now_utc()
        ended_other = user.session_id is not None
        user.prev_login_at, user.prev_login_ip = user.last_login, user.last_login_ip
        user.last_login, user.last_login_ip = now, events.client_ip()
        user.login_count = (user.login_count or 0) + 1
        user.fail_login_count = 0
        user.locked_until = None
        user.session_id = session_digest(sid)
        events.record(self.session, "登录", "登录成功" + ("（原有会话已被终止）" if ended_other else ""),
                      username=user.username, agency_code=user.agency_code, object_id=str(user.id))
        self.session.commit()
        return sid

    def end_session(self, user: ArchivesUser, action: str, summary: str) -> None:
        """Invalidate the user's server-side session (logout, idle timeout). Commits."""
        user.session_id = None
        events.record(self.session, action, summary, username=user.username, agency_code=user.agency_code,
                      object_id=str(user.id))
        self.session.commit()

    def session_is_current(self, user: ArchivesUser, sid: str | None) -> bool:
        return bool(sid) and user.session_id is not None and secrets.compare_digest(
            user.session_id, session_digest(sid))

    # -- passwords and roles --------------------------------------------------------
    def change_password(self, user: ArchivesUser, old: str, new: str) -> None:
        """Raise PasswordPolicyError (with the Chinese reason) or change the password. Commits."""
        if not passwords.check_password(user.password, old):
            raise passwords.PasswordPolicyError(Msg("原口令不正确"))
        # The domain helper works on the domain mapping of ab_user; both share the session's connection.
        domain_user = self.session.get(DomainUser, user.id)
        set_password(self.session, domain_user, new, must_change=False)
        events.record(self.session, "修改口令", "用户修改了自己的口令", username=user.username,
                      agency_code=user.agency_code, object_id=str(user.id))
        self.session.commit()
        self.session.refresh(user)

    def check_roles(self, role_names) -> None:
        """三员分立, for every path that assigns roles through the app."""
        check_role_combination(role_names)

    def add_role_to_user(self, user: ArchivesUser, role) -> None:
        self.check_roles([r.name for r in user.roles] + [role.name])
        user.roles.append(role)


def _beijing(ts: dt.datetime) -> str:
    return (ts + dt.timedelta(hours=8)).strftime("%H:%M")


