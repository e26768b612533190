"""Describe the machine a benchmark ran on (written beside every result)."""
from __future__ import annotations

import os
import platform
import subprocess


def describe() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = "unknown"
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemTotal"):
                mem_gb = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": mem_gb, "python": platform.python_version(),
            "os": platform.platform(), "commit": commit}


def _pss_bytes(pid: int) -> int | None:
    """Proportional set size: shared pages (a forked worker's copy-on-write memory) counted once overall."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def tree_rss_bytes(root_pid: int) -> int:
    """Memory of a process and all its descendants (PSS where the kernel gives it, else RSS)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * page
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        pss = _pss_bytes(pid)
        total += rss.get(pid, 0) if pss is None else pss
        stack.extend(children.get(pid, []))
    return total


def run_measured(cmd: list[str], interval: float = 0.2) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run a command; return (result, wall seconds, peak memory (PSS) of its whole process tree in bytes)."""
    import time
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_bytes(proc.pid))
        time.sleep(interval)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), wall, peak
