"""Chart query latency of the 综合统计 dashboards through Superset's API (issue 15).

For every chart of the six dashboards of `bi/dashboards_spec.py`: its saved data query
(`GET /api/v1/chart/<id>/data/?force=true`, the cache bypassed) with 1 and then N concurrent users (each
user runs every chart `--rounds` times); p50 / p95 / max per chart and concurrency. Target: ≤ 1 s per chart
at 943k persons on MariaDB. Results: a JSON file in bench/results/.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_analytics.py --superset http://127.0.0.1:8121 \\
        --user admin --password … --users 10 --label 943k
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bi"))
sys.path.insert(0, str(ROOT))

import author_dashboards  # noqa: E402
import dashboards_spec as spec  # noqa: E402

from bench.machine import describe as machine_info  # noqa: E402

TARGET_S = 1.0


def chart_ids(session, base: str) -> dict[str, int]:
    """Chart key (bi/dashboards_spec.py) → the chart's id in this Superset, by the chart's stable uuid."""
    wanted = {spec.stable_uuid("chart", c["key"]): c["key"] for d in spec.DASHBOARDS for c in d["charts"]}
    found, page = {}, 0
    while True:
        r = session.get(f"{base}/api/v1/chart/", params={"q": f"(page:{page},page_size:100,columns:!(id,uuid))"},
                        timeout=60)
        r.raise_for_status()
        rows = r.json()["result"]
        for row in rows:
            if row.get("uuid") in wanted:
                found[wanted[row["uuid"]]] = row["id"]
        if len(rows) < 100:
            break
        page += 1
    missing = sorted(set(wanted.values()) - set(found))
    if missing:
        raise SystemExit(f"Superset 中缺少图表：{', '.join(missing)}（先导入 bi/assets）")
    return found


def run_chart(session, base: str, chart_id: int) -> tuple[float, int]:
    """(seconds, rows) of one forced data query; an error is raised with Superset's message."""
    t = time.perf_counter()
    r = session.get(f"{base}/api/v1/chart/{chart_id}/data/", params={"force": "true"}, timeout=120)
    seconds = time.perf_counter() - t
    if r.status_code != 200:
        raise RuntimeError(f"chart {chart_id}: HTTP {r.status_code} {r.text[:300]}")
    return seconds, sum(len(q.get("data") or []) for q in r.json()["result"])


def _stats(samples: list[float]) -> dict:
    s = sorted(samples)
    p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
    return {"n": len(s), "p50_s": round(statistics.median(s), 3), "p95_s": round(p95, 3), "max_s": round(s[-1], 3)}


def measure(sessions, base: str, ids: dict[str, int], users: int, rounds: int) -> dict[str, dict]:
    samples: dict[str, list[float]] = {k: [] for k in ids}
    rows: dict[str, int] = {}

    def one_user(n: int) -> None:
        s = sessions[n % len(sessions)]
        for _ in range(rounds):
            for key, cid in ids.items():
                sec, nrows = run_chart(s, base, cid)
                samples[key].append(sec)
                rows[key] = nrows

    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(one_user, range(users)))
    return {k: {**_stats(v), "rows": rows[k], "within_target": max(v) <= TARGET_S} for k, v in samples.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="综合统计看板图表查询耗时（经 Superset API，绕过缓存）")
    ap.add_argument("--superset", required=True)
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", required=True)
    ap.add_argument("--users", type=int, default=10, help="并发用户数（另测 1 个用户）")
    ap.add_argument("--rounds", type=int, default=3, help="每个用户把每张图查询几遍")
    ap.add_argument("--label", default="medium", help="数据规模标签，写入结果文件名")
    args = ap.parse_args(argv)
    sessions = [author_dashboards.login(args.superset, args.user, args.password) for _ in range(args.users)]
    ids = chart_ids(sessions[0], args.superset)
    run_chart(sessions[0], args.superset, next(iter(ids.values())))   # warm-up (connection pools)
    result = {"label": args.label, "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "superset": args.superset, "target_s": TARGET_S, "machine": machine_info(), "charts": {}}
    for users in (1, args.users):
        t = time.perf_counter()
        per_chart = measure(sessions, args.superset, ids, users, args.rounds)
        result["charts"][f"{users}_users"] = per_chart
        result[f"wall_s_{users}_users"] = round(time.perf_counter() - t, 2)
        worst = max(per_chart.items(), key=lambda kv: kv[1]["max_s"])
        print(f"{users:>2} 个用户：{len(per_chart)} 张图，最慢 {worst[0]} p95 {worst[1]['p95_s']}s "
              f"max {worst[1]['max_s']}s；超过 {TARGET_S}s 的图："
              f"{sum(not v['within_target'] for v in per_chart.values())}")
        for key, v in sorted(per_chart.items()):
            print(f"   {key:<22} p50 {v['p50_s']:.3f}  p95 {v['p95_s']:.3f}  max {v['max_s']:.3f}  行 {v['rows']}")
    out = ROOT / "bench" / "results" / f"analytics_{args.label}_{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"结果：{out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
