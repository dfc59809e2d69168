"""map_forked: results in order, failures raised here, no child outliving its parent."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.ml.forked import ForkedWorkError, can_fork, map_forked

pytestmark = pytest.mark.skipif(not can_fork(), reason="fork() is used on Linux only")
REPO = Path(__file__).resolve().parents[3]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it has stopped running all the same
    status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return status != "Z"


def test_results_in_order_all_but_the_first_from_children() -> None:
    results = map_forked(lambda n: (n * n, os.getpid()), [1, 2, 3, 4])
    assert [square for square, _ in results] == [1, 4, 9, 16]
    pids = [pid for _, pid in results]
    assert pids[0] == os.getpid() and len(set(pids)) == 4
    assert not any(alive(pid) for pid in pids[1:])  # reaped


def test_a_childs_exception_is_raised_with_its_traceback() -> None:
    def work(n: int) -> int:
        if n == 2:
            raise ValueError("bad slice 2")
        return n

    with pytest.raises(ForkedWorkError, match=r"failed: ValueError: bad slice 2$") as raised:
        map_forked(work, [1, 2, 3])
    assert "in work" in str(raised.value.__cause__)  # the child's traceback, for the logs


def test_a_child_that_dies_is_reported() -> None:
    def work(n: int) -> int:
        if n == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return n

    with pytest.raises(ForkedWorkError, match="died"):
        map_forked(work, [1, 2])


def test_when_this_process_fails_the_children_are_stopped(tmp_path: Path) -> None:
    def work(n: int) -> int:
        if n == 1:
            raise RuntimeError("the parent's own slice failed")
        (tmp_path / f"{n}.pid").write_text(str(os.getpid()))
        time.sleep(60)
        return n

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="parent's own slice"):
        map_forked(work, [1, 2, 3])
    assert time.monotonic() - started < 30
    for path in tmp_path.glob("*.pid"):
        assert not alive(int(path.read_text()))


def test_children_die_with_their_parent_even_on_sigkill(tmp_path: Path) -> None:
    """What a cancelled fit relies on: pebble terminates the worker, the helpers follow."""
    script = textwrap.dedent(
        f"""
        import os, sys, time
        sys.path[:0] = [{str(REPO)!r}, {str(REPO / "backend")!r}]
        from app.ml.forked import map_forked

        def work(n):
            if n:
                open({str(tmp_path)!r} + f"/{{n}}.pid", "w").write(str(os.getpid()))
            time.sleep(120)

        map_forked(work, [0, 1, 2])
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("*.pid"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        children = [int(p.read_text()) for p in tmp_path.glob("*.pid")]
        assert len(children) == 2 and all(alive(pid) for pid in children)
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in children)
    finally:
        parent.kill()
