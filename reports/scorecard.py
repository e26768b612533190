"""Per-agency data-quality scorecard (数据质量评分卡) and the index of all agencies, as HTML for auditors.

``render_scorecard(engine, agency_code, out_dir)`` writes ``<out>/<agency>/scorecard.html``;
``render_index(engine, out_dir)`` writes ``<out>/index.html``.  Both pages are
self-contained (inline CSS and SVG, no scripts, no external assets), Chinese,
print-friendly, rendered by Jinja2 templates in ``reports/templates`` with
autoescape on: every value from the database is escaped.

What a scorecard shows, and where it comes from:

- overall 完整率/有效率 and the run's counts: the agency's latest ``dq_run_stat`` row
  (with the change against the run before it);
- 完整率/有效率 per field: ``detail["fields"]`` of that row (written by the load step), with the
  run's applied repairs (repair log), items sent to review (``detail["review_by_field"]``, else the
  log's proposals not applied) and the pending backlog; without ``fields``, the fields that have
  repairs or review items, with their counts only;
- repairs by rule, applied vs sent to review: ``dq_repair_log`` of the latest run;
  without log rows, ``detail["repairs_by_rule"]`` (the applied ones only);
- review backlog (待处理) by category and by field with its age (days since the item was
  created; ≤7 / 8–30 / >30 days), the statuses of all items, and the items the latest run
  added per category (``detail["review_by_category"]``, else counted in ``dq_review_item``);
- quarantined rows by reason and sheet: ``dq_quarantine``;
- the trend over the agency's last runs: ``dq_run_stat``.

Every figure is also an HTML data attribute (``data-k``/``data-v`` on the key figures,
``data-*`` on table rows) so that tests and scripts read the numbers without parsing text.
Nothing is decrypted: no personal data is read or shown.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from archives_domain.collection_form import FEED_SOURCE, REQUIRED
from archives_domain.models import Agency, QuarantineRow, RepairLog, ReviewItem, RunStat
from archives_domain.private_files import private_dir, write_private

TEMPLATES = Path(__file__).resolve().parent / "templates"
TREND_RUNS = 12
BEIJING = dt.timezone(dt.timedelta(hours=8))
GOOD, FAIR = 0.98, 0.95  # ≥ GOOD 良好, ≥ FAIR 一般, below 较差
PENDING = "待处理"
STATUSES = ("待处理", "已修改", "已采纳", "已驳回")
AGE_BUCKETS = (7, 30)  # ≤7 days, 8–30 days, >30 days
NO_CATEGORY = "（未分类）"


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=pct, num=num, bj=beijing, grade=grade, delta=delta_pp, attr=attr_value)
    return env


# -- formatting ---------------------------------------------------------------------------------------------
def _f(value) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def pct(value, digits: int = 2) -> str:
    v = _f(value)
    return "—" if v is None else f"{v * 100:.{digits}f}%"


def num(value) -> str:
    return "—" if value is None else f"{int(value):,}"


def beijing(value: dt.datetime | None) -> str:
    """A stored UTC time (naive) as Beijing time."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def grade(value) -> str:
    v = _f(value)
    if v is None:
        return "na"
    return "good" if v >= GOOD else "fair" if v >= FAIR else "poor"


def delta_pp(value) -> str:
    """A change of a ratio, in percentage points."""
    v = _f(value)
    if v is None:
        return ""
    pp = v * 100
    if abs(pp) < 0.005:
        return "与上次持平"
    return f"较上次 {'+' if pp > 0 else '−'}{abs(pp):.2f} 个百分点"


def attr_value(value) -> str:
    """A number for a data attribute: ratios with 4 decimals, integers as they are, none as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    v = _f(value)
    return "" if v is None else f"{v:.4f}"


# -- data ---------------------------------------------------------------------------------------------------
def _detail(run: RunStat | None) -> dict:
    if run is None or not run.detail:
        return {}
    try:
        d = json.loads(run.detail)
    except ValueError:
        return {}
    return d if isinstance(d, dict) else {}


def _run_row(r: RunStat) -> dict:
    return {"run_id": r.run_id, "run_at": r.run_at, "rows_in": r.rows_in, "records": r.records,
            "quarantined": r.quarantined, "duplicates": r.duplicates, "repaired": r.repaired,
            "review_items": r.review_items, "persons_written": r.persons_written,
            "completeness": _f(r.completeness), "validity": _f(r.validity), "seconds": _f(r.seconds)}


def _rule_texts() -> dict[str, str]:
    try:
        from dq_rules.repair_rules import RULES
    except Exception:  # pragma: no cover - the rules module is data; a report still renders without it
        return {}
    return {name: spec.get("text", "") for name, spec in RULES.items()}


def _age_columns(now: dt.datetime):
    week, month = (now - dt.timedelta(days=d) for d in AGE_BUCKETS)
    return (func.count().label("n"), func.min(ReviewItem.created_at).label("oldest"),
            func.sum(case((ReviewItem.created_at < week, 1), else_=0)).label("over_week"),
            func.sum(case((ReviewItem.created_at < month, 1), else_=0)).label("over_month"))


def _backlog(s: Session, agency_code: str, now: dt.datetime) -> dict:
    rows = s.execute(
        select(ReviewItem.category, ReviewItem.sheet, ReviewItem.field, *_age_columns(now))
        .where(ReviewItem.agency_code == agency_code, ReviewItem.status == PENDING)
        .group_by(ReviewItem.category, ReviewItem.sheet, ReviewItem.field)).all()

    def fold(key):
        out: dict = {}
        for r in rows:
            k = key(r)
            a = out.setdefault(k, {"n": 0, "oldest": None, "over_week": 0, "over_month": 0})
            a["n"] += int(r.n)
            a["over_week"] += int(r.over_week or 0)
            a["over_month"] += int(r.over_month or 0)
            if r.oldest is not None and (a["oldest"] is None or r.oldest < a["oldest"]):
                a["oldest"] = r.oldest
        result = []
        for k, a in out.items():
            a["age_days"] = (now - a["oldest"]).days if a["oldest"] is not None else None
            a["week"] = a["n"] - a["over_week"]
            a["month"] = a["over_week"] - a["over_month"]
            a["older"] = a["over_month"]
            result.append({"key": k, **a})
        return sorted(result, key=lambda a: (-a["n"], str(a["key"])))

    by_category = fold(lambda r: r.category or NO_CATEGORY)
    by_field = fold(lambda r: (r.sheet, r.field))
    total = sum(a["n"] for a in by_category)
    oldest = max((a["age_days"] for a in by_category if a["age_days"] is not None), default=None)
    statuses = dict(s.execute(select(ReviewItem.status, func.count())
                              .where(ReviewItem.agency_code == agency_code)
                              .group_by(ReviewItem.status)).all())
    status_rows = [{"status": st, "n": int(statuses.get(st, 0))} for st in STATUSES]
    status_rows += [{"status": st, "n": int(n)} for st, n in sorted(statuses.items()) if st not in STATUSES]
    return {"total": total, "oldest_days": oldest, "by_category": by_category, "by_field": by_field,
            "statuses": status_rows, "all_items": sum(r["n"] for r in status_rows),
            "week": sum(a["week"] for a in by_category), "month": sum(a["month"] for a in by_category),
            "older": sum(a["older"] for a in by_category)}


def _repairs(s: Session, agency_code: str, run: RunStat | None, detail: dict) -> dict:
    rows: dict[str, dict] = {}
    texts = _rule_texts()
    if run is not None:
        for rule, feed, applied, n in s.execute(
                select(RepairLog.rule, RepairLog.feed, RepairLog.applied, func.count())
                .where(RepairLog.agency_code == agency_code, RepairLog.run_id == run.run_id)
                .group_by(RepairLog.rule, RepairLog.feed, RepairLog.applied)):
            r = rows.setdefault(rule, {"rule": rule, "text": texts.get(rule, ""), "feeds": set(),
                                       "applied": 0, "review": 0})
            if feed:
                r["feeds"].add(FEED_SOURCE.get(feed, feed))  # the load writes 公安 etc. already
            r["applied" if applied else "review"] += int(n)
    source = "log"
    if not rows and isinstance(detail.get("repairs_by_rule"), dict) and detail["repairs_by_rule"]:
        source = "detail"  # the log of this run is gone (or was never kept): the run's applied repairs
        for rule, n in detail["repairs_by_rule"].items():
            rows[str(rule)] = {"rule": str(rule), "text": texts.get(str(rule), ""), "feeds": set(),
                               "applied": int(n or 0), "review": None, "total": int(n or 0)}
    out = []
    for r in rows.values():
        r["feeds"] = "、".join(sorted(r["feeds"]))
        if "total" not in r:
            r["total"] = r["applied"] + r["review"]
        out.append(r)
    out.sort(key=lambda r: (-r["total"], r["rule"]))
    by_field: dict[tuple[str, str], dict] = {}
    if run is not None:
        for sheet, fld, applied, n in s.execute(
                select(RepairLog.sheet, RepairLog.field, RepairLog.applied, func.count())
                .where(RepairLog.agency_code == agency_code, RepairLog.run_id == run.run_id)
                .group_by(RepairLog.sheet, RepairLog.field, RepairLog.applied)):
            a = by_field.setdefault((sheet, fld), {"applied": 0, "review": 0})
            a["applied" if applied else "review"] += int(n)
    return {"rows": out, "source": source, "by_field": by_field,
            "applied": sum(r["applied"] for r in out),
            "review": sum(r["review"] for r in out) if source == "log" else None,
            "total": sum(r["total"] for r in out)}


def _fields(detail: dict, repairs: dict, backlog: dict) -> dict:
    pending = {a["key"]: a["n"] for a in backlog["by_field"]}
    rows = []
    seen = set()
    fields = detail.get("fields") if isinstance(detail.get("fields"), dict) else {}
    # items the run sent to review per field (all causes, not only repair proposals), when the load recorded them
    sent = detail.get("review_by_field") if isinstance(detail.get("review_by_field"), dict) else None
    for name, vals in fields.items():
        vals = vals if isinstance(vals, dict) else {}
        sheet = vals.get("sheet") or "基本信息"
        seen.add((sheet, name))
        rep = repairs["by_field"].get((sheet, name), {})
        # ★ fields (or those the load marks "key") are graded on completeness; an optional field's is shown only
        key = bool(vals["key"]) if "key" in vals else name in REQUIRED.get(sheet, ())
        rows.append({"sheet": sheet, "field": str(name), "key": key, "completeness": _f(vals.get("completeness")),
                     "validity": _f(vals.get("validity")), "applied": rep.get("applied", 0),
                     "review": int(sent.get(name) or 0) if sent is not None else rep.get("review", 0),
                     "pending": pending.get((sheet, name), 0)})
    names = {name for _, name in seen}
    for key in sorted(set(repairs["by_field"]) | set(pending)):
        if key in seen:
            continue
        rep = repairs["by_field"].get(key, {})
        by_name = sent is not None and key[1] not in names and key[1] in sent  # review_by_field has no sheet
        rows.append({"sheet": key[0], "field": key[1], "key": key[1] in REQUIRED.get(key[0], ()),
                     "completeness": None, "validity": None, "applied": rep.get("applied", 0),
                     "review": int(sent[key[1]] or 0) if by_name else rep.get("review", 0),
                     "pending": pending.get(key, 0)})
    return {"rows": rows, "from_detail": bool(fields)}


def _new_reviews(s: Session, agency_code: str, run: RunStat | None, detail: dict) -> list[dict]:
    by_cat = detail.get("review_by_category")
    if isinstance(by_cat, dict) and by_cat:
        items = {str(k or NO_CATEGORY): int(v or 0) for k, v in by_cat.items()}
    elif run is not None:
        items = {(c or NO_CATEGORY): int(n) for c, n in s.execute(
            select(ReviewItem.category, func.count())
            .where(ReviewItem.agency_code == agency_code, ReviewItem.run_id == run.run_id)
            .group_by(ReviewItem.category))}
    else:
        items = {}
    return [{"category": k, "n": v} for k, v in sorted(items.items(), key=lambda kv: (-kv[1], kv[0]))]


def _quarantine(s: Session, agency_code: str) -> dict:
    rows = [{"reason": reason, "sheet": sheet, "n": int(n)} for reason, sheet, n in s.execute(
        select(QuarantineRow.reason, QuarantineRow.sheet, func.count())
        .where(QuarantineRow.agency_code == agency_code)
        .group_by(QuarantineRow.reason, QuarantineRow.sheet))]
    rows.sort(key=lambda r: (-r["n"], r["reason"], r["sheet"]))
    return {"rows": rows, "total": sum(r["n"] for r in rows)}


@dataclass
class Chart:
    """An inline SVG line chart of 完整率 and 有效率 over the runs (no script, prints as it shows)."""

    width: int = 1040
    height: int = 240
    left: int = 52
    right: int = 16
    top: int = 14
    bottom: int = 40

    def build(self, runs: list[dict]) -> dict | None:
        pts = [r for r in runs if r["completeness"] is not None or r["validity"] is not None]
        if len(pts) < 1:
            return None
        values = [v for r in pts for v in (r["completeness"], r["validity"]) if v is not None]
        low = min(values)
        floor = max(0.0, min(0.9, int(low * 20) / 20))  # 5 % steps below the lowest value
        if low - floor < 0.01 and floor > 0:
            floor = max(0.0, floor - 0.05)
        plot_w = self.width - self.left - self.right
        plot_h = self.height - self.top - self.bottom
        n = len(pts)

        def x(i):
            return self.left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

        def y(v):
            return self.top + plot_h * (1 - (v - floor) / (1 - floor if floor < 1 else 1))

        series = []
        for key, label, css in (("completeness", "完整率", "c"), ("validity", "有效率", "v")):
            coords = [(x(i), y(r[key]), r[key]) for i, r in enumerate(pts) if r[key] is not None]
            series.append({"key": key, "label": label, "css": css,
                           "path": " ".join(f"{'M' if j == 0 else 'L'}{cx:.1f},{cy:.1f}"
                                            for j, (cx, cy, _) in enumerate(coords)),
                           "points": [{"x": f"{cx:.1f}", "y": f"{cy:.1f}", "v": v} for cx, cy, v in coords]})
        steps = 5
        ticks = [{"y": f"{y(floor + (1 - floor) * k / steps):.1f}", "label": pct(floor + (1 - floor) * k / steps, 0)
                  if ((1 - floor) * 100 / steps).is_integer() else pct(floor + (1 - floor) * k / steps, 1)}
                 for k in range(steps + 1)]
        xlabels = [{"x": f"{x(i):.1f}", "label": beijing(r["run_at"])[5:10]} for i, r in enumerate(pts)]
        return {"w": self.width, "h": self.height, "left": self.left, "right": self.width - self.right,
                "top": self.top, "bottom": self.height - self.bottom, "series": series, "ticks": ticks,
                "xlabels": xlabels}


def collect(engine, agency_code: str, *, runs: int = TREND_RUNS, now: dt.datetime | None = None) -> dict:
    """Everything a scorecard shows, as plain data (see the module doc)."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with Session(engine) as s:
        agency = s.get(Agency, agency_code)
        if agency is None:
            raise LookupError(f"存档机构不存在：{agency_code}")
        parent = s.get(Agency, agency.parent_code) if agency.parent_code else None
        recent = list(s.scalars(select(RunStat).where(RunStat.agency_code == agency_code)
                                .order_by(RunStat.run_at.desc(), RunStat.id.desc()).limit(runs)))
        latest = recent[0] if recent else None
        previous = recent[1] if len(recent) > 1 else None
        detail = _detail(latest)
        backlog = _backlog(s, agency_code, now)
        repairs = _repairs(s, agency_code, latest, detail)
        data = {
            "agency": {"code": agency.code, "name": agency.name, "level": agency.level,
                       "parent": parent.name if parent else None, "active": agency.active},
            "latest": _run_row(latest) if latest else None,
            "previous": _run_row(previous) if previous else None,
            "fields": _fields(detail, repairs, backlog),
            "repairs": repairs,
            "backlog": backlog,
            "new_reviews": _new_reviews(s, agency_code, latest, detail),
            "quarantine": _quarantine(s, agency_code),
            "trend": [_run_row(r) for r in reversed(recent)],
            "generated_at": now,
        }
    if data["latest"] and data["previous"]:
        data["change"] = {k: (data["latest"][k] - data["previous"][k])
                          if data["latest"][k] is not None and data["previous"][k] is not None else None
                          for k in ("completeness", "validity")}
    else:
        data["change"] = {"completeness": None, "validity": None}
    data["chart"] = Chart().build(data["trend"])
    data["thresholds"] = {"good": GOOD, "fair": FAIR}
    return data


def _write(path: Path, text: str) -> Path:
    """Atomically (a reader sees the old page or the new one, never half of one), mode 0600 in 0700 folders."""
    private_dir(path.parent)
    return write_private(path, text)


def _rel(target: Path | None, start: Path) -> str | None:
    if target is None:
        return None
    return Path(os.path.relpath(Path(target).resolve(), start.resolve())).as_posix()


def render_scorecard(engine, agency_code: str, out_dir: Path | str, *, runs: int = TREND_RUNS,
                     data_docs: Path | str | None = None, now: dt.datetime | None = None) -> Path:
    """Write ``<out_dir>/<agency_code>/scorecard.html``; return its path. `data_docs`: the GX site's
    index page, linked from the scorecard when given."""
    out_dir = Path(out_dir)
    path = out_dir / agency_code / "scorecard.html"
    data = collect(engine, agency_code, runs=runs, now=now)
    private_dir(path.parent)
    data["data_docs"] = _rel(Path(data_docs), path.parent) if data_docs else None
    data["index_href"] = "../index.html"
    return _write(path, _env().get_template("scorecard.html").render(**data))


def index_rows(engine) -> list[dict]:
    """Every agency with the figures of its latest run (None when it has none) and its review backlog."""
    with Session(engine) as s:
        last = (select(RunStat.agency_code, func.max(RunStat.run_at).label("run_at"))
                .group_by(RunStat.agency_code).subquery())
        latest = {r.agency_code: r for r in s.scalars(
            select(RunStat).join(last, and_(RunStat.agency_code == last.c.agency_code,
                                            RunStat.run_at == last.c.run_at)).order_by(RunStat.id))}
        runs = dict(s.execute(select(RunStat.agency_code, func.count()).group_by(RunStat.agency_code)).all())
        pending = dict(s.execute(select(ReviewItem.agency_code, func.count())
                                 .where(ReviewItem.status == PENDING).group_by(ReviewItem.agency_code)).all())
        agencies = list(s.scalars(select(Agency).order_by(Agency.code)))
        names = {a.code: a.name for a in agencies}
        return [{"code": a.code, "name": a.name, "level": a.level, "parent": names.get(a.parent_code),
                 "runs": int(runs.get(a.code, 0)), "pending": int(pending.get(a.code, 0)),
                 "latest": _run_row(latest[a.code]) if a.code in latest else None} for a in agencies]


def render_index(engine, out_dir: Path | str, *, data_docs: Path | str | None = None,
                 now: dt.datetime | None = None) -> Path:
    """Write ``<out_dir>/index.html``: all agencies, their latest figures and links to their scorecards."""
    out_dir = Path(out_dir)
    private_dir(out_dir)
    rows = index_rows(engine)
    for r in rows:
        r["href"] = f"{r['code']}/scorecard.html" if (out_dir / r["code"] / "scorecard.html").exists() else None
    with_runs = [r for r in rows if r["latest"]]
    records = sum(r["latest"]["records"] for r in with_runs)

    def weighted(key):
        pairs = [(r["latest"][key], r["latest"]["records"]) for r in with_runs if r["latest"][key] is not None]
        weight = sum(w for _, w in pairs)
        if not pairs:
            return None
        return sum(v * w for v, w in pairs) / weight if weight else sum(v for v, _ in pairs) / len(pairs)

    summary = {"agencies": len(rows), "with_runs": len(with_runs), "records": records,
               "quarantined": sum(r["latest"]["quarantined"] for r in with_runs),
               "pending": sum(r["pending"] for r in rows),
               "completeness": weighted("completeness"), "validity": weighted("validity")}
    html = _env().get_template("index.html").render(
        rows=rows, summary=summary, thresholds={"good": GOOD, "fair": FAIR},
        data_docs=_rel(Path(data_docs), out_dir) if data_docs else None,
        generated_at=now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    return _write(out_dir / "index.html", html)


def agencies_with_runs(engine) -> list[str]:
    with Session(engine) as s:
        return list(s.scalars(select(RunStat.agency_code).distinct().order_by(RunStat.agency_code)))


__all__ = ["collect", "render_scorecard", "render_index", "index_rows", "agencies_with_runs"]
