"""What the 综合统计 pages and APIs share: the agencies chosen within the scope, the PII permission, the
output sent as xlsx or PDF and audited (下载/打印)."""
from __future__ import annotations

from urllib.parse import quote

from flask import g, make_response

from archives_domain.statistics import export, saved_queries
from archives_domain.statistics.scope import agencies_in_scope, chosen_codes

from .. import business_ui
from ..access import can

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MODULES = {"stats.archive": ("综合统计", "档案信息统计"), "stats.overview": ("综合统计", "报表统计"),
           "stats.custom": ("综合统计", "自定义查询")}


def scope_args(ctx, args) -> tuple[list[str], dict]:
    """The agency codes the request covers (`agency`, `subtree` — checked against the scope) and the page's
    choice of agencies."""
    agency = (args.get("agency") or "").strip()[:8] or None
    raw = args.get("subtree")
    subtree = raw if isinstance(raw, bool) else str("1" if raw is None else raw) not in ("0", "", "false")
    codes = chosen_codes(ctx.session, ctx.actor, agency, subtree)
    return codes, {"agency": agency or "", "subtree": subtree,
                   "agencies": agencies_in_scope(ctx.session, ctx.actor)}


def unmasked() -> bool:
    return can(g.user, "person.unmasked")


def send_xlsx(data: bytes, filename: str):
    resp = make_response(data)
    resp.headers["Content-Type"] = XLSX
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    resp.headers.update(business_ui.NO_STORE)
    return resp


def send_table(ctx, module_key: str, fmt: str, title: str, subtitle: str, headers, rows, note: str = "",
               *, landscape=None, what: str = ""):
    """下载 (xlsx) or 打印 (PDF) of a table, audited in the module (what was output, how many rows)."""
    action = "下载" if fmt == "xlsx" else "打印"
    saved_queries.audit_output(ctx, action, f"{action}{title}（{len(rows)} 行）{what}"[:500], MODULES[module_key])
    stamp = ctx.today.strftime("%Y%m%d")
    if fmt == "xlsx":
        return send_xlsx(export.xlsx(title, subtitle, headers, rows, note), f"{title}_{stamp}.xlsx")
    data = export.table_pdf(title, subtitle, headers, rows, note, landscape=landscape,
                            footer=f"{title}  制表：{ctx.actor.label}  {ctx.today.isoformat()}")
    return business_ui.send_pdf(data, f"{title}_{stamp}.pdf")
