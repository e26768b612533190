"""业务历史的时间轴: days as integer offsets from the window's first day, and the seasonal, growing density
business dates are drawn from (inverse CDF over the days, vectorised)."""
from __future__ import annotations

import datetime as dt

import numpy as np

from . import history_rules as R


class Timeline:
    """Day 0 = `start`; `last` = yesterday's offset. `draw(rng, a, b, curve)` gives one day in [a, b] per pair,
    weighted by the curve ("base": all business; "transfer": with the graduation season)."""

    def __init__(self, start: dt.date, end: dt.date):
        self.start, self.end = start, end
        self.last = (end - start).days
        days = np.arange(self.last + 1)
        dates = np.datetime64(start, "D") + days
        months = dates.astype("datetime64[M]").astype(int) % 12
        years = dates.astype("datetime64[Y]").astype(int) + 1970 - start.year
        weekday = (dates.astype(int) + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
        growth = (1 + R.GROWTH_PER_YEAR) ** years
        dip = np.ones(len(days))
        for y, (m, d) in R.SPRING_FESTIVAL.items():
            off = (dt.date(y, m, d) - start).days
            dip[max(0, off - R.SPRING_DAYS):max(0, off + R.SPRING_DAYS + 1)] = R.SPRING_DIP
        common = growth * dip * np.where(weekday >= 5, R.WEEKEND_WEIGHT, 1.0)
        self._cum = {}
        for name, months_w in (("base", R.MONTH_WEIGHT), ("transfer", R.TRANSFER_MONTH_WEIGHT)):
            w = common * np.asarray(months_w)[months]
            self._cum[name] = np.concatenate([[0.0], np.cumsum(w)])

    def offset(self, values) -> np.ndarray:
        """Dates (datetime64 or None/NaT) as day offsets; missing → a very small number (never in range)."""
        d = np.asarray(values, dtype="datetime64[D]")
        out = (d - np.datetime64(self.start, "D")).astype("int64")
        out[np.isnat(d)] = -10 ** 7
        return out

    def dates(self, offsets: np.ndarray) -> list:
        return (np.datetime64(self.start, "D") + np.asarray(offsets, dtype="int64")).tolist()

    def draw(self, rng: np.random.Generator, a, b, curve: str = "base") -> np.ndarray:
        """A day in [a, b] (arrays, a ≤ b, clipped into the window) for each pair, by the curve's density."""
        cum = self._cum[curve]
        a = np.clip(np.asarray(a, dtype="int64"), 0, self.last)
        b = np.clip(np.asarray(b, dtype="int64"), a, self.last)
        lo, hi = cum[a], cum[b + 1]
        target = lo + rng.random(len(a)) * (hi - lo)
        day = np.searchsorted(cum, target, side="right") - 1
        return np.clip(day, a, b)
