"""Code tables in memory (代码表查询): read-only lookups over ``seeds/data``.

Built from the same CSV files that ``seeds.loader`` writes to the database,
without a database: each file is read once and cached. Every function returns
a fresh copy, so callers may change what they get without touching the cache.

* ``code_table("ethnic")`` → ``{"01": "汉族", …}`` (file order);
* ``canonical_names("ethnic")`` → the set of canonical names;
* ``synonyms("民族")`` → ``{"汉": "汉族", …}``, keyed by the collection-form
  header. Aliases are stored normalised (``normalize_alias``: NFKC, so
  full-width becomes half-width; all whitespace removed; lower case), so a
  lookup must normalise the raw value the same way; ``canonical_value`` does;
* ``division_name("522125", 1984)`` → ``"道真县"``; ``guizhou_divisions()``;
* ``agencies()`` → the 103 archive agencies.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from seeds import data_path

# The collection-form header of each coded field → the code table of its values.
FIELD_CODE_TYPES: dict[str, str] = {
    "性别": "sex",
    "民族": "ethnic",
    "政治面貌": "political_status",
    "最高学历": "education_level",
    "最高学位": "degree",
    "委托方式": "entrust_mode",
    "档案状态": "archive_status",
    "集体户口": "yes_no",
}

_SPACES = re.compile(r"\s+")
_PERIOD = re.compile(r"^\[(\d*)-(\d*)\](.+)$")


def normalize_alias(text: str) -> str:
    """The form aliases are stored in: NFKC, no whitespace, lower case."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).lower()


def _read(name: str) -> tuple[dict[str, str], ...]:
    path: Path = data_path(name)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return tuple({k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh))


@lru_cache(maxsize=None)
def _code_rows(code_type: str) -> tuple[dict[str, str], ...]:
    if not re.fullmatch(r"[a-z_]+", code_type) or not data_path(f"{code_type}.csv").exists():
        raise KeyError(f"未知的代码类别：{code_type}")
    return _read(f"{code_type}.csv")


def code_table(code_type: str) -> dict[str, str]:
    """{code: name} of one code table, in file order. KeyError if unknown."""
    return {r["code"]: r["name"] for r in _code_rows(code_type)}


def code_rows(code_type: str) -> list[dict[str, str]]:
    """Every row of one code table (code, name, parent_code, standard, note), in file order."""
    return [dict(r) for r in _code_rows(code_type)]


def canonical_names(code_type: str) -> set[str]:
    """The canonical names (规范值) of one code table."""
    return {r["name"] for r in _code_rows(code_type)}


@lru_cache(maxsize=None)
def _synonyms() -> dict[str, dict[str, str]]:
    by_field: dict[str, dict[str, str]] = {}
    for r in _read("synonyms.csv"):
        by_field.setdefault(r["field"], {})[r["alias"]] = r["canonical"]
    return by_field


def synonyms(field: str) -> dict[str, str]:
    """{normalised alias: canonical value} for a collection-form header ({} if none)."""
    return dict(_synonyms().get(field, {}))


def canonical_value(field: str, value: str | None) -> str | None:
    """The canonical value of a coded field, or None when the value is not known.

    Canonical names are accepted as they are; other spellings go through the
    synonym table after ``normalize_alias``. Empty markers (rule 1 of the
    contract) are not handled here.
    """
    if value is None:
        return None
    key = normalize_alias(value)
    code_type = FIELD_CODE_TYPES.get(field)
    if code_type:
        for name in canonical_names(code_type):
            if normalize_alias(name) == key:
                return name
    return _synonyms().get(field, {}).get(key)


@lru_cache(maxsize=None)
def _divisions() -> dict[str, dict]:
    out = {}
    for r in _read("divisions.csv"):
        periods = []
        for part in filter(None, r.get("former_names", "").split(";")):
            m = _PERIOD.match(part)
            if m:
                start, end, name = m.groups()
                periods.append((int(start) if start else None, int(end) if end else None, name))
        out[r["code"]] = {
            "code": r["code"], "name": r["name"], "province": r["province"] or None,
            "prefecture": r["prefecture"] or None, "level": r["level"],
            "parent_code": r["parent_code"] or None,
            "valid_from": int(r["valid_from"]) if r["valid_from"] else None,
            "valid_to": int(r["valid_to"]) if r["valid_to"] else None,
            "former_names": tuple(periods),
        }
    return out


def _within(year: int, start: int | None, end: int | None) -> bool:
    return (start is None or start <= year) and (end is None or year <= end)


def division(code: str) -> dict | None:
    """The full row of a Guizhou division code (current or historical), or None."""
    row = _divisions().get(code)
    return None if row is None else dict(row)


def division_name(code: str, year: int | None = None) -> str | None:
    """Name of a Guizhou division code; with `year`, the name in force that year.

    Without `year` the code's most recent name (also for an abolished code).
    With `year`, None if the code was not in use that year. Years are
    inclusive at both ends, as in GB/T 2260 change lists.
    """
    row = _divisions().get(code)
    if row is None:
        return None
    if year is None:
        return row["name"]
    if not _within(year, row["valid_from"], row["valid_to"]):
        return None
    for start, end, name in row["former_names"]:
        if _within(year, start, end):
            return name
    return row["name"]


def guizhou_divisions(year: int | None = None) -> dict[str, str]:
    """{code: name} of the Guizhou divisions in use: now (year None) or in `year`."""
    if year is None:
        return {c: r["name"] for c, r in _divisions().items() if r["valid_to"] is None}
    out = {}
    for code in _divisions():
        name = division_name(code, year)
        if name is not None:
            out[code] = name
    return out


@lru_cache(maxsize=None)
def _agencies() -> tuple[dict[str, str | None], ...]:
    return tuple({"code": r["code"], "name": r["name"], "level": r["level"],
                  "region_code": r["region_code"], "parent_code": r["parent_code"] or None}
                 for r in _read("agencies.csv"))


def agencies() -> list[dict]:
    """The archive agencies (code, name, level, region_code, parent_code), file order."""
    return [dict(a) for a in _agencies()]


_DIVISION_SUFFIX = re.compile(r"(?:特区|新区|地区|省|市|县|区)$")
_NOT_A_PLACE = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


@lru_cache(maxsize=1)
def division_short_names() -> dict[str, str]:
    """Each Guizhou division name, and its usual short form, mapped to the short form.

    贵阳市 → 贵阳, 黔东南苗族侗族自治州 → 黔东南 (also 黔东南州), 威宁彝族回族苗族自治县 → 威宁
    (also 威宁县). Company names lead with these words, so matching strips or compares them.
    """
    ethnic = sorted((n for n in canonical_names("ethnic") if n.endswith("族")), key=len, reverse=True)
    autonomous = re.compile(rf"^(.+?)(?:{'|'.join(map(re.escape, ethnic)) or '族'})+自治[州县]$")
    words: dict[str, str] = {}
    for row in _read("divisions.csv"):
        name = row["name"]
        if not name or name in _NOT_A_PLACE:
            continue
        m = autonomous.match(name)
        short = m.group(1) if m else _DIVISION_SUFFIX.sub("", name)
        if len(short) < 2:
            short = name
        words.setdefault(name, short)
        words.setdefault(short, short)
        if m:
            words.setdefault(short + name[-1], short)  # 黔东南州, 威宁县
    return words
