"""业务历史的集体户口与党员 of one agency (vectorised; see `synth.history_events`).

* 集体户: the households the load made (集体户口 是) get 户籍卡借用; some other persons had a household in the
  past (迁入, then 迁出 inside their custody), with card loans in between;
* 党员 (中共党员/中共预备党员 persons without a `party_member` row): a member row, 组织关系转入 on the person's
  组织关系转入时间 (else after receipt or joining), 组织关系转出 with the archive's 转出, and 党费 monthly or
  quarterly from the transfer-in until the transfer-out or now — some members in arrears.
"""
from __future__ import annotations

import numpy as np

from . import history_rules as R
from .history_events import NEVER, People, counts_for, expand, pick
from .history_time import Timeline


def past_households(rng, tl: Timeline, p: People, has_household: np.ndarray) -> dict:
    """Households of persons no longer in the collective household: 迁入 then 迁出 inside custody."""
    span = p.end - p.start + 1
    ok = p.valid & ~has_household & (span >= 400) & (rng.random(len(p.ids)) < R.RATES["past_household"])
    idx = np.flatnonzero(ok)
    n = len(idx)
    settle = tl.draw(rng, p.start[idx], p.end[idx] - 380)
    out = tl.draw(rng, settle + 180, p.end[idx])
    return {"person_id": p.ids[idx], "_day": settle, "settle_date": settle,
            "in_accept_date": np.maximum(settle - rng.integers(0, 5, n), p.start[idx]),
            "out_accept_date": np.maximum(out - rng.integers(0, 5, n), settle), "out_date": out,
            "hukou_reg_no": [f"H{a}" for a in p.ids[idx]], "police_station_in": pick(rng, R.POLICE_STATIONS, n),
            "move_reason": pick(rng, R.MOVE_REASONS, n), "out_address": pick(rng, R.TO_UNITS, n),
            "in_handler": pick(rng, R.HANDLERS, n), "status": ["已迁出"] * n, "source": ["业务"] * n}


def card_loans(rng, tl: Timeline, person_ids, a, b) -> dict:
    """户籍卡借用 of households held by `person_ids` over [a, b]: disjoint, returned (some late)."""
    span = b - a + 1
    k = counts_for(rng, R.RATES["card_loan"], span, np.maximum(span // 60, 0))
    idx, seq = expand(k)
    length = (b[idx] - a[idx] + 1) / k[idx]
    lo = (a[idx] + seq * length).astype("int64")
    m = len(idx)
    late = rng.random(m) < 0.1
    lag = np.where(late, rng.integers(R.CARD_DUE_DAYS + 1, 59, m), rng.integers(1, R.CARD_DUE_DAYS, m))
    hi = (a[idx] + (seq + 1) * length).astype("int64") - 1 - lag
    day = tl.draw(rng, lo, np.maximum(lo, hi))
    return {"_person": np.asarray(person_ids)[idx], "_day": day, "loan_date": day,
            "due_date": day + R.CARD_DUE_DAYS, "return_date": day + lag, "borrower": pick(rng, R.READERS, m),
            "reason": pick(rng, R.CARD_REASONS, m), "handler": pick(rng, R.HANDLERS, m)}


def members(rng, tl: Timeline, p: People, party: np.ndarray, join: np.ndarray, org_in_loaded: np.ndarray) -> dict:
    """party_member rows (with their 转入/转出 days) for the persons flagged in `party`."""
    idx = np.flatnonzero(party & p.valid)
    n = len(idx)
    drawn = np.maximum(p.received[idx], join[idx]) + rng.integers(0, 60, n)
    loaded_ok = (org_in_loaded[idx] >= p.received[idx]) & (org_in_loaded[idx] <= tl.last)
    org_in = np.minimum(np.where(loaded_ok, org_in_loaded[idx], drawn), tl.last)
    own = (rng.random(n) < R.RATES["org_out"]) & (org_in + 90 < tl.last)  # relation moves, archive stays
    own_day = tl.draw(rng, org_in + 90, np.full(n, tl.last), "transfer")
    org_out = np.where(p.out_day[idx] > NEVER, p.out_day[idx], np.where(own, own_day, NEVER))
    org_out = np.where(org_out >= org_in, org_out, NEVER)
    to_where = np.where(org_out == NEVER, None, np.where(org_out == p.out_day[idx], "随档案转出", "新工作单位党组织"))
    return {"person_id": p.ids[idx], "_idx": idx, "_day": org_in, "org_in_date": org_in, "org_out_date": org_out,
            "from_where": pick(rng, R.PARTY_FROM, n), "to_where": to_where.tolist(),
            "status": np.where(org_out > NEVER, "已转出", "在册").tolist()}


def org_transfers(rng, m: dict) -> dict:
    pid = np.asarray(m["person_id"])
    out = np.asarray(m["org_out_date"]) > NEVER
    person = np.concatenate([pid, pid[out]])
    day = np.concatenate([m["org_in_date"], np.asarray(m["org_out_date"])[out]])
    direction = ["转入"] * len(pid) + ["转出"] * int(out.sum())
    place = list(m["from_where"]) + [w for w, o in zip(m["to_where"], out) if o]
    n = len(person)
    return {"_person": person, "_day": day, "direction": direction, "transfer_date": day, "place": place,
            "letter_no": [f"DZ{x:08d}" for x in rng.integers(0, 10 ** 8, n)], "handler": pick(rng, R.HANDLERS, n)}


def dues(rng, tl: Timeline, m: dict) -> dict:
    """党费: one payment per month, quarter, half year or year (DUES_MONTHS) from the month after 转入 to the
    month before 转出 or the last month; in arrears (在册 only), the last 3–18 months unpaid. Paid within the
    period's first 25 days."""
    n = len(m["person_id"])
    day0, month0 = np.datetime64(tl.start, "D"), np.datetime64(tl.start, "M")

    def to_month(d):
        return ((day0 + np.asarray(d)).astype("datetime64[M]") - month0).astype("int64")

    def month_start(k):
        return ((month0 + k).astype("datetime64[D]") - day0).astype("int64")

    first = to_month(np.maximum(m["org_in_date"], 0)) + 1
    out = np.asarray(m["org_out_date"])
    last = np.where(out > NEVER, to_month(np.maximum(out, 0)) - 1, to_month(np.full(n, tl.last)))
    arrears = (out == NEVER) & (rng.random(n) < R.RATES["dues_arrears"])
    last = last - np.where(arrears, rng.integers(3, 19, n), 0)
    step = np.asarray(pick(rng, R.DUES_MONTHS, n), dtype="int64")
    k = np.maximum((last - first + 1) // step, 0)
    base = rng.uniform(*R.SALARY_BASE, n)
    idx, seq = expand(k)
    p_from = first[idx] + seq * step[idx]
    p_to = p_from + step[idx] - 1
    day_from, day_to = month_start(p_from), month_start(p_to + 1) - 1
    paid = day_from + rng.integers(0, 25, len(idx))
    keep = paid <= np.minimum(tl.last, np.where(out[idx] > NEVER, out[idx], tl.last))
    idx, day_from, day_to, paid, months = idx[keep], day_from[keep], day_to[keep], paid[keep], step[idx][keep]
    salary = np.round(base[idx] * (1 + R.GROWTH_PER_YEAR / 2) ** (day_from / 365.0), -1)
    ratio = np.select([salary < b for b, _ in R.DUES_RATIO], [r for _, r in R.DUES_RATIO])
    amount = np.round(salary * ratio * months, 2)
    c = len(idx)
    return {"_person": np.asarray(m["person_id"])[idx], "_day": paid, "salary_base": salary,
            "standard": ["按比例"] * c, "ratio": ratio, "amount": amount, "period_from": day_from,
            "period_to": day_to, "paid_until": day_to, "paid_on": paid,
            "receipt_no": [f"DF{x:08d}" for x in rng.integers(0, 10 ** 8, c)], "handler": pick(rng, R.HANDLERS, c)}
