"""Reference data (seeds/data) and its loader.

The file-level tests need nothing but the files. The DB tests (marked with
the `engine` fixture) take a migrated engine from tests/conftest.py.
"""
from __future__ import annotations

import ast
import csv
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from archives_domain import codes
from archives_domain.models.reference import Agency, CodeItem, Division, Synonym
from seeds import DATA_DIR, data_path
from seeds import build_divisions
from seeds.loader import (AGENCIES_FILE, CODE_FILES, DIVISIONS_FILE, SYNONYMS_FILE, agency_rows,
                          code_item_rows, division_rows, iter_code_files, load_reference_data,
                          synonym_rows)

ROOT = Path(__file__).resolve().parent.parent
SPEC_AGENCIES = Path("/work/shared/spec/agencies.csv")
CODE_TYPES = list(CODE_FILES.values())
EMPTY_MARKERS = {"", "无", "/", "-", "—", "null"}  # rule 1 of the collection-form contract


def read(name: str) -> list[dict[str, str]]:
    with open(data_path(name), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def header(name: str) -> list[str]:
    with open(data_path(name), encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


# --------------------------------------------------------------- the files


def test_every_data_file_is_loaded():
    on_disk = {p.name for p in DATA_DIR.glob("*.csv")}
    known = set(CODE_FILES) | {DIVISIONS_FILE, SYNONYMS_FILE, AGENCIES_FILE}
    assert on_disk == known
    for code_type, path in iter_code_files():
        assert path.name == f"{code_type}.csv"  # codes.py finds a table by this convention
        assert path.exists()


def test_files_are_plain_utf8():
    for path in DATA_DIR.glob("*.csv"):
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), path.name
        assert b"\r" not in raw, path.name
        raw.decode("utf-8")


@pytest.mark.parametrize("code_type", CODE_TYPES)
def test_code_table_is_well_formed(code_type):
    name = f"{code_type}.csv"
    assert header(name) == ["code", "name", "parent_code", "standard", "note"]
    rows = read(name)
    assert rows
    codes_ = [r["code"] for r in rows]
    names = [r["name"] for r in rows]
    assert len(set(codes_)) == len(codes_), "codes unique"
    assert len(set(names)) == len(names), "names unique"
    for r in rows:
        assert r["code"] and r["code"] == r["code"].strip()
        assert r["name"] and r["name"] == r["name"].strip()
        assert len(r["code"]) <= 16 and len(r["name"]) <= 64
        assert len(r["standard"]) <= 32 and len(r["note"]) <= 255
        assert not r["parent_code"] or r["parent_code"] in codes_
    # codes are unique case-insensitively too (MySQL's default collation)
    assert len({c.lower() for c in codes_}) == len(codes_)


def test_ethnic_groups_are_the_56_of_gb3304():
    table = codes.code_table("ethnic")
    main = {c: n for c, n in table.items() if int(c) <= 56}
    assert list(main) == [f"{i:02d}" for i in range(1, 57)]
    assert len(set(main.values())) == 56 and all(n.endswith("族") for n in main.values())
    expected = {"01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族",
                "07": "彝族", "08": "壮族", "09": "布依族", "10": "朝鲜族", "11": "满族", "12": "侗族",
                "13": "瑶族", "14": "白族", "15": "土家族", "16": "哈尼族", "17": "哈萨克族", "18": "傣族",
                "19": "黎族", "20": "傈僳族", "21": "佤族", "22": "畲族", "23": "高山族", "24": "拉祜族",
                "25": "水族", "26": "东乡族", "27": "纳西族", "28": "景颇族", "29": "柯尔克孜族",
                "30": "土族", "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族",
                "35": "撒拉族", "36": "毛南族", "37": "仡佬族", "38": "锡伯族", "39": "阿昌族",
                "40": "普米族", "41": "塔吉克族", "42": "怒族", "43": "乌孜别克族", "44": "俄罗斯族",
                "45": "鄂温克族", "46": "德昂族", "47": "保安族", "48": "裕固族", "49": "京族",
                "50": "塔塔尔族", "51": "独龙族", "52": "鄂伦春族", "53": "赫哲族", "54": "门巴族",
                "55": "珞巴族", "56": "基诺族"}
    assert main == expected
    assert table["97"] == "其他" and table["98"] == "外国血统中国籍人士"


def test_contract_canonical_values():
    democratic = {"民革会员", "民盟盟员", "民建会员", "民进会员", "农工党党员", "致公党党员",
                  "九三学社社员", "台盟盟员"}
    assert codes.canonical_names("political_status") == (
        {"中共党员", "中共预备党员", "共青团员", "无党派人士", "群众"} | democratic)
    assert codes.code_table("political_status")["13"] == "群众"
    assert codes.code_table("education_level") == {
        "10": "研究生", "20": "大学本科", "30": "大学专科", "40": "中等专科", "60": "高中", "70": "初中及以下"}
    assert codes.canonical_names("degree") == {"博士", "硕士", "学士", "无"}
    assert codes.code_table("sex") == {"1": "男", "2": "女"}
    assert codes.canonical_names("entrust_mode") == {"个人委托", "单位委托"}
    assert codes.canonical_names("archive_status") == {"在库", "借出", "已转出"}
    assert codes.canonical_names("yes_no") == {"是", "否"}
    assert codes.canonical_names("notice_type") == {"通知", "提示", "关注", "政策"}
    assert codes.canonical_names("party_member_type") == {"正式党员", "预备党员"}


def test_material_categories_ten_classes():
    rows = read("material_category.csv")
    top = [r["code"] for r in rows if not r["parent_code"]]
    assert top == [str(i) for i in range(1, 11)]
    subs = {r["code"]: r["parent_code"] for r in rows if r["parent_code"]}
    assert subs == {"4-1": "4", "4-2": "4", "4-3": "4", "4-4": "4",
                    "9-1": "9", "9-2": "9", "9-3": "9", "9-4": "9"}


def test_business_types_and_marks():
    rows = read("business_type.csv")
    children = {r["name"] for r in rows if r["parent_code"] == "CERTIFICATE"}
    assert children == {"存档证明", "经历证明", "亲属关系证明", "政审证明", "托管证明"}
    assert len(rows) == 34
    marks = {r["name"]: r["note"] for r in read("inventory_mark.csv")}
    assert marks == {"确认": "蓝色", "搁置": "红色", "提示": "黄色"}


def test_synonyms_map_to_canonical_names():
    assert header(SYNONYMS_FILE) == ["field", "alias", "canonical"]
    rows = read(SYNONYMS_FILE)
    keys = [(r["field"], r["alias"]) for r in rows]
    assert len(keys) == len(set(keys))
    # unique also under a case- and width-insensitive collation (MySQL utf8mb4_unicode_ci)
    assert len({(f, codes.normalize_alias(a).casefold()) for f, a in keys}) == len(keys)
    assert {r["field"] for r in rows} == set(codes.FIELD_CODE_TYPES)
    for r in rows:
        names = codes.canonical_names(codes.FIELD_CODE_TYPES[r["field"]])
        assert r["canonical"] in names, r
        assert r["alias"] == codes.normalize_alias(r["alias"]), r  # stored normalised
        assert r["alias"] not in {codes.normalize_alias(n) for n in names}, r  # no self-maps
        assert r["alias"] not in EMPTY_MARKERS, r
        assert len(r["field"]) <= 32 and len(r["alias"]) <= 64


def test_every_ethnic_group_has_its_short_form():
    syn = codes.synonyms("民族")
    for name in codes.canonical_names("ethnic"):
        if name.endswith("族") and name != "土族":  # 土 alone is ambiguous with 土家族
            assert syn.get(name[:-1]) == name
    assert "土" not in syn


@pytest.mark.parametrize("field,raw,expected", [
    ("性别", "M", "男"), ("性别", "ｆ", "女"), ("性别", "1", "男"), ("性别", "女性", "女"),
    ("民族", "汉", "汉族"), ("民族", " 苗 ", "苗族"), ("民族", "布衣族", "布依族"), ("民族", "土家", "土家族"),
    ("民族", "维族", "维吾尔族"), ("民族", "侗族", "侗族"),
    ("政治面貌", "党员", "中共党员"), ("政治面貌", "预备党员", "中共预备党员"), ("政治面貌", "团员", "共青团员"),
    ("政治面貌", "九三", "九三学社社员"), ("政治面貌", "农工党", "农工党党员"), ("政治面貌", "普通群众", "群众"),
    ("政治面貌", "中共党员（预备）", "中共预备党员"),
    ("最高学历", "本科", "大学本科"), ("最高学历", "大专", "大学专科"), ("最高学历", "中专", "中等专科"),
    ("最高学历", "技校", "中等专科"), ("最高学历", "硕士研究生", "研究生"), ("最高学历", "小学", "初中及以下"),
    ("最高学位", "学士学位", "学士"), ("最高学位", "无学位", "无"), ("最高学位", "无", "无"),
    ("委托方式", "个人", "个人委托"), ("委托方式", "单位代理", "单位委托"),
    ("档案状态", "在档", "在库"), ("档案状态", "转出", "已转出"),
    ("集体户口", "Y", "是"), ("集体户口", "0", "否"),
    ("集体户口", "无", None), ("民族", "穿青人", None), ("政治面貌", "民主党派", None),
])
def test_canonical_value(field, raw, expected):
    assert codes.canonical_value(field, raw) == expected


def test_divisions_file():
    assert header(DIVISIONS_FILE) == ["code", "name", "province", "prefecture", "level", "parent_code",
                                      "valid_from", "valid_to", "former_names"]
    rows = {r["code"]: r for r in read(DIVISIONS_FILE)}
    assert len(rows) == len(read(DIVISIONS_FILE)) and 100 < len(rows) < 400
    assert all(c.startswith("52") and len(c) == 6 for c in rows)
    assert rows["520000"]["level"] == "省级" and rows["520000"]["parent_code"] == ""
    assert rows["520102"]["name"] == "南明区" and rows["520102"]["parent_code"] == "520100"
    assert rows["520102"]["prefecture"] == "贵阳市" and rows["520102"]["level"] == "县级"
    for code in ("520100", "520200", "520300", "520400", "520500", "520600", "522300", "522600", "522700"):
        assert rows[code]["level"] == "地级" and rows[code]["valid_to"] == "", code
    for r in rows.values():
        assert not r["parent_code"] or r["parent_code"] in rows
        if r["valid_from"] and r["valid_to"]:
            assert int(r["valid_from"]) <= int(r["valid_to"])
    # historical codes keep their years
    assert rows["520114"]["name"] == "小河区" and (rows["520114"]["valid_from"], rows["520114"]["valid_to"]) == ("2000", "2012")
    assert rows["522400"]["name"] == "毕节地区" and rows["522400"]["valid_to"] == "2011"
    assert rows["522125"]["name"] == "道真仡佬族苗族自治县" and rows["522125"]["valid_to"] == "1997"
    assert rows["522125"]["former_names"] == "[-1985]道真县"
    assert sum(1 for r in rows.values() if r["valid_to"]) > 40


def test_divisions_file_is_what_the_generator_writes():
    expected = build_divisions.render(build_divisions.build_rows(
        build_divisions.parse_section(build_divisions.read_loc_dat())))
    assert data_path(DIVISIONS_FILE).read_text(encoding="utf-8") == expected


def test_division_lookups():
    assert codes.division_name("520102") == "南明区"
    assert codes.division_name("522125", 1984) == "道真县"
    assert codes.division_name("522125", 1990) == "道真仡佬族苗族自治县"
    assert codes.division_name("522125", 2005) is None
    assert codes.division_name("522125") == "道真仡佬族苗族自治县"
    assert codes.division_name("520201", 1980) == "水城特区"
    assert codes.division_name("999999") is None
    current = codes.guizhou_divisions()
    assert "520115" in current and "520114" not in current and "522400" not in current
    assert "520114" in codes.guizhou_divisions(2005) and "520115" not in codes.guizhou_divisions(2005)
    counties = [c for c in current if codes.division(c)["level"] == "县级" and current[c] != "市辖区"]
    assert len(counties) == 88  # Guizhou's 88 county-level units
    assert codes.division("520102")["parent_code"] == "520100"


def test_agencies_file():
    assert header(AGENCIES_FILE) == ["code", "name", "level", "region_code", "parent_code"]
    rows = codes.agencies()
    assert len(rows) == 103
    by_code = {a["code"]: a for a in rows}
    assert len(by_code) == 103 and len({a["name"] for a in rows}) == 103
    current = codes.guizhou_divisions()
    for a in rows:
        assert len(a["code"]) == 8 and a["level"] in {"省级", "市级", "县级"}
        assert a["region_code"] in current, a
        assert a["parent_code"] is None or by_code[a["parent_code"]]["level"] in {"省级", "市级"}
    order = [a["code"] for a in agency_rows()]
    for a in agency_rows():
        if a["parent_code"]:
            assert order.index(a["parent_code"]) < order.index(a["code"])


@pytest.mark.skipif(not SPEC_AGENCIES.exists(), reason="shared spec not present")
def test_agencies_match_the_spec():
    with open(SPEC_AGENCIES, encoding="utf-8-sig", newline="") as fh:
        spec = [(r["agency_code"], r["agency_name"], r["level"], r["region_code"],
                 r["parent_agency_code"] or None) for r in csv.DictReader(fh)]
    ours = [(a["code"], a["name"], a["level"], a["region_code"], a["parent_code"]) for a in codes.agencies()]
    assert ours == spec


def test_module_boundaries():
    tree = ast.parse((ROOT / "seeds" / "__init__.py").read_text(encoding="utf-8"))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"__future__", "pathlib"}
    out = subprocess.run(
        [sys.executable, "-c", "import sys, archives_domain.codes; "
         "print(sorted({m.split('.')[0] for m in sys.modules}))"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "pipelines" not in out and "ops_app" not in out and "sqlalchemy" not in out


def test_lookups_return_copies():
    codes.code_table("sex")["9"] = "x"
    codes.synonyms("性别")["zz"] = "x"
    codes.agencies()[0]["name"] = "x"
    assert "9" not in codes.code_table("sex") and "zz" not in codes.synonyms("性别")
    assert codes.agencies()[0]["name"] == "贵州省人才大市场"


# ------------------------------------------------------------ the database


def _key_counts(conn):
    """(rows, distinct natural keys) per reference table."""
    def pair(table, *cols):
        rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
        keys = conn.execute(select(func.count()).select_from(
            select(*cols).distinct().subquery())).scalar_one()
        return rows, keys
    return {
        "code_item": pair(CodeItem.__table__, CodeItem.code_type, CodeItem.code),
        "division": pair(Division.__table__, Division.code),
        "synonym": pair(Synonym.__table__, Synonym.field, Synonym.alias),
        "agency": pair(Agency.__table__, Agency.code),
    }


def test_loader_is_idempotent(engine):
    first = load_reference_data(engine)
    assert first == {"code_item": len(code_item_rows()), "division": len(division_rows()),
                     "synonym": len(synonym_rows()), "agency": 103}
    with engine.connect() as conn:
        after_first = _key_counts(conn)
    assert load_reference_data(engine) == first
    with engine.connect() as conn:
        after_second = _key_counts(conn)
        assert after_second == after_first
        for table, (rows, keys) in after_second.items():
            assert rows == keys, f"{table}: duplicate natural keys"
            assert rows >= first[table]
        names = dict(conn.execute(select(CodeItem.code, CodeItem.name)
                                  .where(CodeItem.code_type == "ethnic")).all())
        assert names["09"] == "布依族" and len(names) == 58
        assert conn.execute(select(Division.valid_to).where(Division.code == "522125")).scalar_one() == 1997
        parent = conn.execute(select(Agency.parent_code).where(Agency.code == "52010201")).scalar_one()
        assert parent == "52010001"


def test_loader_updates_changed_rows(engine):
    load_reference_data(engine)
    with engine.begin() as conn:
        conn.execute(update(CodeItem.__table__).where(CodeItem.code_type == "ethnic", CodeItem.code == "01")
                     .values(name="汉", sort_order=99))
        conn.execute(update(Division.__table__).where(Division.code == "520102").values(valid_to=2000))
        conn.execute(update(Synonym.__table__).where(Synonym.field == "民族", Synonym.alias == "汉")
                     .values(canonical="苗族"))
        conn.execute(update(Agency.__table__).where(Agency.code == "52010201").values(name="改名中心"))
        before = _key_counts(conn)
    load_reference_data(engine)
    with engine.connect() as conn:
        assert _key_counts(conn) == before
        assert conn.execute(select(CodeItem.name, CodeItem.sort_order).where(
            CodeItem.code_type == "ethnic", CodeItem.code == "01")).one() == ("汉族", 1)
        assert conn.execute(select(Division.valid_to).where(Division.code == "520102")).scalar_one() is None
        assert conn.execute(select(Synonym.canonical).where(
            Synonym.field == "民族", Synonym.alias == "汉")).scalar_one() == "汉族"
        assert conn.execute(select(Agency.name).where(Agency.code == "52010201")).scalar_one() == \
            "南明区公共就业和人才服务中心"
