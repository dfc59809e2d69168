"""A memory limit per training task: a watchdog that samples each running fit's resident
memory and stops the fit that goes over it.

Why a watchdog and not an rlimit: RLIMIT_AS counts address space that is reserved, not
used (TensorFlow and the BLAS thread pools reserve gigabytes they never touch), so a
limit low enough to protect the host refuses normal fits; RLIMIT_DATA (Linux ≥ 4.7 counts
private mappings too) fails an allocation somewhere inside numpy or a C extension, which
surfaces as a MemoryError in a random place, or a crash, not as a clear message. What
threatens the host is resident memory, so that is what is measured: the worker's RSS plus
its child processes' (a library may start some), read from /proc every `interval`
seconds. Between two samples a fit can still grow; the interval keeps that small.
"""

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

PROC = Path("/proc")
SAMPLE_INTERVAL_S = 0.2
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

OverLimit = Callable[[str, int], None]  # (task id, resident bytes)


def resident_bytes(pid: int) -> int:
    """RSS of `pid` and of every process below it; 0 once it is gone."""
    total = 0
    pending = [pid]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            # statm: size resident shared ... in pages; one short read, no parsing of status
            total += int((PROC / str(current) / "statm").read_text().split()[1]) * _PAGE
            for task in (PROC / str(current) / "task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
        except (OSError, ValueError, IndexError):
            continue  # it ended meanwhile
    return total


class MemoryWatch:
    """Calls `on_over_limit(task_id, rss)` once for a tracked task whose process tree holds
    more than `limit_bytes`; the caller ends the task (and so stops its process)."""

    def __init__(
        self, limit_bytes: int, on_over_limit: OverLimit, interval: float = SAMPLE_INTERVAL_S
    ) -> None:
        self.limit_bytes = limit_bytes
        self._on_over_limit = on_over_limit
        self._interval = interval
        self._tasks: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.available = (PROC / "self" / "statm").exists()

    def start(self) -> None:
        if not self.available:
            log.warning(
                "no /proc here: the training memory limit (TRAINING_MEMORY_LIMIT_MB) is off"
            )
            return
        self._thread = threading.Thread(target=self._run, name="training-memory", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def track(self, task_id: str, pid: int) -> None:
        with self._lock:
            self._tasks[task_id] = pid

    def forget(self, task_id: str) -> None:
        with self._lock:
            self._tasks.pop(task_id, None)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            with self._lock:
                tasks = list(self._tasks.items())
            for task_id, pid in tasks:
                used = resident_bytes(pid)
                if used > self.limit_bytes:
                    self.forget(task_id)  # reported once; ending it is the caller's
                    try:
                        self._on_over_limit(task_id, used)
                    except Exception:
                        log.exception("stopping task %s over its memory limit failed", task_id)
