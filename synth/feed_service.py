"""HTTP lookup service simulating the four outside systems (工商 / 公安 / 社保 / 教育) from the bulk feeds.

``create_app(store, api_key, latency_ms=0, failure_rate=0.0, seed=None)`` makes the ASGI app (Starlette;
no module-level state); ``serve(feeds_dir, host, port, api_key, latency_ms, failure_rate)`` loads the
feeds and runs it with uvicorn (``archives feeds serve``).

API (JSON, UTF-8; every error is ``{"error": {"code": ..., "message": "<中文>"}}``):

=====================================================  ==========================================================
``GET /healthz`` (no key)                              each feed: ``ok`` with its row count, or ``error`` with
                                                       the message; ``status`` is ``ok`` / ``degraded``. Never
                                                       slowed down nor failed by fault injection.
``GET /v1/business/companies/{uscc}``                  the registry record (曾用名 as a list) · 400 malformed
                                                       USCC (not 18 characters of 0-9 A-H J-N P-R T U W-Y; the
                                                       check character is not verified) · 404
``GET /v1/business/companies?name=&page=&page_size=``  fuzzy name search over 企业名称 and 曾用名, best first:
``&min_score=``                                        ``{"query", "min_score", "page", "page_size", "total",
                                                       "items": [{"score", "matched_on": 企业名称|曾用名,
                                                       "matched_name", "record"}]}``. ``limit`` is accepted
                                                       for ``page_size`` (default 10, 1–100); min_score
                                                       0–100 (default 60); name 1–100 characters
``GET /v1/police/persons/{id_number}``                 the population-register record · 400 malformed ID · 404
``GET /v1/social/persons/{id_number}``                 the social-insurance record · 400 · 404
``GET /v1/education/persons/{id_number}?page=&``       ``{"page", "page_size", "total", "items"}`` (by 入学日期;
``page_size=``                                         page_size default 20, 1–100) · 400 · **404 when the
                                                       person has no education record at all** (as the other
                                                       person lookups); a page past the end is 200 with no
                                                       items
``GET|PUT /v1/_admin/faults``                          read / change ``{"latency_ms", "failure_rate",
                                                       "seed"}`` at run time (PUT: any subset). Not slowed
                                                       down nor failed by the faults themselves
=====================================================  ==========================================================

Every ``/v1/…`` route needs the header ``X-API-Key`` (401 ``unauthorized`` when missing or wrong;
compared in constant time). An ID number is 17 digits and a check digit or ``X`` (a lowercase ``x`` is
accepted); only the format is checked. Records use the feed's column names as keys; an empty value is
``null``. Messages never repeat the ID number asked for. Unknown route: 404 ``not_found``; wrong method:
405 ``method_not_allowed`` (with ``Allow``). A feed that did not load answers 503 ``feed_unavailable``
with the loader's message on its own routes only.

Fault injection, applied before the key check to every ``/v1/…`` request except the admin routes: first
a delay of ``latency_ms``, then, with probability ``failure_rate`` (``random.Random(seed)``, so a test
with a seed is deterministic), 503 ``service_unavailable`` 服务暂时不可用 with ``Retry-After: 1``.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .feed_store import FeedStore, FeedUnavailable

__all__ = ["create_app", "serve", "ID_RE", "USCC_RE", "MAX_PAGE_SIZE", "MAX_NAME_LENGTH"]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015 (no I O S V Z)
USCC_RE = re.compile(rf"^[{USCC_ALPHABET}]{{18}}$")
ID_RE = re.compile(r"^\d{17}[\dX]$")
MAX_PAGE_SIZE = 100
MAX_NAME_LENGTH = 100
MAX_LATENCY_MS = 600_000


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class _JSON(JSONResponse):
    media_type = "application/json; charset=utf-8"

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return _JSON({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


@dataclass
class Faults:
    latency_ms: int = 0
    failure_rate: float = 0.0
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def as_dict(self) -> dict:
        return {"latency_ms": self.latency_ms, "failure_rate": self.failure_rate, "seed": self.seed}


def _check_faults(latency_ms, failure_rate) -> None:
    if isinstance(latency_ms, bool) or not isinstance(latency_ms, int) or not 0 <= latency_ms <= MAX_LATENCY_MS:
        raise ApiError(400, "invalid_parameter", f"latency_ms 应为 0–{MAX_LATENCY_MS} 之间的整数（毫秒）")
    if (isinstance(failure_rate, bool) or not isinstance(failure_rate, (int, float))
            or not math.isfinite(failure_rate) or not 0.0 <= failure_rate <= 1.0):
        raise ApiError(400, "invalid_parameter", "failure_rate 应为 0 到 1 之间的数")


class _Gate:
    """ASGI middleware: fault injection, then the API key, for every /v1/ route."""

    def __init__(self, app: ASGIApp, api_key: str, faults: Faults) -> None:
        self.app, self.api_key, self.faults = app, api_key.encode("utf-8"), faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        if not scope["path"].startswith("/v1/_admin/"):
            f = self.faults
            if f.latency_ms > 0:
                await asyncio.sleep(f.latency_ms / 1000)
            if f.failure_rate > 0 and f.rng.random() < f.failure_rate:
                await _error(503, "service_unavailable", "服务暂时不可用，请稍后重试",
                             {"Retry-After": "1"})(scope, receive, send)
                return
        given = b""
        for name, value in scope.get("headers", ()):
            if name == b"x-api-key":
                given = value
                break
        if not given or not hmac.compare_digest(given, self.api_key):
            message = "缺少接口密钥（请求头 X-API-Key）" if not given else "接口密钥无效"
            await _error(401, "unauthorized", message, {"WWW-Authenticate": "X-API-Key"})(scope, receive, send)
            return
        await self.app(scope, receive, send)


# ---------------------------------------------------------------------------------------------------------
# Parameters

def _int_param(request: Request, names: tuple[str, ...], default: int, lo: int, hi: int) -> int:
    for name in names:
        raw = request.query_params.get(name)
        if raw is None:
            continue
        try:
            value = int(raw.strip())
        except ValueError:
            raise ApiError(400, "invalid_parameter", f"参数 {name} 应为整数") from None
        if not lo <= value <= hi:
            raise ApiError(400, "invalid_parameter", f"参数 {name} 应在 {lo}–{hi} 之间")
        return value
    return default


def _paging(request: Request, default_size: int) -> tuple[int, int]:
    page = _int_param(request, ("page",), 1, 1, 1_000_000)
    size = _int_param(request, ("page_size", "limit"), default_size, 1, MAX_PAGE_SIZE)
    return page, size


def _id_number(request: Request) -> str:
    value = request.path_params["id_number"].strip().upper()
    if not ID_RE.match(value):
        raise ApiError(400, "invalid_id_number", "公民身份号码格式不正确：应为 18 位（17 位数字加 1 位数字或 X）")
    return value


def _uscc(request: Request) -> str:
    value = request.path_params["uscc"].strip().upper()
    if len(value) != 18:
        raise ApiError(400, "invalid_uscc", f"统一社会信用代码格式不正确：应为 18 位，实为 {len(value)} 位")
    if not USCC_RE.match(value):
        raise ApiError(400, "invalid_uscc", "统一社会信用代码格式不正确：只能含数字和除 I、O、S、V、Z 以外的大写字母")
    return value


# ---------------------------------------------------------------------------------------------------------
# App

def create_app(store: FeedStore, api_key: str, latency_ms: int = 0, failure_rate: float = 0.0,
               seed: int | None = None) -> Starlette:
    """The lookup service over ``store``; see the module docstring for the API."""
    if not api_key:
        raise ValueError("api_key must not be empty")
    _check_faults(latency_ms, failure_rate)
    faults = Faults(latency_ms, float(failure_rate), seed)

    def not_found(message: str):
        raise ApiError(404, "not_found", message)

    async def healthz(request: Request):
        feeds = store.status()
        ok = all(f["status"] == "ok" for f in feeds.values())
        return _JSON({"status": "ok" if ok else "degraded", "feeds": feeds})

    async def company(request: Request):
        uscc = _uscc(request)
        record = store.company(uscc)
        return _JSON(record) if record else not_found("工商登记中没有该统一社会信用代码的企业")

    async def company_search(request: Request):
        name = (request.query_params.get("name") or "").strip()
        if not name:
            raise ApiError(400, "invalid_parameter", "参数 name（企业名称）不能为空")
        if len(name) > MAX_NAME_LENGTH:
            raise ApiError(400, "invalid_parameter", f"参数 name 过长：最多 {MAX_NAME_LENGTH} 个字符")
        page, size = _paging(request, 10)
        raw = request.query_params.get("min_score")
        try:
            min_score = 60.0 if raw is None else float(raw)
        except ValueError:
            raise ApiError(400, "invalid_parameter", "参数 min_score 应为 0–100 之间的数") from None
        if not math.isfinite(min_score) or not 0 <= min_score <= 100:
            raise ApiError(400, "invalid_parameter", "参数 min_score 应为 0–100 之间的数")
        hits = store.search_companies(name, min_score)
        start = (page - 1) * size
        items = [{"score": h.score, "matched_on": h.matched_on, "matched_name": h.matched_name,
                  "record": store.company_at(h.row)} for h in hits[start:start + size]]
        return _JSON({"query": name, "min_score": min_score, "page": page, "page_size": size,
                      "total": len(hits), "items": items})

    async def police(request: Request):
        record = store.person(_id_number(request))
        return _JSON(record) if record else not_found("公安人口登记中没有该公民身份号码")

    async def social(request: Request):
        record = store.social(_id_number(request))
        return _JSON(record) if record else not_found("社会保险登记中没有该公民身份号码")

    async def education(request: Request):
        id_number = _id_number(request)
        page, size = _paging(request, 20)
        rows = store.education(id_number)
        if not rows:
            not_found("教育学历数据中没有该公民身份号码的记录")
        start = (page - 1) * size
        return _JSON({"page": page, "page_size": size, "total": len(rows), "items": rows[start:start + size]})

    async def get_faults(request: Request):
        return _JSON(faults.as_dict())

    async def put_faults(request: Request):
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "invalid_parameter", "请求体应为 JSON 对象") from None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_parameter", "请求体应为 JSON 对象")
        unknown = sorted(set(body) - {"latency_ms", "failure_rate", "seed"})
        if unknown:
            raise ApiError(400, "invalid_parameter", f"未知的参数：{'、'.join(unknown)}")
        latency = body.get("latency_ms", faults.latency_ms)
        rate = body.get("failure_rate", faults.failure_rate)
        _check_faults(latency, rate)
        if "seed" in body:
            seed_value = body["seed"]
            if seed_value is not None and (isinstance(seed_value, bool) or not isinstance(seed_value, int)):
                raise ApiError(400, "invalid_parameter", "seed 应为整数或 null")
            faults.seed = seed_value
            faults.rng = random.Random(seed_value)
        faults.latency_ms, faults.failure_rate = latency, float(rate)
        return _JSON(faults.as_dict())

    async def api_error(request: Request, exc: ApiError):
        return _error(exc.status, exc.code, exc.message, exc.headers)

    async def feed_unavailable(request: Request, exc: FeedUnavailable):
        return _error(503, "feed_unavailable", exc.message, {"Retry-After": "60"})

    async def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 404:
            return _error(404, "not_found", "接口不存在")
        if exc.status_code == 405:
            return _error(405, "method_not_allowed", f"接口不支持 {request.method} 方法", exc.headers)
        return _error(exc.status_code, "http_error", str(exc.detail), exc.headers)

    async def server_error(request: Request, exc: Exception):
        return _error(500, "internal_error", "服务内部错误")

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/v1/business/companies", company_search, methods=["GET"]),
        Route("/v1/business/companies/{uscc}", company, methods=["GET"]),
        Route("/v1/police/persons/{id_number}", police, methods=["GET"]),
        Route("/v1/social/persons/{id_number}", social, methods=["GET"]),
        Route("/v1/education/persons/{id_number}", education, methods=["GET"]),
        Route("/v1/_admin/faults", get_faults, methods=["GET"]),
        Route("/v1/_admin/faults", put_faults, methods=["PUT"]),
    ]
    app = Starlette(routes=routes, exception_handlers={
        ApiError: api_error, FeedUnavailable: feed_unavailable, HTTPException: http_error,
        Exception: server_error})
    app.state.store = store
    app.state.faults = faults
    app.add_middleware(_Gate, api_key=api_key, faults=faults)
    return app


def serve(feeds_dir: str | Path, host: str = "127.0.0.1", port: int = 8765, api_key: str = "",
          latency_ms: int = 0, failure_rate: float = 0.0, *, echo=print) -> None:
    """Load the feeds of ``feeds_dir`` and serve them with uvicorn until interrupted."""
    import time

    import uvicorn

    if not api_key:
        raise ValueError("api_key must not be empty")
    started = time.perf_counter()
    store = FeedStore.load(feeds_dir)
    echo(f"已加载外部数据（{time.perf_counter() - started:.1f} 秒）：{feeds_dir}")
    for name, item in store.status().items():
        if item["status"] == "ok":
            echo(f"  ✓ {item['label']}（{name}）：{item['rows']} 行，文件 {item['file']}")
            for w in item.get("warnings", []):
                echo(f"    注意：{w}")
        else:
            echo(f"  ✗ {item['label']}（{name}）：{item['error']}（该数据的接口返回 503）")
    app = create_app(store, api_key, latency_ms, failure_rate)
    echo(f"外部数据查询服务：http://{host}:{port}/（健康检查 /healthz）")
    # No access log: the URLs carry ID numbers.
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, server_header=False)
