"""The app as OpenID Connect provider for Superset (统计分析平台单点登录), on Authlib's server classes.

One registered client, Superset (`superset`; its secret derived from the key file, its one redirect URI
`<ARCHIVES_SUPERSET_URL>/oauth-authorized/archives`). Authorization code flow with PKCE (S256 required), codes
one-time (taken with GETDEL) and valid 60 s; the ID token (RS256, 5 min) carries sub, name,
preferred_username and `roles` — the Superset roles computed by `archives_domain.analytics_access` at this
login. Access tokens are signed JWTs (5 min) that only the userinfo endpoint accepts.
"""
from __future__ import annotations

import hmac
import time

import jwt
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import current_app, request
from joserfc.jwk import RSAKey

from archives_domain.analytics_access import OIDC_CLIENT_ID, oidc_client_secret

from . import keys
from .store import store_for

TOKEN_TTL = 300
SCOPES = ("openid", "profile")
CALLBACK_PATH = "/oauth-authorized/archives"  # FAB's OAuth callback for the provider named "archives"


def superset_url() -> str:
    return current_app.config["ARCHIVES_SUPERSET_URL"].rstrip("/")


def issuer() -> str:
    base = current_app.config.get("ARCHIVES_PUBLIC_BASE_URL") or request.host_url
    return base.rstrip("/") + "/oidc"


def signing_pem() -> bytes:
    return current_app.extensions["archives_oidc"]["pem"]


class SupersetClient(ClientMixin):
    """The one client: Superset. Secret compared in constant time; exact redirect URI."""

    def __init__(self, secret: str, redirect_uri: str):
        self.client_id, self._secret, self.redirect_uri = OIDC_CLIENT_ID, secret, redirect_uri

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(str(client_secret).encode(), self._secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint != "token" or method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class Code(AuthorizationCodeMixin):
    def __init__(self, data: dict):
        self.data = data
        self.code_challenge = data.get("code_challenge")
        self.code_challenge_method = data.get("code_challenge_method")

    def get_redirect_uri(self):
        return self.data["redirect_uri"]

    def get_scope(self):
        return self.data["scope"]

    def get_nonce(self):
        return self.data.get("nonce")

    def get_auth_time(self):
        return self.data["auth_time"]

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class AuthorizedUser:
    """What the ID token says of the user, fixed when the code was issued (roles of this login)."""

    def __init__(self, data: dict):
        self.id, self.username, self.name, self.roles = data["user_id"], data["username"], data["name"], data["roles"]


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, req):
        user, data = req.user, req.payload.data
        current_app.extensions["archives_oidc"]["store"].put(code, {
            "client_id": req.client.get_client_id(), "redirect_uri": req.payload.redirect_uri, "scope": req.scope,
            "nonce": data.get("nonce"), "auth_time": int(time.time()), "code_challenge": data.get("code_challenge"),
            "code_challenge_method": data.get("code_challenge_method"), "user_id": user.id,
            "username": user.username, "name": user.name, "roles": user.roles})

    def query_authorization_code(self, code, client):
        data = current_app.extensions["archives_oidc"]["store"].take(code)  # one time: gone after this
        if data is None or data["client_id"] != client.get_client_id():
            return None
        return Code(data)

    def delete_authorization_code(self, authorization_code):
        pass  # already taken by query_authorization_code

    def authenticate_user(self, authorization_code):
        return AuthorizedUser(authorization_code.data)


class StrictCodeChallenge(CodeChallenge):
    """PKCE for every request, S256 only (Authlib requires it of public clients alone)."""
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE (code_challenge, S256) is required")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


class IdToken(OpenIDCode):
    def resolve_client_private_key(self, client):
        return RSAKey.import_key(signing_pem())

    def get_client_algorithm(self, client):
        return keys.ALG

    def get_encode_header(self, client):
        return {"alg": keys.ALG, "kid": current_app.extensions["archives_oidc"]["jwk"]["kid"]}

    def get_client_claims(self, client):
        now = int(time.time())
        return {"iss": issuer(), "aud": [client.get_client_id()], "iat": now, "exp": now + TOKEN_TTL}

    def exists_nonce(self, nonce, req):
        return False  # codes are one-time; a replayed code fails before its nonce matters

    def generate_user_info(self, user, scope):
        return user_claims(user)


def user_claims(user) -> UserInfo:
    return UserInfo(sub=str(user.id), name=user.name, preferred_username=user.username, roles=list(user.roles))


def _access_token(client, grant_type, user, scope):
    now = int(time.time())
    claims = {"iss": issuer(), "aud": issuer() + "/userinfo", "sub": str(user.id), "iat": now,
              "exp": now + TOKEN_TTL, "scope": scope, "username": user.username, "name": user.name,
              "roles": list(user.roles)}
    return jwt.encode(claims, signing_pem(), algorithm=keys.ALG,
                      headers={"kid": current_app.extensions["archives_oidc"]["jwk"]["kid"]})


def read_access_token(token: str) -> dict:
    """The claims of a valid access token, or jwt.InvalidTokenError."""
    public = jwt.PyJWK(current_app.extensions["archives_oidc"]["jwk"]).key
    return jwt.decode(token, public, algorithms=[keys.ALG], audience=issuer() + "/userinfo", issuer=issuer())


def init(app, settings) -> AuthorizationServer:
    pem = keys.load_or_create(keys.key_path(settings))
    secret = oidc_client_secret(settings)
    app.extensions["archives_oidc"] = {"pem": pem, "jwk": keys.public_jwk(pem), "store": store_for(app.config),
                                       "secret": secret}

    def query_client(client_id):
        if client_id != OIDC_CLIENT_ID:
            return None
        return SupersetClient(secret, superset_url() + CALLBACK_PATH)

    server = AuthorizationServer(app, query_client=query_client, save_token=lambda token, req: None)
    server.register_grant(CodeGrant, [StrictCodeChallenge(required=True), IdToken(require_nonce=False)])
    server.register_token_generator("default", BearerTokenGenerator(
        _access_token, expires_generator=lambda client, grant_type: TOKEN_TTL))
    app.extensions["archives_oidc"]["server"] = server
    return server
