"""Identity-number checks (身份号码校验): resident ID numbers and USCCs.

Two kinds of number are handled:

* 公民身份号码 (citizen / resident ID number, GB 11643-1999): 18 characters,
  6-digit address code (地址码, an administrative-division code of GB/T 2260),
  8-digit birth date, 3-digit sequence code (顺序码, odd = male) and a check
  character (校验码, 0-9 or X).  The legacy first-generation number has 15
  digits (2-digit year, no check character).
* 统一社会信用代码 (unified social credit code, USCC, GB 32100-2015):
  18 characters over ``0-9 A-H J-N P-R T U W-Y`` with a check character.  The
  old 15-digit 工商注册号 (business registration number, GS15-2006) that it
  replaced can be recognised too.

Whether a number is valid is decided by python-stdnum (`stdnum.cn.ric`,
`stdnum.cn.uscc`); this module adds input normalisation, Chinese error
messages, the 15→18 upgrade, structured information and typo correction
(`id_candidates`, `uscc_candidates`).  No checksum is re-implemented for
validation.  Error messages never echo the whole number, so they can be
logged without leaking it.

Behaviour of python-stdnum 2.2 worth knowing (and inherited here):

* `stdnum.cn.ric` checks the birth date *and* the address code against its
  table of division codes, **including the years in which the code was in
  use, compared with the birth year**.  For example ``520102`` (南明区) is
  listed as in use from 1983, so a correctly formed number
  ``520102 1950…`` is rejected, although people born before 1983 who were
  first registered later may legitimately hold one.  The error message says
  so, so a clerk can check by hand.
* It does not reject birth dates in the future.
* `stdnum.cn.ric.is_valid` *raises* KeyError (instead of returning False)
  when the first two digits are a known province but the 6-digit code is
  not in its table (e.g. ``529102…``); this module treats that as an
  unknown address code.
* `stdnum.cn.ric` knows only the 18-digit form; 15-digit numbers must be
  upgraded (`upgrade_id15`) first.
* `stdnum.cn.uscc` requires the first 8 characters to be digits, although
  GB 32100 also allows letters as the registration-authority code (e.g.
  ``N`` 农业, ``A`` 中央军委改革和编制办公室, ``Y`` 其他); such codes are
  reported invalid.  It does not check the division code in a USCC.
"""
from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.iso7064 import mod_11_10

__all__ = [
    "IdentityError",
    "IdInfo",
    "USCC_ALPHABET",
    "normalize_id",
    "is_valid_id",
    "validate_id",
    "upgrade_id15",
    "id_info",
    "id_candidates",
    "normalize_uscc",
    "is_valid_uscc",
    "validate_uscc",
    "uscc_candidates",
    "is_legacy_registration_number",
]

DIGITS = "0123456789"
ID_CHECK_CHARS = DIGITS + "X"
#: Character set of GB 32100 (统一社会信用代码): digits and capitals without I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Characters removed by the normalisers besides `str.isspace()` ones
# (zero-width spaces/joiners and BOM that come along when copying from Office).
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
# Full-width ASCII variants U+FF01–U+FF5E → U+0021–U+007E (Ａ→A, ０→0, －→-).
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_ASCII_DIGITS_RE = re.compile(r"[0-9]+")


class IdentityError(ValueError):
    """An identity number is invalid (身份号码无效).

    The message (Chinese) says what is wrong; `reason` is a short machine
    code: ``type``, ``empty``, ``length``, ``format``, ``checksum``,
    ``birth_date`` or ``region``.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _basic_normalize(raw: str) -> str:
    """Drop whitespace (half and full width) and invisible characters, map
    full-width ASCII variants to ASCII, upper-case."""
    text = raw.translate(_FULLWIDTH)
    return "".join(ch for ch in text if not ch.isspace() and ch not in _INVISIBLE).upper()


def _is_ascii_digits(text: str) -> bool:
    return _ASCII_DIGITS_RE.fullmatch(text) is not None


# ---------------------------------------------------------------------------
# Resident ID numbers (公民身份号码)
# ---------------------------------------------------------------------------

def _ric_validate(number: str) -> str:
    """`stdnum.cn.ric.validate`, except that the KeyError stdnum 2.2 raises
    for an address code under a known province but absent from its table
    (e.g. ``529102``) is turned into the InvalidComponent it means."""
    try:
        return ric.validate(number)
    except KeyError:
        raise InvalidComponent() from None


def _ric_is_valid(number: str) -> bool:
    """`stdnum.cn.ric.is_valid` without stdnum 2.2's KeyError (see `_ric_validate`)."""
    try:
        return bool(_ric_validate(number))
    except ValidationError:
        return False


def _ric_birth_place(number: str) -> dict[str, str]:
    """`stdnum.cn.ric.get_birth_place` without stdnum 2.2's KeyError."""
    try:
        return ric.get_birth_place(number)
    except KeyError:
        raise InvalidComponent() from None


def normalize_id(raw: str) -> str:
    """Normalise a typed resident ID number (公民身份号码规范化).

    Removes spaces anywhere (half-width, full-width 　 U+3000, tabs, no-break
    and zero-width spaces), converts full-width digits and letters to
    half-width (``５２０１`` → ``5201``) and upper-cases, so a final ``x``
    becomes ``X``.  Nothing else is changed, and no validity check is made.
    """
    return _basic_normalize(raw)


def is_valid_id(value: str) -> bool:
    """Whether `value` is a valid 18-digit resident ID number (公民身份号码).

    `value` is normalised with `normalize_id` first and then judged by
    `stdnum.cn.ric` (length, digits, check character, birth date, address
    code known and in use in the birth year).  Legacy 15-digit numbers are
    *not* valid here; upgrade them with `upgrade_id15`.  Non-strings give
    False.
    """
    if not isinstance(value, str):
        return False
    return _ric_is_valid(normalize_id(value))


def validate_id(value: str) -> str:
    """Validate a resident ID number (公民身份号码校验) and return it normalised.

    The verdict is python-stdnum's (`stdnum.cn.ric.validate`).  On failure an
    `IdentityError` is raised whose Chinese message names the problem:
    length (长度), characters (字符), check character (校验码), birth date
    (出生日期) or address code (地址码/行政区划代码).
    """
    if not isinstance(value, str):
        raise IdentityError(f"身份证号码应为字符串，实际为 {type(value).__name__}", reason="type")
    number = normalize_id(value)
    if not number:
        raise IdentityError("身份证号码为空", reason="empty")
    try:
        return _ric_validate(number)
    except InvalidLength:
        if len(number) == 15 and _is_ascii_digits(number):
            raise IdentityError(
                "身份证号码为15位（第一代旧号码），应为18位；可先用 upgrade_id15() 升为18位",
                reason="length") from None
        raise IdentityError(
            f"身份证号码长度错误：应为18位，实际为{len(number)}位", reason="length") from None
    except InvalidFormat:
        raise IdentityError(_id_format_message(number), reason="format") from None
    except InvalidChecksum:
        if number[-1] not in ID_CHECK_CHARS:
            raise IdentityError(
                f"身份证号码第18位（校验码）“{number[-1]}”无效：只能是数字0–9或X",
                reason="format") from None
        expected = ric.calc_check_digit(number)
        raise IdentityError(
            f"身份证号码校验码错误：第18位为“{number[-1]}”，按前17位计算应为“{expected}”；"
            "号码中可能有录入错误（可用 id_candidates() 查找可能的正确号码）",
            reason="checksum") from None
    except InvalidComponent:
        try:
            ric.get_birth_date(number)
        except ValidationError:
            raise IdentityError(_birth_date_message(number[6:14]), reason="birth_date") from None
        raise IdentityError(_region_message(number[:6], number[6:10]), reason="region") from None
    except ValidationError:  # pragma: no cover - stdnum raising something new
        raise IdentityError("身份证号码无效", reason="format") from None


def _id_format_message(number: str) -> str:
    for pos, ch in enumerate(number[:17], start=1):
        if ch not in DIGITS:
            if ch == "X":
                return f"身份证号码第{pos}位为“X”：X 只能出现在第18位（校验码）"
            return f"身份证号码第{pos}位“{ch}”不是数字（前17位必须是数字）"
    return "身份证号码含有无效字符（前17位必须是数字，第18位为数字或X）"  # pragma: no cover


def _birth_date_message(date8: str) -> str:
    year, month, day = int(date8[:4]), int(date8[4:6]), int(date8[6:8])
    prefix = "身份证号码中的出生日期（第7–14位）无效："
    if year == 0:
        return prefix + "年份为0000"
    if not 1 <= month <= 12:
        return prefix + f"月份“{date8[4:6]}”不在01–12之间"
    if day == 0:
        return prefix + "日为00"
    return prefix + f"{year}年{month}月没有{day}日"


def _region_periods(code6: str) -> list[str]:
    """Names and periods of `code6` in stdnum's division table, for messages."""
    props = [p for _part, p in numdb.get("cn/loc").info(code6)]
    county = next((p["county"] for p in props if "county" in p), None)
    if not county:
        return []
    periods = []
    for entry in county.split(","):
        if entry.startswith("[") and "]" in entry:
            span, name = entry[1:].split("]", 1)
            start, _, end = span.partition("-")
            if start and end:
                when = f"{start}–{end}年"
            elif start:
                when = f"{start}年起"
            elif end:
                when = f"至{end}年"
            else:  # pragma: no cover
                when = "年份不详"
            periods.append(f"{name}（{when}）")
        else:
            periods.append(entry)
    return periods


def _region_message(code6: str, year: str) -> str:
    periods = _region_periods(code6)
    if not periods:
        return f"身份证号码前6位地址码（行政区划代码）“{code6}”不是已知的行政区划代码"
    return (
        f"身份证号码前6位地址码“{code6}”在出生年份{int(year)}年不在使用期内：该代码对应"
        + "、".join(periods)
        + "。注：校验按出生年份核对地址码（python-stdnum），若本人在该代码启用后才首次登记，"
        "号码仍可能真实有效，请人工核对"
    )


def _upgrade_raw(id15: str) -> str:
    id17 = id15[:6] + "19" + id15[6:]
    return id17 + ric.calc_check_digit(id17 + "0")  # calc ignores the last char


def upgrade_id15(id15: str, *, strict: bool = True) -> str:
    """Upgrade a 15-digit legacy ID number to 18 digits (15位身份证号码升位).

    Inserts the century ``19`` before the 2-digit birth year (the legacy
    number was issued to people born in the 1900s) and appends the check
    character computed by `stdnum.cn.ric.calc_check_digit`.  With `strict`
    (default) the result must pass `validate_id`, otherwise `IdentityError`
    is raised (e.g. impossible birth date); with ``strict=False`` only the
    15-digit format is checked.
    """
    if not isinstance(id15, str):
        raise IdentityError(f"身份证号码应为字符串，实际为 {type(id15).__name__}", reason="type")
    number = normalize_id(id15)
    if len(number) != 15:
        raise IdentityError(
            f"15位身份证号码长度错误：应为15位，实际为{len(number)}位", reason="length")
    if not _is_ascii_digits(number):
        pos = next(i for i, ch in enumerate(number, start=1) if ch not in DIGITS)
        raise IdentityError(
            f"15位身份证号码第{pos}位“{number[pos - 1]}”不是数字（15位号码应全为数字）",
            reason="format")
    upgraded = _upgrade_raw(number)
    if strict:
        try:
            validate_id(upgraded)
        except IdentityError as exc:
            raise IdentityError(f"15位身份证号码升位后无效：{exc}", reason=exc.reason) from None
    return upgraded


@dataclass(frozen=True)
class IdInfo:
    """What a resident ID number says about its holder (身份证号码信息).

    `birthplace_code` is the address code (地址码), i.e. the division where
    the number was first registered, usually but not necessarily the place of
    birth.  The names come from python-stdnum's division table and are the
    ones in use in the birth year (codes can have named different divisions
    over time, e.g. ``520201`` 水城特区 until 1986, 钟山区 from 1987).
    `prefecture` (地级) is None when the code is itself a prefecture or
    province, or the prefecture line is a placeholder such as 市辖区.
    """

    id_number: str = field(repr=False)
    birth_date: date
    sex: str  # '男' or '女'
    birthplace_code: str
    province: str | None
    prefecture: str | None
    county: str | None
    birthplace_name: str | None


_PLACEHOLDER_PREFECTURES = {"市辖区", "县"}


def id_info(value: str) -> IdInfo:
    """Birth date, sex and birthplace of a resident ID number (身份证号码信息提取).

    Accepts an 18-digit number, or a 15-digit legacy one which is upgraded
    with `upgrade_id15` first.  The number must be valid (`validate_id`),
    else `IdentityError` is raised.  Sex (性别) is '男' when the 17th digit is
    odd, '女' when even.
    """
    if isinstance(value, str) and len(normalize_id(value)) == 15:
        number = upgrade_id15(value)
    else:
        number = validate_id(value)
    birth_date = ric.get_birth_date(number)
    code = number[:6]
    try:
        place = _ric_birth_place(number)
    except ValidationError:  # pragma: no cover - valid numbers always have one
        place = {}
    province = place.get("province")
    county = place.get("county")
    prefecture = None
    if code[2:4] != "00" and code[4:6] != "00":
        try:
            pref = _ric_birth_place(code[:4] + "00" + number[6:]).get("county")
        except ValidationError:
            pref = None
        if pref and pref not in _PLACEHOLDER_PREFECTURES and "直辖" not in pref and pref != province:
            prefecture = pref
    parts = [p for p in (province, prefecture, county) if p]
    name = "".join(p for i, p in enumerate(parts) if p not in parts[:i]) or None
    return IdInfo(
        id_number=number,
        birth_date=birth_date,
        sex="男" if int(number[16]) % 2 else "女",
        birthplace_code=code,
        province=province,
        prefecture=prefecture,
        county=county,
        birthplace_name=name,
    )


# ---------------------------------------------------------------------------
# Typo correction helpers
# ---------------------------------------------------------------------------

class _LinearCheck:
    """A fast stand-in for a stdnum ``calc_check_digit`` used only to *find*
    candidate corrections.

    Both check characters used here are affine functions of the character
    values modulo a prime.  Rather than restating the algorithms, the model
    (``check = a0 + Σ m_i·v_i mod M``) is measured by probing stdnum's own
    `calc_check_digit` and then verified against it on random inputs; if the
    verification fails (stdnum changed) `ok` is False and callers fall back
    to calling `calc_check_digit` for every variant.  Every candidate is
    finally judged by stdnum's `is_valid`, so the model can at worst miss a
    candidate, never accept an invalid one.
    """

    def __init__(self, calc: Callable[[str], str], data_chars: str, check_chars: str,
                 length: int, seed: int) -> None:
        self.calc = calc
        self.n = length - 1
        self.value = {ch: i for i, ch in enumerate(data_chars)}
        self.check_value = {ch: i for i, ch in enumerate(check_chars)}
        self.data_chars = data_chars
        self.check_chars = check_chars
        self.mod = len(check_chars)
        zero, one = data_chars[0], data_chars[1]
        try:
            self.a0 = self._cv(zero * length)
            self.m = [(self._cv(zero * i + one + zero * (length - 1 - i)) - self.a0) % self.mod
                      for i in range(self.n)]
            self.inv = [pow(m, -1, self.mod) for m in self.m]
            rng = random.Random(seed)
            self.ok = all(
                self.syndrome(s) == self._cv(s)
                for s in ("".join(rng.choice(data_chars) for _ in range(length))
                          for _ in range(200)))
        except (ValueError, KeyError, ValidationError):
            self.ok = False

    def _cv(self, s: str) -> int:
        return self.check_value[self.calc(s)]

    def syndrome(self, s: str) -> int:
        """The check value the model predicts for the data part of `s`."""
        total = self.a0
        for m, ch in zip(self.m, s):
            total += m * self.value[ch]
        return total % self.mod

    def solve(self, s: str, pos: int, partial: int) -> int:
        """Value that position `pos` must take so that the check of `s`
        matches its last character; `partial` is the model sum over the other
        data positions (a0 included)."""
        return (self.check_value[s[self.n]] - partial) * self.inv[pos] % self.mod


def _neighbours(s: str, allowed: list[str], model: _LinearCheck) -> list[str]:
    """Strings at one adjacent transposition or one substitution from `s`
    whose check character is right (a necessary condition of validity).

    Order: transpositions by position, then substitutions by position (at
    most one per position when the model is used, else in `allowed` order).
    `allowed[i]` is the character set tried at position i.
    """
    n = len(s) - 1
    out: list[str] = []
    calc = model.calc
    bad = [i for i, ch in enumerate(s) if ch not in allowed[i]]
    if len(bad) > 2 or (len(bad) == 2 and bad[1] != bad[0] + 1):
        return out  # no single edit can repair that
    fast = model.ok and not bad
    if fast:
        m, mod = model.m, model.mod
        vals = [model.value[ch] for ch in s[:n]]
        total = model.a0 + sum(mi * v for mi, v in zip(m, vals))
        target = model.check_value[s[n]]

    # adjacent transpositions
    for i in range(n):
        a, b = s[i], s[i + 1]
        if a == b or any(j != i and j != i + 1 for j in bad):
            continue
        if b not in allowed[i] or a not in allowed[i + 1]:
            continue
        c = s[:i] + b + a + s[i + 2:]
        if fast and i + 1 < n:
            ok = (total + (m[i] - m[i + 1]) * (vals[i + 1] - vals[i]) - target) % mod == 0
        elif model.ok:
            ok = model.syndrome(c) == model.check_value[c[n]]
        else:
            ok = calc(c) == c[n]
        if ok:
            out.append(c)

    # single substitutions
    if len(bad) > 1:
        return out
    if fast or (model.ok and bad[0] < n):
        if not fast:  # exactly one bad data position k: solve for it alone
            k = bad[0]
            partial = model.a0 + sum(
                model.m[j] * model.value[s[j]] for j in range(n) if j != k)
            x = model.solve(s, k, partial)
            if x < len(model.data_chars) and model.data_chars[x] in allowed[k]:
                out.append(s[:k] + model.data_chars[x] + s[k + 1:])
            return out
        for i in range(n):
            x = (target - total + m[i] * vals[i]) * model.inv[i] % mod
            if x != vals[i] and x < len(model.data_chars):
                ch = model.data_chars[x]
                if ch in allowed[i]:
                    out.append(s[:i] + ch + s[i + 1:])
        fix = calc(s[:n] + model.check_chars[0])
        if fix != s[n] and fix in allowed[n]:
            out.append(s[:n] + fix)
        return out
    if bad == [n]:
        fix = calc(s[:n] + model.check_chars[0])
        if fix in allowed[n]:
            out.append(s[:n] + fix)
        return out
    for i in bad or range(n + 1):  # black-box fallback (model not verified)
        for ch in allowed[i]:
            if ch != s[i]:
                c = s[:i] + ch + s[i + 1:]
                if calc(c) == c[n]:
                    out.append(c)
    return out


_CACHE_SIZE = 1 << 16


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _ric_valid_cached(number: str) -> bool:
    return _ric_is_valid(number)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _ric_date_ok(date8: str) -> bool:
    try:
        ric.get_birth_date("000000" + date8 + "0000")
    except ValidationError:
        return False
    return True


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _ric_place_ok(code6: str, year4: str) -> bool:
    try:
        _ric_birth_place(code6 + year4 + "0101" + "0000")
    except ValidationError:
        return False
    return True


def _ric_plausible(number: str) -> bool:
    """Memoised pieces of stdnum's own checks, to skip hopeless candidates
    before the full (slower) `stdnum.cn.ric.is_valid`."""
    return _ric_date_ok(number[6:14]) and _ric_place_ok(number[:6], number[6:10])


@functools.cache
def _id_model() -> _LinearCheck:
    return _LinearCheck(ric.calc_check_digit, DIGITS, ID_CHECK_CHARS, 18, seed=11643)


_ID_ALLOWED = [DIGITS] * 17 + [ID_CHECK_CHARS]


def _check_limit(max_candidates: int | None) -> None:
    if max_candidates is not None and max_candidates < 0:
        raise ValueError("max_candidates must be None or >= 0")


def id_candidates(bad: str, max_candidates: int | None = None) -> list[str]:
    """Valid resident ID numbers one typo away from `bad` (身份证号码纠错候选).

    For an invalid 18-character number (after `normalize_id`): every valid
    number reachable by ONE adjacent transposition (相邻两位颠倒) or ONE
    substituted character (digits 0–9 at positions 1–17, 0–9 or X at
    position 18).  "Valid" is `stdnum.cn.ric.is_valid` (check character,
    birth date, address code in use in the birth year).

    For a 15-digit legacy number whose upgrade is invalid: the upgraded
    18-digit forms (`upgrade_id15`) of the valid 15-digit neighbours (one
    transposition or one digit substituted).

    Returns ``[]`` when `bad` is already valid (an 18-digit valid number, or
    a 15-digit one whose upgrade is valid), is not a string, or does not
    have 18 or 15 characters.  Order is deterministic: transpositions by
    position, then substitutions by position (then by character).  At most
    `max_candidates` are returned when it is given.

    Speed: variants are first screened with the check character (a model of
    stdnum's `calc_check_digit`, see `_LinearCheck`) and memoised stdnum
    birth-date and address-code lookups; the survivors are confirmed with
    stdnum's full validation.  Typically well under a millisecond.
    """
    _check_limit(max_candidates)
    if not isinstance(bad, str) or max_candidates == 0:
        return []
    s = normalize_id(bad)
    if len(s) == 18:
        if _ric_is_valid(s):
            return []
        found = (c for c in _neighbours(s, _ID_ALLOWED, _id_model())
                 if _ric_plausible(c) and _ric_valid_cached(c))
    elif len(s) == 15:
        if _is_ascii_digits(s) and _ric_is_valid(_upgrade_raw(s)):
            return []
        found = (up for up in (_upgrade_raw(c) for c in _neighbours15(s))
                 if _ric_plausible(up) and _ric_valid_cached(up))
    else:
        return []
    out: list[str] = []
    for c in found:
        if c not in out:
            out.append(c)
            if max_candidates is not None and len(out) >= max_candidates:
                break
    return out


def _neighbours15(s: str) -> list[str]:
    """All-digit strings one transposition or one digit substitution from `s`."""
    out = []
    for i in range(14):
        if s[i] != s[i + 1]:
            c = s[:i] + s[i + 1] + s[i] + s[i + 2:]
            if _is_ascii_digits(c):
                out.append(c)
    bad = [i for i, ch in enumerate(s) if ch not in DIGITS]
    if len(bad) > 1:
        return out
    for i in bad or range(15):
        for ch in DIGITS:
            if ch != s[i]:
                out.append(s[:i] + ch + s[i + 1:])
    return out


# ---------------------------------------------------------------------------
# Unified social credit codes (统一社会信用代码)
# ---------------------------------------------------------------------------

def normalize_uscc(raw: str) -> str:
    """Normalise a typed unified social credit code (统一社会信用代码规范化).

    Like `normalize_id` (spaces of any width removed, full-width → half-width,
    upper case) and also removes hyphens and dash look-alikes
    (via `stdnum.cn.uscc.compact`).  No validity check is made.
    """
    return uscc.compact(_basic_normalize(raw))


def is_valid_uscc(value: str) -> bool:
    """Whether `value` is a valid unified social credit code (统一社会信用代码).

    Normalised with `normalize_uscc`, then judged by `stdnum.cn.uscc`
    (18 characters, first 8 digits, the rest from `USCC_ALPHABET`, check
    character).  Non-strings give False.
    """
    if not isinstance(value, str):
        return False
    return uscc.is_valid(normalize_uscc(value))


def validate_uscc(value: str) -> str:
    """Validate a unified social credit code (统一社会信用代码校验); return it
    normalised.

    The verdict is `stdnum.cn.uscc.validate`'s; on failure `IdentityError`
    is raised with a Chinese message naming the problem (length, characters,
    check character).  Note stdnum requires the first 8 characters to be
    digits, so GB 32100 codes with a letter registration-authority code
    (N…, A…, Y…) are rejected.
    """
    if not isinstance(value, str):
        raise IdentityError(f"统一社会信用代码应为字符串，实际为 {type(value).__name__}", reason="type")
    code = normalize_uscc(value)
    if not code:
        raise IdentityError("统一社会信用代码为空", reason="empty")
    try:
        return uscc.validate(code)
    except InvalidLength:
        hint = ""
        if len(code) == 15 and _is_ascii_digits(code):
            hint = "；15位数字可能是旧的工商注册号（见 is_legacy_registration_number()）"
        raise IdentityError(
            f"统一社会信用代码长度错误：应为18位，实际为{len(code)}位{hint}", reason="length") from None
    except InvalidFormat:
        raise IdentityError(_uscc_format_message(code), reason="format") from None
    except InvalidChecksum:
        expected = uscc.calc_check_digit(code)
        raise IdentityError(
            f"统一社会信用代码校验码错误：第18位为“{code[-1]}”，按前17位计算应为“{expected}”；"
            "代码中可能有录入错误（可用 uscc_candidates() 查找可能的正确代码）",
            reason="checksum") from None
    except ValidationError:  # pragma: no cover
        raise IdentityError("统一社会信用代码无效", reason="format") from None


def _uscc_format_message(code: str) -> str:
    for pos, ch in enumerate(code, start=1):
        if pos <= 8 and ch not in DIGITS:
            note = ""
            if pos <= 2 and ch in USCC_ALPHABET:
                note = ("；注：GB 32100 允许登记管理部门码等为字母（如N农业、Y其他），"
                        "但本系统沿用 python-stdnum 的规则，只接受数字")
            return f"统一社会信用代码第{pos}位“{ch}”不是数字（前8位应为数字）{note}"
        if ch not in USCC_ALPHABET:
            return (f"统一社会信用代码第{pos}位“{ch}”不是允许的字符"
                    "（只用数字和大写字母，不用 I、O、S、V、Z）")
    return "统一社会信用代码含有无效字符"  # pragma: no cover


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _uscc_valid_cached(code: str) -> bool:
    return uscc.is_valid(code)


@functools.cache
def _uscc_model() -> _LinearCheck:
    return _LinearCheck(uscc.calc_check_digit, USCC_ALPHABET, USCC_ALPHABET, 18, seed=32100)


@functools.cache
def _uscc_allowed() -> list[str]:
    """Per position, the characters stdnum accepts there, found by probing
    `stdnum.cn.uscc.is_valid` (positions 1–8 turn out to be digits only)."""
    base = "915201000000000000"
    allowed = []
    for i in range(17):
        ok = ""
        for ch in USCC_ALPHABET:
            probe = base[:i] + ch + base[i + 1:17]
            if uscc.is_valid(probe + uscc.calc_check_digit(probe)):
                ok += ch
        allowed.append(ok)
    allowed.append(USCC_ALPHABET)
    return allowed


def uscc_candidates(bad: str, max_candidates: int | None = None) -> list[str]:
    """Valid USCCs one typo away from `bad` (统一社会信用代码纠错候选).

    For an invalid 18-character code (after `normalize_uscc`): every code
    reachable by ONE adjacent transposition or ONE character substituted
    from `USCC_ALPHABET` that `stdnum.cn.uscc.is_valid` accepts (characters
    stdnum never accepts at a position — letters in the first 8 — are not
    tried).  Returns ``[]`` for valid codes, non-strings and other lengths.
    Order: transpositions by position, then substitutions by position.
    """
    _check_limit(max_candidates)
    if not isinstance(bad, str) or max_candidates == 0:
        return []
    s = normalize_uscc(bad)
    if len(s) != 18 or uscc.is_valid(s):
        return []
    out: list[str] = []
    for c in _neighbours(s, _uscc_allowed(), _uscc_model()):
        if c not in out and _uscc_valid_cached(c):
            out.append(c)
            if max_candidates is not None and len(out) >= max_candidates:
                break
    return out


def is_legacy_registration_number(value: str, *, check_digit: bool = False) -> bool:
    """Whether `value` looks like an old 15-digit business registration number
    (工商注册号, GS15-2006), replaced by the USCC since 2015.

    python-stdnum has no module for it, so by default only the format is
    checked: 15 digits (after normalisation) whose first 6 digits, the code of
    the first registration authority (首次登记机关代码), are plausible — the
    national code ``100000`` or a code whose first two digits are a province
    known to stdnum's division table.  Finer checks would reject authorities
    that are not administrative divisions (e.g. development zones).

    With ``check_digit=True`` the last digit must also be the ISO 7064
    MOD 11,10 check digit GS15-2006 prescribes (verified with
    `stdnum.iso7064.mod_11_10`); older numbers may not carry one.
    """
    if not isinstance(value, str):
        return False
    number = _basic_normalize(value)
    if len(number) != 15 or not _is_ascii_digits(number):
        return False
    if number[:6] != "100000" and not _is_province_prefix(number[:2]):
        return False
    return mod_11_10.is_valid(number) if check_digit else True


@functools.lru_cache(maxsize=128)
def _is_province_prefix(code2: str) -> bool:
    info = numdb.get("cn/loc").info(code2 + "0000")
    return bool(info and "province" in info[0][1])
