"""Superset's REST API as the app's service account (统计分析平台接口): guest tokens for embedded dashboards,
the embedded uuid of a dashboard, enabling embedding. HTTP only (Superset runs in its own venv); no Flask.

The service account (`archives_service`, Superset role Admin — guest tokens need `can_grant_guest_token`)
signs in with Superset's DB login (`/api/v1/security/login`, provider `db`), which Superset keeps under
`AUTH_OAUTH` too; its password is derived from Superset's key (`bi.superset_secrets.service_password`).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import requests

TIMEOUT = 10
TOKEN_REUSE = 240  # s: Superset's access tokens live 15 min by default; take a fresh one well before


class SupersetError(RuntimeError):
    """Superset answered an error (or not at all); the message is for the log and the user."""


@dataclass
class SupersetClient:
    base_url: str
    username: str
    password: str
    _http: requests.Session = field(default_factory=requests.Session, repr=False)
    _token: tuple[float, str, str] | None = field(default=None, repr=False)   # (at, bearer, csrf)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def _login(self) -> tuple[float, str, str]:
        try:
            r = self._http.post(self._url("/api/v1/security/login"), timeout=TIMEOUT, json={
                "username": self.username, "password": self.password, "provider": "db", "refresh": False})
            if r.status_code != 200:
                raise SupersetError(f"统计分析平台服务账号登录失败（HTTP {r.status_code}）")
            bearer = r.json()["access_token"]
            c = self._http.get(self._url("/api/v1/security/csrf_token/"), timeout=TIMEOUT,
                               headers={"Authorization": f"Bearer {bearer}"})
            c.raise_for_status()
        except requests.RequestException as exc:
            raise SupersetError(f"统计分析平台不可用：{exc.__class__.__name__}") from exc
        return time.monotonic(), bearer, c.json()["result"]

    def _headers(self) -> dict:
        with self._lock:
            if self._token is None or time.monotonic() - self._token[0] > TOKEN_REUSE:
                self._token = self._login()
            _, bearer, csrf = self._token
        return {"Authorization": f"Bearer {bearer}", "X-CSRFToken": csrf, "Referer": self.base_url}

    def call(self, method: str, path: str, **kw) -> requests.Response:
        try:
            r = self._http.request(method, self._url(path), headers=self._headers(), timeout=TIMEOUT, **kw)
            if r.status_code == 401:  # token expired or Superset restarted: once more with a fresh login
                self._token = None
                r = self._http.request(method, self._url(path), headers=self._headers(), timeout=TIMEOUT, **kw)
        except requests.RequestException as exc:
            raise SupersetError(f"统计分析平台不可用：{exc.__class__.__name__}") from exc
        return r

    def embedded_uuid(self, dashboard: str) -> str | None:
        """The embedded uuid of a dashboard (id or slug), None if embedding is not enabled for it."""
        r = self.call("GET", f"/api/v1/dashboard/{dashboard}/embedded")
        if r.status_code == 404:
            return None
        if r.status_code != 200:
            raise SupersetError(f"读取仪表板 {dashboard} 的嵌入设置失败（HTTP {r.status_code}）")
        return r.json()["result"]["uuid"]

    def enable_embedding(self, dashboard: str, allowed_domains: list[str]) -> str:
        """Embedding on (idempotent: the same uuid stays), only `allowed_domains` may frame it; the uuid."""
        r = self.call("POST", f"/api/v1/dashboard/{dashboard}/embedded", json={"allowed_domains": allowed_domains})
        if r.status_code != 200:
            raise SupersetError(f"开启仪表板 {dashboard} 的嵌入失败（HTTP {r.status_code}）：{r.text[:200]}")
        return r.json()["result"]["uuid"]

    def guest_token(self, embedded_uuid: str, user: dict, rls_clause: str) -> str:
        """A guest token for one embedded dashboard, every query of it filtered by `rls_clause`."""
        body = {"user": user, "resources": [{"type": "dashboard", "id": embedded_uuid}],
                "rls": [{"clause": rls_clause}]}
        r = self.call("POST", "/api/v1/security/guest_token/", json=body)
        if r.status_code != 200:
            raise SupersetError(f"申请访客令牌失败（HTTP {r.status_code}）：{r.text[:200]}")
        return r.json()["token"]
