"""Password hashing (PBKDF2-HMAC-SM3) and the 等保三级 password policy."""
from __future__ import annotations

import datetime as dt

import pytest

from archives_domain.accounts.passwords import (PasswordPolicyError, check_password, check_policy, common_passwords,
                                                hash_password, is_common, is_expired, policy_errors)


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


# (Not "Abcdefg1" and the like: those are on the list of common passwords now.)
@pytest.mark.parametrize("password", ["Hongfeng7k", "hongfeng7!", "HONGFENG7!", "Hongfeng!k", "口令Ab1!xyz"])
def test_policy_accepts_three_of_four_classes(password):
    assert policy_errors(password, "clerk01") == []


def test_last_five_not_reusable():
    history = [hash_password(f"Hongfeng#{i}k") for i in range(5)]
    with pytest.raises(PasswordPolicyError, match="最近 5 次"):
        check_policy("Hongfeng#3k", "u", history)
    check_policy("Hongfeng#9k", "u", history)


def test_expiry_after_90_days():
    now = dt.datetime(2026, 1, 1)
    assert not is_expired(now - dt.timedelta(days=89), now)
    assert is_expired(now - dt.timedelta(days=91), now)
    assert is_expired(None, now)


# -- common/breached passwords (issue 13, defect 11) ------------------------------------------------------------
COMMON = "常见弱口令"


@pytest.mark.parametrize("password", ["P@ssw0rd", "Password1!", "Passw0rd!", "Qwerty123!", "Admin@123", "Abc123456!",
                                      "1qaz@WSX", "Iloveyou2024!", "Welcome1!", "QWERTYuiop1"])
def test_common_passwords_are_refused_whatever_their_complexity(password):
    errors = policy_errors(password, "clerk1")
    assert any(COMMON in e for e in errors), errors
    with pytest.raises(PasswordPolicyError, match=COMMON):
        check_policy(password, "clerk1")


def test_comparison_ignores_case_and_trailing_digits_or_symbols():
    assert is_common("PASSWORD") and is_common("pAsSwOrD") and is_common("password2026!!")
    assert is_common("Dragon#1") and is_common("  Monkey123  ")
    # a short stem says nothing: "Ab" of "Ab#2026xyz!" is not judged by the list
    assert not is_common("Zq#2026")


def test_a_strong_random_password_is_accepted():
    import secrets
    import string
    alphabet = string.ascii_letters + string.digits + "#@!%&*"
    for _ in range(20):
        password = "".join(secrets.choice(alphabet) for _ in range(14)) + "a1#Z"
        assert not is_common(password)
    assert policy_errors("vT7#qLm2@xR9", "clerk1") == []


def test_the_kept_list_has_at_least_100000_real_passwords():
    listed = common_passwords()
    assert len(listed) >= 100_000
    assert {"123456", "password", "p@ssw0rd", "qwerty", "iloveyou"} <= listed
    assert common_passwords() is listed  # loaded once per process


@pytest.mark.parametrize("username, password", [("clerk1", "My#clerk1Desk"), ("Zhangsan", "zhangSAN#2024x")])
def test_a_password_containing_the_user_name_is_refused(username, password):
    assert "口令不得包含用户名" in policy_errors(password, username)
