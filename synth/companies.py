"""The synthetic business registry (工商登记): ``make_registry(seed, n)``.

Guizhou-looking companies (贵州黔润科技有限公司, 黔润（贵州）科技有限公司, 湄潭县苗岭茶业有限公司 …)
with valid, unique USCCs (GB 32100, the embedded organisation code valid per GB 11714), a few
branches (…遵义分公司, each with its own USCC) and near-namesake decoys (贵阳黔润科技有限公司,
贵州黔闰科技有限公司) so that an abbreviated employer name is sometimes ambiguous.

Columns: the feed's (``REGISTRY_FEED_COLUMNS``, per ../shared/spec/feeds.md) and internal ones
prefixed ``_``: ``_kind`` (main / branch / decoy), ``_parent_uscc``, ``_decoy_of`` (USCC of the
company mimicked), ``_short_name`` (the 简称 people write), ``_legacy_reg_no`` (the old 15-digit
工商注册号, ISO 7064 MOD 11,10 check digit), ``_region_code`` (6-digit registration division),
``_founded_days`` (成立日期 as days since 1970-01-01, int64) and ``_size`` (relative head-count
weight, float64) for the population generator.

The module also holds the small vectorised helpers the other generators share: seeded
generators, weighted choice, the date-string pool and check characters.
"""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from synth import distributions as D

REGISTRY_FEED_COLUMNS = ("统一社会信用代码", "企业名称", "曾用名", "企业类型", "所属行业", "法定代表人", "成立日期",
                         "登记状态", "住所", "登记机关")

# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------
STREAMS = {"registry": 1, "population": 2, "feeds": 3}


def rng_for(seed: int, stream: str, sub: int = 0) -> np.random.Generator:
    """A PCG64 generator for one named stream of one seed (independent streams, deterministic)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, STREAMS[stream],
                                                                        sub])))


def weighted(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    """`n` indices drawn with probabilities proportional to `weights` (int64)."""
    w = np.asarray(list(weights), dtype=np.float64)
    cdf = np.cumsum(w / w.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(n), side="right").astype(np.int64)


def pick(rng: np.random.Generator, n: int, table: dict) -> np.ndarray:
    """`n` keys of `table` ({value: weight}) as an object array."""
    keys = np.array(list(table), dtype=object)
    return keys[weighted(rng, n, table.values())]


def obj(values) -> np.ndarray:
    """An object array of Python strings (None kept)."""
    return np.asarray(values, dtype=object)


DATE_POOL_START = np.datetime64("1900-01-01", "D")
_DATE_POOL_OFFSET = int(DATE_POOL_START.astype(np.int64))
DATE_POOL = np.datetime_as_string(np.arange(DATE_POOL_START, np.datetime64("2032-01-01", "D"))).astype(object)


def day(text: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return int(np.datetime64(text, "D").astype(np.int64))


def date_str(days: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """'YYYY-MM-DD' strings (object array) of day numbers; None where `valid` is False."""
    out = DATE_POOL[np.asarray(days, dtype=np.int64) - _DATE_POOL_OFFSET]
    if valid is not None:
        out = np.where(valid, out, None)
    return out


def ymd_days(y, m, d) -> np.ndarray:
    """Day numbers of year/month/day arrays (day may exceed the month: it rolls over)."""
    y = np.asarray(y, dtype=np.int64)
    months = (y - 1970) * 12 + (np.asarray(m, dtype=np.int64) - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + np.asarray(d, np.int64) - 1


def split_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) arrays of day numbers."""
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    y = months.astype(np.int64) // 12 + 1970
    m = months.astype(np.int64) % 12 + 1
    d = (dt - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def ascii_rows(mat: np.ndarray) -> np.ndarray:
    """Rows of an (n, k) uint8 ASCII matrix as an object array of str."""
    mat = np.ascontiguousarray(mat, dtype=np.uint8)
    k = mat.shape[1]
    return mat.view(f"S{k}").ravel().astype(f"U{k}").astype(object)


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) matrix of the decimal digits (0–9, not ASCII) of non-negative ints, zero-padded."""
    v = np.asarray(values, dtype=np.int64).copy()
    out = np.empty((v.shape[0], width), dtype=np.uint8)
    for i in range(width - 1, -1, -1):
        out[:, i] = v % 10
        v //= 10
    return out


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings (object array) of non-negative ints."""
    return ascii_rows(digit_matrix(values, width) + 48)


def num_str(values: np.ndarray) -> np.ndarray:
    """Decimal strings (object array) of ints, no padding."""
    return np.asarray(values, dtype=np.int64).astype(str).astype(object)


def cat(*parts) -> np.ndarray:
    """Element-wise concatenation of object arrays / str scalars."""
    out = parts[0]
    if isinstance(out, str):
        out = np.asarray(out, dtype=object)
    for p in parts[1:]:
        out = out + p
    return out


def stable_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


# GB 11643 resident ID check.
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def id_check_ascii(digits17: np.ndarray) -> np.ndarray:
    """ASCII check characters of (n, 17) digit matrices (values 0–9)."""
    return _ID_CHECK[(digits17.astype(np.int64) @ _ID_WEIGHTS) % 11]


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_ASCII = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)


def _ascii_value_36(a: np.ndarray) -> np.ndarray:
    """GB 11714 value of ASCII digits/letters: 0–9, A=10 … Z=35."""
    a = a.astype(np.int64)
    return np.where(a <= 57, a - 48, a - 55)


def org_check_ascii(body8: np.ndarray) -> np.ndarray:
    """GB 11714 check characters (ASCII) of (n, 8) ASCII organisation-code bodies."""
    c = 11 - (_ascii_value_36(body8) @ _ORG_WEIGHTS) % 11
    return np.where(c == 10, ord("X"), np.where(c == 11, ord("0"), c + 48)).astype(np.uint8)


def uscc_check_ascii(body17: np.ndarray) -> np.ndarray:
    """GB 32100 check characters (ASCII) of (n, 17) ASCII USCC bodies."""
    lut = np.zeros(128, dtype=np.int64)
    lut[_USCC_ASCII] = np.arange(31)
    s = lut[body17.astype(np.int64)] @ _USCC_WEIGHTS
    return _USCC_ASCII[(31 - s % 31) % 31]


def mod_11_10_check(digits: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11,10 check digits (values) of (n, k) digit matrices (as stdnum.iso7064.mod_11_10)."""
    check = np.full(digits.shape[0], 5, dtype=np.int64)
    for i in range(digits.shape[1]):
        check = (((np.where(check == 0, 10, check)) * 2) % 11 + digits[:, i]) % 10
    return (1 - (np.where(check == 0, 10, check) * 2) % 11) % 10


def _build_given_pool() -> tuple[np.ndarray, dict]:
    """All given names of all decades and sexes in one pool; per (decade, sex) the pool indices and a CDF."""
    names: list[str] = []
    tables = {}
    for decade in sorted(D.GIVEN_NAMES):
        for sex in ("男", "女"):
            single_share, first, second, singles = D.GIVEN_NAMES[decade][sex]
            local = list(singles) + [a + b for a in first for b in second if a != b]
            n1, n2 = len(singles), len(local) - len(singles)
            w = np.array([single_share / n1] * n1 + [(1 - single_share) / n2] * n2)
            # a mild Zipf-like tilt so that some names are much more common than others
            w = w / np.sqrt(1 + (np.arange(len(local)) * 7919) % 23)
            cdf = np.cumsum(w / w.sum())
            cdf[-1] = 1.0
            tables[(decade, sex)] = (np.arange(len(names), len(names) + len(local)), cdf)
            names.extend(local)
    return np.array(names, dtype=object), tables


GIVEN_POOL, _GIVEN_TABLES = _build_given_pool()
SURNAME_POOL = np.array(sorted(set(D.SURNAMES) | {s for t in D.ETHNIC_SURNAMES.values() for s in t}), dtype=object)
_SURNAME_INDEX = {s: i for i, s in enumerate(SURNAME_POOL)}


def surname_index(rng: np.random.Generator, n: int, table: dict | None = None) -> np.ndarray:
    """Indices into SURNAME_POOL: Guizhou-weighted general surnames, or from `table` ({surname: weight})."""
    if table is None:
        table = {s: D.SURNAMES[s] * D.SURNAME_GUIZHOU_FACTOR.get(s, 1.0) for s in D.SURNAMES}
    keys = np.array([_SURNAME_INDEX[s] for s in table], dtype=np.int64)
    return keys[weighted(rng, n, table.values())]


def given_index(rng: np.random.Generator, birth_years: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Indices into GIVEN_POOL: given names typical of the birth decade and sex."""
    n = len(birth_years)
    out = np.zeros(n, dtype=np.int64)
    decade = np.clip((np.asarray(birth_years) // 10) * 10, min(D.GIVEN_NAMES), max(D.GIVEN_NAMES))
    u = rng.random(n)
    for (dec, sex), (idx, cdf) in _GIVEN_TABLES.items():
        mask = (decade == dec) & (male if sex == "男" else ~male)
        if mask.any():
            out[mask] = idx[np.searchsorted(cdf, u[mask], side="right")]
    return out


def person_names(rng: np.random.Generator, n: int, birth_years: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Han names (object array) by birth decade and sex, with Guizhou surname frequencies."""
    return SURNAME_POOL[surname_index(rng, n)] + GIVEN_POOL[given_index(rng, birth_years, male)]


# ---------------------------------------------------------------------------
# Arrow string helpers (the population is built as Arrow arrays: no Python str per value)
# ---------------------------------------------------------------------------
STR = pa.string()
DATE_POOL_PA = pa.array(DATE_POOL.tolist(), STR)


def _s(x):
    if x is None or isinstance(x, str):
        return pa.scalar(x, STR)
    return x


def pa_str(values) -> pa.Array:
    """An Arrow string array of a list / object array (None → null)."""
    if isinstance(values, pa.Array):
        return values
    return pa.array(list(values) if not isinstance(values, np.ndarray) else values, STR)


def join(*parts) -> pa.Array:
    """Element-wise concatenation of Arrow string arrays / str scalars (null if any part is null)."""
    return pc.binary_join_element_wise(*[_s(p) for p in parts], "")


def where(mask, a, b) -> pa.Array:
    """`a` where `mask`, else `b` (arrays or str/None scalars)."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), _s(a), _s(b))


def take(pool, idx, valid=None) -> pa.Array:
    """pool[idx] as an Arrow array; null where `valid` is False."""
    pool = pa_str(pool)
    idx = np.asarray(idx, dtype=np.int64)
    if valid is None:
        return pool.take(pa.array(idx))
    valid = np.asarray(valid, dtype=bool)
    return pool.take(pa.array(np.where(valid, idx, 0), mask=~valid))


def num(values) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), STR)


def zpad(values, width: int) -> pa.Array:
    return pc.utf8_lpad(num(values), width, "0")


def dates(days, valid=None) -> pa.Array:
    """'YYYY-MM-DD' Arrow strings of day numbers; null where `valid` is False."""
    d = np.asarray(days, dtype=np.int64) - _DATE_POOL_OFFSET
    if valid is not None:
        d = np.where(valid, d, 0)
    return take(DATE_POOL_PA, d, valid)


def ascii_arrow(mat: np.ndarray) -> pa.Array:
    """Rows of an (n, k) uint8 ASCII matrix as an Arrow string array (zero-copy of the bytes)."""
    mat = np.ascontiguousarray(mat, dtype=np.uint8)
    n, k = mat.shape
    offsets = np.arange(0, k * (n + 1), k, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(mat.tobytes()))


def str_series(values) -> pd.Series:
    """A pandas Series of the `str` dtype (Arrow-backed, NaN for missing) from Arrow or Python strings."""
    return pd.Series(pa_str(values), dtype="str")


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------
def _county_tables():
    g = D.geography()
    codes = np.array(g["codes"], dtype=object)
    pref = np.array(g["prefecture"], dtype=object)
    pref_pop = np.array([D.PREFECTURE_POPULATION[p] for p in pref], dtype=float)
    counts = pd.Series(pref).value_counts()
    w = pref_pop / counts.loc[pref].to_numpy() * np.array([D.COUNTY_EXTRA_WEIGHT.get(c, 1.0) for c in codes])
    return g, codes, pref, w


def _registrar(county_name: str, pref_name: str, county_code: str) -> str:
    if county_code.endswith("00"):
        return pref_name + "市场监督管理局"
    if county_name.endswith("区"):
        return pref_name + county_name + "市场监督管理局"
    return county_name + "市场监督管理局"


def _dups(values: np.ndarray) -> np.ndarray:
    """True for the second and later occurrences of a value."""
    return pd.Series(values, dtype=object).duplicated().to_numpy()


def make_registry(seed: int, n: int = 150_000) -> pd.DataFrame:
    """The business registry: `n` companies (about 87 % head offices, 8 % branches, 5 % decoys)."""
    if n < 20:
        raise ValueError("n must be at least 20")
    rng = rng_for(seed, "registry")
    g, county_codes, county_pref, county_w = _county_tables()
    county_names = np.array(g["names"], dtype=object)
    county_short = np.array(g["short"], dtype=object)
    pref_names = g["prefecture_names"]
    code_index = {c: i for i, c in enumerate(county_codes)}

    n_branch = int(round(n * D.BRANCH_SHARE))
    n_decoy = int(round(n * D.DECOY_SHARE))
    n_main = n - n_branch - n_decoy

    ind_words = obj([x[0] for x in D.INDUSTRIES])
    ind_short = obj([x[1] for x in D.INDUSTRIES])
    ind_section = obj([x[2] for x in D.INDUSTRIES])
    ind_w = [x[3] for x in D.INDUSTRIES]
    region_words = list(D.NAME_REGIONS_PREFECTURE)
    region_pref = [D.NAME_REGIONS_PREFECTURE[w][0] for w in region_words]
    region_w = [D.NAME_REGIONS_PREFECTURE[w][1] for w in region_words]
    brand_chars = np.array(list(D.BRAND_CHARS), dtype=object)
    brand_words = obj(D.BRAND_WORDS)
    suffix_keys = obj(list(D.SUFFIXES))

    # --- head offices -----------------------------------------------------
    m = n_main
    kind_u = rng.random(m)
    entity = np.full(m, "company", dtype=object)
    entity[kind_u < D.SELF_EMPLOYED_SHARE] = "self"
    lo = D.SELF_EMPLOYED_SHARE
    entity[(kind_u >= lo) & (kind_u < lo + D.COOPERATIVE_SHARE)] = "coop"
    lo += D.COOPERATIVE_SHARE
    entity[(kind_u >= lo) & (kind_u < lo + D.PARTNERSHIP_SHARE)] = "partner"

    industry = weighted(rng, m, ind_w)
    suffix = suffix_keys[weighted(rng, m, D.SUFFIXES.values())]
    # region word of the name and the registration county
    county_word = rng.random(m) < D.NAME_REGION_COUNTY_SHARE
    rw = weighted(rng, m, region_w)
    reg_pref = np.array(region_pref, dtype=object)[rw]
    region_word = np.array(region_words, dtype=object)[rw]
    county = np.empty(m, dtype=np.int64)
    cdf_all = np.cumsum(county_w / county_w.sum())
    cdf_all[-1] = 1
    county[:] = np.searchsorted(cdf_all, rng.random(m), side="right")
    for p in sorted(set(region_pref) - {"520000"}):
        mask = reg_pref == p
        idx = np.flatnonzero(county_pref == p)
        w = county_w[idx] * np.where(np.isin(county_codes[idx], list(D.COUNTY_EXTRA_WEIGHT)), 3.0, 1.0)
        county[mask] = idx[weighted(rng, int(mask.sum()), w)]
    # county-word names: only counties and county-level cities (not districts)
    is_district = np.array([nm.endswith("区") for nm in county_names])
    county_word &= ~is_district[county]
    county_word |= np.isin(entity, ["self", "coop"])
    provincial = (reg_pref == "520000") & ~county_word & np.isin(suffix, ["股份有限公司", "集团有限公司"])

    def brands(k: int) -> np.ndarray:
        u = rng.random(k)
        a = brand_chars[rng.integers(0, len(brand_chars), k)]
        b = brand_chars[rng.integers(0, len(brand_chars), k)]
        c = brand_chars[rng.integers(0, len(brand_chars), k)]
        wd = brand_words[rng.integers(0, len(brand_words), k)]
        out = a + b
        out = np.where(u >= 0.70, wd, out)
        out = np.where((u >= 0.85) & (u < 0.95), a + b + c, out)
        out = np.where(u >= 0.95, wd + a, out)
        out = np.where(u >= 0.99, wd + brand_words[rng.integers(0, len(brand_words), k)], out)
        same = (a == b) & (u < 0.70)
        out = np.where(same, a + c, out)
        return out

    brand = brands(m)
    bracket = (rng.random(m) < D.NAME_ORDER_BRACKET_SHARE) & ~county_word & (entity == "company")
    shop = obj(D.SHOP_WORDS)[rng.integers(0, len(D.SHOP_WORDS), m)]
    coop_word = obj(D.COOPERATIVE_WORDS)[rng.integers(0, len(D.COOPERATIVE_WORDS), m)]
    partner_form = np.where(rng.random(m) < 0.7, "合伙企业（有限合伙）", "合伙企业（普通合伙）").astype(object)
    pref_of_county = county_pref[county]
    pref_full = obj([pref_names[p] for p in pref_of_county])

    def build_names(ix: np.ndarray) -> np.ndarray:
        cname = county_names[county[ix]]
        br, rwd, ind, sfx, ent = brand[ix], region_word[ix], ind_words[industry[ix]], suffix[ix], entity[ix]
        out = np.where(county_word[ix], cname + br + ind + sfx,
                       np.where(bracket[ix], br + "（" + rwd + "）" + ind + sfx, rwd + br + ind + sfx))
        out = np.where(ent == "self", pref_full[ix] + cname + br + shop[ix], out)
        out = np.where(ent == "coop", cname + br + coop_word[ix], out)
        out = np.where(ent == "partner", rwd + br + ind + partner_form[ix], out)
        return out

    names = build_names(np.arange(m))
    for _ in range(100):  # re-draw brands of repeated names
        dup = np.flatnonzero(_dups(names))
        if not len(dup):
            break
        brand[dup] = brands(len(dup))
        names[dup] = build_names(dup)
    else:  # pragma: no cover - practically unreachable
        raise RuntimeError("could not make unique company names")

    short = brand + ind_short[industry]
    short = np.where(entity == "self", brand + shop, short)
    short = np.where(entity == "coop", brand + "合作社", short)
    section = ind_section[industry].copy()
    shop_section = obj(["H", "F", "F", "F", "O", "H", "F", "F", "H", "O"])
    shop_index = pd.Series(shop).map({w: i for i, w in enumerate(D.SHOP_WORDS)}).to_numpy()
    section[entity == "self"] = shop_section[shop_index[entity == "self"]]
    section[entity == "coop"] = "A"

    ctype = np.empty(m, dtype=object)
    for suf, table in D.COMPANY_TYPES.items():
        mask = suffix == suf
        ctype[mask] = pick(rng, int(mask.sum()), table)
    ctype[entity == "self"] = "个体工商户"
    ctype[entity == "coop"] = "农民专业合作社"
    ctype[entity == "partner"] = np.where(partner_form[entity == "partner"] == "合伙企业（有限合伙）", "有限合伙企业",
                                          "普通合伙企业")

    # --- branches ---------------------------------------------------------
    eligible = np.flatnonzero((entity == "company") & ~np.isin(ctype, ["有限责任公司（自然人独资）"]))
    # bigger companies open branches: prefer 集团/股份
    elig_w = np.where(np.isin(suffix[eligible], ["集团有限公司", "股份有限公司"]), 6.0, 1.0)
    pref_codes = sorted(D.PREFECTURE_SHORT)
    city_words = obj([D.PREFECTURE_SEAT_SHORT.get(p, D.PREFECTURE_SHORT[p]) for p in pref_codes])
    city_county = np.array([int(np.flatnonzero(county_pref == p)[0]) for p in pref_codes])
    seat = {"522300": "522301", "522600": "522601", "522700": "522701"}
    for i, p in enumerate(pref_codes):
        if p in seat:
            city_county[i] = code_index[seat[p]]
    b_parent = eligible[weighted(rng, n_branch, elig_w)]
    use_county = rng.random(n_branch) < 0.35
    b_county = np.where(use_county, rng.integers(0, len(county_codes), n_branch), 0)
    b_city = rng.integers(0, len(pref_codes), n_branch)
    b_county = np.where(use_county, b_county, city_county[b_city])
    b_place = np.where(use_county, county_short[b_county], city_words[b_city])
    same_place = b_place == region_word[b_parent]
    b_county[same_place] = rng.integers(0, len(county_codes), int(same_place.sum()))
    b_place[same_place] = county_short[b_county[same_place]]
    b_names = names[b_parent] + b_place + "分公司"
    for _ in range(50):
        dup = _dups(b_names)
        if not dup.any():
            break
        k = int(dup.sum())
        b_parent[dup] = eligible[weighted(rng, k, elig_w)]
        nc = rng.integers(0, len(county_codes), k)
        b_county[dup] = nc
        b_place[dup] = county_short[nc]
        b_names = names[b_parent] + b_place + "分公司"
    b_short = short[b_parent] + b_place + "分公司"

    # --- decoys -----------------------------------------------------------
    comp = np.flatnonzero(entity == "company")
    d_src = comp[rng.integers(0, len(comp), n_decoy)]
    name_set = set(names.tolist()) | set(b_names.tolist())

    def decoy_variant(src: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        k = len(src)
        mode_region = rng.random(k) < 0.5
        new_rw = rng.integers(0, len(region_words), k)
        new_rword = np.array(region_words, dtype=object)[new_rw]
        # one brand character replaced by a similar-looking/-sounding one
        b = brand[src]
        pos = rng.integers(0, 2, k)
        alt_brand = np.empty(k, dtype=object)
        fallback = brand_chars[rng.integers(0, len(brand_chars), k)]
        for j in range(k):
            s = b[j]
            p = min(pos[j], len(s) - 1)
            ch = D.SIMILAR_CHARS.get(s[p], fallback[j])
            if ch == s[p]:
                ch = fallback[j] if fallback[j] != s[p] else "鑫"
            alt_brand[j] = s[:p] + ch + s[p + 1:]
        d_brand = np.where(mode_region, b, alt_brand)
        d_rword = np.where(mode_region, new_rword, region_word[src])
        d_county_word = county_word[src] & ~mode_region
        d_bracket = bracket[src]
        cn = county_names[county[src]]
        ind = ind_words[industry[src]]
        sfx = suffix[src]
        normal = d_rword + d_brand + ind + sfx
        out = np.where(d_county_word, cn + d_brand + ind + sfx,
                       np.where(d_bracket, d_brand + "（" + d_rword + "）" + ind + sfx, normal))
        pref = np.array(region_pref, dtype=object)[new_rw]
        return out, d_brand, np.where(mode_region, pref, reg_pref[src]), mode_region

    d_names, d_brand, d_pref, _ = decoy_variant(d_src)
    for _ in range(50):
        bad = _dups(d_names) | np.array([x in name_set for x in d_names])
        if not bad.any():
            break
        k = int(bad.sum())
        d_src[bad] = comp[rng.integers(0, len(comp), k)]
        d_names[bad], d_brand[bad], d_pref[bad], _ = decoy_variant(d_src[bad])
    else:  # pragma: no cover
        raise RuntimeError("could not make unique decoy names")
    d_short = d_brand + ind_short[industry[d_src]]
    d_county = county[d_src].copy()
    moved = d_pref != reg_pref[d_src]
    for p in sorted(set(d_pref[moved]) - {"520000"}):
        mask = moved & (d_pref == p)
        idx = np.flatnonzero(county_pref == p)
        d_county[mask] = idx[rng.integers(0, len(idx), int(mask.sum()))]

    # --- assemble ---------------------------------------------------------
    total = m + n_branch + n_decoy
    kind = np.array(["main"] * m + ["branch"] * n_branch + ["decoy"] * n_decoy, dtype=object)
    all_names = np.concatenate([names, b_names, d_names])
    all_short = np.concatenate([short, b_short, d_short])
    all_county = np.concatenate([county, b_county, d_county])
    all_entity = np.concatenate([entity, np.full(n_branch, "branch", dtype=object), entity[d_src]])
    all_section = np.concatenate([section, section[b_parent], section[d_src]])
    b_type = pick(rng, n_branch, D.BRANCH_TYPES)
    b_share = suffix[b_parent] == "股份有限公司"
    b_type[b_share] = "股份有限公司分公司（非上市、自然人投资或控股）"
    b_type[~b_share & (b_type == "股份有限公司分公司（非上市、自然人投资或控股）")] = "有限责任公司分公司（自然人投资或控股）"
    all_type = np.concatenate([ctype, b_type, ctype[d_src]])
    all_provincial = np.concatenate([provincial, np.zeros(n_branch, bool), provincial[d_src]])

    # founding dates: by period; a branch opens after its head office
    periods = D.FOUNDED_PERIODS
    pi = weighted(rng, total, [p[2] for p in periods])
    start = np.array([day(f"{p[0]}-01-01") for p in periods])[pi]
    end = np.array([day(f"{p[1]}-12-31") for p in periods])[pi]
    founded = start + (rng.random(total) * (end - start + 1)).astype(np.int64)
    b_slice = slice(m, m + n_branch)
    parent_f = founded[b_parent]
    latest = day("2021-12-31")
    founded[b_slice] = parent_f + (rng.random(n_branch) * (latest - parent_f + 1)).astype(np.int64)

    status = pick(rng, total, D.REGISTRY_STATUS)

    # USCC: 9 + type + division + organisation code (8 + GB 11714 check) + GB 32100 check
    cc = county_codes[all_county]
    div = np.where(all_provincial, "520000", cc).astype("U6").astype("S6")
    div_ascii = np.frombuffer(div.tobytes(), dtype=np.uint8).reshape(total, 6)
    typ = np.where(all_entity == "self", ord("2"), np.where(all_entity == "coop", ord("3"), ord("1"))).astype(np.uint8)
    new_style = founded >= day("2015-10-01")
    org_letters = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRTUWXY", dtype=np.uint8)

    def org_bodies(k: int, new: np.ndarray) -> np.ndarray:
        body = np.empty((k, 8), dtype=np.uint8)
        body[:, 0] = rng.integers(2, 8, k) + 48
        body[:, 1:] = rng.integers(0, 10, (k, 7)) + 48
        nb = rng.integers(0, len(org_letters), (k, 6))
        body[new, 0] = ord("M")
        body[new, 1] = ord("A")
        body[new, 2:] = org_letters[nb[new]]
        return body

    org = org_bodies(total, new_style)
    for _ in range(50):
        dup = _dups(org.view("S8").ravel())
        if not dup.any():
            break
        org[dup] = org_bodies(int(dup.sum()), new_style[dup])
    mat = np.empty((total, 18), dtype=np.uint8)
    mat[:, 0] = ord("9")
    mat[:, 1] = typ
    mat[:, 2:8] = div_ascii
    mat[:, 8:16] = org
    mat[:, 16] = org_check_ascii(org)
    mat[:, 17] = uscc_check_ascii(mat[:, :17])
    uscc = ascii_rows(mat)

    # legacy 15-digit registration number: division + 8 digits + MOD 11,10
    leg = np.empty((total, 15), dtype=np.int64)
    leg[:, :6] = div_ascii.astype(np.int64) - 48
    leg[:, 6] = rng.integers(0, 4, total)
    leg[:, 7:14] = rng.integers(0, 10, (total, 7))
    for _ in range(50):
        dup = _dups(ascii_rows((leg[:, :14] + 48).astype(np.uint8)))
        if not dup.any():
            break
        leg[dup, 7:14] = rng.integers(0, 10, (int(dup.sum()), 7))
    leg[:, 14] = mod_11_10_check(leg[:, :14])
    legacy = ascii_rows((leg + 48).astype(np.uint8))

    # former names (head offices only)
    former = np.full(total, None, dtype=object)
    has_former = np.flatnonzero((rng.random(m) < D.FORMER_NAME_COMPANY_SHARE / 0.78) & (entity == "company"))
    taken = set(all_names.tolist())
    two = rng.random(len(has_former)) < D.TWO_FORMER_NAMES_SHARE
    alt_ind = rng.integers(0, len(ind_words), (len(has_former), 2))
    alt_reg = rng.integers(0, len(region_words), (len(has_former), 2))
    alt_mode = rng.random((len(has_former), 2))
    for j, i in enumerate(has_former.tolist()):
        olds = []
        for t in range(2 if two[j] else 1):
            r = region_word[i]
            ind = ind_words[industry[i]]
            sfx = suffix[i]
            if alt_mode[j, t] < 0.5:
                ind = ind_words[alt_ind[j, t]]
            elif alt_mode[j, t] < 0.8:
                r = region_words[alt_reg[j, t]]
            else:
                sfx = "有限责任公司" if sfx == "有限公司" else "有限公司"
            if county_word[i]:
                cand = county_names[county[i]] + brand[i] + ind + sfx
            elif bracket[i] and alt_mode[j, t] < 0.5:
                cand = brand[i] + "（" + r + "）" + ind + sfx
            else:
                cand = r + brand[i] + ind + sfx
            if cand not in taken:
                taken.add(cand)
                olds.append(cand)
        if olds:
            former[i] = ";".join(olds)

    # legal representative, address, registrar
    legal = person_names(rng, total, rng.integers(1950, 1998, total), rng.random(total) < 0.72)
    road = obj(D.ROADS)[rng.integers(0, len(D.ROADS), total)]
    num = num_str(rng.integers(1, 400, total))
    building = np.where(rng.random(total) < 0.3,
                        obj(["国际金融中心", "世纪金源大厦", "中天会展城", "未来方舟", "花果园", "财富中心", "创业大厦"])[
                            rng.integers(0, 7, total)] + num_str(rng.integers(1, 12, total)) + "栋"
                        + num_str(rng.integers(1, 33, total)) + "层", "").astype(object)
    cpref = county_pref[all_county]
    cpref_full = obj([pref_names[p] for p in cpref])
    address = "贵州省" + cpref_full + county_names[all_county] + road + num + "号" + building
    regs = np.array([_registrar(county_names[i], pref_names[county_pref[i]], county_codes[i])
                     for i in range(len(county_codes))], dtype=object)
    pref_regs = obj([pref_names[p] + "市场监督管理局" for p in cpref])
    registrar = regs[all_county]
    registrar = np.where(rng.random(total) < 0.25, pref_regs, registrar)
    registrar = np.where(all_provincial, "贵州省市场监督管理局", registrar)

    parent_uscc = np.full(total, None, dtype=object)
    parent_uscc[b_slice] = uscc[b_parent]
    decoy_of = np.full(total, None, dtype=object)
    decoy_of[m + n_branch:] = uscc[d_src]
    region_code = np.where(all_provincial, "520000", cc).astype(object)
    size = (rng.pareto(D.COMPANY_SIZE_PARETO, total) + 1.0)
    size = np.minimum(size, 2000.0)
    size = np.where(np.isin(all_type, ["个体工商户", "农民专业合作社"]), 0.3, size)

    df = pd.DataFrame({
        "统一社会信用代码": pd.Series(uscc, dtype=object),
        "企业名称": pd.Series(all_names, dtype=object),
        "曾用名": pd.Series(former, dtype=object),
        "企业类型": pd.Series(all_type, dtype=object),
        "所属行业": pd.Series(all_section, dtype=object),
        "法定代表人": pd.Series(legal, dtype=object),
        "成立日期": pd.Series(date_str(founded), dtype=object),
        "登记状态": pd.Series(status, dtype=object),
        "住所": pd.Series(address, dtype=object),
        "登记机关": pd.Series(registrar, dtype=object),
        "_kind": pd.Series(kind, dtype=object),
        "_parent_uscc": pd.Series(parent_uscc, dtype=object),
        "_decoy_of": pd.Series(decoy_of, dtype=object),
        "_short_name": pd.Series(all_short, dtype=object),
        "_legacy_reg_no": pd.Series(legacy, dtype=object),
        "_region_code": pd.Series(region_code, dtype=object),
        "_founded_days": founded.astype(np.int64),
        "_size": size.astype(np.float64),
    })
    df = df.sort_values("统一社会信用代码", kind="stable").reset_index(drop=True)
    for col in df.columns:
        if df[col].dtype == object:
            df[col] = str_series(df[col].to_numpy())
    return df
