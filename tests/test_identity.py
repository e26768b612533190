"""Tests of archives_domain.identity (身份证号码 / 统一社会信用代码 checks).

No database.  Everything random uses `random.Random(seed)`, so runs are
reproducible.  The reference for validity is python-stdnum itself.
"""
from __future__ import annotations

import os
import random
import string
from datetime import date, timedelta

import pytest
from stdnum.cn import ric, uscc

from archives_domain.identity import (
    USCC_ALPHABET,
    IdentityError,
    IdInfo,
    id_candidates,
    id_info,
    is_legacy_registration_number,
    is_valid_id,
    is_valid_uscc,
    normalize_id,
    normalize_uscc,
    upgrade_id15,
    uscc_candidates,
    validate_id,
    validate_uscc,
)

# Real Guizhou division codes (贵州省行政区划代码); some were only in use in
# some years (e.g. 520102 南明区 from 1983, 522401 毕节市 1993–2011,
# 522721 都匀县 until 1983), which stdnum checks against the birth year.
GZ_CODES = [
    "520000", "520100", "520102", "520103", "520111", "520112", "520113", "520115",
    "520121", "520181", "520201", "520203", "520221", "520302", "520402", "520502",
    "520602", "522301", "522323", "522324", "522401", "522422", "522601", "522622",
    "522623", "522631", "522701", "522721", "522722", "522732",
]
ID_CHARS = string.digits + "X"

# The exhaustive typo tests are bounded by python-stdnum's own speed (every
# candidate is confirmed by `stdnum.cn.ric.is_valid`, ~45 µs each, and one ID
# has ~540 distinct valid near-neighbours).  The full sizes (500 IDs, 200
# USCCs: ~190k id/uscc_candidates calls, ~35 s) run with
# ARCHIVES_IDENTITY_FULL_TYPO_TEST=1; by default 200 IDs and 100 USCCs, still
# every typo of each.
FULL_TYPO_TEST = os.environ.get("ARCHIVES_IDENTITY_FULL_TYPO_TEST") == "1"
N_TYPO_IDS = 500 if FULL_TYPO_TEST else 200
N_TYPO_USCCS = 200 if FULL_TYPO_TEST else 100


def stdnum_ric_is_valid(number: str) -> bool:
    """The reference verdict: stdnum's, except that stdnum 2.2 raises
    KeyError for an unknown code under a known province (e.g. 529102…),
    which can only mean "invalid"."""
    try:
        return ric.is_valid(number)
    except KeyError:
        return False


def with_check(id17: str) -> str:
    """Append the check character computed by stdnum."""
    return id17 + ric.calc_check_digit(id17 + "0")


def uscc_with_check(code17: str) -> str:
    return code17 + uscc.calc_check_digit(code17)


def random_birth_date(rng: random.Random, first: int = 1950, last: int = 2005) -> date:
    start = date(first, 1, 1)
    return start + timedelta(days=rng.randrange((date(last, 12, 31) - start).days + 1))


def random_id(rng: random.Random) -> str:
    """An ID built per GB 11643 from a Guizhou code; stdnum may still reject
    it when the code was not in use in the birth year."""
    born = random_birth_date(rng)
    return with_check(f"{rng.choice(GZ_CODES)}{born:%Y%m%d}{rng.randrange(1000):03d}")


def random_valid_id(rng: random.Random) -> str:
    while True:
        number = random_id(rng)
        if ric.is_valid(number):
            return number


def random_valid_uscc(rng: random.Random) -> str:
    head = rng.choice("159") + rng.choice("123") + rng.choice(GZ_CODES)
    return uscc_with_check(head + "".join(rng.choice(USCC_ALPHABET) for _ in range(9)))


def corrupt(rng: random.Random, value: str, alphabet: str) -> str:
    """One of several kinds of damage (some of which happen to stay valid)."""
    kind = rng.randrange(9)
    i = rng.randrange(len(value))
    if kind == 0:  # substitution from the proper alphabet
        return value[:i] + rng.choice(alphabet) + value[i + 1:]
    if kind == 1:  # substitution by any letter or digit, either case
        return value[:i] + rng.choice(string.ascii_letters + string.digits) + value[i + 1:]
    if kind == 2 and i < len(value) - 1:  # adjacent transposition
        return value[:i] + value[i + 1] + value[i] + value[i + 2:]
    if kind == 3:  # deletion
        return value[:i] + value[i + 1:]
    if kind == 4:  # insertion
        return value[:i] + rng.choice(alphabet) + value[i:]
    if kind == 5:  # random division code
        return f"{rng.randrange(10**6):06d}" + value[6:]
    if kind == 6:  # lower case
        return value.lower()
    if kind == 7:  # impossible date but recomputed check character (IDs)
        return value[:10] + rng.choice(["13", "00", "02"]) + rng.choice(["30", "31", "00"]) + value[14:]
    return "".join(rng.choice(alphabet) for _ in range(len(value)))  # noise


def typos(value: str, alphabet_at) -> list[str]:
    """Every single substitution and adjacent transposition of `value`."""
    out = []
    for i in range(len(value) - 1):
        if value[i] != value[i + 1]:
            out.append(value[:i] + value[i + 1] + value[i] + value[i + 2:])
    for i, old in enumerate(value):
        out.extend(value[:i] + ch + value[i + 1:] for ch in alphabet_at(i) if ch != old)
    return out


# --------------------------------------------------------------------------
# Agreement with python-stdnum
# --------------------------------------------------------------------------

def test_is_valid_id_agrees_with_stdnum_on_10000_random_ids():
    rng = random.Random(11643)
    numbers = []
    for _ in range(10_000):
        number = random_id(rng)
        if rng.random() < 0.5:
            number = corrupt(rng, number, ID_CHARS)
            if rng.random() < 0.3 and len(number) == 18 and number[:17].isdigit():
                number = with_check(number[:17])  # damage hidden from the checksum
        numbers.append(number)
    verdicts = [stdnum_ric_is_valid(n) for n in numbers]
    assert 2_000 < sum(verdicts) < 8_000  # a real mix of valid and invalid
    mismatches = [n for n, v in zip(numbers, verdicts) if is_valid_id(n) != v]
    assert mismatches == []


def test_is_valid_uscc_agrees_with_stdnum_on_10000_random_codes():
    rng = random.Random(32100)
    codes = []
    for _ in range(10_000):
        code = random_valid_uscc(rng)
        if rng.random() < 0.5:
            code = corrupt(rng, code, USCC_ALPHABET + "IOSVZ")
            if rng.random() < 0.3 and len(code) == 18 and all(c in USCC_ALPHABET for c in code):
                code = uscc_with_check(code[:17])
        codes.append(code)
    verdicts = [uscc.is_valid(c) for c in codes]
    assert 3_000 < sum(verdicts) < 8_000
    mismatches = [c for c, v in zip(codes, verdicts) if is_valid_uscc(c) != v]
    assert mismatches == []


def test_stdnum_keyerror_on_unknown_county_is_treated_as_invalid():
    number = with_check("52910219900101001")  # 52 is Guizhou, 529102 is no county
    with pytest.raises(KeyError):  # stdnum 2.2 behaviour; if fixed, drop this line
        ric.is_valid(number)
    assert is_valid_id(number) is False
    with pytest.raises(IdentityError) as err:
        validate_id(number)
    assert err.value.reason == "region"
    assert all(ric.is_valid(c) for c in id_candidates(number))


# --------------------------------------------------------------------------
# 15 → 18 upgrade
# --------------------------------------------------------------------------

@pytest.mark.parametrize("id15", [
    "520102900101001",  # 南明区 1990-01-01
    "522601851231002",  # 凯里市 1985-12-31, female
    "522622500229123",  # 黄平县 1950-02-29, which does not exist (not a leap year)
    "110105491231002",  # 北京 朝阳区 1949-12-31
    "520203680704517",  # 六枝特区 1968-07-04
])
def test_upgrade_id15_matches_stdnum(id15):
    expected17 = id15[:6] + "19" + id15[6:]
    expected = expected17 + ric.calc_check_digit(expected17 + "0")
    assert upgrade_id15(id15, strict=False) == expected
    if ric.is_valid(expected):
        assert upgrade_id15(id15) == expected
    else:
        with pytest.raises(IdentityError) as err:
            upgrade_id15(id15)
        assert "出生日期" in str(err.value)


def test_upgrade_id15_normalises_and_rejects_bad_input():
    assert upgrade_id15(" ５２０１０２ ９００１０１ ００１ ") == upgrade_id15("520102900101001")
    with pytest.raises(IdentityError, match="15位"):
        upgrade_id15("52010290010100")
    with pytest.raises(IdentityError, match="不是数字"):
        upgrade_id15("52010290010100X")


# --------------------------------------------------------------------------
# id_info
# --------------------------------------------------------------------------

def test_id_info_on_constructed_ids():
    info = id_info(with_check("52260119850723123"))
    assert isinstance(info, IdInfo)
    assert info.birth_date == date(1985, 7, 23)
    assert info.sex == "男"  # 17th digit 3 is odd
    assert info.birthplace_code == "522601"
    assert info.province == "贵州省"
    assert info.county == "凯里市"
    assert info.birthplace_name == "贵州省黔东南苗族侗族自治州凯里市"

    info = id_info(with_check("52010220010228246"))
    assert (info.birth_date, info.sex, info.birthplace_code) == (date(2001, 2, 28), "女", "520102")
    assert info.birthplace_name == "贵州省贵阳市南明区"
    assert info.id_number not in repr(info)  # repr may end up in logs


def test_id_info_reports_the_name_in_use_in_the_birth_year():
    assert id_info(with_check("52020119800101001")).county == "水城特区"  # until 1986
    assert id_info(with_check("52020119900101001")).county == "钟山区"  # from 1987


def test_id_info_accepts_15_digits_and_rejects_invalid():
    info = id_info("520102900101002")
    assert info.id_number == upgrade_id15("520102900101002")
    assert (info.birth_date, info.sex) == (date(1990, 1, 1), "女")
    with pytest.raises(IdentityError):
        id_info(with_check("52010219900230001"))


# --------------------------------------------------------------------------
# Typo correction
# --------------------------------------------------------------------------

def test_id_candidates_find_every_single_typo_of_random_ids():
    rng = random.Random(2024)
    alphabet_at = lambda i: ID_CHARS if i == 17 else string.digits  # noqa: E731
    checked = 0
    for _ in range(N_TYPO_IDS):
        true = random_valid_id(rng)
        for typo in typos(true, alphabet_at):
            if stdnum_ric_is_valid(typo):
                continue  # e.g. a transposition stdnum also accepts: not a detectable typo
            candidates = id_candidates(typo)
            assert true in candidates, typo
            checked += 1
    assert checked > 170 * N_TYPO_IDS  # ~187 typos per ID, a few stay valid


def test_id_candidates_are_valid_one_typo_away_and_ordered():
    rng = random.Random(7)
    alphabet_at = lambda i: ID_CHARS if i == 17 else string.digits  # noqa: E731
    for _ in range(40):
        true = random_valid_id(rng)
        for typo in rng.sample(typos(true, alphabet_at), 10):
            candidates = id_candidates(typo)
            assert len(set(candidates)) == len(candidates)
            assert all(ric.is_valid(c) for c in candidates)
            kinds = [_typo_kind(typo, c) for c in candidates]
            assert None not in kinds
            # transpositions first, then substitutions, each by position
            assert kinds == sorted(kinds)
            assert id_candidates(typo) == candidates  # deterministic


def _typo_kind(a: str, b: str):
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    if len(diff) == 1:
        return (1, diff[0])
    if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
        return (0, diff[0])
    return None


def brute_force_candidates(bad: str, alphabet_at, is_valid) -> list[str]:
    """Reference: try every transposition and substitution with stdnum."""
    out = []
    for c in typos(bad, alphabet_at):
        if c not in out and is_valid(c):
            out.append(c)
    return out


def test_id_candidates_equal_brute_force_with_stdnum():
    rng = random.Random(31)
    alphabet_at = lambda i: ID_CHARS if i == 17 else string.digits  # noqa: E731
    inputs = []
    for _ in range(150):
        true = random_valid_id(rng)
        inputs.append(rng.choice(typos(true, alphabet_at)))
        inputs.append(corrupt(rng, corrupt(rng, true, ID_CHARS), ID_CHARS))
    inputs.append(with_check("52010219500101001"))  # region not in use in 1950
    inputs.append(with_check("52010219900230001"))  # 30 February
    for bad in inputs:
        s = normalize_id(bad)
        if len(s) != 18 or stdnum_ric_is_valid(s):
            assert id_candidates(bad) == []
            continue
        assert id_candidates(bad) == brute_force_candidates(s, alphabet_at, stdnum_ric_is_valid), bad


def test_uscc_candidates_equal_brute_force_with_stdnum():
    rng = random.Random(37)
    inputs = []
    for _ in range(60):
        true = random_valid_uscc(rng)
        inputs.append(rng.choice(typos(true, lambda i: USCC_ALPHABET)))
        inputs.append(corrupt(rng, corrupt(rng, true, USCC_ALPHABET), USCC_ALPHABET + "IOSVZ"))
    for bad in inputs:
        s = normalize_uscc(bad)
        if len(s) != 18 or uscc.is_valid(s):
            assert uscc_candidates(bad) == []
            continue
        assert uscc_candidates(bad) == brute_force_candidates(
            s, lambda i: USCC_ALPHABET, uscc.is_valid), bad


def test_id_candidates_edge_cases():
    true = with_check("52010219900101001")
    assert id_candidates(true) == []  # already valid
    assert id_candidates("5201021990") == []  # other lengths
    assert id_candidates(None) == []  # type: ignore[arg-type]
    typo = true[:10] + true[11] + true[10] + true[12:]
    assert len(id_candidates(typo, max_candidates=1)) == 1
    assert id_candidates(typo, max_candidates=1)[0] == id_candidates(typo)[0]
    # a letter typed for a digit (O for 0) and a lower-case, full-width input
    assert id_candidates(true[:3] + "O" + true[4:]) == [true]
    assert true in id_candidates("５２０１０２ １９９００１０１００１" + ("0" if true[-1] != "0" else "1"))
    # 15-digit input: candidates are upgraded forms of valid 15-digit neighbours
    bad15 = "520102901301001"  # month 13
    candidates = id_candidates(bad15)
    assert upgrade_id15("520102900301001") in candidates
    assert all(len(c) == 18 and ric.is_valid(c) for c in candidates)
    assert id_candidates("520102900101001") == []  # valid 15-digit


def test_uscc_candidates_find_every_single_typo_of_random_codes():
    rng = random.Random(2015)
    checked = 0
    for _ in range(N_TYPO_USCCS):
        true = random_valid_uscc(rng)
        for typo in typos(true, lambda i: USCC_ALPHABET):
            if uscc.is_valid(typo):
                continue
            candidates = uscc_candidates(typo)
            assert true in candidates, typo
            checked += 1
    assert checked > 550 * N_TYPO_USCCS  # 17 transpositions + 540 substitutions


def test_uscc_candidates_are_valid_and_ordered():
    rng = random.Random(9)
    for _ in range(40):
        true = random_valid_uscc(rng)
        for typo in rng.sample(typos(true, lambda i: USCC_ALPHABET), 10):
            candidates = uscc_candidates(typo)
            assert all(uscc.is_valid(c) for c in candidates)
            kinds = [_typo_kind(typo, c) for c in candidates]
            assert None not in kinds and kinds == sorted(kinds)
    true = random_valid_uscc(rng)
    assert uscc_candidates(true) == []
    assert uscc_candidates("N" + true[1:]) == [true]  # stdnum wants digits first
    assert uscc_candidates(true[:10] + "I" + true[11:]) != []


# --------------------------------------------------------------------------
# Normalisation and messages
# --------------------------------------------------------------------------

def test_normalize_id():
    assert normalize_id("５２０１０２１９９００１０１００１ｘ") == "52010219900101001X"
    assert normalize_id(" 520102\u3000199001010011 \t") == "520102199001010011"
    assert normalize_id("52010219900101001x") == "52010219900101001X"
    assert normalize_id("52010219900101001Ｘ") == "52010219900101001X"
    assert normalize_id("\u200b520102199001010011\ufeff") == "520102199001010011"
    number = with_check("52010219900101001")
    spaced = f" {number[:6]}　{number[6:14]} {number[14:]}".lower()
    assert is_valid_id(spaced) and validate_id(spaced) == number


def test_normalize_uscc():
    code = uscc_with_check("91520102MA6DL1234")
    assert normalize_uscc(code.lower()) == code
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert normalize_uscc(fullwidth) == code
    assert normalize_uscc(f"{code[:8]}－{code[8:]} ") == code
    assert validate_uscc(f" {code[:2]} {code[2:8]}-{code[8:]}".lower()) == code


@pytest.mark.parametrize("value, reason, words", [
    ("5201021990", "length", ["长度", "18位", "10位"]),
    ("520102900101001", "length", ["15位", "upgrade_id15"]),
    ("5201O2199001010011", "format", ["第5位", "不是数字"]),
    ("5201021990010100X1", "format", ["第17位", "X"]),
    ("52010219900101001Y", "format", ["第18位", "校验码"]),
    ("", "empty", ["为空"]),
])
def test_id_error_messages(value, reason, words):
    with pytest.raises(IdentityError) as err:
        validate_id(value)
    assert isinstance(err.value, ValueError)
    assert err.value.reason == reason
    for word in words:
        assert word in str(err.value)


def test_id_error_messages_checksum_date_region():
    number = with_check("52010219900101001")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(IdentityError, match="校验码") as err:
        validate_id(wrong)
    assert err.value.reason == "checksum" and wrong not in str(err.value)
    with pytest.raises(IdentityError, match="出生日期.*2月没有30日") as err:
        validate_id(with_check("52010219900230001"))
    assert err.value.reason == "birth_date"
    with pytest.raises(IdentityError, match="月份“13”"):
        validate_id(with_check("52010219901301001"))
    with pytest.raises(IdentityError, match="地址码“520102”在出生年份1950年.*1983") as err:
        validate_id(with_check("52010219500101001"))  # 南明区 code in use from 1983
    assert err.value.reason == "region"
    with pytest.raises(IdentityError, match="不是已知的行政区划代码"):
        validate_id(with_check("99010219900101001"))
    with pytest.raises(IdentityError, match="字符串"):
        validate_id(520102199001010011)  # type: ignore[arg-type]


def test_uscc_error_messages():
    code = uscc_with_check("91520102MA6DL1234")
    with pytest.raises(IdentityError, match="长度.*17位"):
        validate_uscc(code[:-1])
    with pytest.raises(IdentityError, match="工商注册号"):
        validate_uscc("520100000123456")
    with pytest.raises(IdentityError, match="第1位“N”不是数字"):
        validate_uscc("N" + code[1:])
    with pytest.raises(IdentityError, match="第12位“I”.*不用 I、O、S、V、Z"):
        validate_uscc(code[:11] + "I" + code[12:])
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(IdentityError, match="校验码") as err:
        validate_uscc(wrong)
    assert err.value.reason == "checksum"


def test_is_legacy_registration_number():
    assert is_legacy_registration_number("520100000123456")
    assert is_legacy_registration_number("１００００００００１２３４５６")  # national 100000
    assert not is_legacy_registration_number("990100000123456")  # no such province
    assert not is_legacy_registration_number("52010000012345")
    assert not is_legacy_registration_number("52010000012345X")
    body = "52010000012345"
    from stdnum.iso7064 import mod_11_10
    good = body + mod_11_10.calc_check_digit(body)
    bad = body + str((int(good[-1]) + 1) % 10)
    assert is_legacy_registration_number(good, check_digit=True)
    assert not is_legacy_registration_number(bad, check_digit=True)
    assert is_legacy_registration_number(bad)
