"""Dirt injection: clean frames → the dirty landing rows, plus the truth of every error.

``inject(persons, study, work, registry, multi_archive, rates, seed)`` takes the
clean population (one row per archive record, its study and work history,
the business registry and the 一人多档 pairs) and returns a `DirtyResult`:

* ``batches[agency]`` — the agency's batches in plan order, each a
  `DirtyBatch` (name, format, ``source_files`` per sheet and one frame per
  sheet with the contract headers in contract order).  Columns are pandas
  ``str`` (NaN = empty cell); a column that holds an Excel serial date is
  ``object`` with a Python ``int`` in that cell.  Row ``i`` of a frame is
  spreadsheet row ``i + 2`` of the file (header = row 1), in every format;
  ``synth.writers.write_batch`` keeps the row order (it may reorder columns).
* ``errors`` — one row per injected error (columns of docs/synthetic_data.md);
  ``source_file`` is ``formats.source_file(agency, batch, fmt, sheet)``, the
  path under the landing folder;
* ``duplicates`` — rows typed twice (exact repeats; ``row_first`` < ``row_repeat``);
* ``quarantine`` — rows that must end in 隔离.csv (contract rules 4 and 5),
  with the reason in Chinese (`REASON_EMPTY_KEY`, `REASON_NO_IDENTITY`,
  `REASON_CONFLICT`).

Row order within a file: the input order of the records of that agency and
batch, with the extra rows inserted (an exact repeat right after its
original or somewhere later; a conflicting row somewhere after the row it
collides with; other extra rows anywhere).

Every category of the design table is produced; the probabilities are data
(`DEFAULT_RATES`, overridable from a JSON file with `load_rates`).  A rate is
the probability that one *eligible* cell (or row) receives that error;
`ELIGIBILITY` says which cells are eligible.  A cell gets at most one error:
categories run in a fixed order (most specific first, `whitespace` last)
and a cell once changed is not chosen again.  Cells are picked with numpy
(Bernoulli sampling by geometric gaps over the eligible positions); the
per-category transforms run in Python over the chosen cells only.

Decisions beyond the design table (documented for the scorer and pipelines):

* Rows whose ID gets `id_typo`/`id_transposition` keep 姓名 and 出生日期 clean
  (the police candidate is confirmed by name and birth date).
* At most one of 工作单位 / 单位统一社会信用代码 carries a name or USCC variant
  per row, so the other identifies the company.  `employer_missing` blanks
  both (two errors, resolvable where 社保 has that employer / USCC);
  `employer_changed` shows another registry company consistently — its name
  and, where the row has a USCC, its USCC (two errors, never resolvable).
* `batch_correction`: in an agency with two batches, a batch-1 person row
  shows a wrong value in one field (another record's value of that field);
  batch 2 repeats the row sparsely — 档案编号, 姓名, 公民身份号码 as written in
  batch 1 and the corrected field, every other cell empty (the later batch
  wins only where not empty) — and carries no child rows.  The error names
  the batch-1 file.  Batch 2 also holds persons filed there first
  (``batch_new``), with their child rows.
* Quarantined rows are extra rows (not in the truth population): a copy of a
  person row with an empty 档案编号, a row with a new 档案编号 and neither
  姓名 nor 公民身份号码, a *different* person's row typed later under an
  existing 档案编号 of the same batch, and child rows with an empty 档案编号.
"""
from __future__ import annotations

import json
import math
import random
import re
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from archives_domain.codes import FIELD_CODE_TYPES, synonyms
from archives_domain.collection_form import (
    DATE_HEADERS, DROPPED_HEADERS, HEADERS, REQUIRED, SHEET_PERSON, SHEET_STUDY, SHEET_WORK, SHEETS,
)
from archives_domain.identity import USCC_ALPHABET, is_valid_id, upgrade_id15

from .formats import ENCODINGS, Plan, layout_summary, plan_formats, source_file

# ---------------------------------------------------------------------------
# Rates (data)
# ---------------------------------------------------------------------------

DEFAULT_RATES: dict[str, float] = {
    # cell errors: probability per eligible cell (see ELIGIBILITY)
    "whitespace": 0.01,
    "fullwidth": 0.005,
    "null_token": 0.03,
    "date_format": 0.03,
    "date_excel_serial": 0.01,
    "date_month_only": 0.005,
    "date_impossible": 0.001,
    "id_15": 0.01,
    "id_lowercase_x": 0.20,
    "id_typo": 0.004,
    "id_transposition": 0.002,
    "name_homophone": 0.003,
    "name_traditional": 0.003,
    "name_dot": 0.30,
    "code_synonym": 0.04,
    "employer_abbrev": 0.01,
    "employer_no_suffix": 0.01,
    "employer_former_name": 0.03,
    "employer_bracket_width": 0.10,
    "employer_typo": 0.003,
    "employer_missing": 0.01,
    "employer_changed": 0.003,
    "uscc_bad_check": 0.003,
    "uscc_legacy_15": 0.01,
    "batch_correction": 0.03,
    # row events: probability per eligible row
    "batch_new": 0.08,
    "row_duplicate": 0.003,
    "row_empty_key": 0.0001,
    "row_no_identity": 0.0001,
    "row_conflicting_key": 0.0001,
}

ELIGIBILITY: dict[str, str] = {
    "whitespace": "every non-empty cell of every sheet except 户口性质; inner spaces only in fields whose "
                  "canonical form has none (names, IDs, codes, dates, phone, USCC, employer, school)",
    "fullwidth": "non-empty 公民身份号码, 联系电话, 单位统一社会信用代码, 户籍所在地, 立户编号, 户籍编号 and date "
                 "cells (all sheets) with an ASCII character",
    "null_token": "empty cells of optional fields (not ★, not 户口性质), all sheets; never 无 in 最高学位",
    "date_format": "non-empty date cells, all sheets",
    "date_excel_serial": "non-empty date cells from 1900-03-01 on, all sheets",
    "date_month_only": "non-empty date cells, all sheets",
    "date_impossible": "non-empty date cells, all sheets",
    "id_15": "IDs (all sheets) of persons born 1900-1999",
    "id_lowercase_x": "IDs (all sheets) ending in X",
    "id_typo": "基本信息 IDs not in a 一人多档 pair",
    "id_transposition": "基本信息 IDs not in a 一人多档 pair",
    "name_homophone": "names of 2+ characters",
    "name_traditional": "names that OpenCC s2t changes (and t2s turns back)",
    "name_dot": "names containing ·",
    "code_synonym": "non-empty coded cells (性别 民族 政治面貌 最高学历 最高学位 委托方式 档案状态 集体户口) "
                    "whose value has a synonym",
    "employer_abbrev": "工作单位 cells (基本信息, 工作经历) naming a registry company with a 简称",
    "employer_no_suffix": "工作单位 cells naming a registry company with 有限公司/有限责任公司/股份有限公司",
    "employer_former_name": "工作单位 cells naming a registry company with a 曾用名",
    "employer_bracket_width": "工作单位 cells naming a registry company with brackets in its name",
    "employer_typo": "工作单位 cells naming a registry company",
    "employer_missing": "基本信息 rows in 社保 whose 社保 employer is the row's 工作单位",
    "employer_changed": "基本信息 rows in 社保 whose 社保 employer is the row's 工作单位",
    "uscc_bad_check": "non-empty 单位统一社会信用代码 cells",
    "uscc_legacy_15": "单位统一社会信用代码 cells of registry companies with an old registration number",
    "batch_correction": "batch-1 person rows of two-batch agencies (one field among BATCH_CORRECTION_FIELDS)",
    "batch_new": "person rows of two-batch agencies (filed in batch 2 only)",
    "row_duplicate": "data rows of every sheet (typed again, exact repeat)",
    "row_empty_key": "data rows of every sheet (an extra copy with an empty 档案编号)",
    "row_no_identity": "基本信息 rows (an extra row with a new 档案编号, no 姓名, no 公民身份号码)",
    "row_conflicting_key": "基本信息 rows (another person's row typed later under this 档案编号)",
}

CATEGORIES = (
    "whitespace", "fullwidth", "null_token", "date_format", "date_excel_serial", "date_month_only",
    "date_impossible", "id_15", "id_lowercase_x", "id_typo", "id_transposition", "name_homophone",
    "name_traditional", "name_dot", "code_synonym", "employer_abbrev", "employer_no_suffix",
    "employer_former_name", "employer_bracket_width", "employer_typo", "employer_missing",
    "employer_changed", "uscc_bad_check", "uscc_legacy_15", "batch_correction", "multi_archive",
)

BATCH_CORRECTION_FIELDS = ("联系电话", "户籍所在地", "档案状态", "所属党组织", "专业技术职务", "职业资格",
                           "档案接收时间", "所学专业", "备注")
NULL_TOKENS_WRITTEN = ("无", "/", "-", "—", "NULL", "null", " ", "  ", "\u3000")
NO_SPACE_FIELDS = frozenset({
    "姓名", "性别", "民族", "出生日期", "公民身份号码", "政治面貌", "入党时间", "转正时间", "联系电话", "最高学历",
    "最高学位", "毕业时间", "单位统一社会信用代码", "委托方式", "档案接收时间", "档案状态", "集体户口", "落户时间",
    "工作单位", "毕业院校", "学校", "学历", "学位", "起始时间", "终止时间",
})
# Full-width ASCII is typed where the canonical value is ASCII: identity numbers, phone, dates, and the
# digits of addresses / account numbers.  Not 档案编号 (the record key the scorer matches on) and not
# employer names (their canonical brackets are full-width).
FULLWIDTH_FIELDS = frozenset({"公民身份号码", "联系电话", "单位统一社会信用代码", "户籍所在地", "立户编号", "户籍编号"})
COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司")
ERROR_COLUMNS = ("error_id", "agency_code", "档案编号", "sheet", "seq", "field", "dirty", "clean", "category",
                 "resolvable", "source_file", "batch")
DUPLICATE_COLUMNS = ("agency_code", "source_file", "sheet", "row_first", "row_repeat", "档案编号")
QUARANTINE_COLUMNS = ("agency_code", "source_file", "sheet", "row", "reason")
REASON_EMPTY_KEY = "档案编号为空"
REASON_NO_IDENTITY = "姓名和公民身份号码均为空"
REASON_CONFLICT = "同一批次中档案编号重复且内容不同（第{row}行已载入）"

# Characters common in Chinese personal names: the pool homophones are drawn from
# (together with every character of the population's own names).
NAME_CHAR_POOL = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文"
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅琳鹏飞辉波宇浩凯俊帅慧婷雪晶欣悦佳怡思雨琪嘉"
    "子涵睿博轩宸泽航彬斌鑫海峰建国志伟成林坤荣晓燕莉倩颖冰琴云蓉凤珍琼菊花春秋冬夏阳光亮东南西北中天地山水"
    "德仁义礼智信忠孝安宁福寿康永长兴旺发财富贵金银铜铁宝珠翠瑞祥吉庆喜乐欢笑美善良贤淑惠贞洁清正直刚毅勇"
    "立新红卫民军兵学工农商青松柏竹梅兰菊荷莲桃李杏梨芬芳香馨蕊蕾英华茂盛昌隆泰和顺达通利进成功胜利"
    "家庭园林森木火土石田禾米麦豆丰登年月日星辰光明晨曦朝晖霖露霜雪冰凌峰岭峻岩川江河湖海洋波涛浪潮"
    "一二三四五六七八九十百千万元方圆正平均衡权威武"
    "宏洪红鸿虹弘彤桐童同铜佟瞳涛韬滔桃陶淘晶京经精静敬景靖境璟菁鑫欣馨心新芯薪昕辛"
    "娇姣蛟骄焦椒佳家嘉加珈枷夹甲贾稼婕杰洁捷节颉结睫姐解界介戒届诫借"
)
# Look-alike characters for employer_typo (besides same-sound ones).
LOOKALIKE = {"己": "已", "已": "己", "未": "末", "末": "未", "土": "士", "士": "土", "贵": "责",
             "州": "洲", "洲": "州", "阳": "扬", "扬": "阳", "市": "巿", "科": "料", "技": "枝", "业": "亚",
             "天": "夭", "人": "入", "入": "人", "大": "太", "太": "大", "王": "玉", "玉": "王", "日": "曰"}


def load_rates(source: str | Path | Mapping[str, float] | None = None) -> dict[str, float]:
    """DEFAULT_RATES overridden by a JSON object file or a mapping (unknown keys are an error)."""
    rates = dict(DEFAULT_RATES)
    if source is None:
        return rates
    if isinstance(source, Mapping):
        given = dict(source)
    else:
        given = json.loads(Path(source).read_text(encoding="utf-8"))
        if not isinstance(given, dict):
            raise ValueError(f"{source}: a JSON object {{category: rate}} is expected")
    unknown = sorted(set(given) - set(rates))
    if unknown:
        raise ValueError(f"unknown rate keys: {unknown}")
    for k, v in given.items():
        v = float(v)
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"rate {k} = {v} is not a probability")
        rates[k] = v
    return rates


# ---------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------

@dataclass
class DirtyBatch:
    """One batch of one agency: what `synth.writers.write_batch` writes."""

    name: str
    fmt: str
    frames: dict[str, pd.DataFrame]
    source_files: dict[str, str]


@dataclass
class DirtyResult:
    batches: dict[str, list[DirtyBatch]]
    errors: pd.DataFrame
    duplicates: pd.DataFrame
    quarantine: pd.DataFrame
    plan: Plan
    rates: dict[str, float]
    seed: int
    row_counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows_in(self) -> int:
        """All data rows of all landing files."""
        return int(sum(self.row_counts.values()))

    def errors_by_category(self) -> dict[str, int]:
        counts = self.errors["category"].value_counts()
        return {c: int(counts.get(c, 0)) for c in CATEGORIES}

    def manifest_part(self) -> dict:
        """The manifest entries this stage knows (formats, batches, row counts, errors).

        The column layout flags assume the files are written with ``layout_seed = seed``
        (what ``synth.writers.write_result`` does)."""
        return {
            "rates": dict(self.rates),
            "agencies": {a: {"format": f, "encoding": ENCODINGS[f], "batches": list(b),
                             **layout_summary(a, HEADERS, self.seed)}
                         for a, (f, b) in sorted(self.plan.items())},
            "rows_per_sheet": dict(self.row_counts),
            "rows_in": self.rows_in,
            "errors_by_category": self.errors_by_category(),
            "resolvable_errors": int(self.errors["resolvable"].sum()),
            "duplicates": len(self.duplicates),
            "quarantine": len(self.quarantine),
        }


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def _k(*parts: object) -> int:
    return zlib.crc32("\x1f".join(map(str, parts)).encode("utf-8"))


def _bernoulli(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Positions in range(n) each kept with probability p (geometric gaps: O(kept))."""
    if n <= 0 or p <= 0:
        return np.empty(0, dtype=np.int64)
    if p >= 1:
        return np.arange(n, dtype=np.int64)
    out = []
    pos = -1
    exp = n * p
    size = int(exp + 6 * math.sqrt(exp) + 16)
    while True:
        idx = pos + np.cumsum(rng.geometric(p, size))
        if idx[-1] >= n:
            out.append(idx[idx < n])
            break
        out.append(idx)
        pos = int(idx[-1])
    return np.concatenate(out).astype(np.int64)


def _obj(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=object, na_value=None)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@cache
def _opencc(kind: str):
    from opencc import OpenCC
    return OpenCC(kind)


def _s2t(text: str) -> str:
    return _opencc("s2t").convert(text)


def _t2s(text: str) -> str:
    return _opencc("t2s").convert(text)


def _homophone_table(chars: str) -> dict[str, list[str]]:
    """{char: [other simplified chars of the pool with the same toned pinyin]}."""
    from pypinyin import Style, pinyin
    pool = sorted({c for c in chars if _is_cjk(c)})
    groups: dict[str, list[str]] = {}
    for c in pool:
        if _t2s(c) != c:
            continue  # keep the pool simplified
        py = pinyin(c, style=Style.TONE3, heteronym=False, errors="ignore")
        if py and py[0]:
            groups.setdefault(py[0][0], []).append(c)
    table = {}
    for members in groups.values():
        for c in members:
            variants = {c, _s2t(c)}
            others = [x for x in members if x not in variants and _t2s(x) != c]
            if others:
                table[c] = others
    return table


_FW = {cp: cp + 0xFEE0 for cp in range(0x21, 0x7F)}


def _fullwidth(text: str, rnd: random.Random) -> str | None:
    ascii_pos = [i for i, ch in enumerate(text) if "!" <= ch <= "~"]
    if not ascii_pos:
        return None
    if rnd.random() < 0.6:  # the whole value typed in full width
        return text.translate(_FW)
    a = rnd.randrange(len(ascii_pos))
    b = rnd.randrange(a, len(ascii_pos)) + 1
    lo, hi = ascii_pos[a], ascii_pos[b - 1] + 1
    return text[:lo] + text[lo:hi].translate(_FW) + text[hi:]


def _whitespace(text: str, fld: str, rnd: random.Random) -> str:
    sp = rnd.choice((" ", " ", "  ", "\u3000"))
    r = rnd.random()
    if fld in NO_SPACE_FIELDS and len(text) >= 2 and r < 0.35:
        i = rnd.randrange(1, len(text))
        return text[:i] + sp + text[i:]
    if r < 0.6:
        return sp + text
    if r < 0.9:
        return text + sp
    return sp + text + rnd.choice((" ", "\u3000"))


def _ymd(text: str) -> tuple[int, int, int] | None:
    try:
        return int(text[0:4]), int(text[5:7]), int(text[8:10])
    except (ValueError, TypeError):
        return None


_EXCEL_EPOCH = date(1899, 12, 30).toordinal()


def _date_format(text: str, rnd: random.Random) -> str | None:
    ymd = _ymd(text)
    if ymd is None:
        return None
    y, m, d = ymd
    variants = [f"{y}/{m}/{d}", f"{y}.{m}.{d}", f"{y}年{m}月{d}日", f"{y:04d}{m:02d}{d:02d}",
                f"{y}/{m:02d}/{d:02d}", f"{y}-{m}-{d}", f"{y}.{m:02d}.{d:02d}"]
    variants = [v for v in variants if v != text]
    return rnd.choice(variants) if variants else None


def _excel_serial(text: str) -> int | None:
    ymd = _ymd(text)
    if ymd is None:
        return None
    try:
        d = date(*ymd)
    except ValueError:
        return None
    if d < date(1900, 3, 1):
        return None  # Excel's 1900 leap-year bug makes earlier serials ambiguous
    return d.toordinal() - _EXCEL_EPOCH


def _month_only(text: str, rnd: random.Random) -> str | None:
    ymd = _ymd(text)
    if ymd is None:
        return None
    y, m, _ = ymd
    return rnd.choice((f"{y}.{m:02d}", f"{y}.{m:02d}", f"{y}.{m}", f"{y}年{m}月", f"{y}-{m:02d}"))


def _impossible(text: str, rnd: random.Random) -> str | None:
    ymd = _ymd(text)
    if ymd is None:
        return None
    y, m, d = ymd
    if m == 2:
        return f"{y}-02-{rnd.choice((30, 31))}" if (y % 4 == 0 and (y % 100 or y % 400 == 0)) \
            else f"{y}-02-{rnd.choice((29, 30))}"
    if m in (4, 6, 9, 11) and rnd.random() < 0.6:
        return f"{y}-{m:02d}-31"
    if d > 12 and rnd.random() < 0.5:
        return f"{y}-{d:02d}-{m:02d}"  # day and month swapped: month > 12
    if rnd.random() < 0.5:
        return f"{y}-13-{d:02d}"
    return f"{y}-{m:02d}-32"


def _id_typo(v: str, rnd: random.Random) -> str | None:
    if len(v) != 18:
        return None
    for _ in range(8):
        i = rnd.randrange(17)
        ch = rnd.choice([c for c in "0123456789" if c != v[i]])
        out = v[:i] + ch + v[i + 1:]
        if not is_valid_id(out):
            return out
    return None


def _id_transposition(v: str, rnd: random.Random) -> str | None:
    if len(v) != 18:
        return None
    pos = [i for i in range(16) if v[i] != v[i + 1]]
    rnd.shuffle(pos)
    for i in pos[:8]:
        out = v[:i] + v[i + 1] + v[i] + v[i + 2:]
        if not is_valid_id(out):
            return out
    return None


def _id_15(v: str) -> str | None:
    if len(v) != 18 or v[6:8] != "19":
        return None
    out = v[:6] + v[8:17]
    try:
        return out if upgrade_id15(out, strict=False) == v else None
    except ValueError:
        return None


def _bracket_swap(name: str) -> str | None:
    if "（" in name or "）" in name:
        return name.replace("（", "(").replace("）", ")")
    if "(" in name or ")" in name:
        return name.replace("(", "（").replace(")", "）")
    return None


def _bracket_key(name: str) -> str:
    return name.replace("（", "(").replace("）", ")")


def _strip_suffix(name: str) -> str | None:
    for suf in COMPANY_SUFFIXES:
        if suf in name:
            out = name.replace(suf, "", 1)
            return out if out and out != name else None
    return None


# ---------------------------------------------------------------------------
# Working state
# ---------------------------------------------------------------------------

def _arrow(values) -> pa.Array:
    """A contiguous large_string arrow array (nulls for NA) of a Series / array."""
    if isinstance(values, pd.Series) and values.dtype != "str":
        values = values.astype("str")
    arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr


def _mask(x) -> np.ndarray:
    """A numpy bool mask from an arrow boolean result (null → False)."""
    return pc.fill_null(x, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _take_obj(arr: pa.Array, rows: np.ndarray) -> np.ndarray:
    if len(rows) == 0:
        return np.empty(0, dtype=object)
    return arr.take(pa.array(np.asarray(rows, dtype=np.int64))).to_numpy(zero_copy_only=False)


class _Sheet:
    """One sheet's clean columns (arrow large_string) and the dirt applied so far (sparse)."""

    def __init__(self, name: str, frame: pd.DataFrame, extra: Mapping[str, pd.Series] | None = None):
        self.name = name
        self.headers = HEADERS[name]
        self.n = len(frame)
        frame = frame.reset_index(drop=True)
        self.agency = _arrow(frame["agency_code"]) if "agency_code" in frame.columns else self._null()
        if name == SHEET_PERSON or "seq" not in frame.columns:
            self.seq = None
        else:
            self.seq = frame["seq"].to_numpy(dtype=np.int64, na_value=-1)
        self.arr: dict[str, pa.Array] = {}
        for h in self.headers:
            if extra is not None and h in extra:
                self.arr[h] = _arrow(extra[h].reset_index(drop=True))
            else:
                self.arr[h] = _arrow(frame[h]) if h in frame.columns else self._null()
        #: the fields that receive dirt (户口性质 only carries the legacy value)
        self.fields = tuple(h for h in self.headers if h not in DROPPED_HEADERS)
        self.notna = {h: _mask(pc.is_valid(self.arr[h])) for h in self.fields}
        self.taken = {h: np.zeros(self.n, dtype=bool) for h in self.fields}
        self.errored = {h: np.zeros(self.n, dtype=bool) for h in self.fields}
        self.patch: dict[str, dict[int, object]] = {h: {} for h in self.headers}
        self._objs: dict[str, np.ndarray] = {}

    def _null(self) -> pa.Array:
        return pa.nulls(self.n, type=pa.large_string())

    def obj(self, h: str) -> np.ndarray:
        """The whole clean column as an object array (None for NA), cached."""
        if h not in self._objs:
            self._objs[h] = (self.agency if h == "agency_code" else self.arr[h]).to_numpy(zero_copy_only=False)
        return self._objs[h]

    def at(self, h: str, rows: np.ndarray) -> np.ndarray:
        """Clean values at `rows` (object array, None for NA)."""
        if h in self._objs:
            return self._objs[h][rows]
        return _take_obj(self.arr[h], rows)

    def dirty_rows(self, rows: list[int]) -> dict[int, dict[str, object]]:
        """{row: {header: value as written}} for a few rows."""
        rows = sorted(set(rows))
        out: dict[int, dict[str, object]] = {r: {} for r in rows}
        idx = np.array(rows, dtype=np.int64)
        for h in self.headers:
            patch = self.patch[h]
            for r, v in zip(rows, self.at(h, idx)):
                out[r][h] = patch[r] if r in patch else v
        return out

    def lock_pair(self, a: str, b: str) -> None:
        """No new error in a cell whose partner field on the row already has one."""
        if a in self.taken and b in self.taken:
            self.taken[a] |= self.errored[b]
            self.taken[b] |= self.errored[a]


class _Injector:
    def __init__(self, rates: dict[str, float], seed: int):
        self.rates = rates
        self.seed = seed
        self.errs: list[tuple] = []  # (sheet, rows, field, dirty, clean, category, resolvable)

    def rng(self, *parts) -> np.random.Generator:
        return np.random.default_rng([self.seed, _k(*parts)])

    def rnd(self, *parts) -> random.Random:
        return random.Random(_k(self.seed, *parts))

    def pick(self, sh: _Sheet, fld: str, category: str, eligible: np.ndarray, rate: float | None = None) -> np.ndarray:
        """Bernoulli(rate) over the eligible, not yet taken cells of a field."""
        p = self.rates.get(category, 0.0) if rate is None else rate
        cand = np.flatnonzero(eligible & ~sh.taken[fld])
        if p <= 0 or cand.size == 0:
            return cand[:0]
        return cand[_bernoulli(self.rng(category, sh.name, fld), cand.size, p)]

    def apply(self, sh: _Sheet, fld: str, rows: np.ndarray, dirty: list, category: str,
              resolvable, clean: np.ndarray | None = None) -> np.ndarray:
        """Write dirty values (`_SKIP` entries: the transform did not apply; None: an empty cell)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return rows
        if clean is None:
            clean = sh.at(fld, rows)
        ok = np.fromiter((d is not _SKIP for d in dirty), dtype=bool, count=len(dirty))
        res = np.broadcast_to(np.asarray(resolvable, dtype=bool), ok.shape)[ok] if np.ndim(resolvable) \
            else np.full(int(ok.sum()), bool(resolvable))
        rows, clean = rows[ok], clean[ok]
        vals = np.empty(rows.size, dtype=object)
        vals[:] = [d for d, k in zip(dirty, ok) if k]
        sh.patch[fld].update(zip(rows.tolist(), vals))
        sh.taken[fld][rows] = True
        sh.errored[fld][rows] = True
        self.errs.append((sh.name, rows, fld, vals, clean, category, res))
        return rows

    def transform(self, sh: _Sheet, fld: str, category: str, eligible: np.ndarray, fn, resolvable=True,
                  rate: float | None = None) -> np.ndarray:
        rows = self.pick(sh, fld, category, eligible, rate)
        if not rows.size:
            return rows
        rnd = self.rnd(category, sh.name, fld)
        clean = sh.at(fld, rows)
        dirty = []
        for v in clean:
            out = fn(v, rnd)
            dirty.append(_SKIP if out is None or out == v else out)
        if callable(resolvable):
            resolvable = resolvable(rows)
        return self.apply(sh, fld, rows, dirty, category, resolvable, clean)


_SKIP = object()


# ---------------------------------------------------------------------------
# Registry index
# ---------------------------------------------------------------------------

class _Registry:
    def __init__(self, registry: pd.DataFrame):
        registry = registry.reset_index(drop=True)
        n = len(registry)

        def col(name):
            return _obj(registry[name]) if name in registry.columns else np.full(n, None, dtype=object)

        self.names = col("企业名称")
        self.uscc = col("统一社会信用代码")
        self.short = col("_short_name")
        self.legacy = col("_legacy_reg_no")
        self.kind = col("_kind")
        self.formers = [[x.strip() for x in f.split(";") if x.strip()] if isinstance(f, str) else []
                        for f in col("曾用名")]
        self._names_arr = pa.array(self.names, type=pa.large_string(), from_pandas=True)
        self._uscc_arr = pa.array(self.uscc, type=pa.large_string(), from_pandas=True)
        name_count = Counter(x for x in self.names if isinstance(x, str))
        self.name_unique = np.array([isinstance(x, str) and name_count[x] == 1 for x in self.names], dtype=bool)
        decoy_of = {d for d in col("_decoy_of") if isinstance(d, str)}
        self.has_decoy = np.array([(isinstance(u, str) and u in decoy_of) or (isinstance(nm, str) and nm in decoy_of)
                                   for u, nm in zip(self.uscc, self.names)], dtype=bool)
        holders: Counter = Counter()
        for nm, fs in zip(self.names, self.formers):
            for x in {nm, *fs}:
                if isinstance(x, str):
                    holders[x] += 1
        self.holders = holders
        self.short_count = Counter(s for s in self.short if isinstance(s, str))
        self.nosuffix_count = Counter(_strip_suffix(x) or x for x in self.names if isinstance(x, str))
        self.bracket_count = Counter(_bracket_key(x) for x in self.names if isinstance(x, str))
        self.changeable = np.array([k != "decoy" and isinstance(nm, str) for k, nm in zip(self.kind, self.names)],
                                   dtype=bool)
        # per-company eligibility of the name variants
        self.short_ok = np.array([isinstance(s, str) and s != nm for s, nm in zip(self.short, self.names)], dtype=bool)
        self.suffix_ok = np.array([isinstance(nm, str) and _strip_suffix(nm) is not None for nm in self.names],
                                  dtype=bool)
        self.former_ok = np.array([any(f != nm for f in fs) for fs, nm in zip(self.formers, self.names)], dtype=bool)
        self.bracket_ok = np.array([isinstance(nm, str) and _bracket_swap(nm) is not None for nm in self.names],
                                   dtype=bool)
        self.legacy_ok = np.array([isinstance(x, str) for x in self.legacy], dtype=bool)
        if n == 0:
            for a in ("short_ok", "suffix_ok", "former_ok", "bracket_ok", "legacy_ok", "has_decoy", "name_unique"):
                setattr(self, a, np.zeros(1, dtype=bool))

    def lookup(self, names: pa.Array) -> np.ndarray:
        """Registry row of each current company name (first match; -1 if none)."""
        return _index_in(names, self._names_arr)

    def lookup_uscc(self, codes: pa.Array) -> np.ndarray:
        return _index_in(codes, self._uscc_arr)


# ---------------------------------------------------------------------------
# inject
# ---------------------------------------------------------------------------

def _empty_child(sheet: str) -> pd.DataFrame:
    cols = ["agency_code", "档案编号", "seq", *HEADERS[sheet][1:]]
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})


def _bool_col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[name].fillna(False).to_numpy(dtype=bool)


def _str_col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series([None] * len(frame), dtype="str")
    s = frame[name]
    return s if s.dtype == "str" else s.astype("str")


def _index_in(values: pa.Array, value_set: pa.Array) -> np.ndarray:
    """Position of each value's first occurrence in value_set (-1: none or null)."""
    if len(values) == 0:
        return np.empty(0, dtype=np.int64)
    if len(value_set) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    i = pc.index_in(values, value_set=value_set, skip_nulls=True)
    return pc.fill_null(i, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _record_keys(agency: pa.Array, key: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(agency, key, pa.scalar("\x1f", pa.large_string()))


def inject(persons: pd.DataFrame, study: pd.DataFrame | None, work: pd.DataFrame | None,
           registry: pd.DataFrame, multi_archive: pd.DataFrame | None,
           rates: Mapping[str, float] | str | Path | None = None, seed: int = 0, *,
           plan: Plan | None = None) -> DirtyResult:
    """Make the dirty landing rows and the truth of every error (see the module doc).

    `rates`: None (DEFAULT_RATES), a mapping overriding some of them, or a
    JSON file path.  `plan` ({agency: (fmt, batches)}) defaults to
    ``formats.plan_formats`` over the agencies of the frames, same seed.
    """
    rates = load_rates(rates)
    persons = persons.reset_index(drop=True)
    study = _empty_child(SHEET_STUDY) if study is None else study.reset_index(drop=True)
    work = _empty_child(SHEET_WORK) if work is None else work.reset_index(drop=True)
    agencies = sorted(set(_str_col(persons, "agency_code").dropna().unique())
                      | set(_str_col(study, "agency_code").dropna().unique())
                      | set(_str_col(work, "agency_code").dropna().unique()))
    if plan is None:
        plan = plan_formats(agencies, seed)
    missing = [a for a in agencies if a not in plan]
    if missing:
        raise KeyError(f"agencies without a format plan: {missing[:5]}")

    inj = _Injector(rates, seed)
    hukou = _str_col(persons, "_hukou_type_legacy")
    P = _Sheet(SHEET_PERSON, persons, extra={"户口性质": hukou})
    S = _Sheet(SHEET_STUDY, study)
    W = _Sheet(SHEET_WORK, work)
    reg = _Registry(registry)
    in_police = _bool_col(persons, "_in_police")
    in_social = _bool_col(persons, "_in_social")
    in_edu = _bool_col(persons, "_in_education")
    social_emp = _arrow(_str_col(persons, "_social_employer"))
    social_uscc = _arrow(_str_col(persons, "_social_uscc"))
    ID, NAME, EMP, USCC = "公民身份号码", "姓名", "工作单位", "单位统一社会信用代码"

    # ---- batches -------------------------------------------------------------
    agency_arr = pa.array(agencies, type=pa.large_string())
    p_agency = _index_in(P.agency, agency_arr)
    two = np.array([len(plan[a][1]) >= 2 for a in agencies], dtype=bool)
    p_batch = np.zeros(P.n, dtype=np.int64)
    in_two = two[p_agency] if P.n else np.zeros(0, bool)
    cand = np.flatnonzero(in_two)
    p_batch[cand[_bernoulli(inj.rng("batch_new"), cand.size, rates["batch_new"])]] = 1
    for ai in np.flatnonzero(two):  # a second batch is never empty
        rows = np.flatnonzero(p_agency == ai)
        if rows.size >= 2 and not (p_batch[rows] == 1).any():
            p_batch[rows[-1]] = 1

    rec_keys = _record_keys(P.agency, P.arr["档案编号"])

    def find_records(agency: pa.Array, key: pa.Array) -> np.ndarray:
        """Person row of each (agency, 档案编号) (first match; -1 if none)."""
        return _index_in(_record_keys(agency, key), rec_keys)

    # ---- 一人多档 --------------------------------------------------------------
    ma_rows = []
    if multi_archive is not None and len(multi_archive):
        for sfx in ("a", "b"):
            ma_rows.append(find_records(_arrow(multi_archive[f"agency_code_{sfx}"]),
                                        _arrow(multi_archive[f"档案编号_{sfx}"])))
    ma = np.unique(np.concatenate(ma_rows)) if ma_rows else np.empty(0, np.int64)
    ma = ma[ma >= 0]
    clean_ids = P.at(ID, ma)
    inj.apply(P, ID, ma, list(clean_ids), "multi_archive", False, clean_ids)

    # ---- batch corrections (wrong value in batch 1, right value in batch 2) --------
    corr_rows = np.flatnonzero(in_two & (p_batch == 0))
    corr_rows = corr_rows[_bernoulli(inj.rng("batch_correction"), corr_rows.size, rates["batch_correction"])]
    corrections: list[tuple[int, str]] = []
    if corr_rows.size:
        rnd = inj.rnd("batch_correction")
        rng = inj.rng("batch_correction", "donors")
        fields = [f for f in BATCH_CORRECTION_FIELDS if f in P.fields]
        by_field: dict[str, list[int]] = {f: [] for f in fields}
        for r in corr_rows:
            options = [f for f in fields if P.notna[f][r] and not P.taken[f][r]]
            if options:
                by_field[rnd.choice(options)].append(int(r))
        for f in fields:
            rows = np.array(by_field[f], dtype=np.int64)
            if not rows.size:
                continue
            donors = np.flatnonzero(P.notna[f])
            tries = 8
            pool = P.at(f, donors[rng.integers(0, donors.size, size=rows.size * tries)]).reshape(rows.size, tries)
            clean = P.at(f, rows)
            dirty = []
            for v, opts in zip(clean, pool):
                dirty.append(next((o for o in opts if o != v), _SKIP))
            done = inj.apply(P, f, rows, dirty, "batch_correction", True, clean)
            corrections += [(int(r), f) for r in done]
    corrections.sort()

    # ---- ID numbers ------------------------------------------------------------
    def length_is(a: pa.Array, n: int) -> np.ndarray:
        return _mask(pc.equal(pc.utf8_length(a), n))

    id_ok18 = P.notna[ID] & length_is(P.arr[ID], 18)
    bad_rows = []
    for cat, fn in (("id_typo", _id_typo), ("id_transposition", _id_transposition)):
        bad_rows.append(inj.transform(P, ID, cat, id_ok18, fn, resolvable=lambda rows: in_police[rows]))
    bad = np.concatenate(bad_rows)
    for f in (NAME, "出生日期"):  # the police candidate is confirmed by name and birth date
        if f in P.taken:
            P.taken[f][bad] = True
    id_resolvable = np.ones(P.n, dtype=bool)
    id_resolvable[bad] = in_police[bad]
    for sh in (P, S, W):
        if not sh.n:
            continue
        a = sh.arr[ID]
        born19 = sh.notna[ID] & length_is(a, 18) & _mask(pc.equal(pc.utf8_slice_codeunits(a, 6, 8), "19"))
        inj.transform(sh, ID, "id_15", born19, lambda v, rnd: _id_15(v))
        endx = sh.notna[ID] & _mask(pc.ends_with(a, "X"))
        inj.transform(sh, ID, "id_lowercase_x", endx, lambda v, rnd: v[:-1] + "x")

    # ---- names -----------------------------------------------------------------
    if P.n:
        names = P.arr[NAME]
        has_dot = P.notna[NAME] & _mask(pc.match_substring(names, "·"))
        inj.transform(P, NAME, "name_dot", has_dot, lambda v, rnd: v.replace("·", rnd.choice((".", "•", "・"))))

        def trad(v, rnd):
            t = _s2t(v)
            return t if t != v and _t2s(t) == v else None
        inj.transform(P, NAME, "name_traditional", P.notna[NAME], trad)
        pool = NAME_CHAR_POOL + "".join(sorted(set("".join(pc.unique(pc.drop_null(names)).to_pylist()))))
        table = _homophone_table(pool)

        def homophone(v, rnd):
            pos = [i for i in range(1, len(v)) if v[i] in table] or [i for i in range(len(v)) if v[i] in table]
            if not pos:
                return None
            i = rnd.choice(pos)
            out = v[:i] + rnd.choice(table[v[i]]) + v[i + 1:]
            return out if _t2s(out) != v else None
        long_name = P.notna[NAME] & _mask(pc.greater_equal(pc.utf8_length(names), 2))
        inj.transform(P, NAME, "name_homophone", long_name, homophone,
                      resolvable=lambda rows: in_police[rows] & id_resolvable[rows])

    # ---- employers ---------------------------------------------------------------
    emp_table = _homophone_table("".join(x for x in reg.names if isinstance(x, str)) + NAME_CHAR_POOL)
    all_names = set(reg.holders)
    changeable = np.flatnonzero(reg.changeable)

    def employer_variants(sh: _Sheet, uscc_ok: np.ndarray, lock_other) -> None:
        comp = reg.lookup(sh.arr[EMP])
        known = comp >= 0
        cidx = np.where(known, comp, 0)

        def run(cat, elig, fn, unique_fn):
            rows = inj.pick(sh, EMP, cat, elig)
            if not rows.size:
                return
            rnd = inj.rnd(cat, sh.name, EMP)
            clean = sh.at(EMP, rows)
            dirty = []
            for v, c in zip(clean, comp[rows]):
                out = fn(v, int(c), rnd)
                dirty.append(_SKIP if out is None or out == v else out)
            uniq = np.array([d is not _SKIP and bool(unique_fn(d, int(c))) for d, c in zip(dirty, comp[rows])],
                            dtype=bool)
            done = inj.apply(sh, EMP, rows, dirty, cat, uscc_ok[rows] | uniq, clean)
            lock_other(done)

        run("employer_abbrev", known & reg.short_ok[cidx], lambda v, c, rnd: reg.short[c],
            lambda d, c: reg.short_count[d] == 1 and not reg.has_decoy[c] and d not in all_names)
        run("employer_no_suffix", known & reg.suffix_ok[cidx], lambda v, c, rnd: _strip_suffix(v),
            lambda d, c: reg.nosuffix_count[d] == 1 and d not in all_names)

        def former(v, c, rnd):
            opts = [f for f in reg.formers[c] if f != v]
            return rnd.choice(opts) if opts else None
        run("employer_former_name", known & reg.former_ok[cidx], former, lambda d, c: reg.holders[d] == 1)
        run("employer_bracket_width", known & reg.bracket_ok[cidx], lambda v, c, rnd: _bracket_swap(v),
            lambda d, c: reg.bracket_count[_bracket_key(d)] == 1)

        def typo(v, c, rnd):
            core = v
            for suf in COMPANY_SUFFIXES:
                if suf in core:
                    core = core[: core.index(suf)]
                    break
            pos = [i for i, ch in enumerate(core) if (ch in emp_table or ch in LOOKALIKE)]
            rnd.shuffle(pos)
            for i in pos[:6]:
                ch = v[i]
                opts = list(emp_table.get(ch, ()))
                if ch in LOOKALIKE:
                    opts.append(LOOKALIKE[ch])
                out = v[:i] + rnd.choice(opts) + v[i + 1:]
                if out not in all_names:
                    return out
            return None
        run("employer_typo", known, typo, lambda d, c: not reg.has_decoy[c])

    if P.n:
        comp = reg.lookup(P.arr[EMP])
        known = comp >= 0
        name_known = known & reg.name_unique[np.where(known, comp, 0)]
        uscc_comp = reg.lookup_uscc(P.arr[USCC])
        uscc_reg = uscc_comp >= 0
        same_social = P.notna[EMP] & in_social & _mask(pc.equal(social_emp, P.arr[EMP]))

        # employer_changed: another registry company, its name and (if the row has one) its USCC
        rows = inj.pick(P, EMP, "employer_changed", same_social & ~P.taken[USCC])
        if rows.size and changeable.size:
            rnd = inj.rnd("employer_changed")
            clean = P.at(EMP, rows)
            others = []
            for v, c in zip(clean, comp[rows]):
                o = -1
                for _ in range(20):
                    cand_c = int(changeable[rnd.randrange(changeable.size)])
                    if reg.names[cand_c] != v and cand_c != c:
                        o = cand_c
                        break
                others.append(o)
            others = np.array(others, dtype=np.int64)
            ok = others >= 0
            rows, others, clean = rows[ok], others[ok], clean[ok]
            inj.apply(P, EMP, rows, list(reg.names[others]), "employer_changed", False, clean)
            with_u = P.notna[USCC][rows]
            inj.apply(P, USCC, rows[with_u], list(reg.uscc[others[with_u]]), "employer_changed", False)
            P.taken[USCC][rows] = True

        # employer_missing: the form leaves the employer empty, 社保 has it
        rows = inj.pick(P, EMP, "employer_missing", same_social & ~P.taken[USCC])
        inj.apply(P, EMP, rows, [None] * rows.size, "employer_missing", True)
        with_u = rows[P.notna[USCC][rows]]
        inj.apply(P, USCC, with_u, [None] * with_u.size, "employer_missing",
                  _take_obj(social_uscc, with_u) == P.at(USCC, with_u))
        P.taken[USCC][rows] = True

        # name variants (the USCC stays clean) / USCC variants (the name stays clean)
        def lock_uscc(done):
            P.taken[USCC][done] = True
        P.taken[EMP] |= P.taken[USCC]
        employer_variants(P, uscc_reg, lock_uscc)
        P.taken[USCC] |= P.taken[EMP]
        u_rows = inj.transform(
            P, USCC, "uscc_bad_check", P.notna[USCC],
            lambda v, rnd: (v[:17] + rnd.choice([c for c in USCC_ALPHABET if c != v[17]])) if len(v) == 18 else None,
            resolvable=lambda rows: name_known[rows])
        P.taken[EMP][u_rows] = True
        legacy = uscc_reg & reg.legacy_ok[np.where(uscc_reg, uscc_comp, 0)]
        rows = inj.pick(P, USCC, "uscc_legacy_15", legacy)
        done = inj.apply(P, USCC, rows, list(reg.legacy[uscc_comp[rows]]), "uscc_legacy_15", name_known[rows])
        P.taken[EMP][done] = True
    if W.n:
        employer_variants(W, np.zeros(W.n, dtype=bool), lambda done: None)

    # ---- coded fields -----------------------------------------------------------
    for fld in FIELD_CODE_TYPES:
        if fld not in P.fields or not P.n:
            continue
        inverse: dict[str, list[str]] = {}
        for alias, canon in sorted(synonyms(fld).items()):
            inverse.setdefault(canon, []).append(alias)

        def synonym(v, rnd, inverse=inverse):
            opts = inverse.get(v)
            if not opts:
                return None
            a = rnd.choice(opts)
            if a.isascii() and a.isalpha() and rnd.random() < 0.5:
                a = a.upper()
            return a
        has_syn = P.notna[fld] & _mask(pc.is_in(P.arr[fld], value_set=pa.array(sorted(inverse),
                                                                                type=pa.large_string())))
        inj.transform(P, fld, "code_synonym", has_syn, synonym)

    # ---- dates ---------------------------------------------------------------
    for sh in (P, S, W):
        for fld in DATE_HEADERS[sh.name]:
            if not sh.n:
                continue
            nn = sh.notna[fld]
            if sh is P and fld == "出生日期":
                res_soft = lambda rows: id_resolvable[rows]  # noqa: E731  (the ID gives the birth date)
                res_imp = res_soft
            elif sh is P and fld == "毕业时间":
                res_soft = lambda rows: in_edu[rows]  # noqa: E731
                res_imp = False
            else:
                res_soft, res_imp = False, False
            inj.transform(sh, fld, "date_impossible", nn, _impossible, resolvable=res_imp)
            inj.transform(sh, fld, "date_month_only", nn, _month_only, resolvable=res_soft)
            inj.transform(sh, fld, "date_excel_serial", nn, lambda v, rnd: _excel_serial(v))
            inj.transform(sh, fld, "date_format", nn, _date_format)

    # ---- empty values written as tokens ------------------------------------------
    for sh in (P, S, W):
        if not sh.n:
            continue
        for fld in sh.fields:
            if fld in REQUIRED[sh.name]:
                continue
            tokens = [t for t in NULL_TOKENS_WRITTEN if not (fld == "最高学位" and t == "无")]
            inj.transform(sh, fld, "null_token", ~sh.notna[fld], lambda v, rnd, tokens=tokens: rnd.choice(tokens))

    # ---- full width, whitespace ----------------------------------------------------
    for sh in (P, S, W):
        if not sh.n:
            continue
        for fld in sh.fields:
            if fld in FULLWIDTH_FIELDS or fld in DATE_HEADERS[sh.name]:
                sh.lock_pair(EMP, USCC)
                inj.transform(sh, fld, "fullwidth", sh.notna[fld], _fullwidth)
        for fld in sh.fields:
            sh.lock_pair(EMP, USCC)
            inj.transform(sh, fld, "whitespace", sh.notna[fld], lambda v, rnd, fld=fld: _whitespace(v, fld, rnd))

    child_rec = {sh.name: find_records(sh.agency, sh.arr["档案编号"]) for sh in (S, W)}
    return _assemble(inj, plan, agencies, agency_arr, P, S, W, p_agency, p_batch, child_rec, corrections,
                     rates, seed)


# ---------------------------------------------------------------------------
# Layout: rows per file, extra rows, truth tables
# ---------------------------------------------------------------------------

def _new_key(existing: set, base: str, k: int) -> str:
    m = re.match(r"^(.*?)(\d+)$", base or "")
    if m:
        prefix, digits = m.groups()
        num = int(digits) + 500_000 + k
        while True:
            cand = f"{prefix}{str(num).zfill(len(digits))}"
            if cand not in existing:
                return cand
            num += 1
    n = k
    while f"{base}-{n}" in existing:
        n += 1
    return f"{base}-{n}"


def _as_text(v):
    """A cell value as the errors table shows it (serial numbers as digits)."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v)


def _column(sh: _Sheet, h: str, extra_vals: list) -> tuple[pa.Array, np.ndarray | None]:
    """The dirty column (clean + patches + extra rows) as large_string, with the mask of numeric cells."""
    base = sh.arr[h]
    patch = sh.patch[h]
    n_total = sh.n + len(extra_vals)
    numeric = None
    if patch:
        rows = np.fromiter(patch.keys(), dtype=np.int64, count=len(patch))
        vals = np.empty(len(patch), dtype=object)
        vals[:] = list(patch.values())
        order = np.argsort(rows, kind="stable")
        rows, vals = rows[order], vals[order]
        isnum = np.fromiter((isinstance(v, (int, np.integer)) for v in vals), dtype=bool, count=vals.size)
        if isnum.any():
            numeric = np.zeros(n_total, dtype=bool)
            numeric[rows[isnum]] = True
            vals[isnum] = [str(int(v)) for v in vals[isnum]]
        m = np.zeros(sh.n, dtype=bool)
        m[rows] = True
        base = pc.replace_with_mask(base, pa.array(m), pa.array(vals, type=pa.large_string(), from_pandas=True))
    if extra_vals:
        isnum = np.fromiter((isinstance(v, (int, np.integer)) for v in extra_vals), dtype=bool,
                            count=len(extra_vals))
        if isnum.any():
            if numeric is None:
                numeric = np.zeros(n_total, dtype=bool)
            numeric[sh.n + np.flatnonzero(isnum)] = True
        base = pa.concat_arrays([base, pa.array([_as_text(v) for v in extra_vals], type=pa.large_string())])
    return base, numeric


def _series(part: pa.Array, numeric: np.ndarray | None) -> pd.Series:
    """A frame column: pandas ``str``, or object with ints where Excel serial numbers are."""
    if numeric is not None and numeric.any():
        obj = part.to_numpy(zero_copy_only=False)
        obj[numeric] = [int(x) for x in obj[numeric]]
        return pd.Series(obj, dtype=object)
    try:
        return pd.Series(ArrowStringArray(pa.chunked_array([part]), dtype=_STR_DTYPE), copy=False)
    except (TypeError, ValueError):  # pragma: no cover - other pandas versions
        return pd.Series(pd.array(part, dtype="str"))


_STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)


def _assemble(inj, plan, agencies, agency_arr, P, S, W, p_agency, p_batch, child_rec, corrections, rates, seed):
    sheets = {SHEET_PERSON: P, SHEET_STUDY: S, SHEET_WORK: W}
    group = {SHEET_PERSON: p_agency * 2 + p_batch}
    for sh in (S, W):
        rec = child_rec[sh.name]
        b = np.where(rec >= 0, p_batch[np.maximum(rec, 0)], 0) if P.n else np.zeros(sh.n, np.int64)
        group[sh.name] = _index_in(sh.agency, agency_arr) * 2 + b

    # rank of each original row within its group (input order), and the group members
    rank, gsize, members = {}, {}, {}
    for name, sh in sheets.items():
        g = group[name]
        order = np.lexsort((np.arange(sh.n), g))
        r = np.empty(sh.n, dtype=np.int64)
        gsize[name], members[name] = {}, {}
        if sh.n:
            gs = g[order]
            starts = np.r_[0, np.flatnonzero(np.diff(gs)) + 1]
            counts = np.diff(np.r_[starts, gs.size])
            r[order] = np.arange(sh.n) - np.repeat(starts, counts)
            for s0, c in zip(starts.tolist(), counts.tolist()):
                gsize[name][int(gs[s0])] = c
                members[name][int(gs[s0])] = order[s0:s0 + c]
        rank[name] = r

    # Extra rows are planned first (src row + overrides), then materialised in bulk.
    # plan entry: (kind, group, pos key, src row | None, overrides, ref row | None)
    planned: dict[str, list[tuple]] = {name: [] for name in SHEETS}
    used = {name: np.zeros(sh.n, dtype=bool) for name, sh in sheets.items()}

    # another person's row typed later under an existing 档案编号 (rule 4)
    rng, rnd = inj.rng("row_conflicting_key"), inj.rnd("row_conflicting_key")
    if P.n > 1:
        for r in _bernoulli(rng, P.n, rates["row_conflicting_key"]).tolist():
            g = int(group[SHEET_PERSON][r])
            mates = members[SHEET_PERSON][g]
            other = int(mates[rnd.randrange(mates.size)])
            if other == r or used[SHEET_PERSON][r]:
                continue
            pos = rnd.randrange(int(rank[SHEET_PERSON][r]), gsize[SHEET_PERSON][g]) + 0.5
            used[SHEET_PERSON][r] = True
            planned[SHEET_PERSON].append(("conflict", g, pos, other, {"档案编号": ("dirty", r)}, r))

    for name, sh in sheets.items():
        if not sh.n:
            continue
        g_all = group[name]
        rng, rnd = inj.rng("row_duplicate", name), inj.rnd("row_duplicate", name)
        for r in _bernoulli(rng, sh.n, rates["row_duplicate"]).tolist():
            if used[name][r]:
                continue
            used[name][r] = True
            g = int(g_all[r])
            rk = int(rank[name][r])
            pos = rk + 0.5 if rnd.random() < 0.5 else rnd.randrange(rk, gsize[name][g]) + 0.5
            planned[name].append(("duplicate", g, pos, r, None, r))
        rng, rnd = inj.rng("row_empty_key", name), inj.rnd("row_empty_key", name)
        for r in _bernoulli(rng, sh.n, rates["row_empty_key"]).tolist():
            g = int(g_all[r])
            planned[name].append(("empty_key", g, rnd.randrange(gsize[name][g] + 1) - 0.5, r,
                                  {"档案编号": rnd.choice((None, None, " "))}, None))

    # rows with neither 姓名 nor 公民身份号码, under a new 档案编号 (rule 5)
    chosen = _bernoulli(inj.rng("row_no_identity"), P.n, rates["row_no_identity"]).tolist()
    if chosen:
        rnd = inj.rnd("row_no_identity")
        agency_o, key_o = P.obj("agency_code"), P.obj("档案编号")
        keys_by_agency: dict[str, set] = {}
        for a, k in zip(agency_o, key_o):
            keys_by_agency.setdefault(a, set()).add(k)
        for j, r in enumerate(chosen):
            g = int(group[SHEET_PERSON][r])
            key = _new_key(keys_by_agency[agency_o[r]], str(key_o[r]), j)
            keys_by_agency[agency_o[r]].add(key)
            planned[SHEET_PERSON].append(("no_identity", g, rnd.randrange(gsize[SHEET_PERSON][g] + 1) - 0.5, r,
                                          {"档案编号": key, "姓名": None, "公民身份号码": None}, None))

    # batch-2 correction rows (sparse: keys as written in batch 1 + the corrected field)
    rnd = inj.rnd("batch_correction_rows")
    for r, f in corrections:
        g = int(group[SHEET_PERSON][r]) + 1
        over = {h: None for h in P.headers}
        over.update({h: ("dirty", r) for h in ("档案编号", "姓名", "公民身份号码")})
        over[f] = ("clean", r)
        planned[SHEET_PERSON].append(("correction", g, rnd.randrange(gsize[SHEET_PERSON].get(g, 0) + 1) - 0.5,
                                      None, over, r))

    # ---- final order per file ----
    n_groups = 2 * len(agencies)
    g_agency = np.array([agencies[g // 2] for g in range(n_groups)], dtype=object)
    g_batch = np.array([plan[agencies[g // 2]][1][min(g % 2, len(plan[agencies[g // 2]][1]) - 1)]
                        for g in range(n_groups)], dtype=object)
    g_src = {name: np.array([source_file(g_agency[g], g_batch[g], plan[g_agency[g]][0], name)
                             for g in range(n_groups)], dtype=object) for name in SHEETS}
    slices: dict[str, dict[int, tuple[int, int]]] = {}
    ordered: dict[str, dict[str, tuple[pa.Array, np.ndarray | None]]] = {}
    row_of: dict[str, np.ndarray] = {}
    quarantine_rows, duplicate_rows = [], []
    row_counts = {}
    for name, sh in sheets.items():
        plan_rows = planned[name]
        # materialise the extra (non-duplicate) rows
        extras = [e for e in plan_rows if e[0] != "duplicate"]
        need = {e[3] for e in extras if e[3] is not None}
        for e in extras:
            for v in (e[4] or {}).values():
                if isinstance(v, tuple):
                    need.add(v[1])
        cache = sh.dirty_rows(sorted(need)) if need else {}
        extra_rows: list[dict] = []
        for kind, _g, _pos, src, over, _ref in extras:
            row = dict(cache[src]) if src is not None else {}
            for h, v in (over or {}).items():
                if isinstance(v, tuple):
                    v = cache[v[1]][h] if v[0] == "dirty" else sh.at(h, np.array([v[1]]))[0]
                row[h] = v
            extra_rows.append(row)
        ext_index = {id(e): sh.n + i for i, e in enumerate(extras)}
        idx_list = [ext_index[id(e)] if e[0] != "duplicate" else e[3] for e in plan_rows]
        idx = np.concatenate([np.arange(sh.n, dtype=np.int64), np.array(idx_list, dtype=np.int64)])
        grp = np.concatenate([group[name], np.array([e[1] for e in plan_rows], dtype=np.int64)])
        pos = np.concatenate([rank[name].astype(float), np.array([e[2] for e in plan_rows], dtype=float)])
        order = np.lexsort((np.arange(idx.size), pos, grp))
        grp_o = grp[order]
        if grp_o.size:
            starts = np.r_[0, np.flatnonzero(np.diff(grp_o)) + 1]
            counts = np.diff(np.r_[starts, grp_o.size])
        else:
            starts = counts = np.empty(0, np.int64)
        spreadsheet_row = np.empty(idx.size, dtype=np.int64)
        spreadsheet_row[order] = np.arange(grp_o.size) - np.repeat(starts, counts) + 2
        row_of[name] = spreadsheet_row[: sh.n]
        slices[name] = {int(grp_o[s0]): (int(s0), int(c)) for s0, c in zip(starts.tolist(), counts.tolist())}
        row_counts[name] = int(idx.size)
        final = pa.array(idx[order], type=pa.int64())
        ordered[name] = {}
        for h in sh.headers:
            arr, numeric = _column(sh, h, [e.get(h) for e in extra_rows])
            ordered[name][h] = (arr.take(final), None if numeric is None else numeric[idx[order]])
        key_o = sh.obj("档案编号") if any(e[0] == "duplicate" for e in plan_rows) else None
        for j, (kind, g, _pos, _src, _over, ref) in enumerate(plan_rows):
            row = int(spreadsheet_row[sh.n + j])
            where = (g_agency[g], g_src[name][g], name)
            if kind == "duplicate":
                duplicate_rows.append((*where, int(row_of[name][ref]), row, key_o[ref]))
            elif kind == "empty_key":
                quarantine_rows.append((*where, row, REASON_EMPTY_KEY))
            elif kind == "no_identity":
                quarantine_rows.append((*where, row, REASON_NO_IDENTITY))
            elif kind == "conflict":
                quarantine_rows.append((*where, row, REASON_CONFLICT.format(row=int(row_of[name][ref]))))

    # ---- batches ----
    batches_out: dict[str, list[DirtyBatch]] = {}
    for ai, a in enumerate(agencies):
        fmt, names = plan[a]
        out = []
        for bi, b in enumerate(names[:2]):
            g = ai * 2 + bi
            frames = {}
            for name in SHEETS:
                s0, c = slices[name].get(g, (0, 0))
                frames[name] = pd.DataFrame({
                    h: _series(arr.slice(s0, c), None if num is None else num[s0:s0 + c])
                    for h, (arr, num) in ordered[name].items()}, copy=False)
            out.append(DirtyBatch(b, fmt, frames, {s: source_file(a, b, fmt, s) for s in SHEETS}))
        batches_out[a] = out
    del ordered

    # ---- errors ----
    sheet_i = {s: i for i, s in enumerate(SHEETS)}
    cols: dict[str, list] = {k: [] for k in ("si", "row", "fi", "dirty", "clean", "cat", "res")}
    for name, rows, fld, vals, clean, cat, res in inj.errs:
        if not rows.size:
            continue
        cols["si"].append(np.full(rows.size, sheet_i[name], dtype=np.int64))
        cols["row"].append(rows)
        cols["fi"].append(np.full(rows.size, HEADERS[name].index(fld), dtype=np.int64))
        cols["dirty"].append(vals)
        cols["clean"].append(clean)
        cols["cat"].append(np.full(rows.size, CATEGORIES.index(cat), dtype=np.int64))
        cols["res"].append(res)
    cat_ = {k: (np.concatenate(v) if v else np.empty(0, dtype=object if k in ("dirty", "clean") else np.int64))
            for k, v in cols.items()}
    si, rows = cat_["si"], cat_["row"]
    grp = np.empty(rows.size, dtype=np.int64)
    srow = np.empty(rows.size, dtype=np.int64)
    keys = np.empty(rows.size, dtype=object)
    seqs = np.full(rows.size, -1, dtype=np.int64)
    for name, sh in sheets.items():
        m = si == sheet_i[name]
        if not m.any():
            continue
        r = rows[m]
        grp[m] = group[name][r]
        srow[m] = row_of[name][r]
        keys[m] = sh.at("档案编号", r)
        if sh.seq is not None:
            seqs[m] = sh.seq[r]
    order = np.lexsort((cat_["fi"][:], srow, si, grp))
    si_o, grp_o, fi_o = si[order], grp[order], cat_["fi"][order]
    src = np.empty(order.size, dtype=object)
    fields = np.empty(order.size, dtype=object)
    for name in SHEETS:
        m = si_o == sheet_i[name]
        src[m] = g_src[name][grp_o[m]]
        fields[m] = np.array(HEADERS[name], dtype=object)[fi_o[m]]
    dirty_o = cat_["dirty"][order]
    num = np.fromiter((isinstance(v, (int, np.integer)) for v in dirty_o), dtype=bool, count=dirty_o.size) \
        if cat_["cat"].size and (cat_["cat"] == CATEGORIES.index("date_excel_serial")).any() \
        else np.zeros(dirty_o.size, dtype=bool)
    dirty_o[num] = [str(int(v)) for v in dirty_o[num]]
    seq_o = seqs[order]
    errors = pd.DataFrame({
        "error_id": np.arange(1, order.size + 1, dtype=np.int64),
        "agency_code": pd.Series(g_agency[grp_o], dtype="str"),
        "档案编号": pd.Series(keys[order], dtype="str"),
        "sheet": pd.Series(np.array(SHEETS, dtype=object)[si_o], dtype="str"),
        "seq": pd.array(np.where(seq_o >= 0, seq_o, 0), dtype="Int64"),
        "field": pd.Series(fields, dtype="str"),
        "dirty": pd.Series(dirty_o, dtype="str"),
        "clean": pd.Series(cat_["clean"][order], dtype="str"),
        "category": pd.Series(np.array(CATEGORIES, dtype=object)[cat_["cat"][order]], dtype="str"),
        "resolvable": cat_["res"][order].astype(bool),
        "source_file": pd.Series(src, dtype="str"),
        "batch": pd.Series(g_batch[grp_o], dtype="str"),
    }, columns=list(ERROR_COLUMNS))
    errors.loc[seq_o < 0, "seq"] = pd.NA

    dup = pd.DataFrame(duplicate_rows, columns=list(DUPLICATE_COLUMNS))
    dup = dup.sort_values(["agency_code", "source_file", "sheet", "row_repeat"], kind="stable").reset_index(drop=True)
    dup = dup.astype({"agency_code": "str", "source_file": "str", "sheet": "str", "row_first": "int64",
                      "row_repeat": "int64", "档案编号": "str"})
    quar = pd.DataFrame(quarantine_rows, columns=list(QUARANTINE_COLUMNS))
    quar = quar.sort_values(["agency_code", "source_file", "sheet", "row"], kind="stable").reset_index(drop=True)
    quar = quar.astype({"agency_code": "str", "source_file": "str", "sheet": "str", "row": "int64", "reason": "str"})
    return DirtyResult(batches_out, errors, dup, quar, dict(plan), dict(rates), seed, row_counts)
