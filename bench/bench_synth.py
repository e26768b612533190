"""Benchmark: the full synthetic data set (943,000 persons) — budget 90 s wall, 4 GB peak memory.

Run by hand:  .venv/bin/python bench/bench_synth.py [--persons 943000] [--out /tmp/synth-bench]
Writes bench/results/synth-<date>.json and .md with the machine noted.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe, run_measured  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=943_000)
    ap.add_argument("--seed", type=int, default=20211231)
    ap.add_argument("--out", type=Path, default=Path("/tmp/synth-bench"))
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    archives = Path(sys.executable).with_name("archives")
    cmd = [str(archives), "synth", "--persons", str(args.persons), "--seed", str(args.seed), "--out", str(args.out),
           "--quiet"]
    proc, wall, peak = run_measured(cmd)
    if proc.returncode != 0:
        sys.exit(proc.stderr)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    result = {
        "benchmark": "synth", "date": dt.datetime.now().isoformat(timespec="seconds"),
        "persons": args.persons, "seed": args.seed, "wall_s": round(wall, 1),
        "peak_rss_gib": round(peak / 2**30, 2),
        "output_bytes": size, "budget": {"wall_s": 90, "peak_gib": 4},
        "machine": describe(), "summary": proc.stdout,
    }
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"synth-{dt.date.today().isoformat()}"
    stem.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    stem.with_suffix(".md").write_text(
        f"# synth benchmark {result['date']}\n\n"
        f"- persons: {args.persons:,}\n- wall: {result['wall_s']} s (budget 90 s)\n"
        f"- peak memory (PSS of the whole process tree, sampled every 0.2 s): {result['peak_rss_gib']} GiB (budget 4 GiB)\n"
        f"- output: {size / 1e9:.2f} GB\n- machine: {result['machine']}\n\n```\n{proc.stdout}\n```\n",
        encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "summary"}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
