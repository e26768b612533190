"""Benchmark and measurement of the feed repairs (pipelines/cleaning/repair) on a generated data set.

Run by hand:  .venv/bin/python bench/bench_repair.py [--persons 20000] [--seed 4] [--data DIR] [--keep]
                                                     [--pipeline]

1. Generates a synthetic set (``synth.generate``; or uses ``--data DIR`` made before).
2. Builds a *records-like* frame and child frames from the truth with the dirty values of
   ``truth/errors.parquet`` applied and passed through a stand-in of the standardiser (`build_inputs`:
   trim, full → half width except brackets, null tokens, 15 → 18 IDs, ``x`` → ``X``, dates incl. month-only
   ``YYYY-MM`` and impossible ones flagged, code synonyms, traditional → simplified names and name dots,
   USCC checks) with an ``_issues`` column — until the real standardiser exists. Batch corrections are
   left out (the merge stage resolves them), 一人多档 is not a cell error. With ``--pipeline`` the frames
   come from the real cleaning stages instead (``pipelines.cleaning.clean_landing``: read → standardise
   → merge on the landing files; child rows matched to the truth by their order within the person).
3. Runs ``repair`` with the bulk feeds and reports, per error category, how many cells were repaired
   right, sent to review, changed wrong and left wrong; the applied changes that were wrong (on error cells
   and on clean cells: false repairs); precision of the applied changes and recall of the resolvable errors
   in the categories the repairs own; timings.

Writes bench/results/repair-<date>.json (other sizes / inputs: repair-<date>-<N>[-pipeline].json).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archives_domain.codes import FIELD_CODE_TYPES, canonical_value  # noqa: E402
from archives_domain.collection_form import DATE_HEADERS, NULL_TOKENS, SHEET_PERSON, SHEET_STUDY, \
    SHEET_WORK  # noqa: E402
from archives_domain.identity import IdentityError, is_legacy_registration_number, is_valid_uscc, normalize_id, \
    normalize_uscc, upgrade_id15, validate_id  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"

#: Categories the repairs own (the rest are the standardiser's and the merge's).
REPAIR_CATEGORIES = ("id_typo", "id_transposition", "name_homophone", "name_traditional", "name_dot",
                     "employer_abbrev", "employer_no_suffix", "employer_former_name", "employer_bracket_width",
                     "employer_typo", "employer_missing", "employer_changed", "uscc_bad_check", "uscc_legacy_15",
                     "date_month_only", "date_impossible")
#: date categories count for the repairs only on the fields a feed can complete
REPAIR_DATE_FIELDS = {(SHEET_PERSON, "出生日期"), (SHEET_PERSON, "毕业时间"), (SHEET_STUDY, "起始时间"),
                      (SHEET_STUDY, "终止时间")}

# ---------------------------------------------------------------------------------------------------------
# A stand-in for the standardiser (only the dirty cells need it: the truth is canonical)

_FW = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in "（）"}
_FW[0x3000] = 0x20
_WS = re.compile(r"[\s\u3000\u200b\ufeff]+")
NO_SPACE = {"姓名", "性别", "民族", "出生日期", "公民身份号码", "政治面貌", "入党时间", "转正时间", "联系电话", "最高学历",
            "最高学位", "毕业时间", "单位统一社会信用代码", "委托方式", "档案接收时间", "档案状态", "集体户口", "落户时间",
            "工作单位", "毕业院校", "学校", "学历", "学位", "起始时间", "终止时间"}
_ID_CODES = {"checksum": "id_checksum", "region": "id_region_year", "birth_date": "id_birth_date",
             "format": "id_format", "length": "id_length"}
_EXCEL0 = date(1899, 12, 30).toordinal()


def _t2s(text: str) -> str:
    from pipelines.cleaning.repair.log import fold_name
    return fold_name(text)


def _date(v: str):
    s = v
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", s) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", s)
    if m:
        y, mo, d = map(int, m.groups())
        try:
            return date(y, mo, d).isoformat(), None
        except ValueError:
            return s, "date_impossible"
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", s)
    if m:
        y, mo = map(int, m.groups())
        if 1 <= mo <= 12:
            return f"{y:04d}-{mo:02d}", "date_month_only"
        return s, "date_impossible"
    if re.fullmatch(r"\d{4,5}", s):
        return date.fromordinal(_EXCEL0 + int(s)).isoformat(), None
    return s, "date_unparsed"


def standardise_cell(field: str, sheet: str, value):
    """(canonical value or the trimmed text, issue code or None) of one typed cell."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None, None
    s = str(value).translate(_FW)
    s = _WS.sub("" if field in NO_SPACE else " ", s).strip()
    if s in NULL_TOKENS and not (field == "最高学位" and s == "无"):
        return None, None
    if s == "—":
        return None, None
    if field == "公民身份号码":
        s = normalize_id(s)
        if len(s) == 15 and s.isdigit():
            s = upgrade_id15(s, strict=False)
        try:
            validate_id(s)
            return s, None
        except IdentityError as exc:
            return s, _ID_CODES.get(exc.reason, "id_invalid")
    if field in DATE_HEADERS.get(sheet, ()):
        return _date(s)
    if field in FIELD_CODE_TYPES:
        c = canonical_value(field, s)
        return (c, None) if c is not None else (s, "unknown_code")
    if field == "姓名":
        return _t2s(s), None
    if field == "单位统一社会信用代码":
        s = normalize_uscc(s)
        if len(s) == 15 and is_legacy_registration_number(s):
            return s, "uscc_legacy"
        return (s, None) if is_valid_uscc(s) else (s, "uscc_checksum")
    return s, None


def build_inputs(root: Path):
    """(records, study, work, truth) frames from a generated set: truth with the errors applied and
    standardised. Frames carry ``_agency``, ``档案编号`` (child: also ``seq``) and ``_issues``."""
    truth = {}
    frames = {}
    for sheet, fname in ((SHEET_PERSON, "persons"), (SHEET_STUDY, "study"), (SHEET_WORK, "work")):
        t = pd.read_parquet(root / "truth" / f"{fname}.parquet")
        t = t.rename(columns={"agency_code": "_agency"})
        for c in t.columns:
            if c not in ("person_key", "seq"):
                t[c] = t[c].astype("str")
        t = t.reset_index(drop=True)
        truth[sheet] = t
        frames[sheet] = t.drop(columns=[c for c in ("person_key",) if c in t.columns]).copy()
    errors = pd.read_parquet(root / "truth" / "errors.parquet")
    errors = errors[~errors["category"].isin(["batch_correction", "multi_archive"])]
    pre = {}
    for sheet, frame in frames.items():
        e = errors[errors["sheet"] == sheet]
        if sheet == SHEET_PERSON:
            key = pd.MultiIndex.from_frame(frame[["_agency", "档案编号"]])
            pos = key.get_indexer(pd.MultiIndex.from_frame(e[["agency_code", "档案编号"]].astype(str)))
        else:
            key = pd.MultiIndex.from_arrays([frame["_agency"], frame["档案编号"], frame["seq"].astype(int)])
            pos = key.get_indexer(pd.MultiIndex.from_arrays([e["agency_code"].astype(str), e["档案编号"].astype(str),
                                                             e["seq"].astype(int)]))
        e = e.assign(epos=pos)
        e = e[e["epos"] >= 0]
        issues: dict[int, list] = {}
        for fld, grp in e.groupby("field"):
            vals, poss = [], grp["epos"].to_numpy()
            for p, d in zip(poss, grp["dirty"].to_numpy(dtype=object)):
                v, code = standardise_cell(fld, sheet, d)
                vals.append(v)
                if code:
                    issues.setdefault(int(p), []).append({"field": fld, "code": code, "raw": d})
            col = frame[fld].astype(object).to_numpy().copy()
            col[poss] = vals
            frame[fld] = pd.Series(col, index=frame.index, dtype="str")
        iss = np.full(len(frame), None, dtype=object)
        for p, lst in issues.items():
            iss[p] = json.dumps(lst, ensure_ascii=False)
        frame["_issues"] = pd.Series(iss, index=frame.index, dtype="str")
        pre[sheet] = e
    return frames[SHEET_PERSON], frames[SHEET_STUDY], frames[SHEET_WORK], truth, errors, pre


def build_inputs_pipeline(root: Path, workers: int = 2):
    """Like `build_inputs`, but the records and child frames come from the real cleaning stages
    (`pipelines.cleaning.clean_landing`: read → standardise → merge) run on the landing files. Also
    returns, per sheet, the truth row of each frame label (child rows: by their order within the person)."""
    from pipelines.cleaning import clean_landing
    results, _errors = clean_landing(root / "landing", workers=workers)
    parts = {SHEET_PERSON: [], SHEET_STUDY: [], SHEET_WORK: []}
    for res in results.values():
        m = res.merged
        parts[SHEET_PERSON].append(m.persons)
        parts[SHEET_STUDY].append(m.study[~m.study["_orphan"].astype(bool)] if "_orphan" in m.study else m.study)
        parts[SHEET_WORK].append(m.work[~m.work["_orphan"].astype(bool)] if "_orphan" in m.work else m.work)
    frames = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
    truth = {}
    tpos = {}
    for sheet, fname in ((SHEET_PERSON, "persons"), (SHEET_STUDY, "study"), (SHEET_WORK, "work")):
        t = pd.read_parquet(root / "truth" / f"{fname}.parquet").rename(columns={"agency_code": "_agency"})
        for c in t.columns:
            if c not in ("person_key", "seq"):
                t[c] = t[c].astype("str")
        truth[sheet] = t.reset_index(drop=True)
        f = frames[sheet]
        if sheet == SHEET_PERSON:
            tk = pd.MultiIndex.from_frame(truth[sheet][["_agency", "档案编号"]])
            pos = tk.get_indexer(pd.MultiIndex.from_frame(f[["_agency", "档案编号"]].astype(str)))
        else:
            rank = f.assign(_r=f["_row"].astype(int)).sort_values("_r").groupby(["_agency", "档案编号"]).cumcount()
            tk = pd.MultiIndex.from_arrays([truth[sheet]["_agency"], truth[sheet]["档案编号"],
                                            truth[sheet]["seq"].astype(int)])
            pos = tk.get_indexer(pd.MultiIndex.from_arrays([f["_agency"].astype(str), f["档案编号"].astype(str),
                                                            rank.reindex(f.index).astype(int)]))
        tpos[sheet] = pd.Series(pos, index=f.index)
    errors = pd.read_parquet(root / "truth" / "errors.parquet")
    pre = {}
    for sheet, f in frames.items():
        e = errors[errors["sheet"] == sheet]
        inv = pd.Series(tpos[sheet].index.to_numpy(), index=tpos[sheet].to_numpy())
        inv = inv[inv.index >= 0]
        inv = inv[~inv.index.duplicated()]
        if sheet == SHEET_PERSON:
            tk = pd.MultiIndex.from_frame(truth[sheet][["_agency", "档案编号"]])
            tp = tk.get_indexer(pd.MultiIndex.from_frame(e[["agency_code", "档案编号"]].astype(str)))
        else:
            tk = pd.MultiIndex.from_arrays([truth[sheet]["_agency"], truth[sheet]["档案编号"],
                                            truth[sheet]["seq"].astype(int)])
            tp = tk.get_indexer(pd.MultiIndex.from_arrays([e["agency_code"].astype(str), e["档案编号"].astype(str),
                                                           e["seq"].astype(int)]))
        epos = inv.reindex(tp).to_numpy()
        e = e.assign(epos=epos)
        pre[sheet] = e[pd.notna(e["epos"])].assign(epos=lambda x: x["epos"].astype(int))
    return frames[SHEET_PERSON], frames[SHEET_STUDY], frames[SHEET_WORK], truth, errors, pre, tpos


# ---------------------------------------------------------------------------------------------------------
# Measurement

def _eq(a, b) -> bool:
    na_a = a is None or (isinstance(a, float) and np.isnan(a)) or a is pd.NA
    na_b = b is None or (isinstance(b, float) and np.isnan(b)) or b is pd.NA
    if na_a or na_b:
        return na_a and na_b
    return str(a) == str(b)


def _has_issue(issues, field: str) -> bool:
    if not isinstance(issues, str) or field not in issues:
        return False
    try:
        return any(isinstance(i, dict) and i.get("field") == field for i in json.loads(issues))
    except ValueError:
        return False


def measure(result, inputs, truth, pre, tpos=None) -> dict:
    """Outcome of every injected error (`pre`: errors with ``epos``, the row label in the input frame) and
    of every applied change (checked against the truth row `tpos[sheet][label]`; identity by default)."""
    frames_in = dict(zip((SHEET_PERSON, SHEET_STUDY, SHEET_WORK), inputs))
    frames_out = {SHEET_PERSON: result.records, SHEET_STUDY: result.study, SHEET_WORK: result.work}
    review = result.review
    flagged = set(zip(review["sheet"], review["row"].astype(str), review["field"]))
    applied = result.proposals[result.proposals["applied"]]
    applied_cells = set(zip(applied["sheet"], applied["row"].astype(str), applied["field"]))

    cats: dict[str, dict] = {}
    error_cells = set()
    for sheet, e in pre.items():
        fin = frames_out[sheet]
        before = frames_in[sheet]
        for rec in e.itertuples(index=False):
            p = int(rec.epos)
            cell = (sheet, str(p), rec.field)
            error_cells.add(cell)
            final = fin.at[p, rec.field]
            in_scope = rec.category in REPAIR_CATEGORIES and (
                not rec.category.startswith("date_") or (sheet, rec.field) in REPAIR_DATE_FIELDS)
            key = rec.category if in_scope else f"{rec.category} (std)"
            c = cats.setdefault(key, {"injected": 0, "resolvable": 0, "repaired_right": 0, "sent_to_review": 0,
                                      "changed_wrong": 0, "left_wrong": 0, "resolvable_right": 0,
                                      "applied_wrong": 0, "flagged_by_issue": 0})
            c["injected"] += 1
            c["resolvable"] += bool(rec.resolvable)
            has_issue = _has_issue(before.at[p, "_issues"], rec.field)
            if _eq(final, rec.clean):
                c["repaired_right"] += 1
                c["resolvable_right"] += bool(rec.resolvable)
            elif cell in flagged:
                c["sent_to_review"] += 1
            elif cell in applied_cells:
                c["changed_wrong"] += 1
                c["applied_wrong"] += 1
            elif _eq(final, before.at[p, rec.field]):
                c["left_wrong"] += 1
                c["flagged_by_issue"] += has_issue
            else:
                c["changed_wrong"] += 1
    # applied changes: right or wrong against the truth
    by_rule: dict[str, dict] = {}
    false_repairs = 0
    wrong_examples = []
    for rec in applied.itertuples(index=False):
        r = by_rule.setdefault(rec.rule, {"applied": 0, "right": 0, "wrong_on_error_cell": 0, "wrong_on_clean_cell": 0})
        r["applied"] += 1
        if rec.field == "*":
            r["wrong_on_clean_cell"] += 1  # the truth never lacks a study row
            false_repairs += 1
            continue
        trow = int(rec.row) if tpos is None else int(tpos[rec.sheet].get(rec.row, -1))
        if trow < 0:
            r["wrong_on_clean_cell"] += 1  # a row the truth does not have
            false_repairs += 1
            continue
        t = truth[rec.sheet].at[trow, rec.field]
        if _eq(rec.new, t):
            r["right"] += 1
        else:
            cell = (rec.sheet, str(rec.row), rec.field)
            if cell in error_cells:
                r["wrong_on_error_cell"] += 1
            else:
                r["wrong_on_clean_cell"] += 1
                false_repairs += 1
            if len(wrong_examples) < 40:
                wrong_examples.append({"rule": rec.rule, "sheet": rec.sheet, "field": rec.field, "old": rec.old,
                                       "new": rec.new, "truth": None if t is None or (isinstance(t, float)) else str(t)})
    n_applied = len(applied)
    n_right = sum(r["right"] for r in by_rule.values())
    rev_no_error = sum(1 for s, r, f in flagged if (s, r, f) not in error_cells)
    in_scope = {k: v for k, v in cats.items() if not k.endswith("(std)")}
    res = sum(v["resolvable"] for v in in_scope.values())
    res_right = sum(v["resolvable_right"] for v in in_scope.values())
    return {
        "applied_changes": n_applied,
        "applied_right": n_right,
        "precision_applied": round(n_right / n_applied, 5) if n_applied else 1.0,
        "false_repairs_on_clean_cells": false_repairs,
        "review_items": len(review),
        "review_items_without_error": rev_no_error,
        "resolvable_in_scope": res,
        "resolvable_repaired_right": res_right,
        "recall_resolvable_in_scope": round(res_right / res, 5) if res else 1.0,
        "categories": dict(sorted(in_scope.items())),
        "categories_std_stand_in": dict(sorted((k, v) for k, v in cats.items() if k.endswith("(std)"))),
        "by_rule": dict(sorted(by_rule.items())),
        "wrong_examples": wrong_examples,
    }


def _machine() -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(), "os": platform.platform()}


def _table(m: dict) -> str:
    cols = ("injected", "resolvable", "repaired_right", "sent_to_review", "changed_wrong", "left_wrong")
    lines = [f"{'category':28s} " + " ".join(f"{c[:14]:>14s}" for c in cols) + f" {'recall':>8s}"]
    for k, v in {**m["categories"], **m["categories_std_stand_in"]}.items():
        rec = v["resolvable_right"] / v["resolvable"] if v["resolvable"] else float("nan")
        lines.append(f"{k:28s} " + " ".join(f"{v[c]:14d}" for c in cols) + f" {rec:8.3f}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--data", type=Path, default=None, help="a set generated before (skip generation)")
    ap.add_argument("--out", type=Path, default=None, help="where to generate (default /tmp/repair-bench-N)")
    ap.add_argument("--keep", action="store_true", help="keep the generated set")
    ap.add_argument("--pipeline", action="store_true",
                    help="build the records with the real read → standardise → merge stages (else a stand-in)")
    args = ap.parse_args(argv)
    timings = {}
    if args.data is None:
        from synth.generate import generate
        out = args.out or Path(f"/tmp/repair-bench-{args.persons}-{args.seed}")
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        generate(persons=args.persons, seed=args.seed, out=out, progress=False)
        timings["generate_s"] = round(time.perf_counter() - t0, 1)
        data = out
    else:
        data = args.data
    t0 = time.perf_counter()
    tpos = None
    if args.pipeline:
        records, study, work, truth, errors, pre, tpos = build_inputs_pipeline(data)
    else:
        records, study, work, truth, errors, pre = build_inputs(data)
    timings["build_inputs_s"] = round(time.perf_counter() - t0, 1)

    from pipelines.cleaning.repair import repair
    from pipelines.feeds import Feeds
    t0 = time.perf_counter()
    feeds = Feeds(data / "feeds")
    for name in ("police_population", "social_security", "education", "business_registry"):
        feeds.table(name)
    feeds.registry().names  # noqa: B018 - build the name index
    timings["feeds_load_index_s"] = round(time.perf_counter() - t0, 1)
    t1 = time.perf_counter()
    result = repair(records, study, work, feeds)
    timings["repair_s"] = round(time.perf_counter() - t1, 1)
    timings["feeds_plus_repair_s"] = round(time.perf_counter() - t0, 1)
    timings["steps"] = result.timings
    t0 = time.perf_counter()
    m = measure(result, (records, study, work), truth, pre, tpos)
    timings["measure_s"] = round(time.perf_counter() - t0, 1)
    out = {"benchmark": "repair", "date": dt.datetime.now().isoformat(timespec="seconds"),
           "persons": len(records), "study_rows": len(study), "work_rows": len(work), "seed": args.seed,
           "data": str(data), "inputs": "pipeline" if args.pipeline else "stand-in", "timings": timings, "skipped": result.skipped, "machine": _machine(),
           "targets": {"precision_applied": 0.995, "recall_resolvable_in_scope": 0.95, "repair_s_943k": 60},
           **m}
    RESULTS.mkdir(exist_ok=True)
    suffix = ("" if args.persons == 20_000 and args.data is None else f"-{len(records)}") + (
        "-pipeline" if args.pipeline else "")
    path = RESULTS / f"repair-{dt.date.today().isoformat()}{suffix}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(_table(m))
    print(json.dumps({k: out[k] for k in ("persons", "applied_changes", "applied_right", "precision_applied",
                                          "false_repairs_on_clean_cells", "review_items",
                                          "review_items_without_error", "resolvable_in_scope",
                                          "recall_resolvable_in_scope", "timings")}, ensure_ascii=False, indent=1))
    print(f"written {path}")
    if args.data is None and not args.keep:
        shutil.rmtree(data, ignore_errors=True)
    return out


if __name__ == "__main__":
    main()
