"""系统管理 → 系统日志: search and export of the audit log (审计管理员). Read-only: GET routes only.

Nothing in the application updates or deletes audit rows (on MySQL the app account
has no UPDATE/DELETE on audit_log, see docs/security.md); entries are kept at least
`archives_domain.audit.RETENTION_DAYS` days and no purge exists.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math

from flask import Response, jsonify, request
from flask_appbuilder import BaseView, expose
from sqlalchemy import func, or_, select

from archives_domain.models import AuditLog
from archives_domain.spreadsheet_safety import safe_cell

from ..i18n import _
from ..params import page_arg, parse_date
from ..security import events
from ..security import permissions as P

BEIJING = dt.timedelta(hours=8)
PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
MODULE_PATH = ("系统管理", "系统日志")
COLUMNS = (("ts", "时间（北京）"), ("username", "用户"), ("agency_code", "机构"), ("module", "模块"),
           ("action", "操作"), ("summary", "摘要"), ("object_type", "对象类型"), ("object_id", "对象ID"),
           ("before_data", "修改前"), ("after_data", "修改后"), ("client_ip", "客户端IP"), ("result", "结果"))


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _date(name: str, value: str | None) -> dt.date | None:
    # Bounded (ops_app.params): 9999-12-31 + 1 day − 8 h would overflow; a malformed date answers 400.
    return parse_date(name, value)


def filters_from(args) -> dict:
    return {name: (args.get(name) or "").strip()[:64] for name in ("username", "start", "end", "module", "action",
                                                                    "result")}


def query_for(f: dict):
    q = select(AuditLog)
    if f["username"]:
        q = q.where(AuditLog.username.like(_like(f["username"]), escape="\\"))
    if (start := _date("start", f["start"])) is not None:  # dates are Beijing days; the log is in UTC
        q = q.where(AuditLog.ts >= dt.datetime.combine(start, dt.time()) - BEIJING)
    if (end := _date("end", f["end"])) is not None:
        q = q.where(AuditLog.ts < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()) - BEIJING)
    if f["module"]:
        pattern = _like(f["module"])
        q = q.where(or_(AuditLog.module1.like(pattern, escape="\\"), AuditLog.module2.like(pattern, escape="\\"),
                        AuditLog.module3.like(pattern, escape="\\")))
    if f["action"]:
        q = q.where(AuditLog.action == f["action"])
    if f["result"] in ("成功", "失败"):
        q = q.where(AuditLog.result == f["result"])
    return q


def row_values(row: AuditLog) -> dict:
    return {"id": row.id, "ts": (row.ts + BEIJING).strftime("%Y-%m-%d %H:%M:%S"), "username": row.username or "",
            "agency_code": row.agency_code or "",
            "module": "/".join(m for m in (row.module1, row.module2, row.module3) if m),
            "action": row.action, "summary": row.summary, "object_type": row.object_type or "",
            "object_id": row.object_id or "", "before_data": row.before_data or "",
            "after_data": row.after_data or "", "client_ip": row.client_ip or "", "result": row.result}


class AuditLogView(BaseView):
    route_base = ""
    default_view = "index"
    archives_module = P.LOG_MODULE

    def _session(self):
        return self.appbuilder.sm.session

    @expose("/auditlog/", methods=["GET"])
    def index(self):
        s, f = self._session(), filters_from(request.args)
        q = query_for(f)
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(page_arg(), pages)
        rows = s.scalars(q.order_by(AuditLog.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
        actions = list(s.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
        return self.render_template("audit_log.html", title=_("系统日志"), appbuilder=self.appbuilder, f=f,
                                    rows=[row_values(r) for r in rows], total=total, page=page, pages=pages,
                                    actions=actions, columns=COLUMNS)

    @expose("/auditlog/export.csv", methods=["GET"])
    def export(self):
        s, f = self._session(), filters_from(request.args)
        rows = [row_values(r) for r in s.scalars(query_for(f).order_by(AuditLog.id).limit(EXPORT_LIMIT))]
        buf = io.StringIO()
        buf.write("\ufeff")  # Excel opens UTF-8 with a BOM as UTF-8
        writer = csv.writer(buf)
        writer.writerow(["序号", *(label for _, label in COLUMNS)])
        for r in rows:
            # Anyone can put text in the log (a user name typed at the login): no cell may run as a formula.
            writer.writerow([r["id"], *(safe_cell(r[name]) for name, _ in COLUMNS)])
        described = "，".join(f"{k}={v}" for k, v in f.items() if v) or "全部"
        events.record_plain(s, "导出", f"导出系统日志 {len(rows)} 条（条件：{described}）", object_type="系统日志",
                            module=MODULE_PATH)
        s.commit()
        stamp = (dt.datetime.utcnow() + BEIJING).strftime("%Y%m%d%H%M%S")
        return Response(buf.getvalue().encode("utf-8"), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename=audit-log-{stamp}.csv"})

    @expose("/api/v1/audit-log/", methods=["GET"])
    def api_list(self):
        s, f = self._session(), filters_from(request.args)
        page = page_arg()
        rows = s.scalars(query_for(f).order_by(AuditLog.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
        return jsonify(page=page, items=[row_values(r) for r in rows])
