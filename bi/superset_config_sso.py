"""Superset's single sign-on against the app (统计分析平台单点登录): imported by section 8 of superset_config.py.

The app is the OpenID Connect provider (`ops_app/oidc`): Superset's `AUTH_OAUTH` with one provider, `archives`,
discovered from `<ARCHIVES_APP_URL>/oidc/.well-known/openid-configuration`; authorization code with PKCE (S256).
The ID token's `roles` claim (archives_analyst | archives_manager, scope_<agency>) becomes the user's Superset
roles at every login (a custom security manager: only those role names, only roles that exist), so RLS
follows the app. Superset's DB login stays for the app's service account through the API
(`/api/v1/security/login`, provider db, with AUTH_API_LOGIN_ALLOW_MULTIPLE_PROVIDERS); the login page offers SSO only.
Runs in Superset's venv: imports nothing of the archive packages.
"""
import os
import re

from flask_appbuilder.security.manager import AUTH_OAUTH
from superset.security import SupersetSecurityManager

APP_URL = os.environ.get("ARCHIVES_APP_URL", os.environ.get("ARCHIVES_APP_ORIGIN", "http://127.0.0.1:8080")).rstrip("/")
PROVIDER = "archives"
# Role names the provider may hand out; anything else in the claim is ignored.
ALLOWED_ROLE = re.compile(r"^(archives_analyst|archives_manager|scope_[0-9A-Za-z]{1,16}(_self)?)$")

AUTH_TYPE = AUTH_OAUTH
AUTH_USER_REGISTRATION = True
AUTH_USER_REGISTRATION_ROLE = None   # no role but those of the claim
AUTH_ROLES_SYNC_AT_LOGIN = True
AUTH_ROLES_MAPPING = {}
# FAB 5.3 (Superset 6.1) refuses /api/v1/security/login with provider "db" under AUTH_OAUTH unless this is on
# (checked: HTTP 400 "Alternative authentication provider is not allowed"). Only the service account has a
# password in Superset (SSO users are created without one), so only it can sign in this way.
AUTH_API_LOGIN_ALLOW_MULTIPLE_PROVIDERS = True


def oauth_providers(client_secret: str) -> list:
    """The one provider, the app; `client_secret` derived from SECRET_KEY by superset_config.py section 8."""
    return [{
        "name": PROVIDER,
        "icon": "fa-key",
        "token_key": "access_token",
        "remote_app": {
            "client_id": "superset",
            "client_secret": client_secret,
            "server_metadata_url": f"{APP_URL}/oidc/.well-known/openid-configuration",
            "client_kwargs": {"scope": "openid profile", "code_challenge_method": "S256",
                              "token_endpoint_auth_method": "client_secret_basic"},
        },
    }]


class ArchivesSsoSecurityManager(SupersetSecurityManager):
    """The claims of the app's ID token → the Superset user and their roles (re-synced at each login)."""

    def get_oauth_user_info(self, provider, response=None):
        if provider != PROVIDER:
            return super().get_oauth_user_info(provider, response)
        claims = (response or {}).get("userinfo") or {}   # Authlib verified the ID token (signature, nonce)
        name = claims.get("name") or claims.get("preferred_username", "")
        return {"username": claims["preferred_username"], "first_name": name, "last_name": "",
                "email": f"{claims['preferred_username']}@sso.archives.invalid",
                "role_keys": [r for r in claims.get("roles", []) if ALLOWED_ROLE.match(str(r))]}

    def _oauth_calculate_user_roles(self, userinfo):
        roles = [self.find_role(name) for name in userinfo.get("role_keys", [])]
        return [r for r in roles if r is not None]


CUSTOM_SECURITY_MANAGER = ArchivesSsoSecurityManager
