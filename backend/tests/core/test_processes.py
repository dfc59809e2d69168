"""Workers die with their server, and live while it lives, whatever its pid."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from testkit.servers import REPO_ROOT

# a server (this script) starts a worker that calls die_with_parent, as the training pool does
SERVER = textwrap.dedent(
    """
    import multiprocessing, os, sys, time
    from app.core.processes import die_with_parent

    def work(path):
        die_with_parent()
        with open(path, "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(60)

    if __name__ == "__main__":
        path = sys.argv[1]
        child = multiprocessing.get_context("spawn").Process(target=work, args=(path,))
        child.start()
        print(os.getpid(), flush=True)
        child.join()
    """
)


def _start(tmp_path: Path, *prefix: str) -> tuple[subprocess.Popen[str], Path]:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    marker = tmp_path / "worker.pid"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "backend")}
    server = subprocess.Popen(
        [*prefix, sys.executable, str(script), str(marker)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    return server, marker


def _wait_for(marker: Path, server: subprocess.Popen[str], seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text():
            return int(marker.read_text())
        if server.poll() is not None:
            pytest.fail(f"the server ended ({server.returncode}) before its worker started")
        time.sleep(0.05)
    pytest.fail("the worker never started")


def _can_be_pid_1() -> bool:
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _can_be_pid_1(), reason="needs root and unshare (a PID namespace)")
def test_a_worker_of_a_server_that_is_pid_1_keeps_working(tmp_path: Path) -> None:
    """The container case: the server is PID 1, so its worker's parent pid is 1 from the
    start; the worker must not take that for a dead parent."""
    server, marker = _start(tmp_path, "unshare", "--pid", "--fork", "--mount-proc")
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "1"  # the server is PID 1 in there
        _wait_for(marker, server)
        time.sleep(0.5)
        assert server.poll() is None, "the worker exited at once: the server's join returned"
    finally:
        server.kill()
        server.wait()


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_dies_when_its_server_is_killed(tmp_path: Path) -> None:
    server, marker = _start(tmp_path)
    worker = _wait_for(marker, server)
    server.send_signal(signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(worker, signal.SIGKILL)
    pytest.fail("the worker outlived its server")
