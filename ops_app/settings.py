"""Flask configuration of the operational app, from `archives_domain.config.Settings` and the environment."""
from __future__ import annotations

import datetime as dt
import hmac
import os

from flask_babel import lazy_gettext as _l

from archives_domain.accounts import login_policy
from archives_domain.config import Settings
from archives_domain.pii.keyring import Keyring


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def flask_config(settings: Settings, keyring: Keyring, *, testing: bool) -> dict:
    idle = _int_env("ARCHIVES_IDLE_TIMEOUT_MINUTES", 30)
    return {
        "TESTING": testing,
        # Derived from the PII key file: one secret to guard, identical in every gunicorn worker.
        "SECRET_KEY": hmac.new(keyring.index_key, b"gz-archives flask session v1", "sm3").hexdigest(),
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        # Lazy: the brand and page titles follow the user's language (ops_app.i18n; English in the catalogue).
        "APP_NAME": _l("贵州省流动人员人事档案管理系统"),
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_FOLDER": "translations",
        "LANGUAGES": {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "gb", "name": "English"}},
        # Tables belong to our migrations; module permissions are created by ops_app.security.permissions.initialise.
        "FAB_CREATE_DB": False,
        "FAB_UPDATE_PERMS": False,
        "FAB_ADD_SECURITY_API": False,
        "FAB_API_KEY_ENABLED": False,
        "FAB_SECURITY_MANAGER_CLASS": "ops_app.security.manager.ArchivesSecurityManager",
        "FAB_INDEX_VIEW": "ops_app.views.workbench.WorkbenchView",
        "AUTH_TYPE": 1,  # AUTH_DB
        "AUTH_USER_REGISTRATION": False,
        "AUTH_ROLE_ADMIN": "系统管理员",
        "AUTH_ROLE_PUBLIC": "公共（匿名）",
        # Session cookie: not readable by scripts, not sent cross-site, HTTPS-only unless testing/dev.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("ARCHIVES_INSECURE_COOKIES") != "1" and not testing,
        "SESSION_COOKIE_NAME": "gzda_session",
        "REMEMBER_COOKIE_DURATION": dt.timedelta(seconds=0),
        # The idle timeout itself is enforced (and audited) by security.session_guard from the signed
        # last-seen time; the cookie only has to outlive it so that the guard sees the stale session.
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(minutes=idle) + dt.timedelta(hours=8),
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,  # bound to the session instead, which itself ends after idle minutes
        "ARCHIVES_IDLE_TIMEOUT": dt.timedelta(minutes=idle),
        # 登录失败处理 (archives_domain.accounts.login_policy): failures counted per (user name, client address),
        # growing delays, then that address is locked out of that name; TOTP failures lock the account itself.
        "ARCHIVES_LOCK_THRESHOLD": _int_env("ARCHIVES_LOCK_THRESHOLD", login_policy.LOCK_THRESHOLD),
        "ARCHIVES_LOCK_DURATION": dt.timedelta(minutes=_int_env("ARCHIVES_LOCK_MINUTES", login_policy.LOCK_MINUTES)),
        "ARCHIVES_LOGIN_DELAY_SECONDS": _int_env("ARCHIVES_LOGIN_DELAY_SECONDS", login_policy.DELAY_BASE_SECONDS),
        # Login attempts (password or TOTP code) per client address, whatever the user names.
        "ARCHIVES_LOGIN_RATE_LIMIT": os.environ.get("ARCHIVES_LOGIN_RATE_LIMIT") or "20 per minute;200 per hour",
        # 证明核验 (the public /verify page, no login): queries per client address.
        "ARCHIVES_VERIFY_RATE_LIMIT": os.environ.get("ARCHIVES_VERIFY_RATE_LIMIT") or "30 per minute",
        # The address printed in a certificate's QR code (e.g. https://dangan.example.gov.cn); empty: the host
        # the clerk's request came to.
        "ARCHIVES_PUBLIC_BASE_URL": os.environ.get("ARCHIVES_PUBLIC_BASE_URL") or "",
        # Flask-Limiter's storage: Redis in production (shared by every worker); memory:// only for one process.
        "RATELIMIT_STORAGE_URI": os.environ.get("ARCHIVES_RATELIMIT_STORAGE_URI") or "memory://",
        "RATELIMIT_KEY_PREFIX": os.environ.get("ARCHIVES_RATELIMIT_KEY_PREFIX") or "gzda",
        "RATELIMIT_HEADERS_ENABLED": False,
    }
