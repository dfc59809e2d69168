"""The dev compose file (infra-dev/) starts with podman-compose on the suite's images:
backend and frontend on their own ports, nginx in front, the bind-mounted folders written
by the host user the file names (APP_UID/APP_GID)."""

import os
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from testkit.container_stack import ComposeProject
from testkit.servers import free_port

pytestmark = [pytest.mark.container, pytest.mark.timeout(1800)]

PROJECT = "textclf-ctest-dev"
DEV_UID = 10001  # any host user: the bind-mounted folders belong to it


@pytest.fixture(scope="module")
def dev(
    images: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ComposeProject]:
    # the file names the images `textclf-*:dev` (`--build` makes them); the suite's are those
    for service in ("backend", "frontend"):
        subprocess.run(
            ["podman", "tag", images[service], f"localhost/textclf-{service}:dev"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    root = tmp_path_factory.mktemp("dev")
    for folder in ("data", "models", "logs"):
        (root / folder).mkdir()
        os.chown(root / folder, DEV_UID, DEV_UID)
    env = {
        "APP_UID": str(DEV_UID),
        "APP_GID": str(DEV_UID),
        "STACK_PORT": str(free_port()),
        "BACKEND_PUBLISH_PORT": str(free_port()),
        "FRONTEND_PUBLISH_PORT": str(free_port()),
        "NGINX_IMAGE": images["nginx"],
    }
    stack = ComposeProject.copy(PROJECT, "infra-dev", root, env)
    stack.down(volumes=True)
    try:
        stack.up("--no-build")
        stack.wait_ready(f"http://127.0.0.1:{env['STACK_PORT']}/_stcore/health", 600)
        stack.wait_ready(f"http://127.0.0.1:{env['STACK_PORT']}/healthz", 600)
        yield stack
    finally:
        stack.down(volumes=True)


def test_the_dev_stack_answers_on_its_ports(dev: ComposeProject) -> None:
    stack, backend, frontend = (
        f"http://127.0.0.1:{dev.env[name]}"
        for name in ("STACK_PORT", "BACKEND_PUBLISH_PORT", "FRONTEND_PUBLISH_PORT")
    )
    assert httpx.get(f"{stack}/healthz", timeout=30).json() == {"status": "ok"}
    assert httpx.get(f"{backend}/healthz", timeout=30).json() == {"status": "ok"}
    assert httpx.get(f"{frontend}/_stcore/health", timeout=30).text == "ok"
    # the SQLite registry lives in the bind-mounted data/ folder, written as APP_UID
    registry = dev.root / "data" / "registry.db"
    assert registry.is_file() and registry.stat().st_uid == DEV_UID
