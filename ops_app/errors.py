"""Error pages: every HTTP error answers in the user's language (Chinese by default) inside the app's frame.

Signed in, the page has the menu and header; signed out, the plain frame with a link to the login page.
Both offer a way back (返回上一页 / 返回工作台). Under /api/ the answer is `{"message": ...}` instead.
An unhandled exception is logged by Flask (with its traceback, `app.log_exception`) before the 500 page is
drawn; the page shows only a reference to find that log line, never the traceback. `register()` is the one
call the app factory makes; it also bounds `<int:...>` in URL rules (`ops_app.params.BoundedIntConverter`),
so it must run before the views are registered.
"""
from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .i18n import N_, _, show
from .params import BoundedIntConverter, ParamError

log = logging.getLogger(__name__)

# Status → (heading, default message); Chinese msgids, shown through `_`/`show`.
TEXTS = {
    400: (N_("请求有误"), N_("请求的内容有误，无法处理")),
    401: (N_("请先登录"), N_("请先登录")),
    403: (N_("无权访问"), N_("您没有访问该功能的权限")),
    404: (N_("页面不存在"), N_("您要访问的页面或记录不存在，或不在您的管辖范围内")),
    405: (N_("不支持的访问方式"), N_("该页面不支持这种访问方式")),
    409: (N_("操作未完成"), N_("记录已被他人修改或状态已变化，操作未完成")),
    413: (N_("提交的内容过大"), N_("提交的内容超过了上限，请缩小文件后重试")),
    429: (N_("请求过于频繁"), N_("请求过于频繁，请稍后再试")),
    500: (N_("系统内部错误"), N_("系统内部错误，已记入日志，请稍后重试或联系系统管理员")),
}
GENERIC = (N_("请求无法完成"), N_("请求无法完成"))
_CSRF_MESSAGE = N_("页面已过期或缺少安全令牌，请返回刷新页面后重试")


def register(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
    app.register_error_handler(HTTPException, handle_http_error)
    # Flask calls the 500 handler for any unhandled exception (after logging it), unless it propagates (tests).
    app.register_error_handler(InternalServerError, handle_http_error)
    from archives_domain.business.base import BusinessError
    app.register_error_handler(BusinessError, handle_business_error)


def handle_business_error(error):
    """A business command's refusal that the view did not handle itself: its message (Chinese, naming the
    field) on the error page or as JSON {"message", "field", "errors"}; a record out of scope is the 404."""
    _rollback()
    code = error.status
    message = _(TEXTS[404][1]) if code == 404 else error.message
    if request.path.startswith("/api/"):
        body = {"message": message, "field": error.field}
        if getattr(error, "errors", None):
            body["errors"] = error.errors
        return jsonify(body), code
    return render_error(code, message), code


def message_for(error: HTTPException) -> str:
    """The message to show for `error`, in the user's language."""
    if isinstance(error, ParamError):
        return show(error.message)
    if isinstance(error, CSRFError):
        return _(_CSRF_MESSAGE)
    if error.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit:
            return _("提交的内容超过了 %(mb)s MB 的上限，请缩小文件后重试", mb=limit // (1024 * 1024))
    if error.code == 405:
        return _("该页面不支持这种访问方式（%(method)s）", method=request.method)
    return _(TEXTS.get(error.code, GENERIC)[1])


def handle_http_error(error: HTTPException):
    code = error.code or 500
    reference = None
    if code >= 500:
        reference = secrets.token_hex(4)
        _rollback()
        cause = getattr(error, "original_exception", None)
        # Flask has logged an unhandled exception's traceback on the app's logger already; this line, on the
        # same logger, ties it to the reference shown on the page.
        current_app.logger.error("错误 %s：%s %s 返回 %s（%s）", reference, request.method, request.path, code,
                                 type(cause).__name__ if cause else error.description)
    message = message_for(error) if code < 500 else _(TEXTS[500][1])
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]  # Allow, Retry-After
    return render_error(code, message, reference=reference), code, headers


def render_error(code: int, message: str, *, reference: str | None = None):
    """The error page (or JSON under /api/) for `code` with `message`; also used by `access_guard`'s 403."""
    if request.path.startswith("/api/"):
        body = {"message": message}
        if reference:
            body["reference"] = reference
        return jsonify(body)
    heading = _(TEXTS.get(code, GENERIC)[0])
    context = dict(code=code, heading=heading, message=message, reference=reference, back=_same_site_referrer(),
                   title=f"{code} {heading}")
    if "user" not in g:  # an error before FAB's before_request (CSRF, 413): the frame needs the user as FAB sets it
        g.user = current_user
    try:
        return render_template("errors/error.html", appbuilder=current_app.appbuilder, **context)
    except Exception:  # the frame itself failed (e.g. the database is down): the page without menu
        log.exception("错误页面的框架无法显示，改用简单页面")
        _rollback()
        return render_template("errors/plain.html", login_url=_login_url(), **context)


def _rollback() -> None:
    """A failed statement leaves the request's session unusable; the frame's menu needs it."""
    try:
        current_app.appbuilder.sm.session.rollback()
    except Exception:  # noqa: BLE001 — nothing more to do on an error page
        log.exception("会话回滚失败")


def _same_site_referrer() -> str | None:
    """The previous page for 返回上一页, only when it is one of ours (no open redirect, no foreign link)."""
    ref = request.referrer
    if not ref:
        return None
    parts = urlsplit(ref)
    if parts.netloc and parts.netloc != request.host:
        return None
    if parts.scheme not in ("", "http", "https") or ref == request.url:  # not a link to this very page
        return None
    return ref


def _login_url() -> str:
    try:
        return url_for("ArchivesAuthDBView.login")
    except Exception:  # noqa: BLE001 — the plain page must render whatever is broken
        return "/login/"
