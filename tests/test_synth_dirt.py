"""synth.dirt: every error category does what it claims; truth matches the clean frames."""
from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from stdnum.cn import ric, uscc

from archives_domain.codes import normalize_alias, synonyms
from archives_domain.collection_form import (
    DATE_HEADERS, HEADERS, PERSON_HEADERS, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, SHEETS,
)
from archives_domain.identity import is_valid_id, is_valid_uscc, upgrade_id15
from synth import dirt
from synth.dirt import DEFAULT_RATES, ERROR_COLUMNS, inject, load_rates
from synth.formats import plan_formats

# ---------------------------------------------------------------------------
# A hand-made clean population following the schema synth.people produces
# ---------------------------------------------------------------------------

AGENCIES = ["52000001", "52010001", "52030001", "52040001", "52260001", "52270001", "52000002", "52020001"]
REGIONS = ["520201", "522701", "522722"]  # codes stdnum accepts for every birth year used here
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅琳鹏飞辉波宇浩凯俊帅慧婷雪晶欣悦佳怡思雨琪嘉"
MINORITY = ["阿依古丽·买买提", "帕尔哈提·艾则孜", "古丽米拉·阿不都", "努尔·白克力", "玛丽亚·托合提"]
ETHNIC = ["汉族"] * 14 + ["苗族", "布依族", "侗族", "土家族", "彝族", "水族", "仡佬族", "回族"]
POLITICAL = ["群众"] * 10 + ["中共党员"] * 4 + ["共青团员"] * 4 + ["中共预备党员", "民盟盟员", "九三学社社员",
                                                                     "无党派人士"]
EDU = [("研究生", "硕士"), ("研究生", "博士"), ("大学本科", "学士"), ("大学本科", "学士"), ("大学本科", "无"),
       ("大学专科", "无"), ("中等专科", "无"), ("高中", "无"), ("初中及以下", "无")]
SCHOOLS = ["贵州大学", "贵州师范大学", "贵州医科大学", "遵义医科大学", "贵州财经大学", "贵州民族大学", "凯里学院"]
MAJORS = ["计算机科学与技术", "会计学", "临床医学", "汉语言文学", "土木工程", "市场营销", "法学"]


def _id(region: str, birth: date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _uscc(i: int) -> str:
    body = f"91520{100 + i % 800:03d}MA{i:06d}X"
    assert len(body) == 17
    code = body + uscc.calc_check_digit(body)
    assert uscc.is_valid(code)
    return code


def make_registry(n: int = 60) -> pd.DataFrame:
    rnd = random.Random(7)
    words = ["黔云", "山海", "筑城", "宏达", "远景", "天成", "金桥", "华信", "鸿图", "恒远", "兴业", "聚力", "博通",
             "安顺", "凯达", "同创", "瑞丰", "长城", "新世纪", "大数据"]
    trades = ["科技", "建设工程", "商贸", "物流", "信息技术", "食品", "医药", "文化传媒", "农业发展", "电子"]
    suffixes = ["有限公司", "有限责任公司", "股份有限公司"]
    rows = []
    for i in range(n):
        w, t, s = words[i % len(words)], trades[(i * 7) % len(trades)], suffixes[i % 3]
        if i % 6 == 0:
            name = f"{w}{t}（贵州）{s}"
        else:
            name = f"贵州{w}{t}{s}" if i < 20 else f"贵阳{w}{t}{i}{s}"
        rows.append({
            "统一社会信用代码": _uscc(i), "企业名称": name,
            "曾用名": f"贵州省{w}{t}有限公司;{w}{t}厂{i}" if i % 3 == 0 else None,
            "企业类型": "有限责任公司", "登记状态": "存续",
            "_kind": "main", "_short_name": f"{w}{t}" if i % 2 == 0 else None,
            "_legacy_reg_no": f"520100{i:09d}" if i % 4 == 0 else None, "_decoy_of": None,
        })
    # branches and decoys
    for j in range(6):
        main = rows[j * 2]
        rows.append({"统一社会信用代码": _uscc(n + j), "企业名称": main["企业名称"] + "贵阳分公司", "曾用名": None,
                     "企业类型": "分公司", "登记状态": "存续", "_kind": "branch", "_short_name": None,
                     "_legacy_reg_no": None, "_decoy_of": None})
    for j in range(4):
        main = rows[j * 4]
        rows.append({"统一社会信用代码": _uscc(n + 10 + j), "企业名称": main["企业名称"].replace("贵州", "贵州省"),
                     "曾用名": None, "企业类型": "有限责任公司", "登记状态": "存续", "_kind": "decoy",
                     "_short_name": None, "_legacy_reg_no": None, "_decoy_of": main["统一社会信用代码"]})
    rnd.shuffle(rows)
    return pd.DataFrame(rows)


def make_clean(n: int = 3000, seed: int = 1):
    rnd = random.Random(seed)
    registry = make_registry()
    companies = registry[registry["_kind"] != "decoy"].reset_index(drop=True)
    persons, study, work = [], [], []
    for i in range(n):
        agency = AGENCIES[i % len(AGENCIES)]
        key = f"DA{i // len(AGENCIES):06d}"
        birth = date(1950, 1, 1) + timedelta(days=rnd.randrange(0, 53 * 365))
        male = rnd.random() < 0.5
        seqno = rnd.randrange(0, 500) * 2 + (1 if male else 0)
        pid = _id(rnd.choice(REGIONS), birth, seqno)
        if i % 9 == 0:  # make sure plenty of IDs end in X
            for s2 in range(seqno, seqno + 200, 2):
                if _id(pid[:6], birth, s2 % 1000).endswith("X"):
                    pid = _id(pid[:6], birth, s2 % 1000)
                    break
        name = rnd.choice(MINORITY) if i % 40 == 0 else rnd.choice(SURNAMES) + "".join(
            rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2))))
        pol = rnd.choice(POLITICAL)
        party = pol in ("中共党员", "中共预备党员")
        join = birth + timedelta(days=rnd.randrange(18 * 365, 30 * 365)) if party else None
        full = join + timedelta(days=365) if pol == "中共党员" else None
        edu, deg = rnd.choice(EDU)
        grad = birth + timedelta(days=rnd.randrange(19 * 365, 26 * 365))
        employed = rnd.random() < 0.7
        comp = companies.iloc[rnd.randrange(len(companies))] if employed else None
        has_uscc = employed and rnd.random() < 0.8
        collective = rnd.random() < 0.15
        unit = rnd.random() < 0.3
        in_social = employed and rnd.random() < 0.85
        received = grad + timedelta(days=rnd.randrange(30, 2000))
        p = {
            "person_key": i, "agency_code": agency, "档案编号": key, "姓名": name,
            "性别": "男" if male else "女", "民族": rnd.choice(ETHNIC), "出生日期": birth.isoformat(),
            "公民身份号码": pid, "政治面貌": pol,
            "入党时间": join.isoformat() if join else None, "转正时间": full.isoformat() if full else None,
            "所属党组织": "贵州省人才交流服务中心党委" if party else None,
            "户籍所在地": "贵州省贵阳市南明区" + rnd.choice(("花果园", "中华南路", "遵义路")) + f"{rnd.randrange(1, 300)}号",
            "联系电话": f"1{rnd.choice('3589')}{rnd.randrange(10**9):09d}" if rnd.random() < 0.9
            else f"0851-{rnd.randrange(10**7, 10**8)}",
            "最高学历": edu, "最高学位": deg, "毕业院校": rnd.choice(SCHOOLS), "所学专业": rnd.choice(MAJORS),
            "毕业时间": grad.isoformat(),
            "专业技术职务": rnd.choice(("助理工程师", "工程师", "会计师")) if rnd.random() < 0.4 else None,
            "职业资格": "电工四级" if rnd.random() < 0.2 else None,
            "工作单位": comp["企业名称"] if employed else None,
            "单位统一社会信用代码": comp["统一社会信用代码"] if has_uscc else None,
            "委托方式": "单位委托" if unit else "个人委托", "立户编号": f"LH{rnd.randrange(10000):05d}" if unit else None,
            "档案来源": rnd.choice(("贵州大学", "原工作单位", "省外转入")), "档案接收时间": received.isoformat(),
            "档案状态": rnd.choice(("在库",) * 8 + ("借出", "已转出")), "集体户口": "是" if collective else "否",
            "户籍编号": f"JT{rnd.randrange(10**6):06d}" if collective else None,
            "落户时间": received.isoformat() if collective else None,
            "备注": "补充材料待交" if rnd.random() < 0.05 else None,
            "_in_police": rnd.random() < 0.9, "_in_social": in_social,
            "_in_education": edu in ("研究生", "大学本科", "大学专科") and rnd.random() < 0.8,
            "_social_employer": (comp["企业名称"] if rnd.random() < 0.9 else companies.iloc[0]["企业名称"])
            if in_social else None,
            "_social_uscc": comp["统一社会信用代码"] if in_social else None,
            "_hukou_type_legacy": rnd.choice(("非农业", "农业", "城镇")),
        }
        persons.append(p)
        for s in range(rnd.choice((0, 1, 1, 2))):
            start = birth + timedelta(days=(15 + 4 * s) * 365)
            study.append({"agency_code": agency, "档案编号": key, "seq": s, "公民身份号码": pid,
                          "起始时间": start.isoformat(), "终止时间": (start + timedelta(days=4 * 365)).isoformat(),
                          "学校": rnd.choice(SCHOOLS), "专业": rnd.choice(MAJORS),
                          "学历": edu if s else "大学本科", "学位": None if rnd.random() < 0.3 else "学士"})
        for s in range(rnd.choice((0, 1, 2, 3))):
            start = grad + timedelta(days=s * 3 * 365)
            c = companies.iloc[rnd.randrange(len(companies))]
            work.append({"agency_code": agency, "档案编号": key, "seq": s, "公民身份号码": pid,
                         "起始时间": start.isoformat(),
                         "终止时间": (start + timedelta(days=3 * 365)).isoformat() if s < 2 else None,
                         "工作单位": c["企业名称"], "部门": rnd.choice(("办公室", "财务部", None)),
                         "职务": rnd.choice(("职员", "经理", None))})
    persons = pd.DataFrame(persons)
    # 一人多档: a few persons filed again at another agency
    extra, pairs = [], []
    for j, i in enumerate(range(5, n, max(1, n // 6))):
        p = dict(persons.iloc[i])
        other = AGENCIES[(AGENCIES.index(p["agency_code"]) + 3) % len(AGENCIES)]
        q = dict(p, agency_code=other, 档案编号=f"DB{j:06d}")
        extra.append(q)
        pairs.append({"person_key": p["person_key"], "agency_code_a": p["agency_code"], "档案编号_a": p["档案编号"],
                      "agency_code_b": other, "档案编号_b": q["档案编号"]})
    persons = pd.concat([persons, pd.DataFrame(extra)], ignore_index=True)
    str_cols = [c for c in persons.columns if c not in ("person_key",) and not c.startswith("_in")]
    persons = persons.astype({c: "str" for c in str_cols})
    persons["person_key"] = persons["person_key"].astype("int64")
    study = pd.DataFrame(study).astype({"seq": "int64"})
    work = pd.DataFrame(work).astype({"seq": "int64"})
    for f in (study, work):
        for c in f.columns:
            if c != "seq":
                f[c] = f[c].astype("str")
    return persons, study, work, registry.astype({c: "str" for c in registry.columns}), pd.DataFrame(pairs)


@pytest.fixture(scope="module")
def clean():
    return make_clean()


@pytest.fixture(scope="module")
def result(clean):
    return inject(*clean, rates=None, seed=11)


HIGH = {k: min(1.0, v * 4) for k, v in DEFAULT_RATES.items()
        if k not in ("batch_new", "row_duplicate", "row_empty_key", "row_no_identity", "row_conflicting_key")}
HIGH.update({"row_duplicate": 0.01, "row_empty_key": 0.002, "row_no_identity": 0.002, "row_conflicting_key": 0.002})


@pytest.fixture(scope="module")
def high(clean):
    """Rates raised so that every category shows up often at a few thousand rows."""
    return inject(*clean, rates=HIGH, seed=5)


def _errs(res, cat):
    e = res.errors
    return e[e["category"] == cat]


def _clean_lookup(clean):
    persons, study, work, *_ = clean
    out = {}
    for sheet, frame in ((SHEET_PERSON, persons), (SHEET_STUDY, study), (SHEET_WORK, work)):
        for rec in frame.to_dict("records"):
            seq = None if sheet == SHEET_PERSON else rec["seq"]
            out[(rec["agency_code"], rec["档案编号"], sheet, seq)] = rec
    return out


def _dirty_cells(res):
    """{(source_file, sheet, 档案编号 as written, …)}: every written frame by source file."""
    frames = {}
    for agency, batches in res.batches.items():
        for b in batches:
            for sheet, frame in b.frames.items():
                frames[(b.source_files[sheet], sheet)] = frame
    return frames


def _na(v):
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA


# ---------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------

def test_errors_columns_and_types(result):
    e = result.errors
    assert tuple(e.columns) == ERROR_COLUMNS
    assert e["error_id"].is_unique and e["error_id"].dtype == np.int64
    assert e["resolvable"].dtype == bool
    assert set(e["sheet"]) <= set(SHEETS)
    assert e.loc[e["sheet"] == SHEET_PERSON, "seq"].isna().all()
    assert e.loc[e["sheet"] != SHEET_PERSON, "seq"].notna().all()
    assert set(e["category"]) <= set(dirt.CATEGORIES)


def test_every_category_appears(high):
    seen = set(high.errors["category"])
    assert set(dirt.CATEGORIES) - seen == set()


def test_one_error_per_cell(high):
    key = ["agency_code", "档案编号", "sheet", "seq", "field"]
    e = high.errors.copy()
    e["seq"] = e["seq"].fillna(-1)
    assert not e.duplicated(key).any()


def test_clean_values_match_the_clean_frames(high, clean):
    look = _clean_lookup(clean)
    for rec in high.errors.itertuples(index=False):
        seq = None if rec.sheet == SHEET_PERSON else int(rec.seq)
        src = look[(rec.agency_code, rec.档案编号, rec.sheet, seq)]
        want = src[rec.field]
        if _na(want):
            assert _na(rec.clean), rec
        else:
            assert rec.clean == want, rec
        if rec.category not in ("multi_archive",):
            assert rec.dirty != rec.clean or (_na(rec.dirty) != _na(rec.clean)), rec


def test_dirty_values_are_what_the_files_show(high):
    """Each error's dirty value is in the written file, on a row of that record."""
    cells: dict = {}
    for (src, sheet), frame in _dirty_cells(high).items():
        for rec in frame.to_dict("records"):
            key = rec["档案编号"]
            if not isinstance(key, str):
                continue
            bucket = cells.setdefault((src, sheet, key.strip(" \u3000")), {})
            for h, v in rec.items():
                bucket.setdefault(h, set()).add(None if _na(v) else str(v))
    for rec in high.errors.itertuples(index=False):
        written = cells[(rec.source_file, rec.sheet, rec.档案编号)][rec.field]
        assert (None if _na(rec.dirty) else rec.dirty) in written, rec
    assert len(high.errors) > 1000


def test_determinism(clean):
    a = inject(*clean, rates=HIGH, seed=3)
    b = inject(*clean, rates=HIGH, seed=3)
    pd.testing.assert_frame_equal(a.errors, b.errors)
    pd.testing.assert_frame_equal(a.duplicates, b.duplicates)
    pd.testing.assert_frame_equal(a.quarantine, b.quarantine)
    for agency in a.batches:
        for x, y in zip(a.batches[agency], b.batches[agency]):
            for sheet in SHEETS:
                pd.testing.assert_frame_equal(x.frames[sheet], y.frames[sheet])
    c = inject(*clean, rates=HIGH, seed=4)
    assert not a.errors[["档案编号", "field", "category"]].equals(c.errors[["档案编号", "field", "category"]])


def test_rates_load_and_validate(tmp_path):
    path = tmp_path / "rates.json"
    path.write_text('{"whitespace": 0.2}', encoding="utf-8")
    rates = load_rates(path)
    assert rates["whitespace"] == 0.2 and rates["id_typo"] == DEFAULT_RATES["id_typo"]
    with pytest.raises(ValueError):
        load_rates({"no_such_category": 0.1})
    with pytest.raises(ValueError):
        load_rates({"whitespace": 2})
    assert set(dirt.ELIGIBILITY) == set(DEFAULT_RATES)


# ---------------------------------------------------------------------------
# Categories
# ---------------------------------------------------------------------------

def test_id_typo(high, clean):
    e = _errs(high, "id_typo")
    assert len(e) > 5
    persons = clean[0].set_index(["agency_code", "档案编号"])
    for rec in e.itertuples(index=False):
        assert not is_valid_id(rec.dirty)
        assert len(rec.dirty) == 18 and sum(a != b for a, b in zip(rec.dirty, rec.clean)) == 1
        assert rec.resolvable == bool(persons.loc[(rec.agency_code, rec.档案编号), "_in_police"])


def test_id_transposition(high):
    e = _errs(high, "id_transposition")
    assert len(e) > 3
    for rec in e.itertuples(index=False):
        assert not is_valid_id(rec.dirty)
        diff = [i for i, (a, b) in enumerate(zip(rec.dirty, rec.clean)) if a != b]
        assert len(diff) == 2 and diff[1] == diff[0] + 1
        i = diff[0]
        assert rec.dirty[i] == rec.clean[i + 1] and rec.dirty[i + 1] == rec.clean[i]


def test_id_typo_rows_keep_name_and_birth_date_clean(high):
    e = high.errors
    bad = e[e["category"].isin(["id_typo", "id_transposition"])][["agency_code", "档案编号"]]
    other = e[(e["sheet"] == SHEET_PERSON) & e["field"].isin(["姓名", "出生日期"])][["agency_code", "档案编号"]]
    assert bad.merge(other).empty


def test_id_15_and_lowercase_x(high):
    e = _errs(high, "id_15")
    assert len(e) > 5
    for rec in e.itertuples(index=False):
        assert len(rec.dirty) == 15 and rec.clean[6:8] == "19"
        assert upgrade_id15(rec.dirty) == rec.clean
        assert rec.resolvable
    e = _errs(high, "id_lowercase_x")
    assert len(e) > 5
    for rec in e.itertuples(index=False):
        assert rec.clean.endswith("X") and rec.dirty == rec.clean[:-1] + "x"


def test_names(high, clean):
    from opencc import OpenCC
    t2s = OpenCC("t2s")
    e = _errs(high, "name_traditional")
    assert len(e) > 5
    for rec in e.itertuples(index=False):
        assert rec.dirty != rec.clean and t2s.convert(rec.dirty) == rec.clean and rec.resolvable
    e = _errs(high, "name_dot")
    assert len(e) >= 1
    for rec in e.itertuples(index=False):
        assert "·" in rec.clean and "·" not in rec.dirty
        assert rec.dirty.replace(".", "·").replace("•", "·").replace("・", "·") == rec.clean
    from pypinyin import Style, lazy_pinyin
    e = _errs(high, "name_homophone")
    assert len(e) > 5
    persons = clean[0].set_index(["agency_code", "档案编号"])
    for rec in e.itertuples(index=False):
        assert len(rec.dirty) == len(rec.clean)
        diff = [i for i, (a, b) in enumerate(zip(rec.dirty, rec.clean)) if a != b]
        assert len(diff) == 1
        i = diff[0]
        assert lazy_pinyin(rec.dirty[i], style=Style.TONE3) == lazy_pinyin(rec.clean[i], style=Style.TONE3)
        assert rec.resolvable == bool(persons.loc[(rec.agency_code, rec.档案编号), "_in_police"])


def test_code_synonym(high):
    e = _errs(high, "code_synonym")
    assert len(e) > 20
    assert len(set(e["field"])) >= 6
    for rec in e.itertuples(index=False):
        assert synonyms(rec.field)[normalize_alias(rec.dirty)] == rec.clean


def test_null_token(high):
    e = _errs(high, "null_token")
    assert len(e) > 20
    for rec in e.itertuples(index=False):
        assert _na(rec.clean)
        assert rec.dirty.strip(" \u3000") in {"", "无", "/", "-", "—", "NULL", "null"}
        assert not (rec.field == "最高学位" and rec.dirty == "无")
        assert rec.resolvable


def test_whitespace_and_fullwidth(high):
    import unicodedata
    e = _errs(high, "whitespace")
    assert len(e) > 50
    for rec in e.itertuples(index=False):
        assert rec.dirty.replace(" ", "").replace("\u3000", "") == rec.clean.replace(" ", "")
        if rec.field not in dirt.NO_SPACE_FIELDS:
            assert rec.dirty.strip(" \u3000") == rec.clean
    e = _errs(high, "fullwidth")
    assert len(e) > 10
    for rec in e.itertuples(index=False):
        assert unicodedata.normalize("NFKC", rec.dirty) == rec.clean
        assert rec.field in dirt.FULLWIDTH_FIELDS or rec.field in DATE_HEADERS[rec.sheet]


def test_dates(high, clean):
    persons = clean[0].set_index(["agency_code", "档案编号"])
    e = _errs(high, "date_excel_serial")
    assert len(e) > 10
    for rec in e.itertuples(index=False):
        assert rec.dirty.isdigit()
        assert (date(1899, 12, 30) + timedelta(days=int(rec.dirty))).isoformat() == rec.clean
    e = _errs(high, "date_format")
    assert len(e) > 10
    for rec in e.itertuples(index=False):
        digits = [int(x) for x in __import__("re").findall(r"\d+", rec.dirty)]
        if len(digits) == 1:
            s = rec.dirty
            digits = [int(s[:4]), int(s[4:6]), int(s[6:8])]
        assert date(*digits).isoformat() == rec.clean
    e = _errs(high, "date_month_only")
    assert len(e) > 10
    for rec in e.itertuples(index=False):
        y, m = [int(x) for x in __import__("re").findall(r"\d+", rec.dirty)]
        assert (y, m) == (int(rec.clean[:4]), int(rec.clean[5:7]))
        if rec.sheet == SHEET_PERSON and rec.field == "出生日期":
            assert rec.resolvable
        elif rec.sheet == SHEET_PERSON and rec.field == "毕业时间":
            assert rec.resolvable == bool(persons.loc[(rec.agency_code, rec.档案编号), "_in_education"])
        else:
            assert not rec.resolvable
    e = _errs(high, "date_impossible")
    assert len(e) > 3
    for rec in e.itertuples(index=False):
        with pytest.raises(ValueError):
            y, m, d = [int(x) for x in rec.dirty.split("-")]
            date(y, m, d)
        assert rec.resolvable == (rec.sheet == SHEET_PERSON and rec.field == "出生日期")


def test_employer_variants(high, clean):
    registry = clean[3]
    by_name = registry.set_index("企业名称")
    names = set(registry["企业名称"])
    e = _errs(high, "employer_former_name")
    assert len(e) > 3
    for rec in e.itertuples(index=False):
        assert rec.dirty in by_name.loc[rec.clean, "曾用名"].split(";")
    e = _errs(high, "employer_abbrev")
    assert len(e) > 3
    for rec in e.itertuples(index=False):
        assert rec.dirty == by_name.loc[rec.clean, "_short_name"]
    e = _errs(high, "employer_bracket_width")
    assert len(e) > 3
    for rec in e.itertuples(index=False):
        assert rec.dirty.replace("(", "（").replace(")", "）") == rec.clean
    e = _errs(high, "employer_no_suffix")
    assert len(e) > 3
    for rec in e.itertuples(index=False):
        assert any(rec.clean.replace(s, "", 1) == rec.dirty for s in dirt.COMPANY_SUFFIXES)
    e = _errs(high, "employer_typo")
    assert len(e) > 3
    for rec in e.itertuples(index=False):
        assert len(rec.dirty) == len(rec.clean) and rec.dirty not in names
        assert sum(a != b for a, b in zip(rec.dirty, rec.clean)) == 1
    e = _errs(high, "employer_changed")
    assert len(e) >= 2 and not e["resolvable"].any()
    for rec in e[e["field"] == "工作单位"].itertuples(index=False):
        assert rec.dirty in names and rec.dirty != rec.clean
    e = _errs(high, "employer_missing")
    assert len(e) >= 2
    assert e["dirty"].isna().all()


def test_at_most_one_of_employer_and_uscc_has_a_variant(high):
    variants = ["employer_abbrev", "employer_no_suffix", "employer_former_name", "employer_bracket_width",
                "employer_typo", "uscc_bad_check", "uscc_legacy_15", "whitespace", "fullwidth"]
    e = high.errors[(high.errors["sheet"] == SHEET_PERSON)
                    & high.errors["field"].isin(["工作单位", "单位统一社会信用代码"])]
    v = e[e["category"].isin(variants)]
    both = v.groupby(["agency_code", "档案编号"])["field"].nunique()
    assert (both <= 1).all()


def test_name_variant_resolvable_when_uscc_registered(high, clean):
    persons = clean[0].set_index(["agency_code", "档案编号"])
    registered = set(clean[3]["统一社会信用代码"])
    e = high.errors[(high.errors["sheet"] == SHEET_PERSON) & high.errors["category"].isin(
        ["employer_abbrev", "employer_no_suffix", "employer_former_name", "employer_bracket_width", "employer_typo"])]
    n = 0
    for rec in e.itertuples(index=False):
        u = persons.loc[(rec.agency_code, rec.档案编号), "单位统一社会信用代码"]
        if isinstance(u, str) and u in registered:
            assert rec.resolvable
            n += 1
    assert n > 3


def test_uscc_variants(high, clean):
    registry = clean[3].set_index("统一社会信用代码")
    e = _errs(high, "uscc_bad_check")
    assert len(e) > 3
    for rec in e.itertuples(index=False):
        assert rec.dirty[:17] == rec.clean[:17] and rec.dirty[17] != rec.clean[17]
        assert not is_valid_uscc(rec.dirty)
    e = _errs(high, "uscc_legacy_15")
    assert len(e) > 1
    for rec in e.itertuples(index=False):
        assert rec.dirty == registry.loc[rec.clean, "_legacy_reg_no"] and len(rec.dirty) == 15


def test_multi_archive(high, clean):
    pairs = clean[4]
    e = _errs(high, "multi_archive")
    assert len(e) == 2 * len(pairs)
    assert (e["field"] == "公民身份号码").all() and (e["dirty"] == e["clean"]).all()
    assert not e["resolvable"].any()
    got = set(zip(e["agency_code"], e["档案编号"]))
    want = set(zip(pairs["agency_code_a"], pairs["档案编号_a"])) | set(zip(pairs["agency_code_b"], pairs["档案编号_b"]))
    assert got == want


def test_batches_and_corrections(high):
    two = {a for a, (_, b) in high.plan.items() if len(b) == 2}
    assert two
    for a, batches in high.batches.items():
        assert [b.name for b in batches] == list(high.plan[a][1])
        assert all(b.fmt == high.plan[a][0] for b in batches)
        if a in two:
            assert len(batches[1].frames[SHEET_PERSON]) > 0
    e = _errs(high, "batch_correction")
    assert len(e) > 3 and e["resolvable"].all()
    assert set(e["agency_code"]) <= two and (e["batch"] == "2020-12").all()
    for rec in e.itertuples(index=False):
        second = high.batches[rec.agency_code][1].frames[SHEET_PERSON]
        row = second[second["档案编号"].map(lambda v: isinstance(v, str) and v.strip(" \u3000")) == rec.档案编号]
        assert len(row) == 1
        assert row.iloc[0][rec.field] == rec.clean
        others = [h for h in PERSON_HEADERS if h not in ("档案编号", "姓名", "公民身份号码", rec.field)]
        assert all(_na(row.iloc[0][h]) for h in others)


def test_hukou_is_the_legacy_value(result, clean):
    persons = clean[0].set_index(["agency_code", "档案编号"])
    for a, batches in result.batches.items():
        f = batches[0].frames[SHEET_PERSON]
        f = f[f["公民身份号码"].notna() & f["档案编号"].map(lambda v: isinstance(v, str) and v.strip() == v)]
        for k, v in zip(f["档案编号"].head(50), f["户口性质"].head(50)):
            if (a, k) in persons.index:
                assert v == persons.loc[(a, k), "_hukou_type_legacy"]


def test_duplicates_are_exact_repeats(high):
    d = high.duplicates
    assert len(d) > 10
    frames = _dirty_cells(high)
    for rec in d.itertuples(index=False):
        f = frames[(rec.source_file, rec.sheet)]
        first, rep = f.iloc[rec.row_first - 2], f.iloc[rec.row_repeat - 2]
        assert rec.row_first < rec.row_repeat
        assert [None if _na(v) else v for v in first] == [None if _na(v) else v for v in rep]
        assert isinstance(first["档案编号"], str) and first["档案编号"].strip(" \u3000") == rec.档案编号


def test_quarantine_rows(high):
    q = high.quarantine
    frames = _dirty_cells(high)
    reasons = set()
    for rec in q.itertuples(index=False):
        f = frames[(rec.source_file, rec.sheet)]
        row = f.iloc[rec.row - 2]
        key = row["档案编号"]
        if rec.reason == dirt.REASON_EMPTY_KEY:
            assert _na(key) or key.strip() == ""
            reasons.add("empty")
        elif rec.reason == dirt.REASON_NO_IDENTITY:
            assert _na(row["姓名"]) and _na(row["公民身份号码"]) and isinstance(key, str)
            reasons.add("noid")
        else:
            first = int(__import__("re").search(r"第(\d+)行", rec.reason).group(1))
            assert first < rec.row
            other = f.iloc[first - 2]
            assert other["档案编号"] == key
            assert [None if _na(v) else v for v in other] != [None if _na(v) else v for v in row]
            reasons.add("conflict")
    assert reasons == {"empty", "noid", "conflict"}
    assert set(q["sheet"]) >= {SHEET_PERSON}


def test_row_counts(high):
    total = sum(len(f) for bs in high.batches.values() for b in bs for f in b.frames.values())
    assert high.rows_in == total
    m = high.manifest_part()
    assert m["rows_in"] == total and sum(m["errors_by_category"].values()) == len(high.errors)


def test_rates_within_tolerance(clean):
    rates = {k: 0.0 for k in DEFAULT_RATES}
    rates.update({"whitespace": 0.02, "null_token": 0.05, "date_format": 0.04, "code_synonym": 0.05,
                  "id_typo": 0.03})
    res = inject(*clean, rates=rates, seed=9)
    persons, study, work, *_ = clean
    e = res.errors
    ids = len(persons) - 2 * len(clean[4])
    checks = {
        "id_typo": ids * 0.03,
        "code_synonym": sum(persons[f].notna().sum() for f in dirt.FIELD_CODE_TYPES) * 0.05,
        "date_format": sum(fr[f].notna().sum() for fr, sh in ((persons, SHEET_PERSON), (study, SHEET_STUDY),
                                                             (work, SHEET_WORK)) for f in DATE_HEADERS[sh]) * 0.04,
    }
    for cat, expected in checks.items():
        got = (e["category"] == cat).sum()
        assert abs(got - expected) < 0.2 * expected + 10, (cat, got, expected)
    text_cells = sum(fr[h].notna().sum() for fr, sh in ((persons, SHEET_PERSON), (study, SHEET_STUDY),
                                                         (work, SHEET_WORK))
                     for h in HEADERS[sh] if h != "户口性质")
    got = (e["category"] == "whitespace").sum()
    assert abs(got - 0.02 * text_cells) < 0.15 * 0.02 * text_cells


def test_plan_formats_mix():
    from archives_domain.codes import agencies
    codes = [a["code"] for a in agencies()]
    plan = plan_formats(codes, 1)
    assert set(plan) == set(codes)
    fmts = pd.Series([f for f, _ in plan.values()]).value_counts()
    assert abs(fmts["xlsx"] - 0.4 * len(codes)) <= 1 and abs(fmts["csv-gb18030"] - 0.2 * len(codes)) <= 1
    two = sum(len(b) == 2 for _, b in plan.values())
    assert two == round(0.15 * len(codes))
    assert plan == plan_formats(codes, 1) and plan != plan_formats(codes, 2)


def test_without_child_sheets_or_pairs(clean):
    persons, _, _, registry, _ = clean
    res = inject(persons.head(300), None, None, registry, None, rates=HIGH, seed=1)
    assert len(res.errors) > 0 and set(res.errors["sheet"]) == {SHEET_PERSON}
    for batches in res.batches.values():
        for b in batches:
            assert list(b.frames[SHEET_STUDY].columns) == list(HEADERS[SHEET_STUDY])
            assert list(b.frames[SHEET_PERSON].columns) == list(PERSON_HEADERS)


def test_rates_from_a_json_file(clean, tmp_path):
    path = tmp_path / "rates.json"
    path.write_text('{"whitespace": 0, "null_token": 0, "code_synonym": 0}', encoding="utf-8")
    res = inject(*clean, rates=path, seed=1)
    assert not res.errors["category"].isin(["whitespace", "null_token", "code_synonym"]).any()
    assert res.rates["whitespace"] == 0 and res.manifest_part()["rates"]["id_typo"] == DEFAULT_RATES["id_typo"]
