"""The four outside feeds (工商 / 公安 / 社保 / 教育) loaded from their bulk files and indexed for lookups.

``FeedStore.load(feeds_dir)`` reads ``<feeds>/<feed>.parquet`` or ``<feeds>/<feed>.csv`` (UTF-8) for each
feed of ``../shared/spec/feeds.md`` (the expected columns are declared below in ``FEEDS``). Every value is
read as a string; an empty cell or a Parquet null is "no value" and comes back as ``None``.

A feed whose file is missing, unreadable, empty, or lacks a column of the contract is not loaded: its
Chinese message (naming the file and the missing columns) is in ``store.errors[feed]`` and every lookup
on it raises ``FeedUnavailable`` with that message; the other feeds work. Columns that the contract does
not name are ignored (listed in ``store.warnings``). When both a Parquet and a CSV file exist, the Parquet
file is used.

Indexes (built once, at load):

* one sorted NumPy key array per feed for the lookups by 统一社会信用代码 / 公民身份号码 (the table is sorted
  by key, so a lookup is a binary search and a person's education rows are one contiguous slice). Keys are
  compared trimmed and upper-cased (a final ``x`` finds ``X``). When a key occurs twice in a feed whose key
  should be unique, the first row of the file wins (counted in ``store.warnings``).
* company names for fuzzy search: every 企业名称 and every 曾用名 is one *name entry*. A name is normalised
  (NFKC, so full- and half-width brackets and letters are equal; spaces, brackets and punctuation dropped;
  upper case), then split into the leading region words (贵州省, 贵阳, 南明区, 中国 … from
  ``seeds/data/divisions.csv``), the *body* (region + trade name, legal-form suffixes such as 有限公司 /
  股份有限公司 / 集团 removed) and the *core* (body without the region). A branch (…公司XX分公司, 支行 …)
  is flagged and keeps its parent's body. Blocking: an inverted index from the core's 2-character shingles,
  and one from its single characters (so that an abbreviation such as 中建四局, which shares no shingle with
  中国建筑第四工程局, is still found as a subsequence). The candidates are then scored with
  ``rapidfuzz.process.extract`` and ``company_name_score`` (0–100).
"""
from __future__ import annotations

import csv
import functools
import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

__all__ = [
    "FEEDS",
    "FeedSpec",
    "FeedStore",
    "FeedUnavailable",
    "CompanyHit",
    "NameParts",
    "name_parts",
    "normalize_name",
    "company_name_score",
    "MATCHED_NAME",
    "MATCHED_FORMER",
]


@dataclass(frozen=True)
class FeedSpec:
    name: str          # file stem and feed id
    label: str         # Chinese name used in messages
    columns: tuple[str, ...]
    key: str           # lookup column
    unique_key: bool   # one row per key (else several, e.g. one per degree)


# The contract of ../shared/spec/feeds.md, as data.
FEEDS: dict[str, FeedSpec] = {s.name: s for s in (
    FeedSpec("business_registry", "工商登记数据",
             ("统一社会信用代码", "企业名称", "曾用名", "企业类型", "所属行业", "法定代表人", "成立日期",
              "登记状态", "住所", "登记机关"),
             "统一社会信用代码", True),
    FeedSpec("police_population", "公安人口数据",
             ("公民身份号码", "姓名", "曾用名", "性别", "民族", "出生日期", "户籍地址", "户口类别", "户籍编号",
              "迁入日期", "迁出日期"),
             "公民身份号码", True),
    FeedSpec("social_security", "社会保险数据",
             ("公民身份号码", "姓名", "参保单位统一社会信用代码", "参保单位名称", "参保状态", "就业状态",
              "最近缴费年月"),
             "公民身份号码", True),
    FeedSpec("education", "教育学历数据",
             ("公民身份号码", "姓名", "院校名称", "专业名称", "学历层次", "学位", "入学日期", "毕业日期",
              "证书编号"),
             "公民身份号码", False),
)}

MATCHED_NAME = "企业名称"
MATCHED_FORMER = "曾用名"


class FeedUnavailable(Exception):
    """A lookup on a feed that did not load; the message says why (Chinese)."""

    def __init__(self, feed: str, message: str) -> None:
        super().__init__(message)
        self.feed = feed
        self.message = message


# ---------------------------------------------------------------------------------------------------------
# Reading one feed file

class _FeedFileError(Exception):
    pass


def _read_table(spec: FeedSpec, path: Path) -> tuple[pa.Table, list[str]]:
    """The file's contract columns as a string table, and warnings. Raises _FeedFileError (Chinese)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    fname = path.name
    warnings: list[str] = []
    try:
        if path.suffix == ".parquet":
            table = pq.read_table(path)
        else:
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(use_threads=True, block_size=8 << 20),
                convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in spec.columns},
                                                     strings_can_be_null=False))
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "UTF8" in text or "UTF-8" in text:
            raise _FeedFileError(f"{spec.label}文件 {fname} 不是有效的 UTF-8 编码：{text}") from exc
        if "Empty CSV file" in text:
            raise _FeedFileError(f"{spec.label}文件 {fname} 是空文件（没有表头）") from exc
        raise _FeedFileError(f"无法读取{spec.label}文件 {fname}：{text}") from exc
    except (OSError, pa.ArrowException) as exc:
        raise _FeedFileError(f"无法读取{spec.label}文件 {fname}：{exc}") from exc

    try:
        names = [str(n).strip() for n in table.column_names]
    except UnicodeDecodeError as exc:
        raise _FeedFileError(f"{spec.label}文件 {fname} 的表头不是有效的 UTF-8 编码") from exc
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _FeedFileError(f"{spec.label}文件 {fname} 表头有重复的列：{'、'.join(dupes)}")
    table = table.rename_columns(names)
    missing = [c for c in spec.columns if c not in names]
    if missing:
        raise _FeedFileError(f"{spec.label}文件 {fname} 缺少列：{'、'.join(missing)}"
                             f"（应有列：{'、'.join(spec.columns)}）")
    extra = [n for n in names if n not in spec.columns]
    if extra:
        warnings.append(f"{spec.label}文件 {fname} 有约定之外的列（已忽略）：{'、'.join(extra)}")
    if table.num_rows == 0:
        raise _FeedFileError(f"{spec.label}文件 {fname} 没有数据行")

    columns = []
    for c in spec.columns:
        col = table.column(c)
        if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
            try:
                col = pc.cast(col, pa.string())
            except pa.ArrowException as exc:
                raise _FeedFileError(f"{spec.label}文件 {fname} 的列 {c} 无法读作文本：{exc}") from exc
        elif pa.types.is_large_string(col.type):
            col = pc.cast(col, pa.string())
        columns.append(pc.fill_null(col, ""))  # CSV and Parquet alike: "" is "no value"
    return pa.table(columns, names=list(spec.columns)), warnings


def _normalized_keys(col: pa.ChunkedArray) -> pa.ChunkedArray:
    col = pc.fill_null(col, "")
    return pc.utf8_upper(pc.utf8_trim_whitespace(col))


@dataclass
class _Feed:
    spec: FeedSpec
    source: Path
    table: pa.Table          # sorted by key (stable: file order kept among equal keys)
    keys: np.ndarray         # sorted normalised keys, str
    rows_in_file: int

    def _range(self, key: str) -> tuple[int, int]:
        if self.keys.dtype.kind == "S":
            try:
                key = key.encode("ascii")
            except UnicodeEncodeError:
                return 0, 0
            if len(key) != self.keys.dtype.itemsize:
                return 0, 0
        lo = int(np.searchsorted(self.keys, key, side="left"))
        if lo >= len(self.keys) or self.keys[lo] != key:
            return lo, lo
        hi = int(np.searchsorted(self.keys, key, side="right"))
        return lo, hi

    def rows(self, start: int, stop: int) -> list[dict]:
        if stop <= start:
            return []
        return [{k: (v if v != "" else None) for k, v in row.items()}
                for row in self.table.slice(start, stop - start).to_pylist()]

    def first(self, key: str) -> dict | None:
        lo, hi = self._range(key)
        return self.rows(lo, lo + 1)[0] if hi > lo else None

    def all(self, key: str) -> list[dict]:
        return self.rows(*self._range(key))


def _key_array(col: pa.ChunkedArray) -> np.ndarray:
    """Sorted keys as a NumPy array for binary search: fixed-width bytes (no Python objects) when every
    key is ASCII of one length, as ID numbers and USCCs are; else unicode strings."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if len(arr) == 0:
        return np.array([], dtype="S18")
    lengths = pc.binary_length(arr)
    width = pc.max(lengths).as_py()
    if width and pc.min(lengths).as_py() == width and pc.all(pc.string_is_ascii(arr)).as_py():
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset:arr.offset + len(arr) + 1]
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
        return data.view(f"S{width}").copy()
    return np.array(arr.to_pylist(), dtype=str)


def _build_feed(spec: FeedSpec, path: Path) -> tuple[_Feed, list[str]]:
    table, warnings = _read_table(spec, path)
    n_in = table.num_rows
    keys = _normalized_keys(table.column(spec.key))
    table = table.set_column(table.column_names.index(spec.key), spec.key, keys)
    blank = pc.equal(keys, "")
    n_blank = pc.sum(blank).as_py() or 0
    if n_blank:
        table = table.filter(pc.invert(blank))
        warnings.append(f"{spec.label}文件 {path.name} 有 {n_blank} 行{spec.key}为空，已跳过")
    sort_keys = [(spec.key, "ascending", "at_end")]
    if not spec.unique_key:
        sort_keys += [("入学日期", "ascending", "at_end"), ("毕业日期", "ascending", "at_end")]
    order = pc.sort_indices(table, sort_keys=sort_keys)  # stable
    table = table.take(order).combine_chunks()
    keys_np = _key_array(table.column(spec.key))
    if spec.unique_key and len(keys_np) > 1:
        n_dup = int(np.count_nonzero(keys_np[1:] == keys_np[:-1]))
        if n_dup:
            warnings.append(f"{spec.label}文件 {path.name} 有 {n_dup} 行{spec.key}重复，取文件中的第一行")
    return _Feed(spec, path, table, keys_np, n_in), warnings


# ---------------------------------------------------------------------------------------------------------
# Company names: normalisation, parts, score

_DROP_CHARS = re.compile(r"[\s()\[\]{}<>·.,，。、;；:：'\"“”‘’!！?？\-—_/\\|&＆+*#@%]+")
LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "股份合作公司", "有限公司", "股份公司", "集团公司", "总公司",
                  "公司", "有限合伙", "普通合伙", "合伙企业", "个人独资企业", "集团")
BRANCH_MARKERS = ("分公司", "分厂", "分店", "分行", "支行", "营业部", "营业所", "办事处", "分部", "分所", "分社",
                  "分中心", "分院")
_PARENT_END = re.compile(r"(?:公司|集团|银行|厂|社|中心|所|院|店)")


def normalize_name(name: str | None) -> str:
    """Compare form of a company name: NFKC (full/half width), no spaces/brackets/punctuation, upper case."""
    if not name:
        return ""
    return _DROP_CHARS.sub("", unicodedata.normalize("NFKC", name)).upper()


@functools.lru_cache(maxsize=1)
def _regions() -> tuple[re.Pattern, dict[str, str]]:
    """Leading region words (Guizhou divisions in full and short form, and 中国): a regex matching one,
    and each word's short form (贵州省 → 贵州, 黔东南苗族侗族自治州 → 黔东南)."""
    words = {"中国": "中国", "贵州": "贵州", "贵州省": "贵州"}
    from archives_domain.codes import division_short_names
    for name, short in division_short_names().items():
        words.setdefault(name, short)
    alt = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return re.compile(rf"(?:{alt})"), words


@dataclass(frozen=True)
class NameParts:
    norm: str             # whole name, normalised
    body: str             # region + trade name, no legal form, no branch part
    core: str             # body without the leading region words
    regions: tuple[str, ...]  # leading region words (short forms)
    branch: bool


def _strip_suffixes(s: str) -> str:
    changed = True
    while changed:
        changed = False
        for suf in LEGAL_SUFFIXES:
            if s.endswith(suf) and len(s) - len(suf) >= 2:
                s = s[: -len(suf)]
                changed = True
                break
    return s


def name_parts(name: str | None) -> NameParts:
    norm = normalize_name(name)
    main, branch = norm, False
    for marker in BRANCH_MARKERS:
        if norm.endswith(marker) and len(norm) > len(marker) + 2:
            branch = True
            head = norm[: -len(marker)]
            ends = [m.end() for m in _PARENT_END.finditer(head)]
            main = head[: ends[-1]] if ends and ends[-1] >= 4 else head
            break
    body = _strip_suffixes(main)
    regions: list[str] = []
    core = body
    rx, short = _regions()
    while True:
        m = rx.match(core)
        if not m or len(core) - m.end() < 2:
            break
        regions.append(short[m.group(0)])
        core = core[m.end():]
    return NameParts(norm, body, core, tuple(regions), branch)


def _is_subsequence_score(q: str, body: str, core: str) -> float:
    """Abbreviation score: every character of q appears in order in the name body."""
    if len(q) < 2 or LCSseq.similarity(q, body) != len(q):
        return 0.0
    return 60.0 + 40.0 * min(1.0, len(q) / max(len(core), 1))


def company_name_score(q: NameParts, n: NameParts, score_cutoff: float | None = None, **_: object) -> float:
    """Similarity 0–100 of a queried name and a registry name (both as `name_parts`).

    100 for the same normalised name. Otherwise 85 % of the best of: the bodies' ratio, and — unless the
    query names another region than the registry name — the cores' ratio and the abbreviation score; plus
    15 % of the whole names' ratio; minus 15 when exactly one of the two is a branch (分公司, 支行 …).
    """
    if q.norm == n.norm:
        return 100.0
    best = fuzz.ratio(q.body, n.body)
    region_conflict = bool(q.regions) and bool(n.regions) and not set(q.regions) <= set(n.regions)
    if not region_conflict:
        best = max(best, fuzz.ratio(q.core, n.core), _is_subsequence_score(q.core, n.body, n.core))
    score = 0.85 * best + 0.15 * fuzz.ratio(q.norm, n.norm)
    if q.branch != n.branch:
        score -= 15.0
    score = max(0.0, min(score, 99.9))  # 100 only for the same name
    return score if score_cutoff is None or score >= score_cutoff else 0.0


@dataclass(frozen=True)
class CompanyHit:
    row: int              # row of the registry table
    score: float
    matched_on: str       # MATCHED_NAME or MATCHED_FORMER
    matched_name: str     # the registry name (as written) that matched


def _shingles(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)}


class _NameIndex:
    """Company name entries (current and former names) with blocking indexes."""

    MAX_CANDIDATES = 4000

    def __init__(self, names: list[str | None], formers: list[str | None]) -> None:
        self.rows: list[int] = []
        self.kind: list[str] = []
        self.raw: list[str] = []
        self.parts: list[NameParts] = []
        self.exact: dict[str, list[int]] = {}
        bigrams: dict[str, list[int]] = {}
        chars: dict[str, list[int]] = {}

        def add(row: int, kind: str, raw: str) -> None:
            p = name_parts(raw)
            if not p.norm:
                return
            eid = len(self.rows)
            self.rows.append(row)
            self.kind.append(kind)
            self.raw.append(raw)
            self.parts.append(p)
            self.exact.setdefault(p.norm, []).append(eid)
            for g in _shingles(p.core) or {p.core}:
                bigrams.setdefault(g, []).append(eid)
            for ch in set(p.body):
                chars.setdefault(ch, []).append(eid)

        for row, (name, former) in enumerate(zip(names, formers)):
            if name:
                add(row, MATCHED_NAME, name)
            for f in split_former_names(former):
                add(row, MATCHED_FORMER, f)
        self.bigrams = {k: np.asarray(v, dtype=np.int32) for k, v in bigrams.items()}
        self.chars = {k: np.asarray(v, dtype=np.int32) for k, v in chars.items()}

    def __len__(self) -> int:
        return len(self.rows)

    def candidates(self, q: NameParts) -> np.ndarray:
        found: list[np.ndarray] = []
        grams = [self.bigrams[g] for g in (_shingles(q.core) or {q.core}) if g in self.bigrams]
        if grams:
            ids, counts = np.unique(np.concatenate(grams), return_counts=True)
            if len(ids) > self.MAX_CANDIDATES:
                keep = np.argsort(-counts, kind="stable")[: self.MAX_CANDIDATES]
                ids = ids[keep]
            found.append(ids)
        # Abbreviations: names containing the query core's two rarest characters.
        lists = sorted((self.chars.get(ch, np.empty(0, np.int32)) for ch in set(q.core)), key=len)
        if len(lists) >= 2 and len(lists[0]) and len(lists[1]):
            both = np.intersect1d(lists[0], lists[1], assume_unique=True)
            if len(both) <= self.MAX_CANDIDATES:
                found.append(both)
        found.append(np.asarray(self.exact.get(q.norm, []), dtype=np.int32))
        return np.unique(np.concatenate(found)) if found else np.empty(0, np.int32)

    def search(self, name: str, min_score: float) -> list[CompanyHit]:
        q = name_parts(name)
        if not q.norm:
            return []
        cand = self.candidates(q)
        choices = {int(e): self.parts[int(e)] for e in cand}
        scored = process.extract(q, choices, scorer=company_name_score, processor=None, limit=None,
                                 score_cutoff=min_score)
        best: dict[int, CompanyHit] = {}
        for _, score, eid in scored:
            row = self.rows[eid]
            hit = CompanyHit(row, round(float(score), 1), self.kind[eid], self.raw[eid])
            old = best.get(row)
            if old is None or (hit.score, hit.matched_on == MATCHED_NAME) > (old.score,
                                                                             old.matched_on == MATCHED_NAME):
                best[row] = hit
        return sorted(best.values(), key=lambda h: (-h.score, h.matched_on != MATCHED_NAME, h.row))


def split_former_names(value: str | None) -> list[str]:
    """曾用名 of the registry: `;`-separated (a full-width ； is accepted too)."""
    if not value:
        return []
    return [p.strip() for p in re.split(r"[;；]", value) if p.strip()]


# ---------------------------------------------------------------------------------------------------------
# The store

@dataclass
class FeedStore:
    feeds_dir: Path
    feeds: dict[str, _Feed] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    load_seconds: dict[str, float] = field(default_factory=dict)
    _names: _NameIndex | None = None

    @classmethod
    def load(cls, feeds_dir: str | Path, only: Iterable[str] | None = None) -> FeedStore:
        """Load every feed of ``FEEDS`` (or those named in ``only``) from ``feeds_dir``."""
        store = cls(Path(feeds_dir))
        for name in (only or FEEDS):
            spec = FEEDS[name]
            started = time.perf_counter()
            parquet, csv_path = store.feeds_dir / f"{name}.parquet", store.feeds_dir / f"{name}.csv"
            warnings: list[str] = []
            if parquet.is_file():
                path = parquet
                if csv_path.is_file():
                    warnings.append(f"同时存在 {parquet.name} 与 {csv_path.name}，使用 {parquet.name}")
            elif csv_path.is_file():
                path = csv_path
            else:
                store.errors[name] = (f"未找到{spec.label}文件：{store.feeds_dir / name}.csv"
                                      f"（或 {name}.parquet）")
                continue
            try:
                feed, more = _build_feed(spec, path)
                if name == "business_registry":
                    store._names = _NameIndex(feed.table.column("企业名称").to_pylist(),
                                              feed.table.column("曾用名").to_pylist())
            except _FeedFileError as exc:
                store.errors[name] = str(exc)
                continue
            finally:
                store.load_seconds[name] = round(time.perf_counter() - started, 3)
            store.feeds[name] = feed
            if warnings + more:
                store.warnings[name] = warnings + more
        return store

    # -- status ------------------------------------------------------------------------------------------
    def status(self) -> dict[str, dict]:
        out = {}
        for name, spec in FEEDS.items():
            if name in self.feeds:
                f = self.feeds[name]
                item = {"status": "ok", "label": spec.label, "file": f.source.name, "rows": f.table.num_rows}
                if name == "business_registry" and self._names is not None:
                    item["name_entries"] = len(self._names)
                if name in self.warnings:
                    item["warnings"] = self.warnings[name]
            else:
                item = {"status": "error", "label": spec.label,
                        "error": self.errors.get(name, f"{spec.label}未加载")}
            out[name] = item
        return out

    def _feed(self, name: str) -> _Feed:
        feed = self.feeds.get(name)
        if feed is None:
            raise FeedUnavailable(name, self.errors.get(name, f"{FEEDS[name].label}未加载"))
        return feed

    # -- lookups -----------------------------------------------------------------------------------------
    @staticmethod
    def _company_record(row: dict) -> dict:
        row = dict(row)
        row["曾用名"] = split_former_names(row.get("曾用名"))
        return row

    def company(self, uscc: str) -> dict | None:
        """The registry record of a USCC (曾用名 as a list), or None."""
        row = self._feed("business_registry").first(uscc.strip().upper())
        return self._company_record(row) if row else None

    def search_companies(self, name: str, min_score: float = 60.0) -> list[CompanyHit]:
        """Companies whose current or former name resembles ``name``, best first, one hit per company
        (its best-scoring name; on a tie the current name). ``company_at(hit.row)`` gives the record."""
        self._feed("business_registry")
        assert self._names is not None
        return self._names.search(name, min_score)

    def company_at(self, row: int) -> dict:
        """The registry record at ``row`` (a ``CompanyHit.row``)."""
        return self._company_record(self._feed("business_registry").rows(row, row + 1)[0])

    def person(self, id_number: str) -> dict | None:
        """The population-register record (公安) of an ID number, or None."""
        return self._feed("police_population").first(id_number.strip().upper())

    def social(self, id_number: str) -> dict | None:
        """The social-insurance record (社保) of an ID number, or None."""
        return self._feed("social_security").first(id_number.strip().upper())

    def education(self, id_number: str) -> list[dict]:
        """The education rows (教育) of an ID number, by 入学日期; empty when none."""
        return self._feed("education").all(id_number.strip().upper())
