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


def _processes():
    """(pid, command name, the /proc/<pid>/stat fields after the name) of every process now running."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                head, rest = fh.read().rsplit(")", 1)
        except OSError:
            continue
        yield int(entry), head.split("(", 1)[1], rest.split()


def tree_rss_bytes(root_pid: int) -> int:
    """Memory of a process and all its descendants (PSS where the kernel gives it, else RSS)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for pid, _name, fields in _processes():
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * page
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        pss = _pss_bytes(pid)
        total += rss.get(pid, 0) if pss is None else pss
        stack.extend(children.get(pid, []))
    return total


def server_cpu_seconds(name: str = "mariadbd") -> float | None:
    """CPU seconds (user + system) the database server has used so far (None when not found)."""
    tick = os.sysconf("SC_CLK_TCK")
    for _pid, command, fields in _processes():
        if command == name:
            return (int(fields[11]) + int(fields[12])) / tick
    return None


LAST_CPU: dict = {}


def run_measured(cmd: list[str], interval: float = 1.0) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run a command; return (result, wall seconds, peak memory (PSS) of its whole process tree in bytes).

    Memory is sampled once a second: reading a large process's PSS makes the kernel walk its page tables,
    and sampling five times a second cost the measured run visible system time. The CPU seconds of the
    command's process tree (user, system) and of the database server during the run are left in `LAST_CPU`."""
    import tempfile
    import time
    server0 = server_cpu_seconds()
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, tree_rss_bytes(proc.pid))
            time.sleep(interval)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        result = subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
    server1 = server_cpu_seconds()
    LAST_CPU.clear()
    LAST_CPU.update({"user": round(usage.ru_utime, 1), "system": round(usage.ru_stime, 1),
                     "server": round(server1 - server0, 1) if server0 is not None and server1 is not None else None})
    return result, wall, peak
