"""ID numbers against 公安, names against 公安, birth dates from the ID — including the decoys."""
from __future__ import annotations

import json

import pandas as pd
from stdnum.cn import ric

from archives_domain.identity import id_candidates, is_valid_id
from pipelines.cleaning.repair import repair
from pipelines.cleaning.repair.names import same_sound
from pipelines.feeds import FEEDS, Feeds

POLICE_COLS = FEEDS["police_population"].columns


def valid_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def typo(number: str, pos: int) -> str:
    d = str((int(number[pos]) + 1) % 10)
    bad = number[:pos] + d + number[pos + 1:]
    assert not is_valid_id(bad)
    return bad


def police(*rows) -> pd.DataFrame:
    out = []
    for r in rows:
        base = dict.fromkeys(POLICE_COLS)
        base.update(r)
        out.append(base)
    return pd.DataFrame(out, columns=list(POLICE_COLS))


def records(*rows) -> pd.DataFrame:
    cols = ["_agency", "档案编号", "姓名", "性别", "出生日期", "公民身份号码", "_issues"]
    out = []
    for i, r in enumerate(rows):
        base = dict.fromkeys(cols)
        base.update({"_agency": "52010001", "档案编号": f"A{i}"})
        issues = r.pop("issues", [])
        base.update(r)
        base["_issues"] = json.dumps([{"field": f, "code": c, "raw": None} for f, c in issues],
                                     ensure_ascii=False) if issues else None
        out.append(base)
    return pd.DataFrame(out, columns=cols, dtype="str")


def run(recs, pol):
    return repair(recs, None, None, Feeds.from_tables({"police_population": pol}),
                  steps=["ids", "names", "birth_dates"])


GOOD = valid_id("52010219900101123")          # 男 (17th digit 3)
BAD = typo(GOOD, 15)                           # one digit wrong in the sequence code


def _cell(res, row, field):
    return res.records.at[row, field]


def test_typo_confirmed_by_name_and_birth_date_is_repaired():
    res = run(records({"姓名": "张伟", "性别": "男", "出生日期": "1990-01-01", "公民身份号码": BAD,
                       "issues": [("公民身份号码", "id_checksum")]}),
              police({"公民身份号码": GOOD, "姓名": "张伟", "性别": "男", "出生日期": "1990-01-01"}))
    assert _cell(res, 0, "公民身份号码") == GOOD
    log = res.log.iloc[0]
    assert (log["field"], log["old"], log["new"], log["rule"], log["applied"]) == (
        "公民身份号码", BAD, GOOD, "id_typo_police", True)
    assert log["feed"] == "police_population" and log["confidence"] >= 0.95
    assert res.review.empty


def test_transposition_is_repaired():
    bad = GOOD[:14] + GOOD[15] + GOOD[14] + GOOD[16:]  # sequence code 123 → 213
    assert not is_valid_id(bad)
    res = run(records({"姓名": "张伟", "出生日期": "1990-01-01", "公民身份号码": bad,
                       "issues": [("公民身份号码", "id_checksum")]}),
              police({"公民身份号码": GOOD, "姓名": "张伟", "性别": "男", "出生日期": "1990-01-01"}))
    assert _cell(res, 0, "公民身份号码") == GOOD


def test_two_candidates_both_confirmed_in_police_go_to_review():
    cands = [c for c in id_candidates(BAD) if c[6:14] == "19900101" and c != GOOD and int(c[16]) % 2 == 1]
    other = cands[0]
    pol = police({"公民身份号码": GOOD, "姓名": "张伟", "性别": "男", "出生日期": "1990-01-01"},
                 {"公民身份号码": other, "姓名": "张伟", "性别": "男", "出生日期": "1990-01-01"})
    res = run(records({"姓名": "张伟", "出生日期": "1990-01-01", "公民身份号码": BAD,
                       "issues": [("公民身份号码", "id_checksum")]}), pol)
    assert _cell(res, 0, "公民身份号码") == BAD
    item = res.review.iloc[0]
    assert item["field"] == "公民身份号码" and item["rule"] == "id_typo_review"
    assert set(json.loads(item["candidates"])) == {GOOD, other}


def test_two_candidates_in_police_but_only_one_with_the_name():
    other = [c for c in id_candidates(BAD) if c != GOOD and c[6:14] == "19900101"][0]
    pol = police({"公民身份号码": GOOD, "姓名": "张伟", "性别": "男", "出生日期": "1990-01-01"},
                 {"公民身份号码": other, "姓名": "李娜", "性别": "女", "出生日期": "1990-01-01"})
    res = run(records({"姓名": "张伟", "出生日期": "1990-01-01", "公民身份号码": BAD,
                       "issues": [("公民身份号码", "id_checksum")]}), pol)
    assert _cell(res, 0, "公民身份号码") == GOOD


def test_homophone_name_of_a_different_person_under_a_candidate_is_not_taken():
    # the form says 张伟; the only candidate in the register belongs to 章伟 (same sound, another person)
    assert same_sound("张伟", "章伟")
    res = run(records({"姓名": "张伟", "性别": "男", "出生日期": "1990-01-01", "公民身份号码": BAD,
                       "issues": [("公民身份号码", "id_checksum")]}),
              police({"公民身份号码": GOOD, "姓名": "章伟", "性别": "男", "出生日期": "1990-01-01"}))
    assert _cell(res, 0, "公民身份号码") == BAD
    assert _cell(res, 0, "姓名") == "张伟"          # and the name is not "repaired" to the other person's
    assert list(res.review["field"]) == ["公民身份号码"]
    assert json.loads(res.review.iloc[0]["candidates"]) == [GOOD]


def test_candidate_with_another_birth_date_is_not_confirmed():
    res = run(records({"姓名": "张伟", "出生日期": "1991-05-05", "公民身份号码": BAD,
                       "issues": [("公民身份号码", "id_checksum")]}),
              police({"公民身份号码": GOOD, "姓名": "张伟", "性别": "男", "出生日期": "1990-01-01"}))
    assert _cell(res, 0, "公民身份号码") == BAD and len(res.review) == 1


def test_no_candidate_in_police_goes_to_review_with_all_candidates():
    res = run(records({"姓名": "张伟", "出生日期": "1990-01-01", "公民身份号码": BAD,
                       "issues": [("公民身份号码", "id_checksum")]}),
              police({"公民身份号码": valid_id("52010219800101001"), "姓名": "某人"}))
    assert _cell(res, 0, "公民身份号码") == BAD
    assert set(json.loads(res.review.iloc[0]["candidates"])) <= set(id_candidates(BAD))


def test_checksum_valid_id_is_never_touched_even_with_region_year_issue():
    # 520102 (南明区) is in use from 1983 in stdnum's table: a 1950 birth is "invalid" but real
    old = valid_id("52010219500101123")
    assert not is_valid_id(old)
    neighbour = [c for c in id_candidates(typo(old, 3))]  # whatever validates nearby
    pol = police({"公民身份号码": old, "姓名": "王芳", "性别": "男", "出生日期": "1950-01-01"},
                 *[{"公民身份号码": c, "姓名": "王芳", "性别": "男", "出生日期": "1950-01-01"} for c in neighbour])
    res = run(records({"姓名": "王芳", "出生日期": "1950-01-01", "公民身份号码": old,
                       "issues": [("公民身份号码", "id_region_year")]}), pol)
    assert _cell(res, 0, "公民身份号码") == old
    assert res.log.empty and res.review.empty


def test_birth_date_month_only_or_impossible_from_the_id():
    res = run(records(
        {"姓名": "张伟", "出生日期": "1990-01", "公民身份号码": GOOD, "issues": [("出生日期", "date_month_only")]},
        {"姓名": "张伟", "出生日期": "1990-02-30", "公民身份号码": GOOD, "issues": [("出生日期", "date_impossible")]},
        {"姓名": "张伟", "出生日期": "1991-01", "公民身份号码": GOOD, "issues": [("出生日期", "date_month_only")]},
        {"姓名": "张伟", "出生日期": "1990-01", "公民身份号码": BAD,
         "issues": [("出生日期", "date_month_only"), ("公民身份号码", "id_checksum")]},
    ), police({"公民身份号码": valid_id("52010219800101001"), "姓名": "某人"}))
    assert _cell(res, 0, "出生日期") == "1990-01-01"
    assert _cell(res, 1, "出生日期") == "1990-01-01"
    assert _cell(res, 2, "出生日期") == "1991-01"        # disagrees with the ID → review
    assert _cell(res, 3, "出生日期") == "1990-01"        # the ID itself is wrong → review
    rev = res.review[res.review["field"] == "出生日期"]
    assert sorted(rev["档案编号"]) == ["A2", "A3"]


def test_birth_date_after_id_repair_uses_the_repaired_id():
    res = run(records({"姓名": "张伟", "性别": "男", "出生日期": "1990-01", "公民身份号码": BAD,
                       "issues": [("出生日期", "date_month_only"), ("公民身份号码", "id_checksum")]}),
              police({"公民身份号码": GOOD, "姓名": "张伟", "性别": "男", "出生日期": "1990-01-01"}))
    assert _cell(res, 0, "公民身份号码") == GOOD
    assert _cell(res, 0, "出生日期") == "1990-01-01"


# ---- names ------------------------------------------------------------------------------------------------

def test_name_variants_against_the_police_name():
    ids = [valid_id(f"5201021990010110{i}") for i in range(7)]
    pol = police(
        {"公民身份号码": ids[0], "姓名": "张伟", "性别": "男", "出生日期": "1990-01-01"},
        {"公民身份号码": ids[1], "姓名": "阿依古丽·买买提", "出生日期": "1990-01-01"},
        {"公民身份号码": ids[2], "姓名": "李文杰", "出生日期": "1990-01-01"},
        {"公民身份号码": ids[3], "姓名": "王小明", "曾用名": "王二狗", "出生日期": "1990-01-01"},
        {"公民身份号码": ids[4], "姓名": "赵敏", "出生日期": "1990-01-01"},
        {"公民身份号码": ids[5], "姓名": "刘洋", "出生日期": "1985-03-03"},
        {"公民身份号码": ids[6], "姓名": "陈静", "出生日期": "1990-01-01"},
    )
    res = run(records(
        {"姓名": "張偉", "公民身份号码": ids[0]},                   # traditional
        {"姓名": "阿依古丽.买买提", "公民身份号码": ids[1]},          # dot variant
        {"姓名": "李文结", "公民身份号码": ids[2], "出生日期": "1990-01-01"},  # homophone
        {"姓名": "王二狗", "公民身份号码": ids[3]},                   # the register's former name
        {"姓名": "孙悟空", "公民身份号码": ids[4]},                   # another name altogether
        {"姓名": "刘阳", "公民身份号码": ids[5], "出生日期": "1990-01-01"},   # homophone, birth disagrees
        {"姓名": "陈静", "公民身份号码": ids[6]},                     # same
    ), pol)
    names = list(res.records["姓名"])
    assert names == ["张伟", "阿依古丽·买买提", "李文杰", "王二狗", "孙悟空", "刘阳", "陈静"]
    rules = dict(zip(res.log["档案编号"], res.log["rule"]))
    assert rules["A0"] == rules["A1"] == "name_variant_police"
    assert rules["A2"] == "name_homophone_police"
    assert rules["A3"] == "name_is_former_name"
    assert sorted(res.review["档案编号"]) == ["A4", "A5"]
    assert "A3" not in set(res.review["档案编号"])         # a former name is noted, not queued


def _feed(name, *rows) -> pd.DataFrame:
    cols = FEEDS[name].columns
    return pd.DataFrame([{**dict.fromkeys(cols), **r} for r in rows], columns=list(cols))


def test_name_of_an_id_the_register_lacks_is_checked_against_social_and_education():
    """An ID missing from 公安: its 姓名 against 社保 and 教育 — a traditional/dot variant is changed, any
    other difference (a homophone included: no register to confirm it) goes to review with the feeds' names,
    the same name or an ID no feed holds stays; an ID the register holds is the register's business only."""
    ids = [valid_id(f"5201021991020210{i}") for i in range(8)]
    pol = police({"公民身份号码": ids[0], "姓名": "张伟", "出生日期": "1991-02-02"})
    social = _feed("social_security", {"公民身份号码": ids[0], "姓名": "张三"},  # the register decides for ids[0]
                   {"公民身份号码": ids[1], "姓名": "张斌"}, {"公民身份号码": ids[2], "姓名": "陈静"},
                   {"公民身份号码": ids[4], "姓名": "王芳"}, {"公民身份号码": ids[6], "姓名": "李四"})
    education = _feed("education", {"公民身份号码": ids[1], "姓名": "张斌", "院校名称": "贵州大学"},
                      {"公民身份号码": ids[3], "姓名": "刘洋", "院校名称": "贵州大学"},
                      {"公民身份号码": ids[3], "姓名": "刘洋", "院校名称": "贵州师范大学"},
                      {"公民身份号码": ids[6], "姓名": "李肆", "院校名称": "贵州大学"})
    recs = records(
        {"姓名": "张伟", "公民身份号码": ids[0]},      # in the register, agrees: 社保's other name is no matter
        {"姓名": "张彬", "公民身份号码": ids[1]},      # homophone of 社保 and 教育's 张斌: review, not changed
        {"姓名": "陳靜", "公民身份号码": ids[2]},      # traditional form of 社保's 陈静: changed
        {"姓名": "刘洋", "公民身份号码": ids[3]},      # as 教育 (two degrees): nothing
        {"姓名": "王芳", "公民身份号码": ids[4]},      # as 社保: nothing
        {"姓名": "赵敏", "公民身份号码": ids[5]},      # in no feed: nothing to say
        {"姓名": "李思", "公民身份号码": ids[6]},      # the feeds disagree with each other too: review, both names
        {"姓名": "孙七", "公民身份号码": typo(ids[7], 15), "issues": [("公民身份号码", "id_checksum")]},  # untrusted
    )
    feeds = Feeds.from_tables({"police_population": pol, "social_security": social, "education": education})
    res = repair(recs, None, None, feeds, steps=["ids", "names", "names_unregistered"])
    assert list(res.records["姓名"]) == ["张伟", "张彬", "陈静", "刘洋", "王芳", "赵敏", "李思", "孙七"]
    log = res.log.set_index("档案编号")
    assert log.at["A2", "rule"] == "name_variant_feed" and bool(log.at["A2", "applied"])
    review = res.review[res.review["field"] == "姓名"].set_index("档案编号")
    assert sorted(review.index) == ["A1", "A6"]  # (A7: its ID is in review, its name is not compared)
    assert review.at["A1", "rule"] == "name_mismatch_feed"
    assert json.loads(review.at["A1", "candidates"]) == ["张斌"]
    assert sorted(json.loads(review.at["A6", "candidates"])) == ["李四", "李肆"]
    # without 社保 the step goes on with 教育 alone
    alone = repair(recs, None, None, Feeds.from_tables({"police_population": pol, "education": education}),
                   steps=["ids", "names", "names_unregistered"])
    assert "names_unregistered.social_security" in alone.skipped
    names_review = alone.review[alone.review["field"] == "姓名"]
    assert list(alone.records["姓名"])[2] == "陳靜" and sorted(names_review["档案编号"]) == ["A1", "A6"]


def test_name_of_an_untrusted_id_is_left_alone():
    pol = police({"公民身份号码": GOOD, "姓名": "李文杰"})
    res = run(records({"姓名": "李文结", "公民身份号码": GOOD, "issues": [("公民身份号码", "id_checksum")]}), pol)
    # flagged but checksum right (a standardiser's over-cautious flag) → never repaired, name not compared
    assert _cell(res, 0, "姓名") == "李文结"


def test_typo_of_a_real_id_that_stdnum_rejects_for_its_birth_year_is_repaired_from_the_register():
    # 520102 is in stdnum's table from 1983 only; the register holds a 1950 holder of such a number
    real = valid_id("52010219500101123")
    assert not is_valid_id(real)
    bad = typo(real, 15)
    assert real not in id_candidates(bad)        # stdnum-valid neighbours would never find it
    res = run(records({"姓名": "王芳", "性别": "男", "出生日期": "1950-01-01", "公民身份号码": bad,
                       "issues": [("公民身份号码", "id_checksum")]}),
              police({"公民身份号码": real, "姓名": "王芳", "性别": "男", "出生日期": "1950-01-01"}))
    assert _cell(res, 0, "公民身份号码") == real


def test_typo_flagged_only_as_region_year_is_still_a_checksum_failure():
    # stdnum checks the county code before the check character: a typo in a number whose county code it
    # rejects for the birth year is reported as id_region_year — the checksum decides
    real = valid_id("52010219500101123")
    bad = typo(real, 16)
    res = run(records({"姓名": "王芳", "性别": "女", "出生日期": "1950-01-01", "公民身份号码": bad,
                       "issues": [("公民身份号码", "id_region_year")]}),
              police({"公民身份号码": real, "姓名": "王芳", "性别": "男", "出生日期": "1950-01-01"}))
    # 性别 disagrees (the typo hit the sex digit? no: the form says 女, the register 男) → not confirmed
    assert _cell(res, 0, "公民身份号码") == bad
    assert list(res.review["rule"]) == ["id_typo_review"]
    res = run(records({"姓名": "王芳", "出生日期": "1950-01-01", "公民身份号码": bad,
                       "issues": [("公民身份号码", "id_region_year")]}),
              police({"公民身份号码": real, "姓名": "王芳", "性别": "男", "出生日期": "1950-01-01"}))
    assert _cell(res, 0, "公民身份号码") == real


def test_partial_birth_date_is_recognised_by_its_value_whatever_the_issue_code():
    res = run(records({"姓名": "张伟", "出生日期": "1990-01", "公民身份号码": GOOD},                    # no issue
              {"姓名": "张伟", "出生日期": "1990年1月", "公民身份号码": GOOD,
               "issues": [("出生日期", "date_partial")]},                                           # other code
              {"姓名": "张伟", "出生日期": "1990-01-01", "公民身份号码": GOOD,
               "issues": [("出生日期", "date_month_only")]}),                                       # fine value
              police({"公民身份号码": valid_id("52010219800101001"), "姓名": "某人"}))
    assert list(res.records["出生日期"]) == ["1990-01-01"] * 3
    assert len(res.log) == 2 and res.review.empty


def test_frames_must_have_unique_labels():
    recs = records({"姓名": "张伟", "公民身份号码": GOOD}, {"姓名": "李四", "公民身份号码": GOOD})
    recs.index = [0, 0]
    import pytest
    with pytest.raises(ValueError, match="unique"):
        run(recs, police({"公民身份号码": GOOD, "姓名": "张伟"}))


def test_id_typo_found_without_any_issue_flag():
    res = run(records({"姓名": "张伟", "性别": "男", "出生日期": "1990-01-01", "公民身份号码": BAD}),
              police({"公民身份号码": GOOD, "姓名": "张伟", "性别": "男", "出生日期": "1990-01-01"}))
    assert _cell(res, 0, "公民身份号码") == GOOD
