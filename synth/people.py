"""The clean synthetic population (合成人员): ``make_population(seed, n_persons, registry)``.

One row of ``Population.persons`` is one ARCHIVE RECORD: ``n_persons`` records in all, of which
about 0.5 % (``MULTI_ARCHIVE_RATE``) are a human's second record at another agency (一人多档), so
there are ``n_persons − len(multi_archive)`` humans, told apart by ``person_key``.

Everything is vectorised: numbers with NumPy, strings as Arrow arrays built from small pools
(no Python ``str`` per value), so 943,000 records take seconds.  String columns are of the
pandas ``str`` dtype (Arrow-backed; missing = NaN); flags are ``bool``; keys ``int64``.
Same seed and size → identical frames.

Columns of ``persons`` (sorted by agency, then archive number = order of receipt):
``person_key``, ``agency_code``, every 基本信息 header of the contract except 户口性质
(canonical values), then the internal ones:

* ``_in_police``, ``_in_social``, ``_in_education``: whether the human is in that feed (the same
  for both records of a human);
* ``_social_uscc``, ``_social_employer``, ``_insured_status``, ``_last_paid`` (YYYY-MM): the
  social-insurance row (missing when not in it).  An employed person's 参保单位 is the true
  current employer (= 工作单位 / 单位统一社会信用代码); an unemployed person's row has no 参保单位
  (终止参保 / 暂停缴费 with 失业);
* ``_employment_status`` (就业 / 失业, for everyone: the truth);
* ``_former_name`` (曾用名 in the police register), ``_hukou_category`` (家庭户 / 集体户; 集体户
  iff 集体户口 == 是 on the record holding the hukou), ``_household_no`` (the register's 户籍编号:
  the family 户号, or the 户籍编号 of the collective household), ``_moved_in`` (迁入日期: 落户时间
  for the collective household, else birth or the move into the present household),
  ``_moved_out`` (迁出日期: only for the ~1 % whose hukou left the province; the register keeps
  the last address), ``_hukou_type_legacy`` (农业 / 非农业 / 居民, for the legacy 户口性质 column).

``study``: ``agency_code, 档案编号, seq`` then 公民身份号码, 起始时间, 终止时间, 学校, 专业, 学历, 学位
and ``_cert_no`` (学历证书编号 of 专科 and higher rows).  Rows in time order (seq 0…): high school
or junior school (optional), 中专 or 专科, 本科, 硕士, 博士 as the person's path had them; the last
row gives 毕业院校 / 所学专业 / 毕业时间 of 基本信息.  学位 is missing on rows without a degree.

``work``: ``agency_code, 档案编号, seq`` then 公民身份号码, 起始时间, 终止时间, 工作单位, 部门, 职务.
Consecutive jobs after the last graduation (or age 18), each starting after the previous ended;
an employed person's last row is the current employer (= 基本信息 工作单位) with an empty
终止时间; an unemployed person's rows all ended.  工作单位 is the registry's current 企业名称
(head offices and branches, never decoys); the current employer is 存续/在业 and was founded
before the job started.

A second record (一人多档) repeats the human's identity, study and work rows under its own
agency and 档案编号, with its own 档案接收时间, 档案来源 (the first agency), 在库, 个人委托, no
collective household and no remark.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from archives_domain import codes
from archives_domain.collection_form import PERSON_HEADERS, STUDY_HEADERS, WORK_HEADERS
from synth import distributions as D
from synth.companies import (
    GIVEN_POOL,
    SURNAME_POOL,
    ascii_arrow,
    dates,
    day,
    digit_matrix,
    given_index,
    id_check_ascii,
    join,
    num,
    pa_str,
    rng_for,
    split_days,
    stable_hash,
    surname_index,
    take,
    weighted,
    where,
    ymd_days,
)

PERSON_COLUMNS = ("person_key", "agency_code") + tuple(h for h in PERSON_HEADERS if h != "户口性质")
PERSON_INTERNAL = ("_in_police", "_in_social", "_in_education", "_social_uscc", "_social_employer",
                   "_insured_status", "_employment_status", "_last_paid", "_former_name", "_hukou_category",
                   "_household_no", "_moved_in", "_moved_out", "_hukou_type_legacy")
STUDY_COLUMNS = ("agency_code", "档案编号", "seq") + tuple(h for h in STUDY_HEADERS if h != "档案编号") + ("_cert_no",)
WORK_COLUMNS = ("agency_code", "档案编号", "seq") + tuple(h for h in WORK_HEADERS if h != "档案编号")
MULTI_COLUMNS = ("person_key", "agency_code_a", "档案编号_a", "agency_code_b", "档案编号_b")

REF = day(D.REF_DATE)
EDU_ORDER = ("研究生", "大学本科", "大学专科", "中等专科", "高中", "初中及以下")
E_GRAD, E_BACH, E_COLL, E_SEC, E_HIGH, E_JUNIOR = range(6)
DEGREES = (None, "学士", "硕士", "博士")
POLITICAL = ("群众", "中共党员", "中共预备党员", "共青团员", "无党派人士") + tuple(D.DEMOCRATIC_PARTIES)
SLOT_SCHOOL, SLOT_SECOND, SLOT_BACHELOR, SLOT_MASTER, SLOT_PHD = range(5)
CN_NUM = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
CITY_SEATS = {"520100": "520102", "520200": "520201", "520300": "520302", "520400": "520402", "520500": "520502",
              "520600": "520602", "522300": "522301", "522600": "522601", "522700": "522701"}


@dataclass
class Population:
    persons: pd.DataFrame
    study: pd.DataFrame
    work: pd.DataFrame
    multi_archive: pd.DataFrame


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _frame(columns: dict) -> pd.DataFrame:
    data = {}
    for k, v in columns.items():
        if isinstance(v, (pa.Array, pa.ChunkedArray)):
            data[k] = pd.Series(v, dtype="str")
        else:
            data[k] = pd.Series(np.asarray(v))
    return pd.DataFrame(data)


def _release_memory() -> None:
    """Hand freed memory back to the OS (glibc heap and Arrow's pool), so the peak stays low."""
    pa.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _cdf(weights) -> np.ndarray:
    w = np.asarray(list(weights), dtype=np.float64)
    c = np.cumsum(w / w.sum())
    c[-1] = 1.0
    return c


def _draw(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(cdf, rng.random(n), side="right").astype(np.int64)


def _group_rank(sorted_keys: np.ndarray) -> np.ndarray:
    """0-based rank of each element within its run of equal keys (keys already grouped)."""
    k = len(sorted_keys)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.ones(k, dtype=bool)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    starts = np.flatnonzero(new)
    run = np.cumsum(new) - 1
    return np.arange(k) - starts[run]


def _abbr(text: str) -> str:
    from pypinyin import Style, lazy_pinyin

    override = {"长": "C", "重": "C", "六": "L"}
    return "".join(override.get(ch) or lazy_pinyin(ch, style=Style.FIRST_LETTER)[0].upper() for ch in text)


_FIXED_ABBR = {"52000001": "GZRC", "52000002": "GZBY", "52000003": "GZRJ", "52010002": "GAXQ",
               "52010003": "GYGX", "52010004": "GYJK"}
_ETHNIC_PARTS = ("布依族苗族自治州", "苗族侗族自治州", "仡佬族苗族自治县", "布依族苗族自治县", "苗族布依族自治县",
                 "彝族回族苗族自治县", "侗族自治县", "土家族苗族自治县", "土家族自治县", "苗族自治县", "水族自治县")


def agency_abbr(code: str, name: str) -> str:
    """Letters an agency puts in its numbers (GZRC, ZY, NM …): pinyin initials of its place."""
    if code in _FIXED_ABBR:
        return _FIXED_ABBR[code]
    place = name
    for stop in ("公共就业和人才服务中心", "人才服务中心"):
        place = place.replace(stop, "")
    for part in _ETHNIC_PARTS:
        place = place.replace(part, "")
    place = place.rstrip("市区县特州")
    return _abbr(place) if place else "DA"


def archive_style(code: str) -> str:
    """The agency's 档案编号 style (one of ``ARCHIVE_NO_STYLES``), fixed per agency."""
    if code in D.ARCHIVE_NO_STYLE_FIXED:
        return D.ARCHIVE_NO_STYLE_FIXED[code]
    return D.ARCHIVE_NO_STYLES[stable_hash(code) % len(D.ARCHIVE_NO_STYLES)]


def _agency_table(agencies: pd.DataFrame | None) -> pd.DataFrame:
    if agencies is None:
        agencies = pd.DataFrame(codes.agencies())
    a = agencies.rename(columns={"agency_code": "code", "agency_name": "name"})
    a = a[["code", "name", "level", "region_code"]].astype(str).sort_values("code", kind="stable")
    return a.reset_index(drop=True)


# ---------------------------------------------------------------------------
# pools of schools and majors
# ---------------------------------------------------------------------------
class _Schools:
    """All school names in one pool (index ranges per kind) with their 5-digit codes."""

    def __init__(self, county_names: np.ndarray, county_place: np.ndarray):
        names: list[str] = []
        code: list[str | None] = []

        def add(items, codes_=None):
            off = len(names)
            names.extend(items)
            code.extend(codes_ if codes_ is not None else [None] * len(items))
            return off

        self.uni = add([x[0] for x in D.UNIVERSITIES], [x[1] for x in D.UNIVERSITIES])
        self.voc = add([x[0] for x in D.VOCATIONAL_COLLEGES], [x[1] for x in D.VOCATIONAL_COLLEGES])
        self.sec = add(list(D.SECONDARY_SCHOOLS))
        self.famous = add(list(D.PROVINCIAL_HIGH_SCHOOLS))
        self.hs_suffix = list(D.HIGH_SCHOOL_SUFFIXES)
        self.hs = add([p + s for p in county_place for s in self.hs_suffix])
        self.jr_variants = [t + "镇中学" for t in D.TOWN_STEMS] + list(D.JUNIOR_SCHOOL_SUFFIXES)
        self.jr = add([c + v for c in county_names for v in self.jr_variants])
        self.names = pa.array(names, pa.string())
        self.codes = pa.array(code, pa.string())
        med = set(D.MEDICAL_SCHOOLS)
        self.medical = np.array([nm in med for nm in names])


class _Majors:
    def __init__(self):
        names: list[str] = []
        self.off = {}
        self.cdf = {}
        self.five_year = None
        for key, table in (("bach", D.MAJORS_BACHELOR), ("med_bach", D.MAJORS_MEDICAL_BACHELOR),
                           ("coll", D.MAJORS_COLLEGE), ("med_coll", D.MAJORS_MEDICAL_COLLEGE),
                           ("sec", D.MAJORS_SECONDARY), ("grad", D.MAJORS_GRADUATE)):
            self.off[key] = len(names)
            self.cdf[key] = _cdf(table.values())
            names.extend(table)
        self.names = pa.array(names, pa.string())
        self.five_year = np.array([nm in D.FIVE_YEAR_MAJORS for nm in names])

    def draw(self, rng: np.random.Generator, key: str, n: int) -> np.ndarray:
        return self.off[key] + _draw(rng, self.cdf[key], n)


# ---------------------------------------------------------------------------
# the generator
# ---------------------------------------------------------------------------
def make_population(seed: int, n_persons: int, registry: pd.DataFrame,
                    agencies: pd.DataFrame | None = None) -> Population:
    """`n_persons` archive records (≈0.5 % of them second records of a human), with study and work rows."""
    if n_persons < 1:
        raise ValueError("n_persons must be positive")
    rng = rng_for(seed, "population")

    # ---- geography -------------------------------------------------------------
    geo = D.geography()
    c_codes = np.array(geo["codes"], dtype=object)
    c_names = np.array(geo["names"], dtype=object)
    c_pref = np.array(geo["prefecture"], dtype=object)
    pref_names = geo["prefecture_names"]
    c_index = {c: i for i, c in enumerate(geo["codes"])}
    n_c = len(c_codes)
    prefs = sorted(D.PREFECTURE_POPULATION)
    c_pref_i = np.array([prefs.index(p) for p in c_pref], dtype=np.int64)
    pref_pop = np.array([D.PREFECTURE_POPULATION[p] for p in c_pref], dtype=float)
    per_pref = np.bincount(c_pref_i, minlength=len(prefs))[c_pref_i]
    c_weight = pref_pop / per_pref * np.array([D.COUNTY_EXTRA_WEIGHT.get(c, 1.0) for c in c_codes])
    cdf_anywhere = _cdf(c_weight)
    pref_counties = [np.flatnonzero(c_pref_i == i) for i in range(len(prefs))]
    pref_cdf = [_cdf(c_weight[ix]) for ix in pref_counties]
    seat_set = set(CITY_SEATS.values())
    # where a school of the county is named after: the city for the seat districts of cities
    c_place = np.array([
        (D.PREFECTURE_SHORT[p] + "市") if (c in seat_set or p == "520100") and not p.startswith("522") else nm
        for c, nm, p in zip(c_codes, c_names, c_pref)], dtype=object)

    # ---- agencies -----------------------------------------------------------------
    ag = _agency_table(agencies)
    n_ag = len(ag)
    ag_codes = ag["code"].to_numpy(dtype=object)
    ag_names = ag["name"].to_numpy(dtype=object)
    ag_level = ag["level"].to_numpy(dtype=object)
    ag_region = ag["region_code"].to_numpy(dtype=object)
    ag_w = np.array([D.AGENCY_WEIGHTS.get(c, D.AGENCY_DEFAULT_WEIGHT) for c in ag_codes])
    ag_cdf = _cdf(ag_w)
    ag_county = np.full(n_ag, -1, dtype=np.int64)   # home county (county-level agencies)
    ag_pref = np.full(n_ag, -1, dtype=np.int64)     # home prefecture (−1: provincial)
    for i, r in enumerate(ag_region):
        if r in c_index and ag_level[i] == "县级":
            ag_county[i] = c_index[r]
            ag_pref[i] = c_pref_i[c_index[r]]
        elif r in D.PREFECTURE_POPULATION:
            ag_pref[i] = prefs.index(r)
    ag_seat = np.array([ag_county[i] if ag_county[i] >= 0 else
                        c_index[CITY_SEATS[prefs[ag_pref[i]] if ag_pref[i] >= 0 else "520100"]]
                        for i in range(n_ag)], dtype=np.int64)
    opened = ymd_days(np.array([D.AGENCY_OPENED.get(c, D.AGENCY_OPENED_DEFAULT) for c in ag_codes]), 1, 1)
    ag_codes_pa = pa.array(list(ag_codes), pa.string())
    ag_names_pa = pa.array(list(ag_names), pa.string())

    n_extra = int(round(n_persons * D.MULTI_ARCHIVE_RATE)) if n_persons >= 200 else 0
    n = n_persons - n_extra  # humans
    ar = np.arange(n)

    # ---- agency, sex, age, birthplace ------------------------------------------------
    agency = _draw(rng, ag_cdf, n)
    male = rng.random(n) < D.MALE_SHARE
    band = weighted(rng, n, [b[2] for b in D.AGE_BANDS])
    lo = np.array([b[0] for b in D.AGE_BANDS])[band]
    hi = np.array([b[1] for b in D.AGE_BANDS])[band]
    age = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    by = D.REF_YEAR - age
    y0 = ymd_days(by, 1, 1)
    birth = y0 + (rng.random(n) * (ymd_days(by + 1, 1, 1) - y0)).astype(np.int64)
    _, bm, bd = split_days(birth)
    b18 = ymd_days(by + 18, bm, bd)

    u = rng.random(n)
    county = _draw(rng, cdf_anywhere, n)
    home = ag_county[agency]
    apref = ag_pref[agency]
    in_county = (home >= 0) & (u < D.BIRTH_IN_COUNTY)
    county[in_county] = home[in_county]
    in_pref_mode = (((home >= 0) & (u >= D.BIRTH_IN_COUNTY) & (u < D.BIRTH_IN_COUNTY + D.BIRTH_IN_PREFECTURE))
                    | ((home < 0) & (apref >= 0) & (u < D.BIRTH_IN_CITY_PREF)))
    for i in range(len(prefs)):
        mask = in_pref_mode & (apref == i)
        k = int(mask.sum())
        if k:
            county[mask] = pref_counties[i][_draw(rng, pref_cdf[i], k)]
    bpref = c_pref_i[county]
    del u, home, apref, in_county, in_pref_mode, lo, hi, band, y0

    # ID address code: the first code of the county's lineage in use in the birth year
    years = np.arange(1950, 2011)
    code_tab = np.zeros((n_c, len(years)), dtype=np.int64)
    for i, c in enumerate(c_codes):
        lineage = D.COUNTY_LINEAGE.get(c, (c,))
        for j, y in enumerate(years.tolist()):
            found = next((cand for cand in lineage if codes.division_name(cand, y) is not None), None)
            if found is None:  # pragma: no cover - lineage table incomplete
                raise RuntimeError(f"no division code for {c} in {y}")
            code_tab[i, j] = int(found)
    addr_code = code_tab[county, by - years[0]]

    # ---- ID numbers ------------------------------------------------------------------
    yyyymmdd = by * 10000 + bm * 100 + bd
    seqn = rng.integers(1, 500, n) * 2 + male
    key = addr_code * 10**11 + yyyymmdd * 1000 + seqn
    for _ in range(100):
        o = np.argsort(key, kind="stable")
        ks = key[o]
        dup_sorted = np.zeros(n, dtype=bool)
        dup_sorted[1:] = ks[1:] == ks[:-1]
        if not dup_sorted.any():
            break
        dup = o[dup_sorted]
        seqn[dup] = rng.integers(1, 500, len(dup)) * 2 + male[dup]
        key[dup] = addr_code[dup] * 10**11 + yyyymmdd[dup] * 1000 + seqn[dup]
    id_digits = digit_matrix(key, 17)
    idm = np.empty((n, 18), dtype=np.uint8)
    idm[:, :17] = id_digits + 48
    idm[:, 17] = id_check_ascii(id_digits)
    del id_digits, key, yyyymmdd, seqn, addr_code, o, ks, dup_sorted

    # ---- ethnicity: birth-prefecture profiles rescaled so the total hits the targets ----------
    eth_names = list(D.ETHNIC_TARGET)
    target = np.array([D.ETHNIC_TARGET[e] for e in eth_names])
    target = target / target.sum()
    fac = np.array([[D.ETHNIC_REGION_FACTOR.get(p, {}).get(e, 1.0) for e in eth_names] for p in prefs])
    pref_n = np.bincount(bpref, minlength=len(prefs)).astype(float)
    scale = target.copy()
    for _ in range(200):
        prob = fac * scale
        prob /= prob.sum(axis=1, keepdims=True)
        overall = pref_n @ prob / max(pref_n.sum(), 1.0)
        scale *= target / np.maximum(overall, 1e-12)
    prob = fac * scale
    prob /= prob.sum(axis=1, keepdims=True)
    eth = np.zeros(n, dtype=np.int64)
    for i in range(len(prefs)):
        mask = bpref == i
        k = int(mask.sum())
        if k:
            eth[mask] = _draw(rng, _cdf(prob[i]), k)

    # ---- names --------------------------------------------------------------------------
    sur = surname_index(rng, n)
    use_eth = rng.random(n) < D.ETHNIC_SURNAME_SHARE
    for e, table in D.ETHNIC_SURNAMES.items():
        mask = (eth == eth_names.index(e)) & use_eth
        k = int(mask.sum())
        if k:
            sur[mask] = surname_index(rng, k, table)
    giv = given_index(rng, by, male)
    dot_given: list[str] = []
    dot_clan: list[str] = []
    dot_g_idx = np.zeros(n, np.int64)
    dot_c_idx = np.zeros(n, np.int64)
    dotted = np.zeros(n, dtype=bool)
    for e, share in D.DOT_NAME_SHARE.items():
        mask = (eth == eth_names.index(e)) & (rng.random(n) < share)
        k = int(mask.sum())
        fem, mal, clan = D.DOT_NAMES[e]
        f_off = len(dot_given)
        dot_given.extend(fem)
        m_off = len(dot_given)
        dot_given.extend(mal)
        c_off = len(dot_clan)
        dot_clan.extend(clan)
        if k:
            dot_g_idx[mask] = np.where(male[mask], m_off + rng.integers(0, len(mal), k),
                                       f_off + rng.integers(0, len(fem), k))
            dot_c_idx[mask] = c_off + rng.integers(0, len(clan), k)
            dotted |= mask
    former_giv = given_index(rng, np.maximum(by - 10, 1950), male)
    has_former = (rng.random(n) < D.FORMER_NAME_SHARE) & ~dotted & (former_giv != giv)
    del use_eth, mask

    # ---- education ------------------------------------------------------------------------
    # Levels a cohort can have finished by 2021 (shortest paths); the shares of the feasible levels
    # are raised for the older cohorts so that the total matches EDUCATION_SHARES.
    cohort = by + (bm >= 9)
    min_years = np.array([24, 22, 21, 18, 18, 15])  # years from school cohort to the earliest graduation
    feasible = cohort[:, None] + min_years[None, :] <= D.REF_YEAR  # (n, 6), E_JUNIOR always feasible here
    group = feasible.sum(axis=1)  # levels are nested: the group is the number of feasible levels
    group_n = np.bincount(group, minlength=7).astype(float)
    edu_target = np.array([D.EDUCATION_SHARES[e] for e in EDU_ORDER], dtype=float)
    edu_target /= edu_target.sum()
    allowed = np.array([[j >= 6 - g for j in range(6)] for g in range(7)], dtype=float)  # (group, level)
    w_edu = edu_target.copy()
    for _ in range(100):
        pg = allowed * w_edu
        pg /= np.maximum(pg.sum(axis=1, keepdims=True), 1e-12)
        overall = group_n @ pg / max(group_n.sum(), 1.0)
        w_edu *= np.where(overall > 0, edu_target / np.maximum(overall, 1e-12), 1.0)
    pg = allowed * w_edu
    pg /= np.maximum(pg.sum(axis=1, keepdims=True), 1e-12)
    edu = np.zeros(n, dtype=np.int64)
    for g in range(1, 7):
        mask = group == g
        k = int(mask.sum())
        if k:
            edu[mask] = _draw(rng, _cdf(pg[g]), k)
    del feasible, group
    phd = (edu == E_GRAD) & (rng.random(n) < D.PHD_SHARE_OF_GRAD)
    upgrade = (edu == E_BACH) & (rng.random(n) < D.UPGRADE_SHARE_OF_BACHELOR)
    repeat = (rng.random(n) < D.REPEAT_YEAR_RATE).astype(np.int64)
    gap_master = np.where(rng.random(n) < 0.7, 0, rng.integers(1, 4, n))
    gap_phd = np.where(rng.random(n) < 0.6, 0, rng.integers(1, 4, n))
    master_len = np.where(rng.random(n) < 0.7, 3, 2)
    phd_len = np.where(rng.random(n) < 0.5, 3, 4)
    sec_len = np.where(rng.random(n) < 0.8, 3, 4)

    schools = _Schools(c_names, c_place)
    majors = _Majors()
    bach_school = schools.uni + _draw(rng, _cdf([x[2] for x in D.UNIVERSITIES]), n)
    bach_major = np.where(schools.medical[bach_school], majors.draw(rng, "med_bach", n), majors.draw(rng, "bach", n))
    bach_len = np.where(majors.five_year[bach_major], 5, 4)

    def last_grad_year():
        hs = cohort + 18
        y = np.select(
            [edu == E_JUNIOR, edu == E_HIGH, edu == E_SEC, edu == E_COLL, (edu == E_BACH) & upgrade, edu == E_BACH],
            [cohort + 15, hs, cohort + 15 + sec_len, hs + repeat + 3, hs + repeat + 5, hs + repeat + bach_len],
            default=hs + repeat + bach_len + gap_master + master_len)
        return np.where(phd, y + gap_phd + phd_len, y)

    # too young for the level drawn: first drop the gaps, then step down a level
    step_down = np.array([E_BACH, E_COLL, E_HIGH, E_JUNIOR, E_JUNIOR, E_JUNIOR])
    for _ in range(10):
        late = last_grad_year() > D.REF_YEAR
        if not late.any():
            break
        gaps = (repeat + gap_master + gap_phd) > 0
        fix = late & gaps
        repeat[fix] = 0
        gap_master[fix] = 0
        gap_phd[fix] = 0
        step = late & ~gaps
        for flag in (phd, upgrade):
            hit = step & flag
            flag[hit] = False
            step &= ~hit
        edu[step] = step_down[edu[step]]

    hs_year = cohort + 18
    junior = (edu == E_JUNIOR) & (rng.random(n) < D.JUNIOR_ROW_RATE)
    slot_on = np.zeros((n, 5), dtype=bool)
    slot_on[:, SLOT_SCHOOL] = (edu == E_HIGH) | ((edu <= E_COLL) & (rng.random(n) < D.HIGH_SCHOOL_ROW_RATE)) | junior
    slot_on[:, SLOT_SECOND] = (edu == E_SEC) | (edu == E_COLL) | upgrade
    slot_on[:, SLOT_BACHELOR] = edu <= E_BACH
    slot_on[:, SLOT_MASTER] = edu == E_GRAD
    slot_on[:, SLOT_PHD] = phd
    sy = np.zeros((n, 5), dtype=np.int64)  # start year per slot
    ey = np.zeros((n, 5), dtype=np.int64)  # end year per slot
    sy[:, SLOT_SCHOOL] = np.where(junior, cohort + 12, cohort + 15)
    ey[:, SLOT_SCHOOL] = np.where(junior, cohort + 15, hs_year)
    sy[:, SLOT_SECOND] = np.where(edu == E_SEC, cohort + 15, hs_year + repeat)
    ey[:, SLOT_SECOND] = np.where(edu == E_SEC, cohort + 15 + sec_len, hs_year + repeat + 3)
    sy[:, SLOT_BACHELOR] = np.where(upgrade, hs_year + repeat + 3, hs_year + repeat)
    ey[:, SLOT_BACHELOR] = np.where(upgrade, hs_year + repeat + 5, hs_year + repeat + bach_len)
    sy[:, SLOT_MASTER] = ey[:, SLOT_BACHELOR] + gap_master
    ey[:, SLOT_MASTER] = sy[:, SLOT_MASTER] + master_len
    sy[:, SLOT_PHD] = ey[:, SLOT_MASTER] + gap_phd
    ey[:, SLOT_PHD] = sy[:, SLOT_PHD] + phd_len
    has_study = slot_on.any(axis=1)
    last_slot = 4 - np.argmax(slot_on[:, ::-1], axis=1)

    # study rows (per human, in time order)
    st_h, st_slot = np.nonzero(slot_on)
    st_off = np.concatenate([[0], np.cumsum(slot_on.sum(axis=1))])
    n_st = len(st_h)
    st_start = ymd_days(sy[st_h, st_slot], 9, rng.integers(1, 6, n_st))
    july = rng.random(n_st) < 0.4
    st_end = np.where(july, ymd_days(ey[st_h, st_slot], 7, rng.integers(1, 11, n_st)),
                      ymd_days(ey[st_h, st_slot], 6, rng.integers(20, 31, n_st)))
    st_end = np.minimum(st_end, REF)
    del sy, ey
    last_row = st_off[1:] - 1
    last_end = np.where(has_study, st_end[np.maximum(last_row, 0)] if n_st else 0, -(10**6))

    # schools and majors of each row
    st_e = edu[st_h]
    st_sch = np.zeros(n_st, dtype=np.int64)
    st_maj = np.full(n_st, -1, dtype=np.int64)
    m0 = st_slot == SLOT_SCHOOL
    jr = junior[st_h] & m0
    k = n_st
    hs_idx = np.where(rng.random(k) < 0.08, schools.famous + rng.integers(0, len(D.PROVINCIAL_HIGH_SCHOOLS), k),
                      schools.hs + county[st_h] * len(schools.hs_suffix)
                      + weighted(rng, k, D.HIGH_SCHOOL_SUFFIXES.values()))
    jr_idx = schools.jr + county[st_h] * len(schools.jr_variants) + rng.integers(0, len(schools.jr_variants), k)
    st_sch[m0] = np.where(jr, jr_idx, hs_idx)[m0]
    m1 = st_slot == SLOT_SECOND
    sec = m1 & (st_e == E_SEC)
    coll = m1 & ~sec
    at_uni = rng.random(k) < 0.15
    coll_school = np.where(at_uni, schools.uni + _draw(rng, _cdf([x[3] for x in D.UNIVERSITIES]), k),
                           schools.voc + _draw(rng, _cdf([x[2] for x in D.VOCATIONAL_COLLEGES]), k))
    st_sch[sec] = (schools.sec + rng.integers(0, len(D.SECONDARY_SCHOOLS), k))[sec]
    st_sch[coll] = coll_school[coll]
    st_maj[sec] = majors.draw(rng, "sec", k)[sec]
    coll_major = np.where(schools.medical[coll_school], majors.draw(rng, "med_coll", k), majors.draw(rng, "coll", k))
    st_maj[coll] = coll_major[coll]
    m2 = st_slot == SLOT_BACHELOR
    st_sch[m2] = bach_school[st_h[m2]]
    st_maj[m2] = bach_major[st_h[m2]]
    grad_w = np.array([x[4] for x in D.UNIVERSITIES], dtype=float)
    grad_cdf = _cdf(grad_w)
    master_school = schools.uni + _draw(rng, grad_cdf, n)
    stay = (rng.random(n) < 0.4) & (grad_w[bach_school - schools.uni] > 0)
    master_school = np.where(stay, bach_school, master_school)
    master_major = majors.draw(rng, "grad", n)
    phd_school = np.where(rng.random(n) < 0.5, master_school, schools.uni + _draw(rng, grad_cdf, n))
    phd_major = np.where(rng.random(n) < 0.7, master_major, majors.draw(rng, "grad", n))
    m3 = st_slot == SLOT_MASTER
    st_sch[m3] = master_school[st_h[m3]]
    st_maj[m3] = master_major[st_h[m3]]
    m4 = st_slot == SLOT_PHD
    st_sch[m4] = phd_school[st_h[m4]]
    st_maj[m4] = phd_major[st_h[m4]]
    st_level = np.select([m0 & jr, m0, sec, coll, m2], [E_JUNIOR, E_HIGH, E_SEC, E_COLL, E_BACH], default=E_GRAD)
    bach_deg = rng.random(n) < np.where(upgrade, 0.85, D.BACHELOR_DEGREE_RATE)
    bach_deg |= edu == E_GRAD
    st_deg = np.select([m2 & bach_deg[st_h], m3, m4], [1, 2, 3], default=0)
    top_degree = np.where(phd, 3, np.where(edu == E_GRAD, 2, np.where((edu == E_BACH) & bach_deg, 1, 0)))
    # certificate numbers: school code + 1 + graduation year + level code + serial within (school, year, level)
    tert = st_level <= E_COLL
    lvl_code = np.select([m4, m3, m2], [1, 2, 5], default=6)
    gy, _, _ = split_days(st_end)
    ckey = (st_sch * 3000 + gy) * 10 + lvl_code
    ckey = np.where(tert, ckey, -1)
    o = np.argsort(ckey, kind="stable")
    serial = np.empty(n_st, dtype=np.int64)
    serial[o] = _group_rank(ckey[o]) + 1 + stable_hash(f"cert{seed}") % 50

    grad_school_idx = st_sch[np.maximum(last_row, 0)] if n_st else np.zeros(n, np.int64)
    grad_major_idx = st_maj[np.maximum(last_row, 0)] if n_st else np.full(n, -1)
    tertiary = edu <= E_COLL
    del (cohort, repeat, gap_master, gap_phd, master_len, phd_len, sec_len, bach_len, hs_year, slot_on, last_slot,
         july, st_e, m0, m1, m2, m3, m4, jr, hs_idx, jr_idx, sec, coll, at_uni, coll_school, coll_major, master_school,
         master_major, phd_school, phd_major, stay, bach_school, bach_major, ckey, o, last_row, bach_deg, junior,
         upgrade, phd, st_slot)

    # ---- work history --------------------------------------------------------------------
    emp_rate = np.array([D.EMPLOYED_RATE_BY_AGENCY.get(c, D.EMPLOYED_RATE) for c in ag_codes])[agency]
    t0 = np.maximum(np.where(has_study & (edu != E_JUNIOR), last_end, b18), b18) + rng.integers(10, 200, n)
    can_work = t0 < REF - 60
    employed = can_work & (rng.random(n) < emp_rate)
    span_years = np.maximum(REF - t0, 0) / 365.25
    k_past = rng.geometric(D.PAST_JOBS_P, n) - 1
    k_past = np.minimum(k_past, (span_years / 1.5).astype(np.int64))
    unemp_jobs = can_work & ~employed & (rng.random(n) >= D.UNEMPLOYED_NO_JOB)
    n_jobs = np.where(employed, 1 + k_past, np.where(unemp_jobs, 1 + np.minimum(k_past, 2), 0))
    n_jobs = np.minimum(n_jobs, np.maximum((span_years / 0.5).astype(np.int64), 1) * can_work)
    t_end = np.where(employed, REF, t0 + ((REF - t0) * rng.uniform(0.4, 0.97, n)).astype(np.int64))
    w_off = np.concatenate([[0], np.cumsum(n_jobs)])
    del emp_rate, can_work, span_years, k_past, unemp_jobs
    n_w = int(w_off[-1])
    w_h = np.repeat(ar, n_jobs)
    w_j = np.arange(n_w) - w_off[w_h]
    wu = rng.random(n_w)
    wu[w_j == 0] = -1.0
    wu = wu[np.lexsort((wu, w_h))]  # sorted within each person; the first row (−1) stays first
    frac = np.where(wu < 0, 0.0, wu)
    span_h = (t_end - t0 - 45 - 30 * np.maximum(n_jobs - 1, 0))[w_h]
    w_start = t0[w_h] + (frac * np.maximum(span_h, 1)).astype(np.int64) + 30 * w_j
    del wu, frac, span_h, t0
    is_last = w_j == n_jobs[w_h] - 1
    nxt = np.roll(w_start, -1)
    w_end = np.where(is_last, t_end[w_h], np.clip(nxt - rng.integers(1, 30, n_w), w_start + 1, nxt - 1))
    w_end = np.minimum(w_end, REF)
    del nxt
    current_row = is_last & employed[w_h]

    reg_kind = registry["_kind"].to_numpy(dtype=object)
    reg_state = registry["登记状态"].to_numpy(dtype=object)
    ok_kind = (reg_kind == "main") | (reg_kind == "branch")
    active = (reg_state == "存续") | (reg_state == "在业")
    founded = registry["_founded_days"].to_numpy(dtype=np.int64)
    size = registry["_size"].to_numpy(dtype=np.float64)
    r_uscc = pa_str(registry["统一社会信用代码"].to_numpy(dtype=object))
    r_name = pa_str(registry["企业名称"].to_numpy(dtype=object))

    def employer_for(starts: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(allowed)
        if len(idx) == 0:
            raise ValueError("the registry has no company to employ anyone")
        o_ = idx[np.argsort(founded[idx], kind="stable")]
        cw = np.cumsum(size[o_])
        kk = np.maximum(np.searchsorted(founded[o_], starts, side="right"), min(50, len(o_)))
        pos = np.searchsorted(cw, rng.random(len(starts)) * cw[kk - 1], side="right")
        return o_[np.minimum(pos, len(o_) - 1)]

    w_company = np.zeros(n_w, dtype=np.int64)
    if n_w:
        w_company[current_row] = employer_for(w_start[current_row], ok_kind & active)
        w_company[~current_row] = employer_for(w_start[~current_row], ok_kind)
    w_dept = np.where(rng.random(n_w) < D.DEPARTMENT_EMPTY, -1, weighted(rng, n_w, D.DEPARTMENTS.values()))
    w_pos = weighted(rng, n_w, D.POSITIONS.values())
    cur_company = np.zeros(n, dtype=np.int64)
    cur_company[w_h[current_row]] = w_company[current_row]
    cur_start = np.full(n, REF, dtype=np.int64)
    cur_start[w_h[current_row]] = w_start[current_row]
    first_company = np.full(n, -1, dtype=np.int64)
    first_company[w_h[w_j == 0]] = w_company[w_j == 0]
    last_job_end = np.zeros(n, dtype=np.int64)
    last_job_end[w_h[is_last]] = w_end[is_last]
    del w_j, is_last, t_end, reg_kind, reg_state, ok_kind, active, founded, size

    # ---- political status -----------------------------------------------------------------
    party_rate = np.array([D.PARTY_RATE_BY_EDUCATION[e] for e in EDU_ORDER])[edu]
    party = (rng.random(n) < party_rate) & (age >= D.PARTY_MIN_AGE)
    del party_rate
    prelim = party & ((rng.random(n) < D.PRELIMINARY_SHARE) | (b18 > REF - 366))
    full = party & ~prelim
    join_hi = np.minimum(REF - 366, b18 + 25 * 365)
    join_d = b18 + (rng.random(n) * np.maximum(join_hi - b18, 0)).astype(np.int64)
    p_lo = np.maximum(b18, REF - 364)
    join_d = np.where(prelim, p_lo + (rng.random(n) * (REF - p_lo + 1)).astype(np.int64), join_d)
    jy, jm, jd = split_days(join_d)
    confirm_d = ymd_days(jy + 1, jm, jd)
    del jy, jm, jd, join_hi, p_lo
    polit = np.zeros(n, dtype=np.int64)  # index into POLITICAL
    polit[full] = 1
    polit[prelim] = 2
    league = ~party & (age < 28) & (rng.random(n) < D.LEAGUE_RATE_UNDER_28)
    polit[league] = 3
    dem = ~party & ~league & (edu <= E_BACH) & (rng.random(n) < D.DEMOCRATIC_PARTY_RATE)
    polit[dem] = 5 + weighted(rng, int(dem.sum()), D.DEMOCRATIC_PARTIES.values())
    nonparty = (polit == 0) & (edu <= E_COLL) & (age >= 30) & (rng.random(n) < D.NONPARTY_RATE)
    polit[nonparty] = 4
    big = np.isin(ag_codes, ["52000001", "52000002", "52000003", "52010001"])
    org_pool = [nm + "流动党员党支部" for nm in ag_names] + [nm + f"流动党员第{x}党支部" for nm in ag_names
                                                            for x in CN_NUM]
    org_idx = np.where(big[agency], n_ag + agency * 10 + rng.integers(0, 10, n), agency)
    org_at_emp = employed & (rng.random(n) < D.PARTY_ORG_AT_EMPLOYER)

    # ---- archive administration ------------------------------------------------------------
    base = np.maximum(np.where(has_study & (edu != E_JUNIOR), last_end, b18), b18)
    earliest = np.minimum(np.maximum(base, opened[agency]), REF)
    received = earliest + (rng.random(n) ** 0.8 * (REF - earliest + 1)).astype(np.int64)
    fresh_d = np.maximum(last_end + rng.integers(5, 90, n), opened[agency])
    fresh = tertiary & (last_end >= day("2000-01-01")) & (rng.random(n) < D.FRESH_GRADUATE_FILING) & (fresh_d <= REF)
    received = np.where(fresh, fresh_d, received)
    del base, earliest, fresh_d
    status = weighted(rng, n, D.ARCHIVE_STATUS.values())
    # 档案来源: 0 another agency, 1 a county 人社局, 2 the school, 3 the first employer
    other_ag = _draw(rng, ag_cdf, n)
    su = rng.random(n)
    src_kind = np.select([su < 0.35, su < 0.55, su < 0.85], [0, 1, 3], default=2)
    src_kind = np.where((src_kind == 3) & (first_company < 0), 0, src_kind)
    src_kind = np.where((src_kind == 2) & ~has_study, 0, src_kind)
    src_kind = np.where(fresh, 2, src_kind)
    src_kind = np.where((src_kind == 0) & (other_ag == agency), 1, src_kind)
    unit = employed & (rng.random(n) < D.UNIT_ENTRUST_RATE / max(float(employed.mean()), 0.05))

    # ---- hukou ------------------------------------------------------------------------------
    collective = rng.random(n) < D.COLLECTIVE_HUKOU_RATE
    hk_county = np.where(rng.random(n) < 0.65, county, ag_seat[agency])
    urban = rng.random(n) < D.URBAN_ADDRESS_SHARE
    house_n = rng.integers(1, 300, n)
    has_flat = rng.random(n) < 0.6
    unit_n = rng.integers(1, 6, n)
    room_n = rng.integers(1, 30, n) * 100 + rng.integers(1, 7, n)
    road_i = rng.integers(0, len(D.ROADS), n)
    town_kind = weighted(rng, n, D.TOWN_SUFFIXES.values())
    street = np.array(list(D.TOWN_SUFFIXES))[town_kind] == "街道"
    town_i = rng.integers(0, len(D.TOWN_STEMS), n)
    village_i = rng.integers(0, len(D.VILLAGE_STEMS), n)
    group_i = rng.integers(0, len(D.GROUP_NAMES), n)
    coll_addr = []
    hh_pool = []
    for i in range(n_ag):
        h = stable_hash(ag_codes[i])
        sc = ag_seat[i]
        coll_addr.append("贵州省" + pref_names[c_pref[sc]] + c_names[sc] + D.ROADS[h % len(D.ROADS)]
                         + str(1 + h % 297) + "号")
        hh_pool.append(c_codes[sc] + f"{i:03d}")  # unique per agency
    settle = np.minimum(np.maximum(received + rng.integers(-30, 365, n), b18), REF)
    native = (hk_county == county) & (rng.random(n) < 0.7)
    moved_in = np.where(native, birth, b18 + (rng.random(n) * (REF - b18)).astype(np.int64))
    moved_in = np.where(collective, settle, moved_in)
    moved_out = ~collective & (rng.random(n) < 0.01)
    moved_out_d = np.minimum(moved_in + 1 + (rng.random(n) * np.maximum(REF - moved_in, 0)).astype(np.int64), REF)
    family_hh = rng.integers(0, 10**9, n)
    legacy_pool: list[str] = []
    legacy_idx = np.zeros(n, dtype=np.int64)
    for kind, mask in (("rural", ~collective & ~urban), ("urban", ~collective & urban), ("collective", collective)):
        table = D.LEGACY_HUKOU_TYPE[kind]
        off = len(legacy_pool)
        legacy_pool.extend(table)
        legacy_idx[mask] = off + weighted(rng, int(mask.sum()), table.values())

    # ---- phone, titles, qualifications, remarks ------------------------------------------------
    mobile_prefix = weighted(rng, n, D.MOBILE_PREFIXES.values())
    mobile_n = rng.integers(0, 10**8, n)
    land_n = rng.integers(2, 9, n) * 10**7 + rng.integers(0, 10**7, n)
    landline = rng.random(n) < D.LANDLINE_RATE
    t_rate = np.array([D.TITLE_RATE.get(e, 0.0) for e in EDU_ORDER])[edu]
    has_title = (rng.random(n) < t_rate) & has_study
    years_since = (REF - last_end) / 365.25
    fam = weighted(rng, n, D.TITLE_FAMILIES.values())
    lu = rng.random(n)
    lvl = np.where(years_since < 4, 0, np.where(years_since < 10, np.where(lu < 0.3, 0, 1), np.where(lu < 0.65, 1, 2)))
    title_idx = fam * 3 + lvl
    del t_rate, years_since, fam, lu, lvl
    qual_idx = weighted(rng, n, D.QUALIFICATIONS.values())
    has_qual = rng.random(n) < D.QUALIFICATION_RATE
    has_remark = rng.random(n) < D.REMARK_RATE
    remark_idx = rng.integers(0, len(D.REMARKS), n)

    # ---- feeds ----------------------------------------------------------------------------------
    in_police = rng.random(n) < D.POLICE_COVERAGE
    in_social = np.where(employed, rng.random(n) < D.SOCIAL_COVERAGE_EMPLOYED,
                         (n_jobs > 0) & (rng.random(n) < D.SOCIAL_COVERAGE_UNEMPLOYED))
    in_edu = tertiary & (rng.random(n) < D.EDUCATION_COVERAGE)
    paused = employed & (rng.random(n) < D.SOCIAL_PAUSED_EMPLOYED)
    insured = np.where(employed, np.where(paused, 1, 0), np.where(rng.random(n) < 0.7, 2, 1))
    cy, cmo, _ = split_days(cur_start)
    start_m = cy * 12 + cmo - 1  # months since year 0
    paid_m = np.where(rng.random(n) < 0.85, 2021 * 12 + 11, 2021 * 12 + 10)
    paid_m = np.where(paused, start_m + (rng.random(n) * np.maximum(2021 * 12 + 9 - start_m, 0)).astype(np.int64),
                      paid_m)
    ly, lm, _ = split_days(last_job_end)
    paid_m = np.where(employed, paid_m, ly * 12 + lm - 1)
    del cy, cmo, start_m, ly, lm

    # ---- records: humans plus second archives, sorted by agency and receipt ----------------------------
    extra_h = np.sort(rng.choice(n, size=n_extra, replace=False)) if n_extra else np.zeros(0, np.int64)
    second_ag = _draw(rng, ag_cdf, n_extra)
    clash = second_ag == agency[extra_h]
    while clash.any():
        second_ag[clash] = _draw(rng, ag_cdf, int(clash.sum()))
        clash = second_ag == agency[extra_h]
    h2 = extra_h
    e2 = np.minimum(np.maximum(np.maximum(np.where(has_study[h2] & (edu[h2] != E_JUNIOR), last_end[h2], b18[h2]),
                                          b18[h2]), opened[second_ag]), REF)
    recv2 = e2 + (rng.random(n_extra) * (REF - e2 + 1)).astype(np.int64)
    rec_ag_all = np.concatenate([agency, second_ag])
    rec_recv_all = np.concatenate([received, recv2])
    n_rec = n + n_extra
    order = np.lexsort((np.arange(n_rec), rec_recv_all, rec_ag_all))
    R = np.concatenate([ar, extra_h])[order]  # human of each final record
    RA = rec_ag_all[order]                       # agency of each final record
    RR = rec_recv_all[order]                     # receipt day
    second = order >= n                          # the second archive of a human
    first_pos = np.empty(n, dtype=np.int64)      # final position of each human's first record
    first_pos[order[~second]] = np.flatnonzero(~second)
    del order, rec_ag_all, rec_recv_all

    # archive numbers: style per agency; sequence = order of receipt within the agency
    ry, _, _ = split_days(RR)
    seq = _group_rank(RA) + 1 + np.array([stable_hash(c + "seq") % 90 for c in ag_codes], dtype=np.int64)[RA]
    in_year = _group_rank(RA * 10000 + ry) + 1
    style = np.array([D.ARCHIVE_NO_STYLES.index(archive_style(c)) for c in ag_codes], dtype=np.int64)[RA]
    abbr_pool = [agency_abbr(c, nm) for c, nm in zip(ag_codes, ag_names)]
    ndig = np.floor(np.log10(np.maximum(seq, 1))).astype(np.int64) + 1
    max_dig = np.zeros(n_ag, dtype=np.int64)
    np.maximum.at(max_dig, RA, ndig)
    width = np.maximum(max_dig[RA], 4)
    arch_pa = _choose(style, n_rec, {
        0: lambda ix: join(take(abbr_pool, RA[ix]), "-", take(NUM_POOL, ry[ix]), "-", digits(in_year[ix], 6)),
        1: lambda ix: join(take(abbr_pool, RA[ix]), digits(seq[ix], 7)),
        2: lambda ix: join(take(list(ag_region), RA[ix]), "-", _zpad_var(seq[ix], width[ix])),
        3: lambda ix: num(100000 + seq[ix]),
        4: lambda ix: join(digits(ry[ix] % 100, 2), digits(in_year[ix], 5)),
        5: lambda ix: join("DA", take(NUM_POOL, ry[ix]), digits(in_year[ix], 5)),
    })
    del ry, seq, in_year, style, ndig, width

    # 立户编号: unit accounts numbered per agency in USCC order of the employers
    r_unit = unit[R] & ~second
    ukey = np.where(r_unit, RA * (len(registry) + 1) + cur_company[R], -1)
    uniq = np.unique(ukey[r_unit])
    acct_no = np.searchsorted(uniq, ukey) - np.searchsorted(uniq, RA * (len(registry) + 1)) + 1
    acct_style = np.array([stable_hash(c + "lh") % len(D.UNIT_ACCOUNT_STYLES) for c in ag_codes])[RA]
    acct_style = np.where(r_unit, acct_style, -1)
    acct_pa = _choose(acct_style, n_rec, {
        0: lambda ix: join("LH", take(abbr_pool, RA[ix]), digits(acct_no[ix], 4)),
        1: lambda ix: join(take(list(ag_region), RA[ix]), digits(acct_no[ix], 4)),
        2: lambda ix: join("DW-", digits(acct_no[ix], 5)),
        3: lambda ix: join(take(abbr_pool, RA[ix]), "-LH-", digits(acct_no[ix], 3)),
    })
    del ukey, uniq, acct_style

    # collective household: the agency's household number + member number (order of settling)
    r_coll = collective[R] & ~second
    settle_r = settle[R]
    ckey2 = np.where(r_coll, RA, n_ag)
    o2 = np.lexsort((np.arange(n_rec), settle_r, ckey2))
    member = np.empty(n_rec, dtype=np.int64)
    member[o2] = _group_rank(ckey2[o2]) + 1
    del o2, ckey2
    hh_rec = _choose(np.where(r_coll, 0, -1), n_rec,
                     {0: lambda ix: join(take(hh_pool, RA[ix]), "-", digits(member[ix], 5))})
    # the register's 户籍编号 of each human: the collective one (held on the first record) or the family 户号
    coll_h = collective[R]
    hh_h = _choose(coll_h.astype(np.int64), n_rec, {
        1: lambda ix: hh_rec.take(pa.array(first_pos[R[ix]])),
        0: lambda ix: digits(family_hh[R[ix]], 9),
    })

    # ---- render the persons in record order ---------------------------------------------------
    def name_of(ix: np.ndarray) -> pa.Array:
        h = R[ix]
        return _choose(dotted[h].astype(np.int64), len(h), {
            0: lambda j: join(take(SURNAME_POOL, sur[h[j]]), take(GIVEN_POOL, giv[h[j]])),
            1: lambda j: join(take(dot_given, dot_g_idx[h[j]]), "·", take(dot_clan, dot_c_idx[h[j]])),
        })

    h_emp = employed[R]
    employer_r = take(r_name, cur_company[R], h_emp)
    head_pool = ["贵州省" + pref_names[p] + nm for nm, p in zip(c_names, c_pref)]
    addr_kind = np.where(collective[R], 0, np.where(urban[R], 1, 2))

    def urban_addr(ix):
        h = R[ix]
        return join(take(head_pool, hk_county[h]), take(D.ROADS, road_i[h]), take(NUM_POOL, house_n[h]), "号",
                    where(has_flat[h], join(take(NUM_POOL, unit_n[h]), "单元", take(NUM_POOL, room_n[h]), "号"), ""))

    def rural_addr(ix):
        h = R[ix]
        return join(take(head_pool, hk_county[h]), take(D.TOWN_STEMS, town_i[h]),
                    take(list(D.TOWN_SUFFIXES), town_kind[h]), take(D.VILLAGE_STEMS, village_i[h]),
                    where(street[h], join("社区", take(NUM_POOL, house_n[h]), "号"),
                          join("村", take(D.GROUP_NAMES, group_i[h]))))

    hrss_pool = [nm + "人力资源和社会保障局" for nm in c_names]
    src_r = np.where(second, 4, src_kind[R])
    source_pa = _choose(src_r, n_rec, {
        0: lambda ix: take(ag_names_pa, other_ag[R[ix]]),
        1: lambda ix: take(hrss_pool, county[R[ix]]),
        2: lambda ix: take(schools.names, grad_school_idx[R[ix]]),
        3: lambda ix: take(r_name, first_company[R[ix]]),
        4: lambda ix: take(ag_names_pa, agency[R[ix]]),
    })
    in_soc_emp = (in_social & employed)[R]
    persons = {
        "person_key": R.astype(np.int64),
        "agency_code": take(ag_codes_pa, RA),
        "档案编号": arch_pa,
        "姓名": name_of(np.arange(n_rec)),
        "性别": take(["男", "女"], (~male[R]).astype(np.int64)),
        "民族": take(eth_names, eth[R]),
        "出生日期": dates(birth[R]),
        "公民身份号码": ascii_arrow(idm[R]),
        "政治面貌": take(POLITICAL, polit[R]),
        "入党时间": dates(join_d[R], party[R]),
        "转正时间": dates(confirm_d[R], full[R]),
        "所属党组织": _choose(np.where(party[R], np.where(org_at_emp[R], 1, 0), -1), n_rec, {
            0: lambda ix: take(org_pool, org_idx[R[ix]]),
            1: lambda ix: join(employer_r.take(pa.array(ix)), "党支部"),
        }),
        "户籍所在地": _choose(addr_kind, n_rec, {
            0: lambda ix: take(coll_addr, agency[R[ix]]),
            1: urban_addr,
            2: rural_addr,
        }),
        "联系电话": _choose(landline[R].astype(np.int64), n_rec, {
            0: lambda ix: join(take(list(D.MOBILE_PREFIXES), mobile_prefix[R[ix]]), digits(mobile_n[R[ix]], 8)),
            1: lambda ix: join(take([D.AREA_CODES.get(p, "0851") for p in c_pref], ag_seat[agency[R[ix]]]), "-",
                               digits(land_n[R[ix]], 8)),
        }),
        "最高学历": take(EDU_ORDER, edu[R]),
        "最高学位": take(["无", "学士", "硕士", "博士"], top_degree[R]),
        "毕业院校": take(schools.names, grad_school_idx[R], has_study[R]),
        "所学专业": take(majors.names, np.maximum(grad_major_idx[R], 0), has_study[R] & (grad_major_idx[R] >= 0)),
        "毕业时间": dates(last_end[R], has_study[R]),
        "专业技术职务": take([t for f in D.TITLE_FAMILIES for t in f], title_idx[R], has_title[R]),
        "职业资格": take(list(D.QUALIFICATIONS), qual_idx[R], has_qual[R]),
        "工作单位": employer_r,
        "单位统一社会信用代码": take(r_uscc, cur_company[R], h_emp),
        "委托方式": take(["个人委托", "单位委托"], r_unit.astype(np.int64)),
        "立户编号": acct_pa,
        "档案来源": source_pa,
        "档案接收时间": dates(RR),
        "档案状态": take(list(D.ARCHIVE_STATUS), np.where(second, 0, status[R])),
        "集体户口": take(["否", "是"], r_coll.astype(np.int64)),
        "户籍编号": hh_rec,
        "落户时间": dates(settle_r, r_coll),
        "备注": take(D.REMARKS, remark_idx[R], has_remark[R] & ~second),
        "_in_police": in_police[R],
        "_in_social": in_social[R],
        "_in_education": in_edu[R],
        "_social_uscc": take(r_uscc, cur_company[R], in_soc_emp),
        "_social_employer": take(r_name, cur_company[R], in_soc_emp),
        "_insured_status": take(["参保缴费", "暂停缴费", "终止参保"], insured[R], in_social[R]),
        "_employment_status": take(["失业", "就业"], h_emp.astype(np.int64)),
        "_last_paid": _choose(np.where(in_social[R], 0, -1), n_rec, {
            0: lambda ix: join(take(NUM_POOL, paid_m[R[ix]] // 12), "-", digits(paid_m[R[ix]] % 12 + 1, 2))}),
        "_former_name": _choose(np.where(has_former[R], 0, -1), n_rec, {
            0: lambda ix: join(take(SURNAME_POOL, sur[R[ix]]), take(GIVEN_POOL, former_giv[R[ix]]))}),
        "_hukou_category": take(["家庭户", "集体户"], coll_h.astype(np.int64)),
        "_household_no": hh_h,
        "_moved_in": dates(moved_in[R]),
        "_moved_out": dates(moved_out_d[R], moved_out[R]),
        "_hukou_type_legacy": take(legacy_pool, legacy_idx[R]),
    }
    persons_df = _frame(persons)[list(PERSON_COLUMNS) + list(PERSON_INTERNAL)]
    rec_ag_pa = persons["agency_code"]
    del persons, employer_r, source_pa, hh_h, hh_rec, acct_pa, addr_kind, src_r, in_soc_emp, h_emp, coll_h
    del (agency, male, age, by, birth, bm, bd, b18, county, bpref, eth, sur, giv, dot_g_idx, dot_c_idx, dotted,
         former_giv, has_former, edu, has_study, last_end, grad_school_idx, grad_major_idx, tertiary, top_degree,
         employed, n_jobs, cur_company, cur_start, first_company, last_job_end, party, prelim, full, join_d,
         confirm_d, polit, league, dem, nonparty, org_idx, org_at_emp, received, fresh, status, other_ag, su,
         src_kind, unit, collective, hk_county, urban, house_n, has_flat, unit_n, room_n, road_i, town_kind, street,
         town_i, village_i, group_i, settle, native, moved_in, moved_out, moved_out_d, family_hh, legacy_idx,
         mobile_prefix, mobile_n, land_n, landline, has_title, title_idx, qual_idx, has_qual, has_remark, remark_idx,
         in_police, in_social, in_edu, paused, insured, paid_m, r_unit, r_coll, settle_r, member, acct_no, RR)
    _release_memory()

    # ---- child sheets (per record, from the human's rows) ------------------------------------------
    s_rec, s_seq, s_src = _child_index(st_off, R)
    ri = pa.array(s_rec)
    sl = st_level[s_src]
    study_df = _frame({
        "agency_code": rec_ag_pa.take(ri),
        "档案编号": arch_pa.take(ri),
        "seq": s_seq,
        "公民身份号码": ascii_arrow(idm[st_h[s_src]]),
        "起始时间": dates(st_start[s_src]),
        "终止时间": dates(st_end[s_src]),
        "学校": take(schools.names, st_sch[s_src]),
        "专业": take(majors.names, np.maximum(st_maj[s_src], 0), st_maj[s_src] >= 0),
        "学历": take(EDU_ORDER, sl),
        "学位": take(DEGREES, st_deg[s_src], st_deg[s_src] > 0),
        "_cert_no": _choose(np.where(tert[s_src], 0, -1), len(s_src), {
            0: lambda ix: join(take(schools.codes, st_sch[s_src[ix]]), "1", take(NUM_POOL, gy[s_src[ix]]),
                               digits(lvl_code[s_src[ix]], 2), digits(serial[s_src[ix]], 6))}),
    })[list(STUDY_COLUMNS)]
    del ri, sl, s_rec, s_seq, s_src
    _release_memory()

    w_rec, w_seq, w_src = _child_index(w_off, R)
    ri = pa.array(w_rec)
    work_df = _frame({
        "agency_code": rec_ag_pa.take(ri),
        "档案编号": arch_pa.take(ri),
        "seq": w_seq,
        "公民身份号码": ascii_arrow(idm[w_h[w_src]]),
        "起始时间": dates(w_start[w_src]),
        "终止时间": dates(w_end[w_src], ~current_row[w_src]),
        "工作单位": take(r_name, w_company[w_src]),
        "部门": take(list(D.DEPARTMENTS), np.maximum(w_dept[w_src], 0), w_dept[w_src] >= 0),
        "职务": take(list(D.POSITIONS), w_pos[w_src]),
    })[list(WORK_COLUMNS)]

    # ---- 一人多档 pairs -----------------------------------------------------------------------------
    sec_pos = np.flatnonzero(second)
    fp = first_pos[R[sec_pos]]
    multi = _frame({
        "person_key": R[sec_pos].astype(np.int64),
        "agency_code_a": rec_ag_pa.take(pa.array(fp)),
        "档案编号_a": arch_pa.take(pa.array(fp)),
        "agency_code_b": rec_ag_pa.take(pa.array(sec_pos)),
        "档案编号_b": arch_pa.take(pa.array(sec_pos)),
    })
    del idm, w_h, w_start, w_end, w_company, w_dept, w_pos, current_row, w_rec, w_seq, w_src, ri
    _release_memory()
    return Population(persons=persons_df, study=study_df, work=work_df, multi_archive=multi)


NUM_POOL = [str(i) for i in range(10000)]


def digits(values: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal strings of non-negative ints (fixed width) as Arrow strings."""
    return ascii_arrow(digit_matrix(values, width) + 48)


def _zpad_var(values: np.ndarray, width: np.ndarray) -> pa.Array:
    """Zero-padded decimal strings with a per-row width (4–12)."""
    full = digit_matrix(values, 12) + 48
    out = _choose(width - 4, len(values), {
        w - 4: (lambda ix, w=w: ascii_arrow(full[ix, 12 - w:])) for w in range(4, 13)})
    return out


def _choose(kind: np.ndarray, n: int, builders: dict) -> pa.Array:
    """An Arrow string array of length `n` whose row i is built by ``builders[kind[i]]``.

    Each builder gets the row indices of its kind and returns their strings; rows whose kind
    has no builder (e.g. −1) are null.  Only the rows of a kind are built.
    """
    kind = np.asarray(kind, dtype=np.int64)
    parts = []
    positions = []
    for k, build in builders.items():
        ix = np.flatnonzero(kind == k)
        if len(ix):
            arr = build(ix)
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            parts.append(arr if arr.type == pa.string() else arr.cast(pa.string()))
            positions.append(ix)
    covered = np.concatenate(positions) if positions else np.zeros(0, np.int64)
    rest = n - len(covered)
    if rest:
        parts.append(pa.nulls(rest, pa.string()))
        mask = np.ones(n, dtype=bool)
        mask[covered] = False
        positions.append(np.flatnonzero(mask))
    if not parts:
        return pa.nulls(0, pa.string())
    allpos = np.concatenate(positions)
    inverse = np.empty(n, dtype=np.int64)
    inverse[allpos] = np.arange(n)
    combined = pa.concat_arrays(parts)
    if len(parts) == 1:
        return combined  # already in order (one kind covering every row in order)
    return combined.take(pa.array(inverse))


def _child_index(offsets: np.ndarray, rec_h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For child rows of each record (in record order): record index, seq, and the source row of the human."""
    counts = offsets[1:] - offsets[:-1]
    c = counts[rec_h]
    total = int(c.sum())
    rec_idx = np.repeat(np.arange(len(rec_h)), c)
    seq = np.arange(total) - np.repeat(np.concatenate([[0], np.cumsum(c)[:-1]]), c).astype(np.int64)
    src = np.repeat(offsets[rec_h], c) + seq
    return rec_idx, seq.astype(np.int64), src
