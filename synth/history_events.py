"""业务历史的事件 (one agency's events), vectorised with numpy: each function takes the agency's persons (arrays)
and returns column-wise rows {column: list}. Dates are day offsets of `synth.history_time.Timeline`.

A person's custody: from its first 转入 (档案接收时间, or an earlier 转入 for a re-entry) to yesterday, or to the
day before its 转出 (已转出). 借阅 fall in disjoint slots of that span, all returned except the open loan of a
借出 person; every other event falls inside the span too, so no event precedes the archive or follows its 转出.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import history_rules as R
from .history_time import Timeline

NEVER = -10 ** 7


@dataclass
class People:
    """One agency's persons as arrays (index i = one person), with the custody span the history gives them."""

    ids: np.ndarray
    received: np.ndarray          # 档案接收时间 (offset; NEVER when missing)
    status: np.ndarray            # 档案状态
    out_loaded: np.ndarray        # 转出日期 as loaded (offset or NEVER)
    valid: np.ndarray = field(default=None)   # has a receipt date in or before the window
    start: np.ndarray = field(default=None)   # first day of custody inside the window
    end: np.ndarray = field(default=None)     # last day in custody (yesterday, or the day before 转出)
    out_day: np.ndarray = field(default=None)  # 转出 day of 已转出 persons, else NEVER


def pick(rng: np.random.Generator, options, n: int) -> list:
    """n values of `options` — plain values (uniform) or (value, weight) pairs."""
    if options and isinstance(options[0], tuple):
        values, w = zip(*options)
        p = np.asarray(w, dtype=float) / sum(w)
        return [values[i] for i in rng.choice(len(values), n, p=p)]
    return [options[i] for i in rng.integers(0, len(options), n)]


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(person index, k-th event of that person) for `counts[i]` events of person i."""
    counts = np.asarray(counts, dtype="int64")
    idx = np.repeat(np.arange(len(counts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return idx, np.arange(len(idx)) - first


def counts_for(rng, rate: float, span: np.ndarray, cap: np.ndarray | None = None) -> np.ndarray:
    """Poisson counts at `rate` per ten years of `span` days (none on an empty span: a 转出 before the window)."""
    lam = rate * np.clip(span, 0, None) / 3650.0
    k = rng.poisson(lam)
    return np.maximum(np.minimum(k, cap), 0) if cap is not None else k


def custody(rng, tl: Timeline, p: People) -> None:
    """Fill valid/start/end/out_day: 已转出 persons leave on their loaded 转出日期 or on a drawn day."""
    p.valid = (p.received > NEVER) & (p.received <= tl.last)
    p.start = np.maximum(p.received, 0)
    drawn = tl.draw(rng, p.start + 1, np.full(len(p.ids), tl.last), "transfer")
    gone = p.valid & (p.status == "已转出")
    loaded_ok = (p.out_loaded >= p.received) & (p.out_loaded <= tl.last)
    p.out_day = np.where(gone, np.where(loaded_ok, p.out_loaded, drawn), NEVER)
    p.end = np.where(gone, p.out_day - 1, tl.last)


def slots(rng, tl: Timeline, a: np.ndarray, b: np.ndarray, k: np.ndarray, lag: np.ndarray):
    """k disjoint events per person in [a, b], each followed by `lag` days (flat per event): (idx, start days)."""
    idx, seq = expand(k)
    length = (b[idx] - a[idx] + 1) / k[idx]
    lo = (a[idx] + seq * length).astype("int64")
    hi = (a[idx] + (seq + 1) * length).astype("int64") - 1 - lag
    return idx, tl.draw(rng, lo, np.maximum(lo, hi))


def loans(rng, tl: Timeline, p: People) -> dict:
    """借阅/归还: returned loans in slots of the custody span; 借出 persons' open loan last (some overdue)."""
    lent = p.valid & (p.status == "借出")
    overdue = rng.random(len(p.ids)) < R.RATES["open_loan_overdue"]
    open_day = np.where(overdue, tl.draw(rng, p.end - 150, p.end - R.LOAN_DUE_DAYS - 5),
                        tl.draw(rng, p.end - R.LOAN_DUE_DAYS + 5, p.end))
    open_day = np.maximum(open_day, p.start)
    b = np.where(lent, open_day - 1, p.end)
    span = b - p.start + 1
    k = np.where(p.valid, counts_for(rng, R.RATES["loan"], span, span // 90), 0)
    late = rng.random(int(k.sum())) < R.RATES["loan_late"]
    lag = np.where(late, rng.integers(31, 90, len(late)), rng.integers(5, 29, len(late)))
    idx, day = slots(rng, tl, p.start, b, k, lag)
    oi = np.flatnonzero(lent)
    idx_all = np.concatenate([idx, oi])
    loan = np.concatenate([day, open_day[oi]])
    ret = np.concatenate([day + lag, np.full(len(oi), NEVER)])
    n = len(idx_all)
    return {"person_id": p.ids[idx_all], "_day": loan, "loan_date": loan, "due_date": loan + R.LOAN_DUE_DAYS,
            "return_date": ret, "status": np.where(ret > NEVER, "已归还", "借出").tolist(),
            "borrower_unit": pick(rng, R.BORROWERS, n), "reason": pick(rng, R.LOAN_REASONS, n),
            "handler": pick(rng, R.HANDLERS, n), "_kind": ["借阅告知单"] * n}


def spread(rng, tl: Timeline, p: People, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Events at `rate` per ten years of custody, drawn by the seasonal density: (person idx, day)."""
    k = np.where(p.valid, counts_for(rng, rate, p.end - p.start + 1), 0)
    idx, _ = expand(k)
    return idx, tl.draw(rng, p.start[idx], p.end[idx])


def times(rng, n: int) -> np.ndarray:
    """Seconds into a working day (09:00–17:00) for timestamped registrations."""
    return rng.integers(9 * 3600, 17 * 3600, n)


def consultations(rng, tl: Timeline, p: People) -> dict:
    """档案查阅 and 政审考察 (`archive_consultation`)."""
    i1, d1 = spread(rng, tl, p, R.RATES["consultation"])
    i2, d2 = spread(rng, tl, p, R.RATES["political_review"])
    idx, day = np.concatenate([i1, i2]), np.concatenate([d1, d2])
    n, n1 = len(idx), len(i1)
    kind = ["档案查阅"] * n1 + ["政审考察"] * (n - n1)
    reason = pick(rng, R.CONSULT_REASONS, n1) + pick(rng, R.REVIEW_REASONS, n - n1)
    return {"person_id": p.ids[idx], "_day": day, "_secs": times(rng, n), "kind": kind,
            "consult_unit": pick(rng, R.CONSULT_UNITS, n), "reason": reason,
            "reader1": pick(rng, R.READERS, n), "reader2": pick(rng, R.READERS, n),
            "handler": pick(rng, R.HANDLERS, n)}


def material_uses(rng, tl: Timeline, p: People) -> dict:
    idx, day = spread(rng, tl, p, R.RATES["material_use"])
    n = len(idx)
    return {"person_id": p.ids[idx], "_day": day, "_secs": times(rng, n), "user_name": pick(rng, R.READERS, n),
            "use_mode": pick(rng, R.USE_MODES, n), "handler": pick(rng, R.HANDLERS, n)}


def certificates(rng, tl: Timeline, p: People) -> dict:
    """证明 (unsigned, no 核验码: the public check finds nothing); numbers assigned by the caller."""
    idx, day = spread(rng, tl, p, R.RATES["certificate"])
    n = len(idx)
    revoked = rng.random(n) < R.RATES["certificate_revoked"]
    return {"person_id": p.ids[idx], "_day": day, "issued_on": day, "cert_type": pick(rng, R.CERT_KINDS, n),
            "purpose": pick(rng, R.CERT_PURPOSES, n), "recipient_unit": pick(rng, R.RECIPIENTS, n),
            "content": [R.CERT_NOTE] * n, "handler": pick(rng, R.HANDLERS, n), "revoked": revoked,
            "revoked_reason": np.where(revoked, "信息有误，重新出具", None).tolist()}
