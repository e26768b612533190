"""`archives synth`: the whole synthetic data set in one run.

Stages: business registry → clean population → feed files → dirt injection →
truth files → landing files, one chunk of agencies at a time. With `workers` > 1 the
landing files are written by forked processes sharing the agencies (faster, but
copy-on-write raises memory past the 4 GB budget). Same seed and N → byte-identical output.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from archives_domain.collection_form import PERSON_HEADERS, STUDY_HEADERS, WORK_HEADERS

FULL_PERSONS = 943_000
CHUNK_ROWS = 250_000  # records injected and written at a time: keeps the full run under 4 GB
FULL_COMPANIES = 150_000
MIN_COMPANIES = 400

TRUTH_PERSON_COLUMNS = ["person_key", "agency_code", *[h for h in PERSON_HEADERS if h != "户口性质"]]
TRUTH_STUDY_COLUMNS = ["agency_code", "档案编号", "seq", *STUDY_HEADERS[1:]]
TRUTH_WORK_COLUMNS = ["agency_code", "档案编号", "seq", *WORK_HEADERS[1:]]


def companies_for(persons: int) -> int:
    """150,000 companies for the full 943,000; scaled down (not below 400) for small runs."""
    return max(MIN_COMPANIES, min(FULL_COMPANIES, round(FULL_COMPANIES * persons / FULL_PERSONS)))


class _Stages:
    """Times each stage and drives an optional progress display."""

    def __init__(self, show: bool, total: int):
        self.seconds: dict[str, float] = {}
        self._progress = None
        if show:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
            self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                      TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn())
            self._task = self._progress.add_task("合成数据", total=total)
            self._progress.start()

    @contextmanager
    def stage(self, name: str):
        if self._progress:
            self._progress.update(self._task, description=name)
        start = time.perf_counter()
        yield
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 2)
        if self._progress:
            self._progress.advance(self._task)

    def add(self, n: int) -> None:
        if self._progress:
            self._progress.update(self._task, total=self._progress.tasks[0].total + n)

    def close(self) -> None:
        if self._progress:
            self._progress.stop()


def generate(*, persons: int = FULL_PERSONS, seed: int = 20211231, out: Path, rates_file: Path | None = None,
             n_companies: int | None = None, workers: int = 1, progress: bool = True,
             chunk_rows: int = CHUNK_ROWS) -> dict:
    """Make `out/landing`, `out/feeds` and `out/truth`; returns the run summary (also in the manifest).

    Dirt is injected and landing files written one chunk of agencies at a
    time (about `chunk_rows` records each), so that only one chunk's dirty
    rows are in memory at once; each chunk draws from its own seed.
    """
    from .companies import make_registry
    from .dirt import load_rates
    from .feeds_files import write_feeds
    from .formats import plan_formats
    from .people import make_population

    out = Path(out)
    for sub in ("landing", "feeds", "truth"):
        shutil.rmtree(out / sub, ignore_errors=True)
    rates = load_rates(rates_file)
    n_companies = n_companies or companies_for(persons)
    started = time.perf_counter()
    st = _Stages(progress, 3)
    try:
        with st.stage("工商企业"):
            registry = make_registry(seed, n_companies)
        with st.stage("人员"):
            pop = make_population(seed, persons, registry)
        with st.stage("外部数据"):
            feed_rows = write_feeds(pop, registry, out / "feeds", seed)
        with st.stage("真值"):
            write_clean_truth(out / "truth", pop)
        st.add(1)
        plan = plan_formats(sorted(pop.persons["agency_code"].unique()), seed)
        chunks = agency_chunks(pop.persons["agency_code"], chunk_rows)
        st.add(1 + 2 * len(chunks))
        parts, files = [], 0
        for i, chunk in enumerate(chunks):
            with st.stage("注入错误"):
                result = _inject_chunk(pop, registry, chunk, rates, _chunk_seed(seed, i, len(chunks)), plan)
                parts.append((result.errors, result.duplicates, result.quarantine, dict(result.row_counts)))
            with st.stage("采集表文件"):
                files += write_landing(result, out / "landing", workers, layout_seed=seed)
            del result
        multi_pairs = len(pop.multi_archive)
        del pop, registry
        with st.stage("真值"):
            errors, duplicates, quarantine, row_counts = write_error_truth(out / "truth", parts)
    finally:
        st.close()
    by_category = errors["category"].value_counts()
    summary = {
        "seed": seed,
        "persons": persons,
        "companies": n_companies,
        "multi_archive_pairs": multi_pairs,
        "chunks": len(chunks),
        "rows": row_counts,
        "rows_in": int(sum(row_counts.values())),
        "files": files,
        "feeds": feed_rows,
        "errors": {k: int(v) for k, v in by_category.items()},
        "errors_total": int(len(errors)),
        "resolvable_errors": int(errors["resolvable"].sum()),
        "duplicates": int(len(duplicates)),
        "quarantine": int(len(quarantine)),
        "seconds": st.seconds,
        "seconds_total": round(time.perf_counter() - started, 1),
    }
    manifest = {**summary, "rates": rates, "agencies": _agency_manifest(plan, seed)}
    (out / "truth" / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True, default=_json_default), encoding="utf-8")
    return summary


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value))


# -- chunks ----------------------------------------------------------------------------------------------------

def agency_chunks(agency_codes: pd.Series, chunk_rows: int) -> list[list[str]]:
    """Agencies grouped into chunks of about `chunk_rows` records (largest first, each to the lightest chunk)."""
    sizes = agency_codes.value_counts()
    n = max(1, -(-int(sizes.sum()) // max(1, chunk_rows)))
    chunks: list[list[str]] = [[] for _ in range(n)]
    load = [0] * n
    for agency, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        i = load.index(min(load))
        chunks[i].append(agency)
        load[i] += int(size)
    return [sorted(c) for c in chunks if c]


def _chunk_seed(seed: int, i: int, n: int) -> int:
    # One chunk: the seed itself; several: a distinct, reproducible stream each.
    return seed if n == 1 else seed * 1009 + i + 1


def _inject_chunk(pop, registry, chunk: list[str], rates, seed: int, plan):
    from .dirt import inject
    keep = set(chunk)
    persons = pop.persons[pop.persons["agency_code"].isin(keep)]
    study = pop.study[pop.study["agency_code"].isin(keep)]
    work = pop.work[pop.work["agency_code"].isin(keep)]
    return inject(persons, study, work, registry, pop.multi_archive, rates, seed,
                  plan={a: plan[a] for a in chunk})


def _agency_manifest(plan, seed: int) -> dict:
    from archives_domain.collection_form import HEADERS
    from .formats import ENCODINGS, layout_summary
    return {a: {"format": f, "encoding": ENCODINGS[f], "batches": list(b), **layout_summary(a, HEADERS, seed)}
            for a, (f, b) in sorted(plan.items())}


# -- truth -----------------------------------------------------------------------------------------------------

def write_clean_truth(truth: Path, pop) -> None:
    """The clean value of every field of every record (columns per docs/synthetic_data.md)."""
    truth.mkdir(parents=True, exist_ok=True)
    _parquet(pop.persons[TRUTH_PERSON_COLUMNS], truth / "persons.parquet")
    _parquet(pop.study[TRUTH_STUDY_COLUMNS], truth / "study.parquet")
    _parquet(pop.work[TRUTH_WORK_COLUMNS], truth / "work.parquet")
    _parquet(pop.multi_archive, truth / "multi_archive.parquet")


def write_error_truth(truth: Path, parts) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Every injected error, duplicated row and row to quarantine, over all chunks."""
    errors = pd.concat([p[0] for p in parts], ignore_index=True)
    errors = errors.sort_values(["agency_code", "error_id"], kind="stable").reset_index(drop=True)
    errors["error_id"] = range(1, len(errors) + 1)
    duplicates = pd.concat([p[1] for p in parts], ignore_index=True).sort_values(
        ["agency_code", "source_file", "row_repeat"], kind="stable")
    quarantine = pd.concat([p[2] for p in parts], ignore_index=True).sort_values(
        ["agency_code", "source_file", "row"], kind="stable")
    row_counts: dict[str, int] = {}
    for p in parts:
        for sheet, n in p[3].items():
            row_counts[sheet] = row_counts.get(sheet, 0) + int(n)
    _parquet(errors, truth / "errors.parquet")
    _parquet(duplicates, truth / "duplicates.parquet")
    _parquet(quarantine, truth / "quarantine.parquet")
    return errors, duplicates, quarantine, row_counts


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    # No pandas index and a fixed row-group size keep the bytes the same run after run.
    frame.reset_index(drop=True).to_parquet(path, index=False, engine="pyarrow", compression="zstd",
                                            row_group_size=256_000)


# -- landing files ---------------------------------------------------------------------------------------------

_RESULT = None  # set before forking: the workers read the dirty batches from the parent's memory


def write_landing(result, landing: Path, workers: int, layout_seed: int) -> int:
    """Write every agency's batches; with `workers` > 1, in forked processes sharing the agencies."""
    global _RESULT
    landing.mkdir(parents=True, exist_ok=True)
    sizes = {a: sum(len(f) for b in bs for f in b.frames.values()) for a, bs in result.batches.items()}
    order = sorted(sizes, key=lambda a: (-sizes[a], a))
    shares = [order[i::workers] for i in range(max(1, workers))]
    if workers <= 1 or len(order) == 1 or "fork" not in mp.get_all_start_methods():
        return _write_agencies(result, landing, order, layout_seed)
    _RESULT = result
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            counts = pool.starmap(_write_share, [(str(landing), share, layout_seed) for share in shares])
    finally:
        _RESULT = None
    return sum(counts)


def _write_share(landing: str, agencies: list[str], layout_seed: int) -> int:
    return _write_agencies(_RESULT, Path(landing), agencies, layout_seed)


def _write_agencies(result, landing: Path, agencies: list[str], layout_seed: int) -> int:
    from .writers import write_batch
    files = 0
    for agency in agencies:
        for batch in result.batches[agency]:
            # One column layout per agency for all its batches: the base seed, not the chunk's.
            written = write_batch(batch.frames, landing, agency, batch.name, batch.fmt, layout_seed=layout_seed)
            files += len(set(written.values()))  # an xlsx holds all three sheets
    return files


# -- summary ---------------------------------------------------------------------------------------------------

def format_summary(summary: dict) -> str:
    rows = summary["rows"]
    lines = [
        f"合成数据完成：{summary['persons']:,} 条档案（一人多档 {summary['multi_archive_pairs']:,} 对），"
        f"工商企业 {summary['companies']:,} 家，用时 {summary['seconds_total']} 秒",
        "行数：" + "，".join(f"{k} {v:,}" for k, v in rows.items()) + f"；合计 {summary['rows_in']:,}",
        f"文件：采集表 {summary['files']} 个；外部数据 "
        + "，".join(f"{k} {v:,}" for k, v in summary["feeds"].items()),
        f"注入错误 {summary['errors_total']:,} 个；重复行 {summary['duplicates']:,}；应隔离行 {summary['quarantine']:,}",
    ]
    width = max((len(k) for k in summary["errors"]), default=0)
    lines += [f"  {k:<{width}}  {v:>9,}" for k, v in sorted(summary["errors"].items(), key=lambda kv: -kv[1])]
    lines.append("各阶段秒数：" + "，".join(f"{k} {v}" for k, v in summary["seconds"].items()))
    return "\n".join(lines)


__all__ = ["generate", "format_summary", "write_clean_truth", "write_error_truth", "write_landing",
           "agency_chunks", "companies_for"]
