"""Load from `wrk` (a separate C process, light on CPU) and what a process tree uses.

`wrk` runs one thread with N keep-alive connections (a closed loop: each connection sends
its next request when the answer arrives) and stops after a fixed number of answers
(`wrk_predict.lua`). Its CPU time is reported next to the server's, so a reader can see
that the load generator did not take the server's core.
"""

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WRK_SCRIPT = Path(__file__).with_name("wrk_predict.lua")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def wrk_available() -> bool:
    """wrk on PATH; as root on Debian it is installed (apt-get) when missing."""
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get)...", file=sys.stderr)
        subprocess.run(
            "apt-get install -y -qq wrk >/dev/null 2>&1 || "
            "(apt-get update -qq && apt-get install -y -qq wrk) >/dev/null 2>&1",
            shell=True,
            check=False,
        )
    return shutil.which("wrk") is not None


def write_bodies(path: Path, bodies: list[Any]) -> Path:
    """One JSON body per line (JSON escapes newlines); wrk cycles through them."""
    with path.open("w", encoding="utf-8") as out:
        for body in bodies:
            out.write(json.dumps(body) + "\n")
    return path


def run_wrk(url: str, bodies: Path, *, concurrency: int, requests: int) -> dict[str, Any]:
    """`requests` POSTs at a fixed concurrency: throughput, latency percentiles (ms),
    errors (non-2xx answers count as `status` errors) and wrk's own CPU use."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = ["wrk", "-t1", f"-c{concurrency}", "-d600s", "--timeout", "10s"]
    command += ["-s", str(WRK_SCRIPT), url, "--", str(bodies), str(requests)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = json.loads(next(x for x in out.splitlines() if x.startswith("{")))
    seconds = stats["duration_us"] / 1e6
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "concurrency": concurrency,
        "requests": stats["requests"],
        "seconds": round(seconds, 3),
        "throughput": round(stats["requests"] / seconds, 1),
        "p50_ms": stats["p50"] / 1000,
        "p95_ms": stats["p95"] / 1000,
        "p99_ms": stats["p99"] / 1000,
        "max_ms": stats["max"] / 1000,
        "errors": sum(stats["errors"].values()),
        "wrk_cpu_cores": round(wrk_cpu / seconds, 3),
    }


def load_run(pid: int, url: str, bodies: Path, *, concurrency: int, requests: int) -> dict:
    """run_wrk, plus the CPU the server's process tree used and the load average."""
    cpu_before = tree_cpu_seconds(pid)
    result = run_wrk(url, bodies, concurrency=concurrency, requests=requests)
    result["server_cpu_cores"] = round((tree_cpu_seconds(pid) - cpu_before) / result["seconds"], 3)
    result["server_rss_mb"] = round(tree_rss_bytes(pid) / 1e6, 1)
    result["load_avg"] = round(os.getloadavg()[0], 2)
    return result


def best_of(runs: int, measure: Callable[[], dict[str, Any]], quiet_load: float) -> dict:
    """The best of `runs` runs by throughput (the machine is shared: the others are runs
    that something else slowed down); every run is kept under `runs`."""
    results = []
    for _ in range(runs):
        wait_for_quiet(quiet_load)
        results.append(measure())
    best = dict(max(results, key=lambda r: r["throughput"]))
    best["runs"] = results
    return best


def wait_for_quiet(threshold: float, patience_s: float = 90) -> None:
    """Wait (a while at most) until the 1-minute load average is under `threshold`."""
    deadline = time.monotonic() + patience_s
    while os.getloadavg()[0] > threshold and time.monotonic() < deadline:
        time.sleep(3)


def wait_for_idle(pid: int, below_cores: float = 0.05, patience_s: float = 60) -> None:
    """Wait until a process tree is idle (a new server's workers import their libraries)."""
    deadline = time.monotonic() + patience_s
    while time.monotonic() < deadline:
        before = tree_cpu_seconds(pid)
        time.sleep(1)
        if tree_cpu_seconds(pid) - before < below_cores:
            return


# --- a process tree's CPU and memory (Linux /proc) ---------------------------------------


def tree_pids(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in task.read_text().split()]
    return pids


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live descendants (and the reaped ones)."""
    total = 0
    for current in tree_pids(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        utime, stime, reaped_utime, reaped_stime = (int(v) for v in fields[11:15])
        total += utime + stime + (reaped_utime + reaped_stime if current == pid else 0)
    return total / CLK_TCK


def tree_rss_bytes(pid: int) -> int:
    total = 0
    for current in tree_pids(pid):
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE_KB
        except (OSError, IndexError, ValueError):
            continue
    return total * 1024


class RssSampler:
    """Samples the resident memory of a process tree every `interval_s` in a thread."""

    def __init__(self, pid: int, interval_s: float = 0.05) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.baseline = tree_rss_bytes(pid)
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.baseline

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
