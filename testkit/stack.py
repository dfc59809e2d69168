"""The compose topology without Docker: backend, frontend and nginx as local processes.

`make stack` runs it on the developer's data (scripts/stack.py); the stack test runs it
with a registry, models, datasets and logs of its own (`Stack.isolated`). Everything but
nginx listens on loopback ports only, as it would on the compose network.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from testkit import nginx
from testkit.servers import REPO_ROOT, free_port, wait_for

FRONTEND_ENTRY = REPO_ROOT / "frontend" / "streamlit_app.py"
LOOPBACK = "127.0.0.1"
STOP_TIMEOUT_S = 30


@dataclass
class Stack:
    run_dir: Path
    logs_dir: Path
    port: int = field(default_factory=free_port)
    backend_port: int = field(default_factory=free_port)
    frontend_port: int = field(default_factory=free_port)
    max_upload_mb: int = 100
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = REPO_ROOT
    with_frontend: bool = field(default_factory=FRONTEND_ENTRY.is_file)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _outputs: list[IO[bytes]] = field(default_factory=list)

    @classmethod
    def isolated(cls, root: Path, *, env: dict[str, str] | None = None, **options: int) -> "Stack":
        """A stack whose registry, models, datasets and logs all live under `root`.

        `options` are the ports and `max_upload_mb`; `env` adds to (or overrides) the
        services' environment."""
        root.mkdir(parents=True, exist_ok=True)
        isolated_env = {
            "DATABASE_URL": f"sqlite:///{root / 'registry.db'}",
            "MODELS_DIR": str(root / "models"),
            "DATASETS_DIR": str(root / "datasets"),
            "TRAINING_WORKERS": "2",
            **(env or {}),
        }
        return cls(
            run_dir=root / "run", logs_dir=root / "logs", env=isolated_env, cwd=root, **options
        )

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "LOGS_DIR": str(self.logs_dir),
            "MAX_UPLOAD_MB": str(self.max_upload_mb),
            "BACKEND_HOST": LOOPBACK,
            "BACKEND_PORT": str(self.backend_port),
            "BACKEND_URL": f"http://{LOOPBACK}:{self.backend_port}",
            "FRONTEND_HOST": LOOPBACK,
            "FRONTEND_PORT": str(self.frontend_port),
            **self.env,
        }

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        out_dir = self.logs_dir / "stack"
        out_dir.mkdir(parents=True, exist_ok=True)
        output = (out_dir / f"{name}.out").open("ab")
        self._outputs.append(output)
        # a session of its own: a terminal's Ctrl-C reaches only the supervisor, which then
        # stops the proxy before the services instead of all of them racing
        process = subprocess.Popen(
            args,
            cwd=self.cwd,
            env=self._environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def start(self, wait_ready: bool = True, ready_timeout: float = 300) -> "Stack":
        conf = nginx.write_config(self._site().values(), self.run_dir, self.logs_dir / "nginx")
        checked = nginx.check(conf, self.logs_dir / "nginx")
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{checked.stderr}")
        try:
            backend = self._spawn("backend", [sys.executable, "-m", "app"])
            wait_for(f"http://{LOOPBACK}:{self.backend_port}/healthz", 120, backend)
            if self.with_frontend:
                frontend = self._spawn("frontend", [sys.executable, "-m", "ui"])
                wait_for(f"http://{LOOPBACK}:{self.frontend_port}/_stcore/health", 120, frontend)
            proxy = self._spawn("nginx", nginx.command(conf, self.logs_dir / "nginx"))
            wait_for(f"{self.url}/nginx-health", 30, proxy)
            if wait_ready:
                wait_for(f"{self.url}/readyz", ready_timeout, backend)
        except BaseException:
            self.stop()
            raise
        return self

    def _site(self) -> nginx.NginxSite:
        return nginx.NginxSite(
            listen=f"{LOOPBACK}:{self.port}",
            backend=f"{LOOPBACK}:{self.backend_port}",
            frontend=f"{LOOPBACK}:{self.frontend_port}",
            max_body=nginx.body_size_for(self.max_upload_mb),
        )

    def stopped(self) -> str | None:
        """The name of a process that has exited, if any."""
        return next((n for n, p in self.processes.items() if p.poll() is not None), None)

    def stop(self) -> None:
        # the proxy first, so nothing new reaches the services while they shut down
        for name in ("nginx", "frontend", "backend"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            # nginx: SIGQUIT finishes the requests in flight; the services drain on SIGTERM
            process.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for output in self._outputs:
            output.close()
        self._outputs.clear()

    def output(self, name: str, tail: int = 5000) -> str:
        path = self.logs_dir / "stack" / f"{name}.out"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Topology(Protocol):
    def stopped(self) -> str | None: ...


def wait_any(stack: Topology, poll_s: float = 1.0) -> str:
    """Block until one of the processes of a stack (or a cluster) exits; return its name."""
    while (name := stack.stopped()) is None:
        time.sleep(poll_s)
    return name
