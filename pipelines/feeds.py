"""The four bulk feeds (外部数据文件) read for the pipelines: 工商 / 公安 / 社保 / 教育.

``Feeds(feeds_dir)`` finds ``<feeds>/<name>.parquet`` or ``<feeds>/<name>.csv`` (UTF-8; Parquet wins when
both exist) for each feed of ../shared/spec/feeds.md, lazily: a feed is read the first time a step asks for
it. A feed that is missing, empty (no data rows), unreadable or malformed (a contract column missing, a
duplicated header, a CSV row with the wrong number of cells, a file that is not UTF-8) raises
``FeedError(feed, message)`` with a Chinese message naming the file — for the steps that need *that*
feed only; the error is remembered, so every later step that needs it fails the same way and the others
go on. Columns the contract does not name are ignored.

Every value is read as text, trimmed; an empty cell is "no value" (null). Key columns (公民身份号码,
统一社会信用代码) are also upper-cased, so a final ``x`` finds ``X``.

Indexes (built once, on first use):

* ``police()`` / ``social()`` — `KeyIndex` by 公民身份号码 (one row per key; the first row of the file
  wins when a key repeats);
* ``education()`` — `MultiKeyIndex` by 公民身份号码 (a person may have several rows, one per degree),
  rows sorted by key then 入学日期;
* ``registry()`` — `RegistryIndex`: a `KeyIndex` by 统一社会信用代码 and, on first use, the company-name
  blocking index (`pipelines.cleaning.repair.employers.NameIndex`, current names and 曾用名).

For tests and callers that hold the data in memory, ``Feeds.from_tables({name: frame})`` runs the same
checks on pandas / Arrow tables.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "FEEDS",
    "FeedSpec",
    "FeedError",
    "Feeds",
    "KeyIndex",
    "MultiKeyIndex",
    "RegistryIndex",
    "read_feed",
    "feed_file",
    "KeyLookup",
]


@dataclass(frozen=True)
class FeedSpec:
    name: str
    label: str
    columns: tuple[str, ...]
    key: str


FEEDS: dict[str, FeedSpec] = {s.name: s for s in (
    FeedSpec("business_registry", "工商登记数据",
             ("统一社会信用代码", "企业名称", "曾用名", "企业类型", "所属行业", "法定代表人", "成立日期", "登记状态",
              "住所", "登记机关"), "统一社会信用代码"),
    FeedSpec("police_population", "公安人口数据",
             ("公民身份号码", "姓名", "曾用名", "性别", "民族", "出生日期", "户籍地址", "户口类别", "户籍编号", "迁入日期",
              "迁出日期"), "公民身份号码"),
    FeedSpec("social_security", "社会保险数据",
             ("公民身份号码", "姓名", "参保单位统一社会信用代码", "参保单位名称", "参保状态", "就业状态", "最近缴费年月"),
             "公民身份号码"),
    FeedSpec("education", "教育学历数据",
             ("公民身份号码", "姓名", "院校名称", "专业名称", "学历层次", "学位", "入学日期", "毕业日期", "证书编号"),
             "公民身份号码"),
)}

REGISTRY, POLICE, SOCIAL, EDUCATION = "business_registry", "police_population", "social_security", "education"


class FeedError(Exception):
    """A feed cannot be used: missing, empty, unreadable or not to the contract. `message` is Chinese."""

    def __init__(self, feed: str, message: str) -> None:
        super().__init__(message)
        self.feed = feed
        self.message = message

    def __str__(self) -> str:
        return self.message


def _spec(name: str) -> FeedSpec:
    try:
        return FEEDS[name]
    except KeyError:
        raise ValueError(f"unknown feed {name!r}; known: {', '.join(FEEDS)}") from None


def feed_file(feeds_dir: str | Path, name: str) -> Path:
    """The file of feed `name` in `feeds_dir` (Parquet before CSV); FeedError when there is none."""
    spec = _spec(name)
    d = Path(feeds_dir)
    for suffix in (".parquet", ".csv"):
        p = d / f"{name}{suffix}"
        if p.is_file():
            return p
    raise FeedError(name, f"未找到{spec.label}文件：{d / name}.csv（或 {name}.parquet）")


def _read_file(spec: FeedSpec, path: Path) -> pa.Table:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    fname = path.name
    try:
        if path.suffix == ".parquet":
            return pq.read_table(path)
        if path.stat().st_size == 0:
            raise FeedError(spec.name, f"{spec.label}文件 {fname} 是空文件（没有表头）")
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=16 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in spec.columns}, strings_can_be_null=False,
                quoted_strings_can_be_null=False))
    except FeedError:
        raise
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "UTF8" in text or "UTF-8" in text or "utf8" in text:
            raise FeedError(spec.name, f"{spec.label}文件 {fname} 不是有效的 UTF-8 编码") from exc
        if "Empty CSV file" in text:
            raise FeedError(spec.name, f"{spec.label}文件 {fname} 是空文件（没有表头）") from exc
        raise FeedError(spec.name, f"{spec.label}文件 {fname} 格式错误，无法读取：{text}") from exc
    except (OSError, pa.ArrowException) as exc:
        raise FeedError(spec.name, f"无法读取{spec.label}文件 {fname}：{exc}") from exc


def _to_text(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    if not isinstance(col, pa.ChunkedArray):
        col = pa.chunked_array([col])
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, col.type.value_type)
    if not pa.types.is_string(col.type):
        col = pc.cast(col, pa.string())
    return col


def _check_table(spec: FeedSpec, table: pa.Table, where: str) -> pa.Table:
    """The contract columns of `table` as trimmed text (null for empty), keys upper-cased."""
    try:
        names = [str(n).strip().lstrip("\ufeff") for n in table.column_names]
    except UnicodeDecodeError:  # pragma: no cover - pyarrow decodes headers itself
        raise FeedError(spec.name, f"{spec.label}{where} 的表头不是有效的 UTF-8 编码") from None
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise FeedError(spec.name, f"{spec.label}{where} 表头有重复的列：{'、'.join(dupes)}")
    missing = [c for c in spec.columns if c not in names]
    if missing:
        raise FeedError(spec.name, f"{spec.label}{where} 缺少列：{'、'.join(missing)}"
                                   f"（应有列：{'、'.join(spec.columns)}）")
    if table.num_rows == 0:
        raise FeedError(spec.name, f"{spec.label}{where} 没有数据行")
    table = table.rename_columns(names)
    cols = []
    for c in spec.columns:
        try:
            col = _to_text(table.column(c))
        except pa.ArrowException as exc:
            raise FeedError(spec.name, f"{spec.label}{where} 的列 {c} 无法读作文本：{exc}") from exc
        col = pc.utf8_trim(col, " \t\r\n\u3000\xa0")
        if c == spec.key:
            col = pc.utf8_upper(col)
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
        cols.append(col)
    out = pa.table(cols, names=list(spec.columns))
    keys = out.column(spec.key)
    n_keys = len(keys) - keys.null_count
    if n_keys == 0:
        raise FeedError(spec.name, f"{spec.label}{where} 没有一行有{spec.key}")
    return out.filter(pc.is_valid(keys))


def read_feed(feeds_dir: str | Path, name: str) -> pa.Table:
    """Feed `name` from `feeds_dir` as an Arrow table of its contract columns (text; null = no value).

    Rows without a key are dropped. Raises `FeedError` when the feed cannot be used."""
    spec = _spec(name)
    path = feed_file(feeds_dir, name)
    return _check_table(spec, _read_file(spec, path), f"文件 {path.name}")


def _str_frame(table: pa.Table) -> pd.DataFrame:
    """A feed table as a pandas frame of ``str`` columns (NaN = no value), row i = position i."""
    return pd.DataFrame({c: pd.Series(table.column(c).to_pandas(), dtype="str") for c in table.column_names})


class KeyLookup:
    """Positions of values in a fixed key array, with the hash table built once.

    ``pc.index_in(values, value_set=keys)`` hashes the whole key set on every call — 0.9M police keys for
    each agency partition; a pandas Index keeps its hash table, so a call costs only its own values."""

    def __init__(self, keys: pa.Array) -> None:
        self.index = pd.Index(keys.to_numpy(zero_copy_only=False).astype(object))

    def positions(self, values) -> np.ndarray:
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            values = values.to_numpy(zero_copy_only=False)
        arr = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values.astype(object)
        if len(arr) == 0:
            return np.empty(0, dtype=np.int64)
        arr = arr.where(arr.notna(), None)
        return self.index.get_indexer(arr.to_numpy(dtype=object)).astype(np.int64)


class KeyIndex:
    """A feed with one row per key (the first row of the file wins)."""

    def __init__(self, spec: FeedSpec, table: pa.Table) -> None:
        self.spec = spec
        keys = table.column(spec.key)
        dup = pd.Series(keys.to_pandas(), dtype="str").duplicated(keep="first").to_numpy()
        self.duplicates = int(dup.sum())
        if self.duplicates:
            table = table.filter(pa.array(~dup))
        self.table = table.combine_chunks()
        self.keys = self.table.column(spec.key).chunk(0) if self.table.num_rows else pa.array([], pa.string())
        self._frame: pd.DataFrame | None = None
        self._key_dict: dict[str, int] | None = None
        self._key_lookup: KeyLookup | None = None

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def frame(self) -> pd.DataFrame:
        """The table as a pandas frame of ``str`` columns (NaN = no value), row i = position i."""
        if self._frame is None:
            self._frame = _str_frame(self.table)
        return self._frame

    def positions(self, values) -> np.ndarray:
        """Row position of each key in `values` (-1: not in the feed). Vectorised (Arrow hash join) for
        many values, a dict lookup for a few."""
        if isinstance(values, (list, tuple)) and len(values) <= 256:
            d = self._dict()
            return np.asarray([d.get(v, -1) if isinstance(v, str) else -1 for v in values], dtype=np.int64)
        return self._lookup().positions(values)

    def _lookup(self) -> "KeyLookup":
        if self._key_lookup is None:
            self._key_lookup = KeyLookup(self.keys)
        return self._key_lookup

    def _dict(self) -> dict[str, int]:
        if self._key_dict is None:
            self._key_dict = {k: i for i, k in enumerate(self.keys.to_pylist())}
        return self._key_dict

    def column_at(self, column: str, positions: np.ndarray) -> np.ndarray:
        """Values (object array, None for no value / -1) of `column` at `positions`."""
        positions = np.asarray(positions, dtype=np.int64)
        out = np.full(len(positions), None, dtype=object)
        ok = positions >= 0
        if ok.any():
            vals = self.table.column(column).take(pa.array(positions[ok])).to_pylist()
            out[ok] = vals
        return out

    def get(self, key: str) -> dict | None:
        pos = self.positions([key.strip().upper()])[0]
        if pos < 0:
            return None
        return self.table.slice(int(pos), 1).to_pylist()[0]


class MultiKeyIndex:
    """A feed with several rows per key (education: one per degree), sorted by key then 入学日期."""

    def __init__(self, spec: FeedSpec, table: pa.Table, order_by: Iterable[str] = ()) -> None:
        self.spec = spec
        sort_keys = [(spec.key, "ascending", "at_end")] + [(c, "ascending", "at_end") for c in order_by]
        self.table = table.take(pc.sort_indices(table, sort_keys=sort_keys)).combine_chunks()
        self._frame: pd.DataFrame | None = None
        self._keys_np: np.ndarray | None = None

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = _str_frame(self.table)
        return self._frame

    def _sorted_keys(self) -> np.ndarray:
        if self._keys_np is None:
            k = self.table.column(self.spec.key).to_numpy(zero_copy_only=False).astype(str)
            try:
                k = k.astype("S")  # ASCII keys (ID numbers): byte comparisons are much faster
            except UnicodeEncodeError:
                pass
            self._keys_np = k
        return self._keys_np

    def rows_for(self, keys: pd.Series, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """Feed rows of the keys in `keys` (a Series whose index identifies the asker): the feed columns
        (or `columns`) plus ``_query`` (the index label of the asking row) — an inner join, several rows
        per key, in feed order. Vectorised (binary search on the sorted keys)."""
        cols = list(columns) if columns is not None else list(self.spec.columns)
        q = keys.dropna()
        if q.empty or not len(self):
            return pd.DataFrame({c: pd.Series([], dtype="str") for c in ["_query", *cols]})
        sk = self._sorted_keys()
        qk = q.astype(str).to_numpy().astype(str)
        if sk.dtype.kind == "S":
            qk = np.where(np.char.str_len(qk) <= sk.dtype.itemsize, qk, "")  # no truncated false match
            try:
                qk = qk.astype(sk.dtype)
            except UnicodeEncodeError:
                qk = np.array([x.encode() if x.isascii() else b"" for x in qk], dtype=sk.dtype)
        lo = np.searchsorted(sk, qk, side="left")
        hi = np.searchsorted(sk, qk, side="right")
        counts = hi - lo
        total = int(counts.sum())
        starts = np.repeat(lo, counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        rows = starts + offsets
        sub = self.table.select(cols).take(pa.array(rows))
        out = pd.DataFrame({c: pd.Series(sub.column(c).to_pandas(), dtype="str") for c in cols})
        out.insert(0, "_query", np.repeat(q.index.to_numpy(), counts))
        return out

    def get(self, key: str) -> list[dict]:
        mask = pc.equal(self.table.column(self.spec.key), key.strip().upper())
        return self.table.filter(mask).to_pylist()


class RegistryIndex:
    """工商: `by_uscc` (a KeyIndex) and the company-name blocking index `names` (built on first use)."""

    def __init__(self, spec: FeedSpec, table: pa.Table) -> None:
        self.by_uscc = KeyIndex(spec, table)
        self._names = None

    def __len__(self) -> int:
        return len(self.by_uscc)

    @property
    def table(self) -> pa.Table:
        return self.by_uscc.table

    @property
    def frame(self) -> pd.DataFrame:
        return self.by_uscc.frame

    @property
    def names(self):
        """`pipelines.cleaning.repair.employers.NameIndex` over 企业名称 and 曾用名."""
        if self._names is None:
            from pipelines.cleaning.repair.employers import NameIndex
            t = self.by_uscc.table
            self._names = NameIndex(t.column("企业名称").to_pylist(), t.column("曾用名").to_pylist())
        return self._names


class Feeds:
    """Lazy access to the four feeds of one folder (or of in-memory tables); see the module doc."""

    def __init__(self, feeds_dir: str | Path | None = None,
                 tables: Mapping[str, pa.Table | pd.DataFrame] | None = None) -> None:
        self.feeds_dir = Path(feeds_dir) if feeds_dir is not None else None
        self._given = dict(tables or {})
        for name in self._given:
            _spec(name)
        self._tables: dict[str, pa.Table] = {}
        self._rows: dict[str, int] = {}
        self._errors: dict[str, FeedError] = {}
        self._indexes: dict[str, object] = {}

    @classmethod
    def from_tables(cls, tables: Mapping[str, pa.Table | pd.DataFrame]) -> Feeds:
        """Feeds held in memory; a feed not given is missing (FeedError when asked for)."""
        return cls(None, tables)

    # -- raw tables ----------------------------------------------------------------------------------------
    def table(self, name: str) -> pa.Table:
        """The checked table of feed `name`; raises FeedError (the same one every time) if unusable."""
        spec = _spec(name)
        if name in self._tables:
            return self._tables[name]
        if name in self._errors:
            raise self._errors[name]
        try:
            if name in self._given:
                t = self._given[name]
                if isinstance(t, pd.DataFrame):
                    t = pa.Table.from_pandas(t.astype("object").where(t.notna(), None), preserve_index=False)
                table = _check_table(spec, t, "（内存表）")
            elif self.feeds_dir is None:
                raise FeedError(name, f"未提供{spec.label}")
            else:
                table = read_feed(self.feeds_dir, name)
        except FeedError as exc:
            self._errors[name] = exc
            raise
        self._tables[name] = table
        self._rows[name] = table.num_rows
        return table

    def available(self, name: str) -> bool:
        try:
            self.table(name)
        except FeedError:
            return False
        return True

    def error(self, name: str) -> FeedError | None:
        return None if self.available(name) else self._errors[name]

    def status(self) -> dict[str, dict]:
        out = {}
        for name, spec in FEEDS.items():
            try:
                self.table(name)
                out[name] = {"status": "ok", "label": spec.label, "rows": self._rows[name]}
            except FeedError as exc:
                out[name] = {"status": "error", "label": spec.label, "error": exc.message}
        return out

    # -- indexes -------------------------------------------------------------------------------------------
    def _index(self, name: str, make):
        if name not in self._indexes:
            index = self._indexes[name] = make(FEEDS[name], self.table(name))
            # the index holds its own copy (deduplicated, sorted): the file's table need not stay beside it
            # (0.4 GB for the four feeds at full scale, in every worker process)
            held = getattr(index, "table", None)
            if isinstance(held, pa.Table):
                self._tables[name] = held
                pa.default_memory_pool().release_unused()
        return self._indexes[name]

    def police(self) -> KeyIndex:
        """公安 by 公民身份号码."""
        return self._index(POLICE, KeyIndex)

    def social(self) -> KeyIndex:
        """社保 by 公民身份号码."""
        return self._index(SOCIAL, KeyIndex)

    def education(self) -> MultiKeyIndex:
        """教育 by 公民身份号码 (several rows per person)."""
        return self._index(EDUCATION, lambda s, t: MultiKeyIndex(s, t, order_by=("入学日期", "毕业日期")))

    def registry(self) -> RegistryIndex:
        """工商 by 统一社会信用代码, with the company-name index."""
        return self._index(REGISTRY, RegistryIndex)


# -- one Feeds per process and folder -------------------------------------------------------------------------
# The repair stage runs once per agency partition; reading the four bulk files and building their indexes
# (police and 社保 by ID, the registry's name-blocking index) is the expensive part, so a process keeps one
# `Feeds` per folder while the folder's files are unchanged (name, size, mtime).
_SHARED: dict[str, tuple[str, Feeds]] = {}


def _folder_state(folder: Path) -> str:
    if not folder.is_dir():
        return "missing"
    parts = []
    for f in sorted(folder.iterdir()):
        if f.is_file():
            st = f.stat()
            parts.append(f"{f.name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def shared_feeds(feeds_dir: str | Path) -> Feeds:
    """The process's `Feeds` of `feeds_dir`, read again only when a file there changed."""
    folder = Path(feeds_dir).resolve()
    state = _folder_state(folder)
    held = _SHARED.get(str(folder))
    if held is not None and held[0] == state:
        return held[1]
    feeds = Feeds(folder)
    _SHARED[str(folder)] = (state, feeds)
    return feeds
