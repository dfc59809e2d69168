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

from app.core.processes import ProcessId, this_process
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


WATCHER = "import sys, time\n" + (
    "from app.core.processes import ProcessId, exit_with\n"
    "exit_with(ProcessId(int(sys.argv[1]), sys.argv[2]))\n"
    "time.sleep(30)\n"
)


def _watcher(owner: ProcessId) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "backend")}
    return subprocess.Popen(
        [sys.executable, "-c", WATCHER, str(owner.pid), str(owner.started)], env=env
    )


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_exit_with_lives_while_its_owner_lives_and_not_after_its_pid_is_reused() -> None:
    """A worker's watch on its server (`exit_with`): it keeps a worker of a live server,
    and ends one whose server's pid now names another process (another start time)."""
    me = this_process()
    kept = _watcher(me)
    reused = _watcher(ProcessId(me.pid, f"{me.started}0"))
    try:
        assert reused.wait(timeout=10) == 1
        time.sleep(1)
        assert kept.poll() is None, "the worker of a live server exited"
    finally:
        for process in (kept, reused):
            process.kill()
            process.wait()
