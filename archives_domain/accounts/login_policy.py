"""登录失败处理 (等保三级): how failed logins are limited, delayed and locked — the rules, without storage.

The design (docs/security.md, 登录失败处理):

* Per client address, across every user name: a rate limit on login attempts (the app's Flask-Limiter).
* Per (user name as typed, client address): consecutive failures bring growing delays, then a lock of
  that address for that name. Counted for unknown names exactly as for real ones, so the answers never
  tell whether an account exists, and an outsider can only lock *their own address* out of an account,
  never the account's owner at their desk.
* Account-wide lock: only from evidence an outsider cannot cheaply produce — wrong second-factor (TOTP)
  codes after the correct password. Someone who holds the password is a real threat to the account,
  and the lock stops them until it expires or a 安全管理员 lifts it.
"""
from __future__ import annotations

import math

LOCK_THRESHOLD = 5        # consecutive failures of one name from one address before that address is locked out
LOCK_MINUTES = 15
DELAY_BASE_SECONDS = 1    # the wait after the 2nd failure; doubles with each further one (1, 2, 4 s …)
FREE_FAILURES = 1         # a single typo costs no wait


def normalise_name(username: str | None) -> str:
    """The key of a typed user name: case and surrounding space do not make a new counter."""
    return (username or "").strip().casefold()


def delay_after(failures: int, base: float = DELAY_BASE_SECONDS) -> int:
    """Seconds to wait before the next attempt of the same name from the same address (0: none)."""
    if failures <= FREE_FAILURES or base <= 0:
        return 0
    return math.ceil(base * 2 ** (failures - FREE_FAILURES - 1))


def is_lock(failures: int, threshold: int = LOCK_THRESHOLD) -> bool:
    return failures >= threshold
