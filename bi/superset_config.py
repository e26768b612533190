"""Superset's configuration for the archive system (read by Superset through SUPERSET_CONFIG_PATH).

Runs inside `.venv-superset` (Superset pins older SQLAlchemy/pandas than the main venv), so it imports
nothing of the archive packages: everything comes from the environment, set by `archives superset …`
(see docs/superset.md). Sections: 1 secret, 2 metadata database, 3 language, 4 analytics database and
SQL Lab, 5 embedding and guest tokens, 6 web security (framing, cookies, proxy), 7 caches,
8 single sign-on (the EMBED helper's section).
"""
import hashlib
import hmac
import os
from pathlib import Path

_VAR = Path(os.environ.get("ARCHIVES_VAR_DIR") or Path(__file__).resolve().parent.parent / "var")


def _env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


# -- 1. secret ------------------------------------------------------------------------------------------
# From SUPERSET_SECRET_KEY, else the key file (`archives superset …` creates var/keys/superset.key, 0600).
# Never a default: Superset's sample keys are refused, and so is anything short.
KNOWN_DEFAULT_KEYS = frozenset({"CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "thisISaSECRET_1234", "\2\1thisismyscretkey\1\2\\e\\y\\y\\h",
                                "test-secret-change-me", "superset", "secret"})


def _secret_key() -> str:
    value = os.environ.get("SUPERSET_SECRET_KEY", "").strip()
    if not value:
        key_file = Path(os.environ.get("ARCHIVES_SUPERSET_SECRET_FILE") or _VAR / "keys" / "superset.key")
        if key_file.is_file():
            value = key_file.read_text(encoding="utf-8").strip()
    if not value:
        raise RuntimeError("Superset 密钥未配置：设置 SUPERSET_SECRET_KEY 或 ARCHIVES_SUPERSET_SECRET_FILE"
                           "（archives superset sync/serve 会生成 var/keys/superset.key）")
    if value in KNOWN_DEFAULT_KEYS or len(value) < 32:
        raise RuntimeError("Superset 密钥不安全：不得使用默认值，长度至少 32 个字符")
    return value


def _derived(purpose: str) -> str:
    """A separate secret per purpose, derived from the one key (a leaked guest-token secret is not the key)."""
    return hmac.new(SECRET_KEY.encode(), purpose.encode(), hashlib.sha256).hexdigest()


SECRET_KEY = _secret_key()

# -- 2. metadata database ---------------------------------------------------------------------------------
# SQLite under var/ by default; MySQL/MariaDB in production (ARCHIVES_SUPERSET_METADATA_URL).
SQLALCHEMY_DATABASE_URI = os.environ.get(
    "ARCHIVES_SUPERSET_METADATA_URL", f"sqlite:///{_VAR / 'superset' / 'superset.db'}")

# -- 3. language ------------------------------------------------------------------------------------------
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "us", "name": "English"}}

# -- 4. analytics database and SQL Lab --------------------------------------------------------------------
# The only database is 分析库 (set by `archives superset sync`). On the SQLite default it is a file opened
# read-only, which Superset refuses unless unsafe connections are allowed — allowed for that case alone.
PREVENT_UNSAFE_DB_CONNECTIONS = not _env_flag("ARCHIVES_SUPERSET_SQLITE_ANALYTICS")
# MariaDB through PyMySQL (pure Python, pinned): Superset's MySQL engine spec reads column type codes
# from `MySQLdb` (mysqlclient, a C build) — PyMySQL provides the same constants under that name.
try:
    import pymysql

    pymysql.install_as_MySQLdb()
except ImportError:  # pragma: no cover — PyMySQL is in requirements/superset.txt
    pass


def FLASK_APP_MUTATOR(app) -> None:  # noqa: N802 (Superset's name)
    """SQL Lab finds a table's RLS rules by its qualified name. MySQL is a "dynamic schema" engine in
    Superset: a query sent without a schema is qualified with "" and matches no dataset, so its rows
    would come back unfiltered. 分析库 is one database (the URI's), so unqualified tables are qualified
    with it instead — the RLS rules then always apply."""
    from superset.db_engine_specs.mysql import MySQLEngineSpec
    MySQLEngineSpec.supports_dynamic_schema = False

    def get_default_schema_for_query(cls, database, query, template_params=None):
        # SQL Lab sends no schema unless one is picked: the connection's database (分析库) is meant
        return query.schema or database.url_object.database

    MySQLEngineSpec.get_default_schema_for_query = classmethod(get_default_schema_for_query)


SQLLAB_CTAS_NO_LIMIT = False
SQL_MAX_ROW = 100000
# RLS_IN_SQLLAB: an analyst's SQL Lab queries get the same row-level filters as charts.
FEATURE_FLAGS = {
    "EMBEDDED_SUPERSET": True,
    "EMBEDDABLE_CHARTS": True,
    "RLS_IN_SQLLAB": True,
    "DASHBOARD_RBAC": False,
    "ENABLE_TEMPLATE_PROCESSING": False,
    "ALERT_REPORTS": False,
}

# -- 5. embedding and guest tokens ------------------------------------------------------------------------
# Guests (embedded dashboards in the app, /bi/…) get the role below plus the RLS clause in their token.
# The guest-token algorithm and secret are Superset's own settings, apart from Flask-JWT-Extended's
# JWT_ALGORITHM (apache/superset PR #38309): both are set here explicitly.
GUEST_ROLE_NAME = "archives_guest"
GUEST_TOKEN_JWT_SECRET = _derived("archives-superset-guest-token")
GUEST_TOKEN_JWT_ALGO = "HS256"
GUEST_TOKEN_HEADER_NAME = "X-GuestToken"
GUEST_TOKEN_JWT_EXP_SECONDS = int(os.environ.get("ARCHIVES_SUPERSET_GUEST_TOKEN_SECONDS", "300"))
GUEST_TOKEN_JWT_AUDIENCE = os.environ.get("ARCHIVES_SUPERSET_GUEST_AUDIENCE", "archives-superset")
GLOBAL_ASYNC_QUERIES_JWT_SECRET = _derived("archives-superset-async-queries")


def _guest_token_has_scope(payload: dict) -> bool:
    """A guest token without an agency_code RLS clause would see every row: refused (HTTP 400)."""
    rls = payload.get("rls") or []
    return bool(rls) and all("agency_code" in (rule.get("clause") or "") or rule.get("clause") == "1 = 0"
                             for rule in rls)


GUEST_TOKEN_VALIDATOR_HOOK = _guest_token_has_scope

# -- 6. web security: who may frame Superset, cookies, proxy -------------------------------------------------
# Only the app's origin may put Superset in a frame (CSP frame-ancestors; X-Frame-Options off because
# it can not name an origin).
APP_ORIGIN = os.environ.get("ARCHIVES_APP_ORIGIN", "http://127.0.0.1:8080").rstrip("/")
TALISMAN_ENABLED = True
_CSP = {
    "base-uri": ["'self'"],
    "default-src": ["'self'"],
    "img-src": ["'self'", "blob:", "data:"],
    "worker-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "object-src": "'none'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "font-src": ["'self'", "data:"],
    "script-src": ["'self'", "'strict-dynamic'"],
    "frame-ancestors": ["'self'", APP_ORIGIN],
}
TALISMAN_CONFIG = {
    "content_security_policy": _CSP,
    "content_security_policy_nonce_in": ["script-src"],
    "frame_options": None,
    "force_https": False,
    "session_cookie_secure": _env_flag("ARCHIVES_SUPERSET_HTTPS"),
}
TALISMAN_DEV_CONFIG = TALISMAN_CONFIG
# Own cookie name: the app and Superset often share a host name, and two Flask apps writing the same
# `session` cookie lose each other's OAuth state (`mismatching_state`, apache/superset#25650).
SESSION_COOKIE_NAME = "archives_superset_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_flag("ARCHIVES_SUPERSET_HTTPS")
# Framed by another origin: the cookie must be SameSite=None (and then Secure) over HTTPS.
SESSION_COOKIE_SAMESITE = "None" if SESSION_COOKIE_SECURE else "Lax"
ENABLE_PROXY_FIX = _env_flag("ARCHIVES_SUPERSET_BEHIND_PROXY")
WTF_CSRF_ENABLED = True
PUBLIC_ROLE_LIKE = None
AUTH_ROLE_PUBLIC = "Public"

# -- 7. caches --------------------------------------------------------------------------------------------
# Redis if ARCHIVES_SUPERSET_REDIS_URL (production, several gunicorn workers), else none (the RLS clause is
# part of Superset's cache key, so a cached result never crosses scopes).
_REDIS = os.environ.get("ARCHIVES_SUPERSET_REDIS_URL")
if _REDIS:
    def _redis_cache(prefix: str, timeout: int) -> dict:
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": _REDIS, "CACHE_KEY_PREFIX": f"archives_ss_{prefix}_",
                "CACHE_DEFAULT_TIMEOUT": timeout}

    CACHE_CONFIG = _redis_cache("meta", 86400)
    DATA_CACHE_CONFIG = _redis_cache("data", 3600)
    FILTER_STATE_CACHE_CONFIG = _redis_cache("filter", 90 * 86400)
    EXPLORE_FORM_DATA_CACHE_CONFIG = _redis_cache("explore", 7 * 86400)
    RATELIMIT_STORAGE_URI = _REDIS


# -- 8. single sign-on (the app as OpenID Connect provider) -------------------------------------------------
# (EMBED helper's section: bi/superset_config_sso.py.) ARCHIVES_SUPERSET_SSO=0 keeps Superset's own DB login.
if os.environ.get("ARCHIVES_SUPERSET_SSO", "1") != "0":
    import sys as _sys
    _sys.path.insert(0, str(Path(__file__).resolve().parent))
    from superset_config_sso import *  # noqa: E402,F401,F403
    from superset_config_sso import oauth_providers as _oauth_providers  # noqa: E402
    # The same derivation as archives_domain.analytics_access.oidc_client_secret (the app's side).
    OAUTH_PROVIDERS = _oauth_providers(_derived("archives-superset-oidc-client"))
