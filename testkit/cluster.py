"""The distributed topology without Docker, on loopback: a Dask scheduler and workers, API
replicas over one PostgreSQL registry, and Debian's nginx in front with an upstream over
the replicas (the same site template as the compose files).

`make cluster` runs it on a data folder of the developer's (scripts/cluster.py); the
topology tests and benchmarks run it on a fresh database and a temp folder
(`Cluster.isolated`). Models, datasets and retrievers live under one root that every
replica and every worker reads and writes, as a shared volume would be in compose; each
process logs to a folder of its own under `<root>/logs/` (two processes must not rotate
one log file). Every process runs in a session of its own, so a kill reaches its
children too (a Dask nanny's worker, a fit's child process).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from testkit import nginx
from testkit.processes import process_tree, started
from testkit.servers import REPO_ROOT, DataFolders, free_port, wait_for

LOOPBACK = "127.0.0.1"
STOP_TIMEOUT_S = 30
DASK = Path(sys.executable).with_name("dask")
FRONTEND_ENTRY = REPO_ROOT / "frontend" / "streamlit_app.py"


def port_open(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Cluster(DataFolders):
    root: Path
    database_url: str
    replicas: int = 2
    workers: int = 2
    port: int = field(default_factory=free_port)
    scheduler_port: int = field(default_factory=free_port)
    max_upload_mb: int = 100
    env: dict[str, str] = field(default_factory=dict)
    with_frontend: bool = False
    replica_ports: list[int] = field(default_factory=list)
    frontend_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _outputs: dict[str, IO[bytes]] = field(default_factory=dict)

    @classmethod
    def isolated(
        cls,
        root: Path,
        database_url: str,
        *,
        replicas: int = 2,
        workers: int = 2,
        env: dict[str, str] | None = None,
    ) -> "Cluster":
        """A cluster on `database_url` (a fresh one: the tests' and benchmarks' way) with its
        files under `root`, without default models unless `env` asks for them."""
        return cls(
            root=root,
            database_url=database_url,
            replicas=replicas,
            workers=workers,
            env={"DEFAULT_MODELS": "false", **(env or {})},
        )

    def __post_init__(self) -> None:
        if not self.replica_ports:
            self.replica_ports = [free_port() for _ in range(self.replicas)]

    # --- names and addresses -------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def scheduler_address(self) -> str:
        return f"tcp://{LOOPBACK}:{self.scheduler_port}"

    @property
    def replica_names(self) -> list[str]:
        return [f"api-{i}" for i in range(1, self.replicas + 1)]

    @property
    def worker_names(self) -> list[str]:
        return [f"worker-{i}" for i in range(1, self.workers + 1)]

    def replica_url(self, name: str) -> str:
        return f"http://{LOOPBACK}:{self.replica_ports[self.replica_names.index(name)]}"

    # --- processes -----------------------------------------------------------------------

    def _environment(self, name: str) -> dict[str, str]:
        """What every process gets: the registry, the shared folders, the executor."""
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            **self.folder_environment(),
            "LOGS_DIR": str(self.logs_dir / name),
            "MAX_UPLOAD_MB": str(self.max_upload_mb),
            "TASK_EXECUTOR": "dask",
            "DASK_SCHEDULER_ADDRESS": self.scheduler_address,
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        out_dir = self.logs_dir / "out"
        out_dir.mkdir(parents=True, exist_ok=True)
        if name in self._outputs:
            self._outputs.pop(name).close()
        output = (out_dir / f"{name}.out").open("ab")
        self._outputs[name] = output
        process = subprocess.Popen(
            args,
            cwd=self.root,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def _start_scheduler(self) -> None:
        args = [str(DASK), "scheduler", "--host", LOOPBACK, "--port", str(self.scheduler_port)]
        process = self._spawn("scheduler", [*args, "--no-dashboard"], self._environment("dask"))
        self._wait_port(self.scheduler_port, process, "the Dask scheduler", 60)

    def start_worker(self, name: str) -> subprocess.Popen:
        directory = self.root / "dask" / name
        directory.mkdir(parents=True, exist_ok=True)
        args = [str(DASK), "worker", self.scheduler_address, "--name", name, "--host", LOOPBACK]
        args += ["--nworkers", "1", "--nthreads", "1", "--no-dashboard"]
        # the training code imported and the fits' forkserver started at start-up
        args += ["--preload", "app.tasks.dask_job", "--local-directory", str(directory)]
        # a fit runs in a child process of the worker: Dask's workers are daemons otherwise
        env = {**self._environment(name), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
        return self._spawn(name, args, env)

    def start_replica(self, name: str, wait: str = "healthz") -> subprocess.Popen:
        port = self.replica_ports[self.replica_names.index(name)]
        env = {
            **self._environment(name),
            "BACKEND_HOST": LOOPBACK,
            "BACKEND_PORT": str(port),
            "REPLICA_NAME": name,
        }
        process = self._spawn(name, [sys.executable, "-m", "app"], env)
        wait_for(f"http://{LOOPBACK}:{port}/{wait}", 300, process)
        return process

    def _start_frontend(self) -> None:
        env = {
            **self._environment("frontend"),
            "BACKEND_URL": self.url,
            "FRONTEND_HOST": LOOPBACK,
            "FRONTEND_PORT": str(self.frontend_port),
        }
        process = self._spawn("frontend", [sys.executable, "-m", "ui"], env)
        wait_for(f"http://{LOOPBACK}:{self.frontend_port}/_stcore/health", 120, process)

    def _wait_port(self, port: int, process: subprocess.Popen, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not port_open(port):
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited with code {process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} does not listen on :{port} after {timeout}s")
            time.sleep(0.2)

    def wait_for_workers(self, count: int | None = None, timeout: float = 120) -> None:
        """Until the scheduler knows `count` workers (all of them by default)."""
        wanted = self.workers if count is None else count
        deadline = time.monotonic() + timeout
        while (known := len(self.worker_addresses())) != wanted:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the scheduler knows {known} workers, not {wanted}")
            time.sleep(0.3)

    def worker_addresses(self) -> dict[str, str]:
        """Worker name -> its address, as the scheduler knows them now."""
        from distributed import Client

        with Client(self.scheduler_address, timeout=10) as client:
            workers = client.scheduler_info(n_workers=-1)["workers"]
        return {str(info["name"]): address for address, info in workers.items()}

    def site(self, replicas: list[str] | None = None) -> nginx.NginxSite:
        ports = [self.replica_ports[self.replica_names.index(n)] for n in replicas or []]
        return nginx.NginxSite(
            listen=f"{LOOPBACK}:{self.port}",
            backend=nginx.upstream(f"{LOOPBACK}:{p}" for p in ports or self.replica_ports),
            frontend=f"{LOOPBACK}:{self.frontend_port}",
            max_body=nginx.body_size_for(self.max_upload_mb),
        )

    def start(self, ready_timeout: float = 600) -> "Cluster":
        """Scheduler, workers, replicas (the first alone: it migrates a new registry),
        nginx, the frontend if asked for; then waits until every replica is ready."""
        for folder in (self.models_dir, self.datasets_dir, self.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)
        conf = nginx.write_config(self.site().values(), self.root / "run", self.logs_dir / "nginx")
        checked = nginx.check(conf, self.logs_dir / "nginx")
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{checked.stderr}")
        try:
            self._start_scheduler()
            for name in self.worker_names:
                self.start_worker(name)
            for name in self.replica_names:
                self.start_replica(name)
            proxy = self._spawn("nginx", nginx.command(conf, self.logs_dir / "nginx"), {})
            wait_for(f"{self.url}/nginx-health", 30, proxy)
            if self.with_frontend:
                self._start_frontend()
            self.wait_for_workers()
            for name in self.replica_names:
                wait_for(f"{self.replica_url(name)}/readyz", ready_timeout, self.processes[name])
        except BaseException:
            self.stop()
            raise
        return self

    def set_upstream(self, replicas: list[str]) -> None:
        """nginx sends to these replicas only from now on (a new config, then `nginx -s
        reload`'s SIGHUP: the old workers finish their requests)."""
        conf = nginx.write_config(
            self.site(replicas).values(), self.root / "run", self.logs_dir / "nginx"
        )
        checked = nginx.check(conf, self.logs_dir / "nginx")
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{checked.stderr}")
        self.processes["nginx"].send_signal(signal.SIGHUP)
        time.sleep(1)  # the new workers take over

    def pids(self, name: str) -> list[int]:
        """A process and its descendants (a Dask nanny's worker, a fit's child)."""
        return list(process_tree(self.processes[name].pid))

    def kill(self, name: str) -> None:
        """kill -9 of a process and everything in its session (a machine that is gone)."""
        process = self.processes[name]
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stopped(self) -> str | None:
        """The name of a process that has exited, if any."""
        return next((n for n, p in self.processes.items() if p.poll() is not None), None)

    def stop(self) -> None:
        # nginx first (nothing new arrives), then the replicas, the workers, the scheduler
        order = ["nginx", "frontend", *self.replica_names, *self.worker_names, "scheduler"]
        for name in order:
            process = self.processes.get(name)
            if process is None:
                continue
            tree = [(pid, started(pid)) for pid in process_tree(process.pid)]
            if process.poll() is None:
                process.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            # what it left behind: in its session (a worker's fit), or a child that made a
            # session of its own (a training pool's forkserver)
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            for pid, since in tree[1:]:
                if since is not None and started(pid) == since:  # not a reused pid
                    with suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
        for output in self._outputs.values():
            output.close()
        self._outputs.clear()

    def output(self, name: str, tail: int = 5000) -> str:
        path = self.logs_dir / "out" / f"{name}.out"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""

    def outputs(self, tail: int = 3000) -> str:
        return "\n".join(f"--- {name} ---\n{self.output(name, tail)}" for name in self.processes)

    def client(self, timeout: float = 300) -> httpx.Client:
        """A client that knows only nginx's address."""
        return httpx.Client(base_url=self.url, timeout=timeout)

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
