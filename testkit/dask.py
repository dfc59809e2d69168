"""A Dask scheduler and workers on loopback, as subprocesses (`dask scheduler`, `dask worker`
from the project's venv, so the workers run the project's own code)."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from testkit.servers import free_port

READY_TIMEOUT_S = 120
DASK = Path(sys.executable).with_name("dask")


@dataclass
class DaskCluster:
    """A running scheduler's address, its workers' processes and where each one logs."""

    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: Path = Path()

    def worker_output(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.logs.glob("worker-*.out"))
        )


def _start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([str(DASK), *args], stdout=out, stderr=subprocess.STDOUT, env=env)


def connected_workers(address: str) -> int:
    from distributed import Client

    with Client(address, timeout=10, set_as_default=False) as client:
        return len(client.scheduler_info(n_workers=-1)["workers"])


@contextmanager
def dask_cluster(
    workers: int, logs: Path, env: dict[str, str] | None = None
) -> Iterator[DaskCluster]:
    """A scheduler on a free loopback port and `workers` single-threaded workers (output
    under `logs`); yields once all of them are connected, stops them all afterwards."""
    logs.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, **(env or {})}
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _start(
        ["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        logs / "scheduler.out",
        environment,
    )
    cluster = DaskCluster(address=address, scheduler=scheduler, logs=logs)
    try:
        for n in range(workers):
            cluster.workers.append(
                _start(
                    [
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    logs / f"worker-{n}.out",
                    environment,
                )
            )
        _wait_for_workers(cluster, workers)
        yield cluster
    finally:
        for process in [*cluster.workers, scheduler]:
            if process.poll() is None:
                process.terminate()
        for process in [*cluster.workers, scheduler]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_workers(cluster: DaskCluster, workers: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        if cluster.scheduler.poll() is not None:
            raise RuntimeError(f"the Dask scheduler exited with code {cluster.scheduler.poll()}")
        try:
            if connected_workers(cluster.address) >= workers:
                return
        except OSError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise TimeoutError(
        f"{workers} Dask workers not connected to {cluster.address} after "
        f"{READY_TIMEOUT_S}s ({last})"
    )
