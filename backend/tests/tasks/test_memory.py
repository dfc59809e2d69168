"""The memory watch measures a process tree's resident memory, children included, and
reports a tracked task over its limit once."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from app.tasks.memory import MemoryWatch, resident_bytes

MIB = 1024 * 1024
# a parent that starts a child holding 150 MB, then waits
TREE = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', "
    "'import time; block = bytearray(150 * 1024 * 1024); print(1, flush=True); time.sleep(60)'],"
    " stdout=sys.stdout)\n"
    "time.sleep(60)\n"
)


def _start(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True
    )


def _end(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.fixture
def tree() -> Iterator[subprocess.Popen[str]]:
    parent = _start(TREE)
    assert parent.stdout is not None and parent.stdout.readline().strip() == "1"
    yield parent
    _end(parent)


@pytest.fixture
def small() -> Iterator[subprocess.Popen[str]]:
    process = _start("import time; print(1, flush=True); time.sleep(60)")
    assert process.stdout is not None and process.stdout.readline().strip() == "1"
    yield process
    _end(process)


def test_resident_bytes_counts_the_children(tree: subprocess.Popen[str]) -> None:
    assert resident_bytes(tree.pid) > 150 * MIB
    assert resident_bytes(2**22 + 12345) == 0  # no such process


def test_the_watch_reports_a_task_over_its_limit_once(
    tree: subprocess.Popen[str], small: subprocess.Popen[str]
) -> None:
    reported: list[tuple[str, int]] = []
    called = threading.Event()

    def over(task_id: str, used: int) -> None:
        reported.append((task_id, used))
        called.set()

    watch = MemoryWatch(100 * MIB, over, interval=0.05)
    watch.start()
    try:
        watch.track("small", small.pid)
        watch.track("big", tree.pid)
        assert called.wait(5)
        time.sleep(0.3)  # more samples: still reported once, the small one never
    finally:
        watch.stop()
    assert [task for task, _ in reported] == ["big"]
    assert reported[0][1] > 150 * MIB
