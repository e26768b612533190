"""Layer IO manager: each stage's frames per agency partition under the work dir.

The raw layer (what was read, with lineage) is kept as Parquet, the format any tool reads; the working
layers after it (std, records, repaired, final: rewritten on every run, read by the next stage) as Arrow
IPC files with lz4 buffers — on the largest agency 1.7 s to write and read all five layers instead of
4.1 s as Parquet (statistics, page encoding), 2.6× the size on disk.

A stage returns a DataFrame or a dict of named DataFrames (one per sheet, plus
side frames such as ``_rejected``).  Each materialisation is written into a new
generation folder ``<work>/<asset>/<partition>/g-<stamp>/``; only when every
file is complete is ``manifest.json`` replaced (``os.replace``, atomic), and
readers follow the manifest.  A killed run therefore leaves the previous
layer intact — never half a layer, never a mix of old and new sheets — and a
sheet that a later materialisation no longer has does not linger.
Older generations are removed after the switch.

Hand-over (``hand_over``, set by `archives ingest`): within one process the Arrow tables just written are
also kept until every consuming step of the run has loaded them, and a consumer converts those instead of
reading the files back — the same tables the files hold (the current generation is checked), without the
read and decompression (13 of the full migration's CPU seconds). The files are written all the same.

At rest every layer file is sealed (`pipelines.sealed`: SM4-GCM under the PII key file, ``<sheet>.parquet.sm4``
/ ``<sheet>.arrow.sm4``, mode 0600, folders 0700): the frames hold whole IDs and phone numbers. A layer
written before sealing (plain ``.parquet`` / ``.arrow``) is still read, and `seal_plain_layers` rewrites
it sealed (`archives ingest` does so first).
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
import uuid
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa

from archives_domain.private_files import private_dir, write_private

from .sealed import SUFFIX, FileSealer, sealer_for_key_file

MANIFEST = "manifest.json"
PARQUET, ARROW = ".parquet", ".arrow"


def _safe(name: str) -> str:
    return name.replace("/", "_").replace(os.sep, "_")


def _table(frame: pd.DataFrame) -> pa.Table:
    """The frame as the layer files hold it (no index: the next stage gets a fresh RangeIndex)."""
    return pa.Table.from_pandas(frame, preserve_index=False)


def _write_one(table: pa.Table, path: Path, sealer: FileSealer) -> None:
    """`table` serialised in memory (Parquet or Arrow IPC by the name before `.sm4`), then sealed."""
    sink = pa.BufferOutputStream()
    if _format(path) == PARQUET:
        import pyarrow.parquet as pq

        # no column statistics: the layers are read whole by the next stage, never filtered (a third of the time)
        pq.write_table(table, sink, compression="lz4", write_statistics=False)
    else:
        import pyarrow.feather as feather

        feather.write_feather(table, sink, compression="lz4")
    sealer.write(path, sink.getvalue())


def _format(path: Path) -> str:
    """PARQUET or ARROW: the suffix before `.sm4` (sealed) or the suffix (a plain file of before sealing)."""
    return Path(path.name[:-len(SUFFIX)]).suffix if path.name.endswith(SUFFIX) else path.suffix


def _frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas gives it when reading a Parquet or Arrow file (the same conversion)."""
    from pandas.io._util import arrow_table_to_pandas

    return arrow_table_to_pandas(table)


def _source(path: Path, sealer: FileSealer | None):
    """What pyarrow reads: the decrypted content of a sealed file, or the path of a plain one."""
    if not path.name.endswith(SUFFIX):
        return path
    if sealer is None:
        raise ValueError(f"sealer: {path} is sealed, reading it needs the PII key file")
    return pa.BufferReader(pa.py_buffer(sealer.read(path)))


def _read_one(path: Path, sealer: FileSealer | None, columns: list[str] | None = None,
              present_only: bool = False) -> pd.DataFrame:
    """One layer file as a frame (only `columns`, when given; with `present_only` those the file has)."""
    source = _source(path, sealer)
    if _format(path) == PARQUET:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(source)
        if columns is not None and present_only:
            columns = [c for c in columns if c in parquet.schema_arrow.names]
        table = parquet.read(columns=columns)
    else:
        reader = pa.ipc.open_file(pa.memory_map(str(source)) if isinstance(source, Path) else source)
        table = reader.read_all()
        if columns is not None:
            table = table.select([c for c in columns if c in table.column_names] if present_only else columns)
    return _frame(table)


def write_frames(folder: Path, frames: dict[str, pd.DataFrame], fmt: str = ARROW,
                 tables: dict[str, pa.Table] | None = None, *, sealer: FileSealer) -> Path:
    """Write `frames` (as `fmt`: `PARQUET` or `ARROW`, sealed) as a new generation under `folder` and switch
    the manifest to it. `tables`, when given, receives the Arrow tables written."""
    private_dir(folder)
    gen = f"g-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    gen_dir = folder / gen
    private_dir(gen_dir)
    files = {}
    for name, frame in frames.items():
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} is not a DataFrame")
        fname = _safe(name) + fmt + SUFFIX
        table = _table(frame)
        _write_one(table, gen_dir / fname, sealer)
        files[name] = fname
        if tables is not None:
            tables[name] = table
    for f in gen_dir.iterdir():  # data on disk before the manifest points at it
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    write_private(folder / MANIFEST, json.dumps({"generation": gen, "files": files}, ensure_ascii=False))
    for old in folder.iterdir():
        if old.is_dir() and old.name.startswith("g-") and old.name != gen:
            shutil.rmtree(old, ignore_errors=True)
    return gen_dir


def _manifest(folder: Path) -> dict | None:
    """The manifest of the layer under `folder` ({"generation", "files"}), None when there is none."""
    manifest = folder / MANIFEST
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text(encoding="utf-8"))


def read_frames(folder: Path, names: list[str] | None = None, *,
                sealer: FileSealer | None) -> dict[str, pd.DataFrame] | None:
    """The frames (only `names`, when given) of the current generation under `folder`, or None when there
    is none."""
    m = _manifest(folder)
    if m is None:
        return None
    gen_dir = folder / m["generation"]
    return {name: _read_one(gen_dir / fname, sealer) for name, fname in m["files"].items()
            if names is None or name in names}


def read_layer_columns(folder: Path, name: str, columns: list[str], *,
                       sealer: FileSealer | None) -> pd.DataFrame | None:
    """Some columns of one frame of the current generation under `folder` (None when there is none)."""
    m = _manifest(folder)
    if m is None or name not in m["files"]:
        return None
    return _read_one(folder / m["generation"] / m["files"][name], sealer, columns, present_only=True)


def seal_plain_layers(base_dir: Path, sealer: FileSealer) -> list[Path]:
    """Rewrite sealed every layer under `base_dir` whose files are plain (written before sealing); return
    their folders. Older generations, plain ones included, go with the switch (`write_frames`)."""
    done = []
    for manifest in sorted(Path(base_dir).rglob(MANIFEST)) if Path(base_dir).is_dir() else []:
        folder = manifest.parent
        m = _manifest(folder)
        if not m or all(f.endswith(SUFFIX) for f in m["files"].values()):
            continue
        fmt = PARQUET if any(_format(Path(f)) == PARQUET for f in m["files"].values()) else ARROW
        write_frames(folder, read_frames(folder, sealer=sealer), fmt, sealer=sealer)
        done.append(folder)
    return done


@dataclasses.dataclass
class _HandOver:
    generation: str
    tables: dict[str, pa.Table]
    remaining: int


# folder of a layer → the tables of its current generation, until its last consumer of the run has them
_HANDED: dict[str, _HandOver] = {}


def drop_handed_over() -> None:
    """Forget every kept table (`archives ingest` calls it after each agency's run, failed runs included)."""
    _HANDED.clear()


def consumer_counts(assets) -> dict[str, int]:
    """For each asset key (as text), how many of `assets` take it as an input."""
    out: dict[str, int] = {}
    for a in assets:
        for key in set(a.keys_by_input_name.values()):
            out[key.to_user_string()] = out.get(key.to_user_string(), 0) + 1
    return out


class LayerIOManager(dg.ConfigurableIOManager):
    """Frames under ``base_dir/<asset key>/<partition>/`` (see the module doc): Parquet for the assets in
    ``parquet_assets``, Arrow IPC for the others.

    ``release_frames``: once a dict of frames is on disk, empty the dict. An in-process run
    (``dg.materialize``, as `archives ingest` runs each agency) captures every step's output object until the
    run ends, so without this all six stages' frames of an agency stay in memory together (4 GB for the
    largest agency instead of the largest stage's share). Downstream steps get the layer from its files (or
    the tables just written: ``hand_over``) either way; an asset must not use its output dict after
    yielding it.

    ``hand_over``: {asset key: number of consuming steps in the run} — keep the written tables in the process
    for that many loads (module doc); empty: every load reads the files.

    ``key_file`` / ``key_explicit``: the PII key file that seals the layer files (`pipelines.sealed`) and
    whether it was configured (then it must exist) or is the embedded default (created on first use)."""

    base_dir: str
    key_file: str
    key_explicit: bool = False
    release_frames: bool = False
    parquet_assets: list[str] = ["raw"]
    hand_over: dict[str, int] = {}

    def _sealer(self) -> FileSealer:
        return sealer_for_key_file(self.key_file, self.key_explicit)

    def _dir(self, context) -> Path:
        partition = context.asset_partition_key if context.has_asset_partitions else "all"
        return Path(self.base_dir, *context.asset_key.path, partition)

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        if obj is None:
            return
        single = not isinstance(obj, dict)
        frames = {"data": obj} if single else obj
        fmt = PARQUET if context.asset_key.to_user_string() in self.parquet_assets else ARROW
        consumers = self.hand_over.get(context.asset_key.to_user_string(), 0)
        tables: dict[str, pa.Table] | None = {} if consumers else None
        folder = self._dir(context)
        _HANDED.pop(str(folder), None)
        gen_dir = write_frames(folder, frames, fmt, tables, sealer=self._sealer())
        if tables is not None:
            _HANDED[str(folder)] = _HandOver(gen_dir.name, tables, consumers)
        meta = {f"rows/{name}": dg.MetadataValue.int(len(f)) for name, f in frames.items()}
        meta["path"] = dg.MetadataValue.path(str(gen_dir))
        context.add_output_metadata(meta)
        if self.release_frames and not single:
            obj.clear()

    def load_input(self, context: dg.InputContext):
        """The frames of the upstream asset; an input declared with ``AssetIn(metadata={"frames": [...]})``
        gets only those (a stage that needs one side frame does not hold the whole layer in memory)."""
        folder = self._dir(context)
        names = (context.definition_metadata or {}).get("frames")
        frames = self._handed(folder, list(names) if names else None)
        if frames is None:
            frames = read_frames(folder, list(names) if names else None, sealer=self._sealer())
        if frames is None:
            raise FileNotFoundError(f"no materialisation of {context.asset_key.to_user_string()} at {folder}")
        if list(frames) == ["data"]:
            return frames["data"]
        return frames

    @staticmethod
    def _handed(folder: Path, names: list[str] | None) -> dict[str, pd.DataFrame] | None:
        kept = _HANDED.get(str(folder))
        if kept is None:
            return None
        if (_manifest(folder) or {}).get("generation") != kept.generation:  # rewritten by another process: the files are the truth
            _HANDED.pop(str(folder), None)
            return None
        frames = {name: _frame(t) for name, t in kept.tables.items() if names is None or name in names}
        kept.remaining -= 1
        if kept.remaining <= 0:
            _HANDED.pop(str(folder), None)
        return frames
