"""One stack (backend, frontend, nginx) per session, on temp data, driven only through nginx."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit import containers, nginx
from testkit.stack import Stack

# a 100 MB CSV prediction: minutes of thinking between bytes on a slow machine
SLOW = httpx.Timeout(900, connect=10)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if nginx.nginx_binary() is None:
        pytest.skip("nginx is not installed (scripts/install-system-deps.sh)")
    running = Stack.isolated(tmp_path_factory.mktemp("stack"))
    try:
        running.start()
    except Exception:
        for name in running.processes:
            print(f"--- {name} ---\n{running.output(name)}")
        raise
    yield running
    running.stop()


@pytest.fixture(scope="session")
def proxy(stack: Stack) -> Iterator[httpx.Client]:
    """A client that knows only nginx's address."""
    with httpx.Client(base_url=stack.url, timeout=SLOW) as client:
        yield client


@pytest.fixture(scope="session")
def big_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("big-csv")
    yield directory
    for file in directory.iterdir():
        file.unlink()


@pytest.fixture(scope="session")
def images() -> dict[str, str]:
    """The product's images (the backend lean and full) and the stand-ins, built on the
    local base with podman, or reused when their inputs are unchanged."""
    reason = containers.unavailable()
    if reason:
        pytest.skip(reason)
    containers.configure()
    containers.build_base()
    built = {
        "backend": containers.build_service("backend", containers.image("backend")),
        "backend-lean": containers.build_service(
            "backend", containers.image("backend", "lean"), KERAS="false"
        ),
        "frontend": containers.build_service("frontend", containers.image("frontend")),
    }
    for name in ("nginx", "postgres"):
        built[name] = containers.build_standin(name, containers.image(f"standin-{name}"))
    return built
