"""The app factory: `create_app()` builds the operational app; importing this module starts nothing."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.base import SQLA
from flask_wtf.csrf import CSRFProtect

from archives_domain.accounts.grants import seal_key
from archives_domain.audit import audit_key
from archives_domain.config import Settings
from archives_domain.db import make_engine
from archives_domain.pii.store import codec_from_settings

from .schema_check import ensure_ready
from .settings import flask_config

HERE = Path(__file__).resolve().parent


class ArchivesSQLA(SQLA):
    """Flask-SQLAlchemy whose engines come from `make_engine` (SQLite pragmas, MySQL utf8mb4, pre-ping)."""

    def _make_engine(self, bind_key, options, app):
        options = dict(options)
        url = options.pop("url")
        return make_engine(str(url) if not isinstance(url, str) else url, **options)


def create_app(settings: Settings | None = None, testing: bool = False, config: dict | None = None) -> Flask:
    settings = settings or Settings.from_env()
    codec = codec_from_settings(settings)
    probe = make_engine(settings.database_url)
    try:
        ensure_ready(probe, codec)  # refuses (ConfigError, in Chinese) unless the DB is at the migration head
    finally:
        probe.dispose()

    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.config.update(flask_config(settings, codec.keyring, testing=testing))
    app.config["ARCHIVES_AUDIT_KEY"] = audit_key(codec.keyring, settings)  # anchored (audit_anchor)
    app.config["ARCHIVES_SEAL_KEY"] = seal_key(codec.keyring)
    app.config["ARCHIVES_VAR_DIR"] = str(settings.var_dir)
    app.config["MAX_CONTENT_LENGTH"] = 6 * 1024 * 1024  # uploads: 5 MB per image (archives_domain.files) + form
    app.config.update(config or {})
    # Superset (统计分析平台): its public origin — frame-src of the CSP, the OIDC client's redirect, the API.
    app.config.setdefault("ARCHIVES_SUPERSET_URL", os.environ.get("ARCHIVES_SUPERSET_URL", "http://127.0.0.1:8088"))
    app.extensions["archives_codec"] = codec
    hops = int(os.environ.get("ARCHIVES_PROXY_HOPS", "0"))
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from .errors import register as register_errors
    register_errors(app)  # error pages, bounded <int:...>: before any view is registered
    CSRFProtect(app)
    from .security import throttle
    throttle.init_app(app)  # login rate limits: before the views, after the CSRF check
    db = ArchivesSQLA(app)
    from .security.headers import add_headers, csp_nonce
    from .security.permissions import access_guard
    from .security.session_guard import guard
    with app.app_context():
        appbuilder = AppBuilder(app, db.session)  # registers FAB's before_request (g.user) first …
        from .views import register_business_views
        register_business_views(appbuilder)
        from .oidc import register as register_oidc  # the app as OpenID Connect provider for Superset
        register_oidc(appbuilder, settings)
        _register_security_views(appbuilder)
    app.before_request(guard)        # … so the session guard runs after it, then the module permissions
    app.before_request(access_guard)
    app.after_request(add_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    from .menu import MENU, UNDER_CONSTRUCTION
    from .security.permissions import can
    from .i18n import menu_label, tr
    app.jinja_env.globals.update(archives_menu=MENU, under_construction=UNDER_CONSTRUCTION, archives_can=can,
                                 menu_label=menu_label, tr=tr)
    return app


def _register_security_views(appbuilder) -> None:
    """TOTP, 用户权限, 系统日志, 存档机构管理 and 用户管理; then the permission catalogue and the built-in roles' defaults."""
    from .security.permissions import endpoint_modules, initialise
    from .security.views import TotpView
    from .views.audit_log import AuditLogView
    from .views.permissions import PermissionTreeView
    from .views.system_admin import AgencyAdminView, UserAdminView
    for view in (TotpView, PermissionTreeView, AuditLogView, AgencyAdminView, UserAdminView):
        appbuilder.add_view_no_menu(view())
    from flask import current_app
    app = current_app
    app.extensions["archives_endpoint_modules"] = endpoint_modules(app)
    initialise(appbuilder.sm.session, app.config["ARCHIVES_SEAL_KEY"])
