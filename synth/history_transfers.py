"""业务历史的档案转入、转出与档案材料 of one agency (vectorised; see `synth.history_events`).

* 转入: one per person at its 档案接收时间; a re-entry person (RATES["reentry"]) came once before: an earlier
  转入, then a 转出, and the loaded 档案接收时间 is its re-entry (`transfers.receive` sets the date so);
* 转出: 已转出 persons on their 转出日期 (loaded, else drawn and written back to the person), and the re-entry
  persons' earlier 转出; the 调档函 came 3–55 days before (late: 65–150), the 回执 5–30 days after (late
  31–90, some never);
* 档案材料: 1–2 received with the archive, 补充材料 later in custody.
"""
from __future__ import annotations

import numpy as np

from . import history_rules as R
from .history_events import NEVER, People, counts_for, expand, pick
from .history_time import Timeline


def reentries(rng, tl: Timeline, p: People) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person idx, first 转入 day, 转出 day) of the re-entry persons."""
    ok = p.valid & (p.received >= 400) & (rng.random(len(p.ids)) < R.RATES["reentry"])
    idx = np.flatnonzero(ok)
    first = tl.draw(rng, np.zeros(len(idx), dtype="int64"), p.received[idx] - 200)
    out = tl.draw(rng, first + 60, p.received[idx] - 60, "transfer")
    return idx, first, out


def transfers_in(rng, tl: Timeline, p: People, re_idx, re_first) -> dict:
    vi = np.flatnonzero(p.valid)
    idx, day = np.concatenate([vi, re_idx]), np.concatenate([p.received[vi], re_first])
    n = len(idx)
    late = rng.random(n) < R.RATES["shelve_late"]
    shelved = day + np.where(late, rng.integers(62, 120, n), rng.integers(3, 50, n))
    shelved = np.where(shelved <= tl.last, shelved, NEVER)
    return {"person_id": p.ids[idx], "_day": day, "in_date": day, "shelved_date": shelved,
            "from_unit": pick(rng, R.FROM_UNITS, n), "reason": pick(rng, R.IN_REASONS, n),
            "archive_kind": pick(rng, R.ARCHIVE_KINDS, n), "receive_mode": pick(rng, R.RECEIVE_MODES, n),
            "confidential_no": [f"JY{x:010d}" for x in rng.integers(0, 10 ** 10, n)],
            "material_count": rng.integers(8, 40, n), "cross_province": rng.random(n) < R.RATES["cross_province"],
            "status": ["已接收"] * n, "handler": pick(rng, R.HANDLERS, n)}


def transfers_out(rng, tl: Timeline, p: People, re_idx, re_first, re_out, loaded_to, loaded_reason) -> dict:
    gi = np.flatnonzero(p.out_day > NEVER)
    idx, day = np.concatenate([gi, re_idx]), np.concatenate([p.out_day[gi], re_out])
    floor = np.concatenate([p.received[gi], re_first])
    n = len(idx)
    late = rng.random(n) < R.RATES["request_late"]
    request = np.maximum(day - np.where(late, rng.integers(65, 150, n), rng.integers(3, 56, n)), floor)
    r = rng.random(n)
    lag = np.where(r < R.RATES["receipt_late"], rng.integers(31, 90, n), rng.integers(5, 31, n))
    receipt = np.where((r >= 1 - R.RATES["receipt_missing"]) | (day + lag > tl.last), NEVER, day + lag)
    to_unit, reason = pick(rng, R.TO_UNITS, n), pick(rng, R.OUT_REASONS, n)
    for j in range(len(gi)):  # the person's own 转往单位 / 转出原因 where loaded
        to_unit[j] = loaded_to[gi[j]] or to_unit[j]
        reason[j] = loaded_reason[gi[j]] or reason[j]
    back = receipt > NEVER
    return {"person_id": p.ids[idx], "_day": day, "out_date": day, "request_date": request,
            "to_unit": to_unit, "reason": reason, "delivery_mode": pick(rng, R.DELIVERY_MODES, n),
            "confidential_no": [f"ZC{x:010d}" for x in rng.integers(0, 10 ** 10, n)],
            "receipt_returned": back, "receipt_date": receipt,
            "status": np.where(back, "已回执", "已寄出").tolist(), "reviewed_on": day,
            "reviewed_by": pick(rng, R.HANDLERS, n), "cross_province": rng.random(n) < R.RATES["cross_province"],
            "handler": pick(rng, R.HANDLERS, n), "_kind": ["转递通知单"] * n}


def materials(rng, tl: Timeline, p: People) -> dict:
    """档案材料: 1–2 with the archive (received on 档案接收时间), 补充材料 drawn in custody."""
    vi = np.flatnonzero(p.valid)
    i1, _ = expand(rng.integers(1, 3, len(vi)))
    i1 = vi[i1]
    k = np.where(p.valid, counts_for(rng, R.RATES["supplement"], p.end - p.start + 1), 0)
    i2, _ = expand(k)
    day2 = tl.draw(rng, p.start[i2], p.end[i2])
    idx, day = np.concatenate([i1, i2]), np.concatenate([p.received[i1], day2])
    n, n1 = len(idx), len(i1)
    kinds = [R.MATERIALS[j] for j in rng.integers(0, len(R.MATERIALS), n)]
    made = day - np.array([k[2] for k in kinds], dtype="int64") * 365 - rng.integers(10, 200, n)
    fresh = day > tl.last - 30  # received this month: still waiting for 鉴别/归档
    archived = np.where(fresh, NEVER, np.minimum(day + rng.integers(1, 30, n), tl.last))
    return {"person_id": p.ids[idx], "_day": day, "category_code": [k[0] for k in kinds],
            "title": [k[1] for k in kinds], "material_date": made, "pages": rng.integers(1, 12, n),
            "copies": np.ones(n, dtype="int64"), "stage": np.where(fresh, "收集", "归档").tolist(),
            "is_supplement": np.arange(n) >= n1, "received_date": day, "archived_date": archived,
            "identified_date": archived, "identify_result": np.where(fresh, None, "合格归档").tolist(),
            "identified_by": pick(rng, R.HANDLERS, n), "handler": pick(rng, R.HANDLERS, n)}
