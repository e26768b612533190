"""What the review pages and the review API share: the filters of a request and an item as JSON."""
from __future__ import annotations

from archives_domain.business import review
from archives_domain.paging import PagingError

from ..i18n import N_

STATUS_ALL = "全部"


def filters_from(args) -> review.Filters:
    """The queue's filters from request parameters (PagingError naming a bad one: a 400)."""
    status = (args.get("status") or review.PENDING).strip()
    if status not in (*review.STATUSES, STATUS_ALL):
        raise PagingError("status", f"参数 status 无效：可选 {'/'.join((*review.STATUSES, STATUS_ALL))}")
    sheet = (args.get("sheet") or "").strip() or None
    if sheet and sheet not in review.SHEETS:
        raise PagingError("sheet", f"参数 sheet 无效：可选 {'/'.join(review.SHEETS)}")
    return review.Filters(status=None if status == STATUS_ALL else status,
                          category=(args.get("category") or "").strip()[:32] or None,
                          field=(args.get("field") or "").strip()[:32] or None, sheet=sheet)


def keep_args(f: review.Filters) -> dict[str, str]:
    return {"status": f.status or STATUS_ALL, "category": f.category or "", "field": f.field or "",
            "sheet": f.sheet or ""}


def item_row(it, names: dict) -> dict:
    """A queue row (no values: PII stays on the decision page)."""
    name = names.get(it.person_id, (None, None))[0]
    return {"id": it.id, "person_id": it.person_id, "archive_no": it.archive_no, "name": name, "sheet": it.sheet,
            "field": it.field, "category": it.category, "reason": it.reason, "feed": it.feed,
            "confidence": None if it.confidence is None else float(it.confidence), "status": it.status,
            "pair": it.rule == review.MULTI_RULE, "decided_by": it.decided_by,
            "created_at": it.created_at.isoformat() if it.created_at else None}


def detail_dict(d: review.Detail) -> dict:
    it = d.item
    return {**item_row(it, {it.person_id: (d.person.name if d.person else None, None)}),
            "version": it.version, "person_version": d.person.version if d.person else None,
            "form_value": d.form_value, "present_value": d.present, "row_missing": d.row_missing,
            "candidates": [{"index": i, "value": c.value, "score": c.score, "source": c.source}
                           for i, c in enumerate(d.candidates)],
            "input": None if d.target is None else {"kind": d.target.spec.kind,
                                                     "choices": list(d.target.spec.choices)}}


# Texts of the domain shown through tr() on these pages (statuses, sheets, decisions, settlements).
SHOWN = (N_("待处理"), N_("已采纳"), N_("已修改"), N_("已驳回"), N_("全部"), N_("基本信息"), N_("学习经历"),
         N_("工作经历"), N_("采纳最佳候选值"), N_("选择候选值"), N_("录入核实值"), N_("保留采集表值"),
         N_("不同人员"), N_("已转递"), N_("一人多档"))
