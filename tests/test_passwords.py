"""Password hashing (PBKDF2-HMAC-SM3) and the 等保三级 password policy."""
from __future__ import annotations

import datetime as dt

import pytest

from archives_domain.accounts.passwords import (PasswordPolicyError, check_password, check_policy, hash_password,
                                                is_expired, policy_errors)


def test_hash_format_salt_and_check():
    h1, h2 = hash_password("Abcdef1!"), hash_password("Abcdef1!")
    scheme, iterations, salt, digest = h1.split("$")
    assert scheme == "pbkdf2-sm3" and int(iterations) >= 100_000 and len(salt) == 32 and len(digest) == 64
    assert h1 != h2  # per-hash random salt
    assert check_password(h1, "Abcdef1!") and not check_password(h1, "Abcdef1?")


def test_foreign_or_empty_hashes_never_match():
    from werkzeug.security import generate_password_hash
    assert not check_password(generate_password_hash("Abcdef1!"), "Abcdef1!")
    assert not check_password(None, "x") and not check_password("", "") and not check_password("garbage", "x")


@pytest.mark.parametrize("password, username, rule", [
    ("Ab1!", None, "长度"),
    ("abcdefgh1", None, "三类"),
    ("ABCDEFGH", None, "三类"),
    ("Zhangsan2024!", "zhangsan", "用户名"),
])
def test_policy_rejects(password, username, rule):
    errors = policy_errors(password, username)
    assert any(rule in e for e in errors), errors


@pytest.mark.parametrize("password", ["Abcdefg1", "abcdef1!", "ABCDEF1!", "Abcdefg!", "口令Ab1!xyz"])
def test_policy_accepts_three_of_four_classes(password):
    assert policy_errors(password, "clerk01") == []


def test_last_five_not_reusable():
    history = [hash_password(f"Passw0rd!{i}") for i in range(5)]
    with pytest.raises(PasswordPolicyError, match="最近 5 次"):
        check_policy("Passw0rd!3", "u", history)
    check_policy("Passw0rd!9", "u", history)


def test_expiry_after_90_days():
    now = dt.datetime(2026, 1, 1)
    assert not is_expired(now - dt.timedelta(days=89), now)
    assert is_expired(now - dt.timedelta(days=91), now)
    assert is_expired(None, now)
