"""The clean synthetic population, the business registry and the feed files (synth/)."""
from __future__ import annotations

import csv
import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from stdnum.cn import ric, uscc
from stdnum.iso7064 import mod_11_10

from archives_domain import codes
from archives_domain.collection_form import PERSON_HEADERS, STUDY_HEADERS, WORK_HEADERS
from synth import distributions as D
from synth.companies import REGISTRY_FEED_COLUMNS, make_registry
from synth.feeds_files import FEED_COLUMNS, write_feeds
from synth.people import (
    MULTI_COLUMNS,
    PERSON_COLUMNS,
    PERSON_INTERNAL,
    STUDY_COLUMNS,
    WORK_COLUMNS,
    archive_style,
    make_population,
)

SEED = 20211231
REF = dt.date(2021, 12, 31)


@pytest.fixture(scope="module")
def registry():
    return make_registry(SEED, 1500)


@pytest.fixture(scope="module")
def pop(registry):
    return make_population(SEED, 4000, registry)


@pytest.fixture(scope="module")
def big():
    """20,000 records: for the shares."""
    reg = make_registry(7, 4000)
    return make_population(7, 20_000, reg)


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _present(series: pd.Series) -> pd.Series:
    return series.notna()


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------
def test_registry_columns_and_every_uscc_valid_and_unique(registry):
    assert tuple(registry.columns[:10]) == REGISTRY_FEED_COLUMNS
    assert all(c.startswith("_") for c in registry.columns[10:])
    assert registry["统一社会信用代码"].is_unique
    assert all(uscc.is_valid(x) for x in registry["统一社会信用代码"])
    # the embedded organisation code carries its own GB 11714 check character
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    for code in registry["统一社会信用代码"]:
        body = code[8:16]
        total = sum(int(ch, 36) * w for ch, w in zip(body, weights))
        c = 11 - total % 11
        assert code[16] == {10: "X", 11: "0"}.get(c, str(c))
        assert code[2:4] == "52"


def test_registry_names_unique_and_kinds(registry):
    assert registry["企业名称"].is_unique
    kinds = registry["_kind"].value_counts(normalize=True)
    assert abs(kinds["branch"] - D.BRANCH_SHARE) < 0.01
    assert abs(kinds["decoy"] - D.DECOY_SHARE) < 0.01
    by_uscc = registry.set_index("统一社会信用代码")
    branches = registry[registry["_kind"] == "branch"]
    assert branches["企业名称"].str.endswith("分公司").all()
    for name, parent in zip(branches["企业名称"], branches["_parent_uscc"]):
        assert name.startswith(by_uscc.loc[parent, "企业名称"])
        assert by_uscc.loc[parent, "_kind"] == "main"
    decoys = registry[registry["_kind"] == "decoy"]
    for name, section, short, orig in decoys[["企业名称", "所属行业", "_short_name", "_decoy_of"]].itertuples(index=False):
        o = by_uscc.loc[orig]
        assert o["_kind"] == "main" and o["企业名称"] != name and o["所属行业"] == section
        # a near-namesake: the same 简称 in another region, or one character of the brand changed
        diff = sum(a != b for a, b in zip(short, o["_short_name"]))
        assert len(short) == len(o["_short_name"]) and diff <= 1
        assert diff == 1 or name != o["企业名称"]
    assert registry.loc[registry["_kind"] == "main", "_parent_uscc"].isna().all()
    assert registry["_short_name"].notna().all()


def test_registry_values(registry):
    assert set(registry["登记状态"]) <= codes.canonical_names("registry_status")
    assert registry["所属行业"].str.fullmatch(r"[A-T]").all()
    assert registry["成立日期"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert registry["_legacy_reg_no"].str.fullmatch(r"52\d{13}").all()
    assert all(mod_11_10.is_valid(x) for x in registry["_legacy_reg_no"])
    assert registry["_legacy_reg_no"].is_unique
    former = registry["曾用名"].dropna()
    assert 0.04 < len(former) / len(registry) < 0.12
    names = set(registry["企业名称"])
    assert not any(old in names for f in former for old in f.split(";"))
    assert registry["企业名称"].str.contains("（").any()  # 黔润（贵州）科技有限公司 order exists


# ---------------------------------------------------------------------------
# persons
# ---------------------------------------------------------------------------
def test_person_columns(pop):
    p = pop.persons
    assert tuple(p.columns) == PERSON_COLUMNS + PERSON_INTERNAL
    assert "户口性质" not in p.columns
    assert set(PERSON_HEADERS) - {"户口性质"} <= set(p.columns)
    assert p["person_key"].dtype == np.int64
    for col in ("_in_police", "_in_social", "_in_education"):
        assert p[col].dtype == bool
    assert tuple(pop.study.columns) == STUDY_COLUMNS
    assert tuple(pop.work.columns) == WORK_COLUMNS
    assert set(STUDY_HEADERS) - {"档案编号"} <= set(pop.study.columns)
    assert set(WORK_HEADERS) - {"档案编号"} <= set(pop.work.columns)
    assert tuple(pop.multi_archive.columns) == MULTI_COLUMNS
    assert len(p) == 4000


def test_every_id_valid_and_consistent(pop):
    p = pop.persons
    assert p.groupby("person_key")["公民身份号码"].nunique().max() == 1
    assert p.drop_duplicates("person_key")["公民身份号码"].is_unique
    for id_no, birth, sex in zip(p["公民身份号码"], p["出生日期"], p["性别"]):
        assert ric.is_valid(id_no), id_no  # checks the birth date and the address code in the birth year
        assert id_no[6:14] == birth.replace("-", "")
        assert (int(id_no[16]) % 2 == 1) == (sex == "男")
        assert codes.division_name(id_no[:6], int(birth[:4])) is not None


def test_ages(pop):
    ages = [(REF.year - d.year) - ((REF.month, REF.day) < (d.month, d.day)) for d in map(_d, pop.persons["出生日期"])]
    assert min(ages) >= 18 and max(ages) <= 65


def test_coded_values_are_canonical(pop):
    p = pop.persons
    for header, table in codes.FIELD_CODE_TYPES.items():
        assert set(p[header].dropna()) <= codes.canonical_names(table), header
    assert set(pop.study["学历"]) <= codes.canonical_names("education_level")
    assert set(pop.study["学位"].dropna()) <= {"学士", "硕士", "博士"}
    allowed_polit = codes.canonical_names("political_status")
    assert set(p["政治面貌"]) <= allowed_polit
    assert p["联系电话"].str.fullmatch(r"1[3-9]\d{9}|08\d\d-[2-8]\d{7}").all()
    date_cols = [c for c in ("出生日期", "入党时间", "转正时间", "毕业时间", "档案接收时间", "落户时间", "_moved_in", "_moved_out")]
    for c in date_cols:
        vals = p[c].dropna()
        assert vals.str.fullmatch(r"\d{4}-\d\d-\d\d").all(), c
        assert (vals <= "2021-12-31").all(), c
    assert p["_last_paid"].dropna().str.fullmatch(r"(19|20)\d\d-(0[1-9]|1[0-2])").all()


def test_employers_come_from_the_registry_never_decoys(pop, registry):
    p = pop.persons
    by_uscc = registry.set_index("统一社会信用代码")
    emp = p[p["工作单位"].notna()]
    assert (p["工作单位"].notna() == p["单位统一社会信用代码"].notna()).all()
    rows = by_uscc.loc[emp["单位统一社会信用代码"]]
    assert (rows["企业名称"].to_numpy() == emp["工作单位"].to_numpy()).all()
    assert set(rows["_kind"]) <= {"main", "branch"}
    assert set(rows["登记状态"]) <= {"存续", "在业"}
    work_names = set(pop.work["工作单位"])
    decoys = set(registry.loc[registry["_kind"] == "decoy", "企业名称"])
    assert not work_names & decoys
    assert work_names <= set(registry["企业名称"])
    assert 0.6 < len(emp) / len(p) < 0.95
    assert ((p["_employment_status"] == "就业") == p["工作单位"].notna()).all()


def test_social_feed_flags_match_truth(pop):
    p = pop.persons
    s = p[p["_in_social"]]
    emp = s["_employment_status"] == "就业"
    assert (s.loc[emp, "_social_uscc"] == s.loc[emp, "单位统一社会信用代码"]).all()
    assert (s.loc[emp, "_social_employer"] == s.loc[emp, "工作单位"]).all()
    assert s.loc[~emp, "_social_uscc"].isna().all()
    assert set(s["_insured_status"]) <= {"参保缴费", "暂停缴费", "终止参保"}
    assert s["_last_paid"].notna().all()
    assert p.loc[~p["_in_social"], ["_insured_status", "_last_paid", "_social_uscc"]].isna().all().all()
    employed = p["_employment_status"] == "就业"
    assert abs(p.loc[employed, "_in_social"].mean() - D.SOCIAL_COVERAGE_EMPLOYED) < 0.04
    assert abs(p["_in_police"].mean() - D.POLICE_COVERAGE) < 0.02


def test_party_dates(pop):
    p = pop.persons
    party = p["政治面貌"].isin(["中共党员", "中共预备党员"])
    assert (party == p["入党时间"].notna()).all()
    assert ((p["政治面貌"] == "中共党员") == p["转正时间"].notna()).all()
    assert (party == p["所属党组织"].notna()).all()
    for birth, joined, confirmed in p.loc[party, ["出生日期", "入党时间", "转正时间"]].itertuples(index=False):
        b, j = _d(birth), _d(joined)
        assert j >= dt.date(b.year + 18, b.month, 28 if (b.month, b.day) == (2, 29) else b.day)
        if isinstance(confirmed, str):
            c = _d(confirmed)
            assert c.year == j.year + 1 and (c.month, c.day) in {(j.month, j.day), (3, 1)}
            assert c <= REF
        else:
            assert (REF - j).days <= 365
    league = p["政治面貌"] == "共青团员"
    ages = 2021 - p.loc[league, "出生日期"].str[:4].astype(int)
    assert (ages <= 28).all()


def test_collective_household(pop):
    p = pop.persons
    coll = p["集体户口"] == "是"
    assert (coll == p["户籍编号"].notna()).all()
    assert (coll == p["落户时间"].notna()).all()
    seconds = set(zip(pop.multi_archive["agency_code_b"], pop.multi_archive["档案编号_b"]))
    first = ~pd.Series([k in seconds for k in zip(p["agency_code"], p["档案编号"])], index=p.index)
    assert ((p.loc[first, "_hukou_category"] == "集体户") == coll[first]).all()
    assert (p["_hukou_category"] == "集体户").sum() == coll.sum() + (p.loc[~first, "_hukou_category"] == "集体户").sum()
    assert (p.loc[coll, "_household_no"] == p.loc[coll, "户籍编号"]).all()
    assert (p.loc[coll, "_moved_in"] == p.loc[coll, "落户时间"]).all()
    assert p["户籍编号"].dropna().is_unique
    assert p["户籍所在地"].str.startswith("贵州省").all()
    assert 0.10 < coll.mean() < 0.20


def test_archive_numbers_and_entrustment(pop):
    p = pop.persons
    assert not p.duplicated(["agency_code", "档案编号"]).any()
    assert p["agency_code"].isin([a["code"] for a in codes.agencies()]).all()
    styles = {archive_style(c) for c in p["agency_code"].unique()}
    assert len(styles) >= 4
    assert p.loc[p["agency_code"] == "52000001", "档案编号"].str.fullmatch(r"GZRC-\d{4}-\d{6}").all()
    unit = p["委托方式"] == "单位委托"
    assert (unit == p["立户编号"].notna()).all()
    assert p.loc[unit, "工作单位"].notna().all()
    # one account number per employer within an agency
    accts = p[unit].groupby(["agency_code", "单位统一社会信用代码"])["立户编号"].nunique()
    assert (accts == 1).all()
    assert 0.14 < unit.mean() < 0.26
    assert p["档案状态"].value_counts(normalize=True)["在库"] > 0.9


def test_multi_archive(pop):
    p = pop.persons
    m = pop.multi_archive
    assert 0 < len(m) <= 0.01 * len(p)
    assert len(p) - len(m) == p["person_key"].nunique()
    a = p.set_index(["agency_code", "档案编号"])
    first = a.loc[list(zip(m["agency_code_a"], m["档案编号_a"]))]
    second = a.loc[list(zip(m["agency_code_b"], m["档案编号_b"]))]
    for col in ("公民身份号码", "姓名", "出生日期", "性别", "民族"):
        assert (first[col].to_numpy() == second[col].to_numpy()).all(), col
    assert (m["agency_code_a"] != m["agency_code_b"]).all()
    assert (first["person_key"].to_numpy() == m["person_key"].to_numpy()).all()
    assert (second["集体户口"] == "否").all()


def test_study_history_consistent(pop):
    p = pop.persons.set_index(["agency_code", "档案编号"])
    s = pop.study
    assert (s["起始时间"] < s["终止时间"]).all()
    g = s.groupby(["agency_code", "档案编号"], sort=False)
    assert (g["seq"].transform(lambda x: (x.to_numpy() == np.arange(len(x))).all())).all()
    assert (g["起始时间"].shift(-1).isna() | (g["终止时间"].shift(0) <= g["起始时间"].shift(-1))).all()
    last = s.loc[g["seq"].idxmax()].set_index(["agency_code", "档案编号"])
    joined = p.loc[last.index]
    assert (joined["毕业院校"].to_numpy() == last["学校"].to_numpy()).all()
    assert (joined["毕业时间"].to_numpy() == last["终止时间"].to_numpy()).all()
    assert (joined["所学专业"].fillna("") .to_numpy() == last["专业"].fillna("").to_numpy()).all()
    assert (joined["公民身份号码"].to_numpy() == last["公民身份号码"].to_numpy()).all()
    no_study = p.index.difference(last.index)
    assert p.loc[no_study, "毕业院校"].isna().all()
    # the highest level and degree agree with the rows
    top = {"研究生": "研究生", "大学本科": "大学本科", "大学专科": "大学专科"}
    for level, rows in last.groupby("学历"):
        if level in top:
            assert (joined.loc[rows.index, "最高学历"] == level).all()
    deg = p["最高学位"]
    assert set(deg) <= {"博士", "硕士", "学士", "无"}
    assert (p.loc[deg == "博士", "最高学历"] == "研究生").all()
    assert (p.loc[deg == "学士", "最高学历"] == "大学本科").all()
    tertiary = s["学历"].isin(["研究生", "大学本科", "大学专科"])
    assert (tertiary == s["_cert_no"].notna()).all()
    assert s["_cert_no"].dropna().str.fullmatch(r"\d{5}1\d{4}(01|02|05|06)\d{6}").all()
    # study starts after age ~12
    births = p.loc[list(zip(s["agency_code"], s["档案编号"])), "出生日期"].str[:4].astype(int).to_numpy()
    assert (s["起始时间"].str[:4].astype(int).to_numpy() - births >= 11).all()


def test_work_history_consistent(pop):
    p = pop.persons.set_index(["agency_code", "档案编号"])
    w = pop.work
    ended = w["终止时间"].notna()
    assert (w.loc[ended, "起始时间"] < w.loc[ended, "终止时间"]).all()
    g = w.groupby(["agency_code", "档案编号"], sort=False)
    nxt = g["起始时间"].shift(-1)
    assert (nxt.isna() | (w["终止时间"] < nxt)).all()
    assert (g["seq"].transform(lambda x: (x.to_numpy() == np.arange(len(x))).all())).all()
    open_rows = w[~ended]
    assert not open_rows.duplicated(["agency_code", "档案编号"]).any()
    last = w.loc[g["seq"].idxmax()]
    assert last["终止时间"].isna().sum() == len(open_rows)  # only the last row can be open
    cur = p.loc[list(zip(open_rows["agency_code"], open_rows["档案编号"]))]
    assert (cur["工作单位"].to_numpy() == open_rows["工作单位"].to_numpy()).all()
    employed = p["工作单位"].notna()
    assert employed.sum() == len(open_rows)
    first = w[w["seq"] == 0].set_index(["agency_code", "档案编号"])
    grad = p.loc[first.index, "毕业时间"]
    has_grad = grad.notna() & (p.loc[first.index, "最高学历"] != "初中及以下")
    assert (first.loc[has_grad, "起始时间"].to_numpy() > grad[has_grad].to_numpy()).all()


def test_shares(big):
    p = big.persons
    eth = p["民族"].value_counts(normalize=True)
    assert abs(eth["汉族"] - 0.62) < 0.025
    assert abs(eth["苗族"] - 0.125) < 0.015
    assert abs(eth["布依族"] - 0.08) < 0.012
    assert abs(eth["侗族"] - 0.046) < 0.01
    assert abs(eth["土家族"] - 0.048) < 0.01
    assert 0.015 < eth["彝族"] < 0.04
    party = p["政治面貌"].isin(["中共党员", "中共预备党员"]).mean()
    assert 0.065 < party < 0.095
    edu = p["最高学历"].value_counts(normalize=True)
    for level, share in D.EDUCATION_SHARES.items():
        assert abs(edu[level] - share / 100) < 0.02, level
    dotted = p[p["姓名"].str.contains("·", regex=False)]
    assert len(dotted) >= 20
    assert set(dotted["民族"]) <= {"维吾尔族", "哈萨克族", "彝族"}
    assert dotted["姓名"].str.fullmatch(r"[\u4e00-\u9fff]+·[\u4e00-\u9fff]+").all()
    assert p.loc[~p["姓名"].str.contains("·", regex=False), "姓名"].str.fullmatch(r"[\u4e00-\u9fff]{2,4}").all()
    humans = p["person_key"].nunique()
    assert abs(len(big.study) / humans - 1.6) < 0.1
    assert abs(len(big.work) / humans - 2.2) < 0.15
    shares = p["agency_code"].value_counts(normalize=True)
    assert shares.index[0] == "52000001" and shares.iloc[0] > 0.1
    assert shares.iloc[0] > 20 * shares.iloc[-1]
    edu_people = p["最高学历"].isin(["研究生", "大学本科", "大学专科"])
    assert abs(p.loc[edu_people, "_in_education"].mean() - D.EDUCATION_COVERAGE) < 0.02
    assert not p.loc[~edu_people, "_in_education"].any()
    assert p["_former_name"].notna().mean() > 0.01


def test_sample_ids_with_stdnum_at_scale(big):
    ids = big.persons["公民身份号码"]
    assert all(ric.is_valid(x) for x in ids.sample(3000, random_state=1))


def test_deterministic(registry, pop):
    again = make_population(SEED, 4000, make_registry(SEED, 1500))
    pd.testing.assert_frame_equal(registry, make_registry(SEED, 1500))
    for name in ("persons", "study", "work", "multi_archive"):
        pd.testing.assert_frame_equal(getattr(pop, name), getattr(again, name))
    other = make_population(SEED + 1, 4000, registry)
    assert not other.persons["公民身份号码"].equals(pop.persons["公民身份号码"])
    assert not make_registry(SEED + 1, 1500)["统一社会信用代码"].equals(registry["统一社会信用代码"])


def test_small_sizes():
    reg = make_registry(1, 100)
    assert len(reg) == 100 and reg["企业名称"].is_unique
    one = make_population(1, 1, reg)
    assert len(one.persons) == 1 and len(one.multi_archive) == 0
    small = make_population(1, 50, reg)
    assert small.persons["公民身份号码"].is_unique


def test_frames_serialise_to_parquet(pop, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name in ("persons", "study", "work", "multi_archive"):
        df = getattr(pop, name)
        path = tmp_path / f"{name}.parquet"
        df.to_parquet(path, index=False)
        schema = pq.read_schema(path)
        for field in schema:
            if field.name == "person_key" or field.name == "seq":
                assert field.type == pa.int64()
            elif field.name in ("_in_police", "_in_social", "_in_education"):
                assert field.type == pa.bool_()
            else:
                assert field.type in (pa.string(), pa.large_string()), (name, field)
        back = pd.read_parquet(path)
        assert len(back) == len(df)


# ---------------------------------------------------------------------------
# feed files
# ---------------------------------------------------------------------------
def _spec_columns() -> dict[str, tuple[str, ...]]:
    """The column lists of ../shared/spec/feeds.md, parsed from the contract itself."""
    from pathlib import Path

    spec = Path(__file__).resolve().parents[2] / "shared" / "spec" / "feeds.md"
    if not spec.exists():
        pytest.skip("shared/spec/feeds.md not beside the repository")
    text = spec.read_text(encoding="utf-8")
    out = {}
    for section in re.split(r"\n## ", text)[1:]:
        m = re.search(r"`<feeds>/(\w+)\.\(csv\|parquet\)`\n\n(.*?)\n\n", section, re.S)
        if not m:
            continue
        body = re.sub(r"\([^)]*\)", "", m.group(2).replace("\n", " "))
        out[m.group(1) + ".csv"] = tuple(c.strip() for c in body.split(",") if c.strip())
    return out


def test_feed_columns_match_the_contract():
    spec = _spec_columns()
    assert set(spec) == set(FEED_COLUMNS)
    for name, cols in FEED_COLUMNS.items():
        assert spec[name] == cols, name


def test_write_feeds(pop, registry, tmp_path):
    counts = write_feeds(pop, registry, tmp_path / "a", SEED)
    again = write_feeds(pop, registry, tmp_path / "b", SEED)
    assert counts == again
    p = pop.persons
    humans = p.drop_duplicates("person_key")
    for name, cols in FEED_COLUMNS.items():
        raw = (tmp_path / "a" / name).read_bytes()
        assert raw == (tmp_path / "b" / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        with open(tmp_path / "a" / name, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        assert tuple(rows[0]) == cols
        assert len(rows) - 1 == counts[name]
        assert not any(c.startswith("_") for c in rows[0])
    assert counts["business_registry.csv"] == len(registry)
    assert counts["police_population.csv"] == humans["_in_police"].sum()
    assert counts["social_security.csv"] == humans["_in_social"].sum()

    police = pd.read_csv(tmp_path / "a" / "police_population.csv", dtype=str, keep_default_na=False)
    assert police["公民身份号码"].is_unique
    truth = humans.set_index("公民身份号码").loc[police["公民身份号码"]]
    assert (police["姓名"].to_numpy() == truth["姓名"].to_numpy()).all()
    assert (police["户籍地址"].to_numpy() == truth["户籍所在地"].to_numpy()).all()
    assert set(police["户口类别"]) == {"家庭户", "集体户"}

    social = pd.read_csv(tmp_path / "a" / "social_security.csv", dtype=str, keep_default_na=False)
    assert social["公民身份号码"].is_unique
    s_truth = humans.set_index("公民身份号码").loc[social["公民身份号码"]]
    emp = social["就业状态"] == "就业"
    assert (social.loc[emp, "参保单位名称"].to_numpy() == s_truth.loc[emp.to_numpy(), "工作单位"].to_numpy()).all()
    assert (social.loc[~emp, "参保单位名称"] == "").all()

    edu = pd.read_csv(tmp_path / "a" / "education.csv", dtype=str, keep_default_na=False)
    assert set(edu["学历层次"]) <= {"博士研究生", "硕士研究生", "本科", "专科"}
    assert edu["证书编号"].is_unique and (edu["证书编号"] != "").all()
    edu_people = set(humans.loc[humans["_in_education"], "公民身份号码"])
    assert set(edu["公民身份号码"]) == edu_people
    assert (edu.loc[edu["学历层次"] == "博士研究生", "学位"] == "博士").all()
    assert (edu.loc[edu["学历层次"] == "专科", "学位"] == "").all()

    reg = pd.read_csv(tmp_path / "a" / "business_registry.csv", dtype=str, keep_default_na=False)
    assert reg["统一社会信用代码"].is_unique
    assert set(reg["企业名称"]) == set(registry["企业名称"])
