"""A real Dask cluster on loopback for tests: `dask scheduler` and `dask worker` processes
of the project's venv (the workers import the project's own code, as in a deployment)."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from testkit.servers import BackendServer, free_port, serving

DASK = str(Path(sys.executable).parent / "dask")
READY_TIMEOUT_S = 180  # a busy machine: each process imports pandas and scikit-learn


@dataclass
class DaskCluster:
    address: str  # tcp://127.0.0.1:<port>
    scheduler: subprocess.Popen
    # one `dask worker` process each (the nanny; the worker it runs is its child process)
    workers: list[subprocess.Popen] = field(default_factory=list)
    root: Path = Path(".")

    def worker_pids(self) -> dict[str, int]:
        """The address of each connected worker -> the pid of the process that runs its
        tasks (the nanny's child), e.g. to kill -9 the one running a fit."""
        from distributed import Client

        with Client(self.address, timeout=10, set_as_default=False) as client:
            return dict(client.run(os.getpid))

    def wait_for_workers(self) -> None:
        """Until all the workers are connected again (a nanny restarts a killed worker)."""
        _wait_for_workers(self.address, len(self.workers), [self.scheduler, *self.workers])

    def fit_processes(self, worker: str) -> list[psutil.Process]:
        """The fit children on the Dask worker at `worker`: forked by its forkserver."""
        pid = self.worker_pids()[worker]
        found = []
        for process in psutil.Process(pid).children(recursive=True):
            try:
                parent = process.parent()
                if (
                    parent is not None
                    and parent.pid != pid
                    and "forkserver" in " ".join(parent.cmdline())
                ):
                    found.append(process)
            except psutil.NoSuchProcess:
                continue
        return found

    @contextmanager
    def allowed_failures(self, count: int) -> Iterator[None]:
        """The scheduler's distributed.scheduler.allowed-failures set to `count` (0: a task
        whose worker dies fails at once), its value before restored afterwards."""
        from distributed import Client

        def set_it(dask_scheduler: Any, value: int) -> int:
            before = int(dask_scheduler.allowed_failures)
            dask_scheduler.allowed_failures = value
            return before

        with Client(self.address, timeout=10, set_as_default=False) as dask:
            before = dask.run_on_scheduler(set_it, value=count)
        try:
            yield
        finally:
            with Client(self.address, timeout=10, set_as_default=False) as dask:
                dask.run_on_scheduler(set_it, value=before)

    def output(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.root.glob("*.out"))
        )


def gone(process: psutil.Process) -> bool:
    """The process has exited (a zombie counts: it runs no more)."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _start(command: list[str], out: Path, env: dict[str, str]) -> subprocess.Popen:
    with out.open("ab") as log:
        return subprocess.Popen(
            command, cwd=out.parent, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def _wait_for_workers(address: str, count: int, processes: list[subprocess.Popen]) -> None:
    from distributed import Client

    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a Dask process exited while the cluster started")
        try:
            with Client(address, timeout=5, set_as_default=False) as client:
                client.wait_for_workers(count, timeout=max(deadline - time.monotonic(), 1))
                return
        except (OSError, TimeoutError):
            time.sleep(0.3)
    raise TimeoutError(f"{count} Dask workers not connected to {address} in {READY_TIMEOUT_S}s")


def _end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def dask_cluster(
    root: Path,
    workers: int = 1,
    *,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[DaskCluster]:
    """A scheduler (on `port`, by default a free one; no dashboard) and `workers` workers
    of one process and one thread each, connected before this yields; all stopped
    afterwards. `env` adds to the processes' environment (e.g.
    DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES)."""
    root.mkdir(parents=True, exist_ok=True)
    # the worker process may start a fit's child process (not a daemon: see app.tasks.dask_job)
    full_env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False", **(env or {})}
    port = port or free_port()
    address = f"tcp://127.0.0.1:{port}"
    with ExitStack() as stack:
        scheduler = _start(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            root / "scheduler.out",
            full_env,
        )
        stack.callback(_end, scheduler)
        cluster = DaskCluster(address=address, scheduler=scheduler, root=root)
        for index in range(workers):
            process = _start(
                [
                    DASK,
                    "worker",
                    address,
                    "--host",
                    "127.0.0.1",
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    # the training code imported and the forkserver started at start-up
                    "--preload",
                    "app.tasks.dask_job",
                ],
                root / f"worker-{index}.out",
                full_env,
            )
            stack.callback(_end, process)
            cluster.workers.append(process)
        try:
            _wait_for_workers(address, workers, [scheduler, *cluster.workers])
        except Exception:
            print(cluster.output())
            raise
        yield cluster


@contextmanager
def serving_on_dask(
    root: Path, scheduler: str, database_url: str | None = None
) -> Iterator[BackendServer]:
    """A backend (no default models) whose fits run on the Dask scheduler at `scheduler`
    (TASK_EXECUTOR=dask), stopped afterwards, also when it did not answer in time."""
    env = {"TASK_EXECUTOR": "dask", "DASK_SCHEDULER_ADDRESS": scheduler, "DEFAULT_MODELS": "false"}
    backend = BackendServer(root=root, database_url=database_url, env=env)
    try:
        with serving(backend) as running:
            yield running
    finally:
        backend.stop()
