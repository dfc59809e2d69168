"""Start the real backend (uvicorn, `python -m app`) on a free loopback port."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from fastapi import FastAPI

    from app.core.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as exc:
            last = str(exc)
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready after {timeout}s: {last}")


class DataFolders:
    """The folders a backend keeps its files in, all under `root`."""

    root: Path

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def datasets_dir(self) -> Path:
        return self.root / "datasets"

    @property
    def retrievers_dir(self) -> Path:
        return self.root / "retrievers"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def folder_environment(self) -> dict[str, str]:
        """The settings that point a backend at its models, datasets and retrievers (its
        logs are each caller's: one folder per process where several share the root)."""
        return {
            "MODELS_DIR": str(self.models_dir),
            "DATASETS_DIR": str(self.datasets_dir),
            "RETRIEVERS_DIR": str(self.retrievers_dir),
        }


@dataclass
class BackendServer(DataFolders):
    """A backend process with its own registry, models, datasets and logs under `root`."""

    root: Path
    database_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    # what the server is started through (e.g. `permissions_enforced()`), before `python`
    launcher: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url or f"sqlite:///{self.root / 'registry.db'}",
            **self.folder_environment(),
            "LOGS_DIR": str(self.logs_dir),
            "BACKEND_HOST": "127.0.0.1",
            "BACKEND_PORT": str(self.port),
            "TRAINING_WORKERS": "2",
        }
        env.update(self.env)
        return env

    def launch(self) -> subprocess.Popen:
        """Start the process, without waiting for it to answer."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "server.out").open("ab") as log:
            self.process = subprocess.Popen(
                [*self.launcher, sys.executable, "-m", "app"],
                cwd=self.root,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self.process

    def start(self, wait_ready: bool = True) -> "BackendServer":
        self.launch()
        wait_for(
            f"{self.base_url}/{'readyz' if wait_ready else 'healthz'}",
            READY_TIMEOUT_S,
            self.process,
        )
        return self

    def stop(self, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def restart(self, kill: bool = False) -> "BackendServer":
        self.stop(kill=kill)
        return self.start()

    def output(self) -> str:
        path = self.root / "server.out"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def serving(server: BackendServer) -> Iterator[BackendServer]:
    """Start the server, show its output if it fails to start, stop it afterwards."""
    try:
        server.start()
    except Exception:
        print(server.output()[-5000:])
        raise
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def serving_in_process(settings: "Settings") -> Iterator[tuple[str, "FastAPI"]]:
    """The app on a real uvicorn in a thread of this process (base URL, app), for tests
    that reach into a running app's services."""
    import uvicorn

    from app.main import create_app

    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", READY_TIMEOUT_S)
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(60)


@contextmanager
def serving_frontend(
    backend_url: str,
    root: Path,
    *,
    python: str = sys.executable,
    cwd: Path = REPO_ROOT,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`python -m ui` as `make frontend` runs it, pointed at `backend_url`, on a free port;
    yields its URL. Its output goes to `root/streamlit.out`, its log under `root/logs`."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {
        **os.environ,
        "BACKEND_URL": backend_url,
        "FRONTEND_PORT": str(port),
        "LOGS_DIR": str(root / "logs"),
        **(env or {}),
    }
    with (root / "streamlit.out").open("wb") as out:
        process = subprocess.Popen(
            [python, "-m", "ui"], cwd=cwd, env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/_stcore/health", 120, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
