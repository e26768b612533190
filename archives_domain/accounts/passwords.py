"""Passwords (口令): PBKDF2-HMAC-SM3 hashing and the 等保三级 complexity policy.

Stored form: `pbkdf2-sm3$<iterations>$<salt hex>$<hash hex>`; 16 random salt
bytes per hash, 32-byte derived key. The iteration count is in the string so it
can be raised later without invalidating stored hashes.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import re
import secrets
from functools import lru_cache
from pathlib import Path

SCHEME = "pbkdf2-sm3"
ITERATIONS = 120_000
SALT_BYTES = 16
MIN_LENGTH = 8
HISTORY_DEPTH = 5  # the last five passwords may not be chosen again
MAX_AGE = dt.timedelta(days=90)
_SYMBOL = re.compile(r"[^A-Za-z0-9]")
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"  # see data/README.md
MIN_STRIPPED = 4  # a stripped stem shorter than this ("ab" of "ab#2026…") says nothing about the password


class PasswordPolicyError(ValueError):
    """The password breaks the policy; the message says which rule, in Chinese."""


def hash_password(password: str, *, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sm3", password.encode("utf-8"), salt, iterations)
    return f"{SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def check_password(stored: str | None, password: str) -> bool:
    """Constant-time check; any other stored format (FAB's scrypt, empty) never matches."""
    if not stored or not password:
        return False
    try:
        scheme, iterations, salt_hex, hash_hex = stored.split("$")
        if scheme != SCHEME:
            return False
        digest = hashlib.pbkdf2_hmac("sm3", password.encode("utf-8"), bytes.fromhex(salt_hex), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), hash_hex)


def dummy_check(password: str) -> None:
    """Spend the time of a real check, so an unknown username is not revealed by a faster answer."""
    hashlib.pbkdf2_hmac("sm3", password.encode("utf-8"), b"\0" * SALT_BYTES, ITERATIONS)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The kept list of common/breached passwords (lower-case), read once per process on first use."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as f:
        return frozenset(line.rstrip("\n") for line in f if line.strip())


def is_common(password: str) -> bool:
    """On the list, ignoring case, or once some trailing digits and symbols are removed (``Password1!`` →
    ``password``, ``Abc123456!`` → ``abc123456``): appending ``1!`` or a year to a listed password is the first
    thing a guesser tries."""
    folded = password.strip().casefold()
    listed = common_passwords()
    if folded in listed:
        return True
    stem = folded
    while stem and not stem[-1].isalpha():
        stem = stem[:-1]
        if len(stem) >= MIN_STRIPPED and stem in listed:
            return True
    return False


def policy_errors(password: str, username: str | None = None) -> list[str]:
    """Every rule the password breaks (empty list: acceptable)."""
    errors = []
    if len(password) < MIN_LENGTH:
        errors.append(f"口令长度不得少于 {MIN_LENGTH} 位")
    classes = sum(bool(re.search(p, password)) for p in (r"[A-Z]", r"[a-z]", r"[0-9]")) \
        + bool(_SYMBOL.search(password))
    if classes < 3:
        errors.append("口令须包含大写字母、小写字母、数字、符号中的至少三类")
    if username and username.strip().casefold() in password.casefold():
        errors.append("口令不得包含用户名")
    if is_common(password):
        errors.append("口令属于常见弱口令（已在公开泄露的口令中大量出现），请另选")
    return errors


def check_policy(password: str, username: str | None = None, history: list[str] = ()) -> None:
    """Raise PasswordPolicyError unless the password is acceptable and not one of `history` (hashes)."""
    errors = policy_errors(password, username)
    if any(check_password(old, password) for old in history[:HISTORY_DEPTH]):
        errors.append(f"不得使用最近 {HISTORY_DEPTH} 次用过的口令")
    if errors:
        raise PasswordPolicyError("；".join(errors))


def is_expired(changed_at: dt.datetime | None, now: dt.datetime, max_age: dt.timedelta = MAX_AGE) -> bool:
    return changed_at is None or now - changed_at > max_age
