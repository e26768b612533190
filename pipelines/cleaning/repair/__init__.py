"""Repair of the merged records against the outside feeds (外部数据核对修复): records → repaired.

``repair(records, study, work, feeds)`` runs the steps below in order and returns a `RepairResult`. Each
step proposes changes (`log.PROPOSAL_COLUMNS`); confident ones are applied, the rest go to the review
queue; every proposal is in the repair log. A step whose feed is missing, empty or malformed is skipped
(`RepairResult.skipped[step]` holds the `FeedError` message); the other steps go on.

| step | feed | module |
|---|---|---|
| ``ids`` — 公民身份号码 with a wrong check character | 公安 | `identity.propose_ids` |
| ``names`` — 姓名 against the register of the same ID | 公安 | `names.propose_names` |
| ``names_unregistered`` — 姓名 of an ID the register lacks | 社保, 教育 | `names.propose_names_unregistered` |
| ``birth_dates`` — month-only / impossible 出生日期 from the ID | — | `identity.propose_birth_dates` |
| ``employers`` — 工作单位, USCC (基本信息), 工作单位 (工作经历); rule 8 | 工商 (+ 社保) | `employers` |
| ``graduation_dates`` — month-only 毕业时间 | 教育 | `education.propose_graduation_dates` |
| ``study`` — 学习经历 against the feed | 教育 | `education.propose_study` |
| ``social_status`` — 就业状态 / 参保状态 for the person table | 社保 | `social.social_status` |
| ``police_hukou`` — 户籍地址 of 集体户口 records (户籍原所在地 of the 集体户口代理 rows the load makes) | 公安 | `hukou.police_hukou` |

The ID step is settled first so that the later steps look people up by the repaired ID.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines.feeds import FeedError, Feeds

from . import education, employers, hukou, identity, names, social
from .log import (
    LOG_COLUMNS, PROPOSAL_COLUMNS, REVIEW_COLUMNS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, apply_changes,
    empty_proposals, repair_log, review_items, settle,
)

__all__ = ["repair", "RepairResult", "STEPS", "STEP_FEEDS", "LOG_COLUMNS", "REVIEW_COLUMNS", "PROPOSAL_COLUMNS"]

STEPS = ("ids", "names", "names_unregistered", "birth_dates", "employers", "graduation_dates", "study",
         "social_status", "police_hukou")
STEP_FEEDS = {
    "ids": ("police_population",),
    "names": ("police_population",),
    "names_unregistered": ("police_population",),  # 社保 / 教育: whichever is there
    "birth_dates": (),
    "employers": ("business_registry",),       # 社保 optional: without it rule 8 is skipped
    "graduation_dates": ("education",),
    "study": ("education",),
    "social_status": ("social_security",),
    "police_hukou": ("police_population",),
}


@dataclass
class RepairResult:
    records: pd.DataFrame
    study: pd.DataFrame | None
    work: pd.DataFrame | None
    log: pd.DataFrame          # LOG_COLUMNS
    review: pd.DataFrame       # REVIEW_COLUMNS
    status: pd.DataFrame       # social.STATUS_COLUMNS
    proposals: pd.DataFrame    # PROPOSAL_COLUMNS + applied, to_review
    skipped: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    hukou: pd.DataFrame | None = None  # hukou.HUKOU_COLUMNS: 公安 户籍地址 of the 集体户口 records


def repair(records: pd.DataFrame, study: pd.DataFrame | None = None, work: pd.DataFrame | None = None,
           feeds: Feeds | str | Path | None = None, *, steps=None, threshold: float | None = None,
           protected=None, workers: int | None = None) -> RepairResult:
    """Run the repair steps (all, or those named in `steps`) on the records frame and its child frames.

    `feeds`: a `Feeds` or the feeds folder. `threshold`: the confidence from which a change applies
    (default `dq_rules.repair_rules.APPLY_MIN_CONFIDENCE`). `protected`: cells a clerk entered or confirmed
    (see `log.settle`). `workers`: processes for the fuzzy employer-name matching (default: up to 2, the
    cores the pipeline is sized for)."""
    for name, frame in ((SHEET_PERSON, records), (SHEET_STUDY, study), (SHEET_WORK, work)):
        if frame is not None and not frame.index.is_unique:
            raise ValueError(f"{name}: the frame's index must be unique (its labels identify rows in the "
                             "repair log and the review queue)")
    if not isinstance(feeds, Feeds):
        feeds = Feeds(feeds)
    wanted = set(STEPS if steps is None else steps)
    unknown = wanted - set(STEPS)
    if unknown:
        raise ValueError(f"unknown repair steps: {sorted(unknown)}")
    skipped: dict[str, str] = {}
    timings: dict[str, float] = {}
    settled: list[pd.DataFrame] = []
    pending: list[pd.DataFrame] = []

    def run(step, fn):
        if step not in wanted:
            return None
        t0 = time.perf_counter()
        try:
            for f in STEP_FEEDS[step]:
                feeds.table(f)
            return fn()
        except FeedError as exc:
            skipped[step] = exc.message
            return None
        finally:
            timings[step] = round(time.perf_counter() - t0, 3)

    # 1. IDs, settled at once so that the other steps use the repaired IDs
    p = run("ids", lambda: identity.propose_ids(records, feeds.police()))
    applied_ids = None
    if p is not None and len(p):
        s = settle(p, threshold, protected)
        settled.append(s)
        a = s[s["applied"] & (s["field"] == identity.ID)]
        applied_ids = pd.Series(a["new"].to_numpy(dtype=object), index=a["row"].to_numpy())
    ids, usable = identity.usable_ids(records, applied_ids)

    # 2. names, birth dates
    p = run("names", lambda: names.propose_names(records, ids, usable, feeds.police()))
    if p is not None:
        pending.append(p)
    def _names_unregistered():
        others = []
        for name, get in (("social_security", feeds.social), ("education", feeds.education)):
            try:
                others.append(get())
            except FeedError as exc:
                skipped[f"names_unregistered.{name}"] = exc.message
        return names.propose_names_unregistered(records, ids, usable, feeds.police(), others)
    p = run("names_unregistered", _names_unregistered)
    if p is not None:
        pending.append(p)
    p = run("birth_dates", lambda: identity.propose_birth_dates(records, ids, usable))
    if p is not None:
        pending.append(p)

    # 3. employers (社保 optional)
    def _employers():
        try:
            soc = feeds.social()
        except FeedError as exc:
            soc = None
            skipped["employers.rule8"] = exc.message
        return employers.propose_employers(records, work, feeds.registry(), soc, ids, usable,
                                           workers=workers if workers is not None else min(2, os.cpu_count() or 1))
    p = run("employers", _employers)
    if p is not None:
        pending.append(p)

    # 4. education
    p = run("graduation_dates", lambda: education.propose_graduation_dates(records, ids, usable, feeds.education()))
    if p is not None:
        pending.append(p)
    p = run("study", lambda: education.propose_study(records, study, ids, usable, feeds.education()))
    if p is not None:
        pending.append(p)

    # 5. 社保 status
    status = run("social_status", lambda: social.social_status(records, ids, usable, feeds.social()))
    if status is None:
        status = pd.DataFrame(columns=social.STATUS_COLUMNS)
    # 6. 公安 户籍地址 of the 集体户口 records (户籍原所在地 of the 集体户口代理 rows the load makes)
    hukou_addr = run("police_hukou", lambda: hukou.police_hukou(records, ids, usable, feeds.police()))
    if hukou_addr is None:
        hukou_addr = pd.DataFrame(columns=hukou.HUKOU_COLUMNS)

    t0 = time.perf_counter()
    pending = [x for x in pending if len(x)]
    if pending:
        settled.append(settle(pd.concat(pending, ignore_index=True), threshold, protected))
    all_settled = pd.concat(settled, ignore_index=True) if settled else settle(empty_proposals())
    frames = apply_changes({SHEET_PERSON: records, SHEET_STUDY: study, SHEET_WORK: work}, all_settled)
    result = RepairResult(
        records=frames[SHEET_PERSON], study=frames[SHEET_STUDY], work=frames[SHEET_WORK],
        log=repair_log(all_settled), review=review_items(all_settled), status=status, hukou=hukou_addr, proposals=all_settled,
        skipped=skipped, timings=timings)
    timings["settle_apply"] = round(time.perf_counter() - t0, 3)
    return result
