"""Graduation date and study history against the education records (教育).

`propose_graduation_dates(records, ids, usable, education)` — 基本信息.毕业时间 flagged month-only (kept as
``YYYY-MM``) or impossible: the feed rows of the person whose 毕业日期 has that month (impossible: that year)
and that agree with the row on school (毕业院校 / 院校名称), major (所学专业 / 专业名称) and level (最高学历 /
学历层次) wherever both have a value — at least one of school and major must be there to agree. Exactly one
such row → its 毕业日期; otherwise review.

`propose_study(records, study, ids, usable, education)` — 学习经历 rows of tertiary level (研究生, 大学本科,
大学专科) are paired with the feed rows of the person by (school, level); a pair then

* completes a month-only / impossible 起始时间 / 终止时间 from 入学日期 / 毕业日期 when they agree on what is
  left (the month / the year), fills an empty date, 专业 or 学位;
* sends a contradiction (a full date, 专业 or 学位 that differs) to review.

A feed row of the same level and the same start or end year but another school is a contradiction of 学校
(review). A feed row with no study row at all: added when the person has no study rows
(`ADD_STUDY_ROWS_WHEN_EMPTY`), else review ("missing row") — the form's history is the clerk's, the feed
may be right or may describe a degree the person did not declare.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dq_rules import repair_rules as R
from pipelines.feeds import MultiKeyIndex

from .log import MONTH_ONLY, SHEET_PERSON, SHEET_STUDY, date_problems, empty_proposals, fold_text, make_proposals, na

__all__ = ["propose_graduation_dates", "propose_study"]

GRAD, SCHOOL, MAJOR, LEVEL = "毕业时间", "毕业院校", "所学专业", "最高学历"
_FULL = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FEED_FAMILY = {feed: level for level, feeds in R.LEVEL_TO_FEED.items() for feed in feeds}


def _agrees(problem: tuple, feed_date: str | None) -> bool:
    """Whether a partial (month-only) or impossible date (`log.date_kind`) fits a full feed date."""
    if feed_date is None or not _FULL.match(feed_date):
        return False
    kind, year, month = problem
    if kind == MONTH_ONLY:
        return (year, month) == (int(feed_date[:4]), int(feed_date[5:7]))
    return year == int(feed_date[:4])


def _same(a, b) -> bool | None:
    """True/False when both have a value, None otherwise."""
    if na(a) or na(b):
        return None
    return fold_text(str(a)) == fold_text(str(b))


def propose_graduation_dates(records: pd.DataFrame, ids: pd.Series, usable: pd.Series,
                             education: MultiKeyIndex) -> pd.DataFrame:
    if GRAD not in records.columns:
        return empty_proposals()
    flagged = date_problems(records, GRAD)
    if flagged.empty:
        return empty_proposals()
    labels = [i for i in flagged.index if bool(usable.get(i, False)) and not na(records.at[i, GRAD])]
    feed = education.rows_for(ids.loc[labels]) if labels else pd.DataFrame(columns=["_query"])
    by_q = {q: g for q, g in feed.groupby("_query", sort=False)} if len(feed) else {}
    rows, olds, news, rules, kinds, cands = [], [], [], [], [], []
    for label in flagged.index:
        old = records.at[label, GRAD]
        if na(old):
            continue
        problem = flagged[label]
        g = by_q.get(label)
        chosen, shown = [], []
        if g is not None:
            school = records.at[label, SCHOOL] if SCHOOL in records.columns else None
            major = records.at[label, MAJOR] if MAJOR in records.columns else None
            level = records.at[label, LEVEL] if LEVEL in records.columns else None
            for _, f in g.iterrows():
                fd = None if na(f["毕业日期"]) else str(f["毕业日期"])
                if not _agrees(problem, fd):
                    continue
                shown.append(fd)
                s_ok, m_ok = _same(school, f["院校名称"]), _same(major, f["专业名称"])
                l_ok = None
                if not na(level) and not na(f["学历层次"]) and str(level) in R.LEVEL_TO_FEED:
                    l_ok = str(f["学历层次"]) in R.LEVEL_TO_FEED[str(level)]
                if False in (s_ok, m_ok, l_ok) or (s_ok is None and m_ok is None):
                    continue
                chosen.append(fd)
        chosen = list(dict.fromkeys(chosen))
        rows.append(label)
        olds.append(old)
        if len(chosen) == 1:
            news.append(chosen[0]), rules.append("graduation_date_from_education"), kinds.append("change")
            cands.append([])
        else:
            news.append(None), rules.append("graduation_date_review"), kinds.append("review")
            cands.append(list(dict.fromkeys(shown)))
    return make_proposals(SHEET_PERSON, records, rows, GRAD, olds, news, rules, candidates=cands, kind=kinds)


def _sval(frame: pd.DataFrame, name: str, rows: np.ndarray) -> pd.Series:
    """Column `name` at positions `rows` as a ``str`` Series (NA = no value), positional index."""
    if name not in frame.columns:
        return pd.Series(pd.NA, index=np.arange(len(rows)), dtype="str")
    v = frame[name].iloc[rows].astype("str").reset_index(drop=True)
    return v.where(v != "", pd.NA)


def _arrow(series: pd.Series) -> pa.Array:
    try:
        return pa.array(series.astype("str"))
    except (pa.ArrowException, TypeError):  # pragma: no cover - other string backends
        return pa.array(series.astype("object").where(series.notna(), None).to_numpy(), type=pa.string())


def _fold(series: pd.Series) -> pd.Series:
    """`log.fold_text`, vectorised (Arrow): NFKC, no spaces, upper case ("" for no value)."""
    a = _arrow(series)
    a = pc.utf8_upper(pc.replace_substring_regex(pc.utf8_normalize(a, "NFKC"), r"[\s\x{3000}\x{200b}\x{feff}]+", ""))
    return pd.Series(pc.fill_null(a, "").to_numpy(zero_copy_only=False), index=series.index, dtype="str")


def _years(series: pd.Series) -> pd.Series:
    a = pc.utf8_trim_whitespace(_arrow(series))
    ok = pc.fill_null(pc.match_substring_regex(a, r"^\d{4}"), False)
    y = pc.if_else(ok, pc.utf8_slice_codeunits(a, 0, 4), pa.scalar(None, pa.string()))
    return pd.Series(pc.cast(y, pa.int64()).to_pandas(), index=series.index).astype("Int64")


def _fine(level: pd.Series, degree: pd.Series) -> pd.Series:
    """The feed's 学历层次 a study row's 学历 / 学位 stands for, when it says so exactly."""
    out = pd.Series(pd.NA, index=level.index, dtype="str")
    for lv, feeds in R.LEVEL_TO_FEED.items():
        if len(feeds) == 1:
            out = out.mask(level == lv, feeds[0])
    grad = level == "研究生"
    out = out.mask(grad & (degree == "博士"), "博士研究生").mask(grad & (degree == "硕士"), "硕士研究生")
    return out


def _unique_pairs(f: pd.DataFrame, s: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    pairs = f.merge(s, on=on, how="inner")
    if pairs.empty:
        return pairs[["fid", "srow"]]
    n_f = pairs.groupby("fid")["srow"].transform("size")
    n_s = pairs.groupby("srow")["fid"].transform("size")
    return pairs.loc[(n_f == 1) & (n_s == 1), ["fid", "srow"]]


def propose_study(records: pd.DataFrame, study: pd.DataFrame | None, ids: pd.Series, usable: pd.Series,
                  education: MultiKeyIndex) -> pd.DataFrame:
    keys = ["_agency", "档案编号"]
    if not all(c in records.columns for c in keys):
        return empty_proposals()
    ok = usable.to_numpy(dtype=bool) & ids.notna().to_numpy()
    if not ok.any():
        return empty_proposals()
    feed = education.rows_for(ids[ok])
    if feed.empty:
        return empty_proposals()
    feed = feed.reset_index(drop=True).rename(columns={"_query": "qry"})
    feed["family"] = feed["学历层次"].map(_FEED_FAMILY).astype("str")
    feed["fine"] = feed["学历层次"].astype("str")
    feed["schoolf"] = _fold(feed["院校名称"])
    feed["syear"] = _years(feed["入学日期"])
    feed["fid"] = np.arange(len(feed))

    has_study = study is not None and len(study) > 0 and all(c in study.columns for c in keys)
    if has_study:
        rec_key = pd.MultiIndex.from_frame(records[keys].astype("str"))
        s_person = rec_key.get_indexer(pd.MultiIndex.from_frame(study[keys].astype("str")))
        qry_all = np.where(s_person >= 0, records.index.to_numpy()[np.maximum(s_person, 0)], None)
        in_feed = np.zeros(len(study), dtype=bool)
        in_feed[s_person >= 0] = pd.Index(qry_all[s_person >= 0]).isin(pd.Index(feed["qry"].unique()))
        pos = np.flatnonzero(in_feed)
        level = _sval(study, "学历", pos)
        st = pd.DataFrame({
            "srow": study.index.to_numpy()[pos], "spos": pos, "qry": qry_all[pos], "family": level,
            "fine": _fine(level, _sval(study, "学位", pos)),
            "schoolf": _fold(_sval(study, "学校", pos)),
            "syear": _years(_sval(study, "起始时间", pos)),
        })
        persons_with_rows = set(qry_all[s_person >= 0].tolist())
    else:
        st = pd.DataFrame(columns=["srow", "spos", "qry", "family", "fine", "schoolf", "syear"])
        persons_with_rows = set()
    st_t = st[st["family"].isin(list(R.LEVEL_TO_FEED))]
    if len(st_t):  # compare schools as integer codes (faster joins)
        codes, _ = pd.factorize(pd.concat([feed["schoolf"], st_t["schoolf"]], ignore_index=True))
        feed["schoolf"] = codes[: len(feed)]
        st_t = st_t.assign(schoolf=codes[len(feed):])

    # pair feed rows and study rows: (school, exact level), then (school, level family), then + start year
    found, f_left, s_left = [], feed, st_t
    for on in (["qry", "family", "schoolf", "fine"], ["qry", "family", "schoolf"],
               ["qry", "family", "schoolf", "syear"]):
        if f_left.empty or s_left.empty:
            break
        p = _unique_pairs(f_left.dropna(subset=on), s_left.dropna(subset=on), on)
        if len(p):
            found.append(p)
            f_left = f_left[~f_left["fid"].isin(p["fid"])]
            s_left = s_left[~s_left["srow"].isin(p["srow"])]
    pairs = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=["fid", "srow"])

    out = []
    if len(pairs) and has_study:
        out.append(_compare_pairs(study, feed, pairs))

    # feed rows without a study row
    rest = f_left
    if len(rest):
        same_school = rest.merge(st_t[["qry", "family", "schoolf"]].drop_duplicates(),
                                 on=["qry", "family", "schoolf"], how="inner")["fid"]
        rest = rest[~rest["fid"].isin(same_school)]  # an ambiguous pairing: nothing to say
    if len(rest) and len(s_left) and has_study:
        feed_schools = feed[["qry", "schoolf"]].drop_duplicates().assign(_fs=True)
        free = s_left.merge(feed_schools, on=["qry", "schoolf"], how="left")
        free = free[free["_fs"].isna()].drop(columns="_fs")
        cand = rest[["fid", "qry", "family", "院校名称", "入学日期", "毕业日期"]].merge(
            free[["srow", "spos", "qry", "family"]], on=["qry", "family"], how="inner")
        if len(cand):
            sp = cand["spos"].to_numpy()
            same_year = ((_years(_sval(study, "起始时间", sp)) == _years(cand["入学日期"]).to_numpy())
                         | (_years(_sval(study, "终止时间", sp)) == _years(cand["毕业日期"]).to_numpy()))
            cand = cand[same_year.fillna(False).to_numpy()].drop_duplicates("fid").drop_duplicates("srow")
            if len(cand):
                out.append(make_proposals(
                    SHEET_STUDY, study, cand["srow"].tolist(), "学校",
                    _sval(study, "学校", cand["spos"].to_numpy()).tolist(), None, "study_contradiction_review",
                    candidates=[[x] for x in cand["院校名称"]], kind="review"))
                rest = rest[~rest["fid"].isin(cand["fid"])]
    if len(rest):
        add_new, add_rule, add_kind = [], [], []
        for rec in rest.itertuples(index=False):
            row = {"公民身份号码": rec.公民身份号码, "起始时间": rec.入学日期, "终止时间": rec.毕业日期,
                   "学校": rec.院校名称, "专业": rec.专业名称, "学历": rec.family, "学位": rec.学位}
            row = {k: (None if na(v) else str(v)) for k, v in row.items()}
            add_new.append(json.dumps(row, ensure_ascii=False))
            if rec.qry not in persons_with_rows and R.ADD_STUDY_ROWS_WHEN_EMPTY:
                add_rule.append("study_row_from_education"), add_kind.append("change")
            else:
                add_rule.append("study_row_missing_review"), add_kind.append("review")
        p = make_proposals(SHEET_STUDY, records, rest["qry"].tolist(), "*", None, add_new, add_rule, kind=add_kind)
        p["row"] = None
        out.append(p)
    out = [o for o in out if len(o)]
    return pd.concat(out, ignore_index=True) if out else empty_proposals()


def _compare_pairs(study: pd.DataFrame, feed: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Proposals for paired (feed row, study row): fill empty cells, complete partial dates, review
    contradictions. Vectorised over the pairs; only the differing cells are looked at one by one."""
    srow = pairs["srow"].to_numpy()
    spos = study.index.get_indexer(srow)
    fid = pairs["fid"].to_numpy().astype(np.int64)
    rows, fields, olds, news, rules, kinds, cands = [], [], [], [], [], [], []
    for fld, ffld, is_date in (("起始时间", "入学日期", True), ("终止时间", "毕业日期", True),
                               ("专业", "专业名称", False), ("学位", "学位", False)):
        if fld not in study.columns:
            continue
        cur = _sval(study, fld, spos)
        fv = feed[ffld].iloc[fid].astype("str").reset_index(drop=True)
        if is_date:
            differ = fv.notna() & (cur.isna() | (cur != fv).fillna(True))
        else:
            differ = fv.notna() & (cur.isna() | (_fold(cur) != _fold(fv)))
        differ = differ.fillna(False).to_numpy(dtype=bool)
        if not differ.any():
            continue
        codes = date_problems(study.iloc[spos[differ]], fld) if is_date else pd.Series(dtype=object)
        cur_o = cur.to_numpy(dtype=object)
        fv_o = fv.to_numpy(dtype=object)
        for k in np.flatnonzero(differ):
            r, c, f = srow[k], cur_o[k], str(fv_o[k])
            if na(c):
                rule = "study_date_from_education" if is_date else "study_fill_from_education"
                rows.append(r), fields.append(fld), olds.append(None), news.append(f), rules.append(rule)
                kinds.append("change"), cands.append([])
                continue
            c = str(c)
            if is_date:
                cd = codes.get(r) if len(codes) else None
                if cd is not None and _agrees(cd, f):
                    rows.append(r), fields.append(fld), olds.append(c), news.append(f)
                    rules.append("study_date_from_education"), kinds.append("change"), cands.append([])
                    continue
            rows.append(r), fields.append(fld), olds.append(c), news.append(None)
            rules.append("study_contradiction_review"), kinds.append("review"), cands.append([f])
    if not rows:
        return empty_proposals()
    return make_proposals(SHEET_STUDY, study, rows, fields, olds, news, rules, candidates=cands, kind=kinds)
