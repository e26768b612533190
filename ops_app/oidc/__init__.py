"""The app as OpenID Connect provider (统计分析平台单点登录): Superset's `AUTH_OAUTH` signs 统计分析员 in
through the app's own login. `server.py` (Authlib: client, one-time PKCE codes, ID token with the Superset
roles), `views.py` (/oidc/.well-known/openid-configuration, /oidc/authorize, /oidc/token, /oidc/userinfo,
/oidc/jwks), `keys.py` (RS256 signing key in the key folder), `store.py` (codes in Redis or memory)."""
from __future__ import annotations


def register(appbuilder, settings) -> None:
    from flask import current_app

    from .server import init
    from .views import OidcAuthorizeView, OidcView
    app = current_app._get_current_object()
    app.extensions["archives_settings"] = settings
    init(app, settings)
    appbuilder.add_view_no_menu(OidcView)
    appbuilder.add_view_no_menu(OidcAuthorizeView)
    csrf = app.extensions["csrf"]
    csrf.exempt("ops_app.oidc.views.token")  # a server-to-server POST, authenticated by the client secret
