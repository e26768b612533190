"""/oidc/…: discovery, JWKS, token and userinfo (public: Superset's server calls them) and authorize (the
app's own login — password, TOTP, lockout — then the 综合统计 permission check; refused → Chinese 403 page)."""
from __future__ import annotations

import jwt
from authlib.oauth2 import OAuth2Error
from flask import current_app, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose

from archives_domain.analytics_access import AnalyticsRefused, superset_roles

from ..errors import render_error
from ..i18n import _
from ..security import events
from ..security.permissions import seal_key
from . import server as S

MODULE_PATH = ("综合统计", "统计分析平台单点登录")


def _server():
    return current_app.extensions["archives_oidc"]["server"]


class OidcView(BaseView):
    """The provider's public endpoints (no session: PUBLIC_BLUEPRINTS; token is CSRF-exempt)."""
    route_base = "/oidc"

    @expose("/.well-known/openid-configuration")
    def discovery(self):
        iss = S.issuer()
        return jsonify({
            "issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
            "userinfo_endpoint": iss + "/userinfo", "jwks_uri": iss + "/jwks",
            "response_types_supported": ["code"], "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": [S.keys.ALG],
            "scopes_supported": list(S.SCOPES), "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": ["sub", "name", "preferred_username", "roles"]})

    @expose("/jwks")
    def jwks(self):
        return jsonify({"keys": [current_app.extensions["archives_oidc"]["jwk"]]})

    @expose("/token", methods=["POST"])
    def token(self):
        return _server().create_token_response()

    @expose("/userinfo", methods=["GET", "POST"])
    def userinfo(self):
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return jsonify(error="invalid_token"), 401, {"WWW-Authenticate": "Bearer"}
        try:
            claims = S.read_access_token(auth[7:])
        except jwt.InvalidTokenError:
            return jsonify(error="invalid_token"), 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        return jsonify({"sub": claims["sub"], "name": claims["name"], "preferred_username": claims["username"],
                        "roles": claims["roles"]})


class OidcAuthorizeView(BaseView):
    """GET /oidc/authorize: signed in (else the login page, then back here), permitted, then the code."""
    route_base = "/oidc"

    @expose("/authorize")
    def authorize(self):
        user = g.get("user")
        if user is None or not user.is_authenticated:
            return redirect(url_for("ArchivesAuthDBView.login", next=request.full_path))
        try:
            grant = _server().get_consent_grant(end_user=user)
        except OAuth2Error as exc:
            return render_error(400, _("单点登录请求无效：%(why)s", why=exc.description or exc.error)), 400
        session = current_app.appbuilder.sm.session
        try:
            roles = superset_roles(session, seal_key(), user)
        except AnalyticsRefused as exc:
            events.record_plain(session, "访问拒绝", f"统计分析平台单点登录被拒绝：{exc}", result="失败",
                                module=MODULE_PATH)
            session.commit()
            return render_error(403, _(str(exc))), 403
        events.record_plain(session, "登录", f"单点登录统计分析平台（角色 {'、'.join(roles)}）", module=MODULE_PATH)
        session.commit()
        who = S.AuthorizedUser({"user_id": user.id, "username": user.username, "roles": roles,
                                "name": f"{user.last_name or ''}{user.first_name or ''}" or user.username})
        return _server().create_authorization_response(grant=grant, grant_user=who)
