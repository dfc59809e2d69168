"""A compose project run for real with podman-compose, from a copy of its folder.

The compose file is copied with the files it mounts (infra/nginx/) into a temp folder and
given a .env there, as a user deploys it (`cp .env.template .env`), so a run never writes
into the checkout. The folder name and `-p` make the project's containers, networks and
volumes its own.
"""

import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from testkit.servers import REPO_ROOT

COMPOSE_TIMEOUT_S = 600


@dataclass
class ComposeProject:
    name: str
    root: Path  # a copy of the repo's layout: <root>/infra[-dev]/docker-compose.yml
    folder: str  # "infra" or "infra-dev"
    env: dict[str, str]
    log: list[str] = field(default_factory=list)

    @classmethod
    def copy(cls, name: str, folder: str, root: Path, env: dict[str, str]) -> "ComposeProject":
        (root / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / folder / "docker-compose.yml", root / folder)
        shutil.copytree(REPO_ROOT / "infra" / "nginx", root / "infra" / "nginx", dirs_exist_ok=True)
        (root / folder / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        return cls(name, root, folder, env)

    @property
    def directory(self) -> Path:
        return self.root / self.folder

    def compose(self, *args: str, check: bool = True) -> str:
        command = ["podman-compose", "-p", self.name, "-f", "docker-compose.yml", *args]
        done = subprocess.run(
            command,
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=COMPOSE_TIMEOUT_S,
        )
        self.log.append(f"$ {' '.join(command)}\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        if check and done.returncode != 0:
            raise RuntimeError(self.log[-1])
        return done.stdout

    def up(self, *args: str) -> None:
        self.compose("up", "-d", *args)

    def down(self, *, volumes: bool = False) -> None:
        """Containers go; with `volumes`, the data and the networks too (podman-compose 1.0
        leaves the networks behind)."""
        self.compose("down", *(["-v"] if volumes else []), check=False)
        if volumes:
            label = f"label=io.podman.compose.project={self.name}"
            done = subprocess.run(
                ["podman", "network", "ls", "-q", "--filter", label],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            for network in done.stdout.split():
                subprocess.run(["podman", "network", "rm", network], capture_output=True)

    def containers(self) -> list[dict]:
        done = subprocess.run(
            ["podman", "ps", "-a", "--format", "json", "--filter",
             f"label=io.podman.compose.project={self.name}"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return json.loads(done.stdout or "[]")

    def container(self, service: str) -> str:
        for container in self.containers():
            labels = container.get("Labels") or {}
            if labels.get("com.docker.compose.service") == service:
                return str(container["Names"][0])
        raise LookupError(f"no container for {service} in {self.name}")

    def inspect(self, service: str) -> dict:
        done = subprocess.run(
            ["podman", "inspect", self.container(service)],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return json.loads(done.stdout)[0]

    def exec(self, service: str, *command: str) -> str:
        done = subprocess.run(
            ["podman", "exec", self.container(service), *command],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout

    def logs(self) -> str:
        parts = list(self.log)
        for container in self.containers():
            name = container["Names"][0]
            done = subprocess.run(
                ["podman", "logs", "--tail", "60", name], capture_output=True, text=True
            )
            parts.append(f"--- {name} ---\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
        return "\n".join(parts)

    def wait_ready(self, url: str, timeout: float) -> None:
        """`url` answers 200; a container that exited fails at once, with the logs."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                response = httpx.get(url, timeout=5)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:300]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            exited = [c["Names"][0] for c in self.containers() if c.get("State") == "exited"]
            if exited:
                raise RuntimeError(f"{exited} exited:\n{self.logs()}")
            time.sleep(2)
        raise TimeoutError(f"{url} not ready after {timeout}s: {last}\n{self.logs()}")
