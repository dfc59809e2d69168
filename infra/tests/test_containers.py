"""The production compose file (infra/) run for real with podman-compose, on the images the
Dockerfiles build, and driven only through nginx, as a user reaches it.

One bring-up for the module: the stack is started once, checked, taken down and up again
(the volumes must keep the data), and removed with its volumes at the end. The images are
built once per machine (testkit/containers.py reuses an image whose inputs are unchanged).
"""

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit import containers
from testkit.api import assert_problem, wait_task
from testkit.bigcsv import MIB, repeat_csv
from testkit.browser import launch, needs_chromium
from testkit.container_stack import ComposeProject
from testkit.data import DEMO_CSV
from testkit.servers import free_port, wait_for

pytestmark = [pytest.mark.container, pytest.mark.timeout(3600)]

# the default models train on start-up before /readyz answers 200 (two cores, shared)
READY_TIMEOUT_S = 900
PROJECT = "textclf-ctest"
TEXTS = ["you are a stupid idiot", "thanks for the helpful edit"]


@pytest.fixture(scope="module")
def project(
    images: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ComposeProject]:
    env = {
        "IMAGE_REGISTRY": "localhost",
        "IMAGE_TAG": "test",
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "API_TOKEN": secrets.token_hex(16),
        "HTTP_BIND": "127.0.0.1",
        "HTTP_PORT": str(free_port()),
        # the test-only stand-ins for the two third-party images (infra/tests/standins/)
        "NGINX_IMAGE": images["nginx"],
        "POSTGRES_IMAGE": images["postgres"],
    }
    stack = ComposeProject.copy(PROJECT, "infra", tmp_path_factory.mktemp("prod"), env)
    stack.down(volumes=True)  # what an interrupted earlier run left
    try:
        stack.up()
        stack.wait_ready(f"http://127.0.0.1:{env['HTTP_PORT']}/readyz", READY_TIMEOUT_S)
        yield stack
    finally:
        stack.down(volumes=True)


@pytest.fixture(scope="module")
def proxy(project: ComposeProject) -> Iterator[httpx.Client]:
    """A client that knows only nginx's address (and the API token, as a user would)."""
    headers = {"Authorization": f"Bearer {project.env['API_TOKEN']}"}
    url = f"http://127.0.0.1:{project.env['HTTP_PORT']}"
    with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
        yield client


@pytest.fixture(scope="module")
def trained(proxy: httpx.Client) -> dict[str, str]:
    """upload -> fit -> load, through nginx: the dataset's and the model's ids."""
    with DEMO_CSV.open("rb") as handle:
        upload = proxy.post("/api/v1/datasets", files={"file": ("demo.csv", handle, "text/csv")})
    # 200: the same bytes as the default models' dataset, which the upload returns
    assert upload.status_code in (200, 201), upload.text
    fit = proxy.post(
        "/api/v1/models/fit",
        json={"name": "container-logreg", "kind": "logreg", "dataset_id": upload.json()["id"]},
    )
    assert fit.status_code == 202, fit.text
    task = wait_task(proxy, fit.json()["task_id"], timeout=600, interval=1)
    assert task["status"] == "succeeded", task
    model_id = fit.json()["model_id"]
    loaded = proxy.post("/api/v1/models/load", json={"model_id": model_id})
    assert loaded.status_code == 200 and loaded.json()["loaded"] is True, loaded.text
    return {"dataset": upload.json()["id"], "model": model_id}


def _predict(proxy: httpx.Client, model_id: str) -> list[dict]:
    response = proxy.post("/api/v1/models/predict", json={"model_id": model_id, "texts": TEXTS})
    assert response.status_code == 200, response.text
    # every answer has its own prediction id (the prediction log): the rest is compared
    return [
        {k: v for k, v in p.items() if k != "prediction_id"} for p in response.json()["predictions"]
    ]


def test_ready_through_nginx_with_the_default_models(proxy: httpx.Client) -> None:
    assert proxy.get("/healthz").json() == {"status": "ok"}
    assert proxy.get("/readyz").status_code == 200
    defaults = [m for m in proxy.get("/api/v1/models").json() if m["is_default"]]
    assert defaults and all(m["status"] == "ready" for m in defaults), defaults


def test_only_nginx_is_published(project: ComposeProject) -> None:
    def published(service: str) -> dict:
        """Container port -> host bindings (an EXPOSEd port alone has none)."""
        ports = project.inspect(service)["NetworkSettings"].get("Ports") or {}
        return {port: bindings for port, bindings in ports.items() if bindings}

    for service in ("api", "dask-scheduler", "dask-worker", "frontend", "postgres"):
        assert not published(service), f"{service} publishes {published(service)}"
    assert published("nginx") == {
        "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": project.env["HTTP_PORT"]}]
    }


@pytest.mark.parametrize("service", ["api", "dask-worker", "frontend"])
def test_the_services_run_unprivileged(project: ComposeProject, service: str) -> None:
    assert project.exec(service, "id", "-u").strip() == "10001"


def test_upload_fit_load_predict_and_predict_csv(
    proxy: httpx.Client, trained: dict[str, str]
) -> None:
    predictions = _predict(proxy, trained["model"])
    assert len(predictions) == 2 and all(0 <= p["confidence"] <= 1 for p in predictions)
    with DEMO_CSV.open("rb") as handle:
        response = proxy.post(
            "/api/v1/models/predict_csv",
            files={"file": ("demo.csv", handle, "text/csv")},
            data={"model_id": trained["model"]},
        )
    assert response.status_code == 200, response.text[:500]
    lines = response.text.splitlines()
    # the input's columns, then Result, Confidence, one probability per class and a Note
    assert lines[0].endswith("Result,Confidence,P(0),P(1),Note,Prediction id")
    assert len(lines) == len(DEMO_CSV.read_text(encoding="utf-8").splitlines())


def test_a_101_mb_upload_gets_the_apps_413(proxy: httpx.Client, tmp_path: Path) -> None:
    path = repeat_csv(DEMO_CSV, tmp_path / "upload-101mb.csv", 101 * MIB)
    with path.open("rb") as handle:
        response = proxy.post("/api/v1/datasets", files={"file": (path.name, handle, "text/csv")})
    assert_problem(response, 413)


@needs_chromium
def test_the_ui_renders_through_nginx(project: ComposeProject) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"http://127.0.0.1:{project.env['HTTP_PORT']}/")
            main = "document.querySelector('[data-testid=\"stMain\"]')?.innerText ?? ''"
            page.wait_for_function(f"({main}).trim().length > 0")
            page.wait_for_load_state("networkidle")
            assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")
        finally:
            browser.close()


def test_the_ui_image_has_a_font_for_chinese_word_clouds(project: ComposeProject) -> None:
    probe = "from ui.analysis.fonts import wide_font; print(wide_font())"
    found = project.exec("frontend", "python", "-c", probe).strip()
    assert found.endswith("wqy-microhei.ttc"), found


def test_data_survives_down_and_up(
    project: ComposeProject, proxy: httpx.Client, trained: dict[str, str]
) -> None:
    before = _predict(proxy, trained["model"])
    project.down()
    assert not project.containers()
    project.up()
    project.wait_ready(f"http://127.0.0.1:{project.env['HTTP_PORT']}/readyz", READY_TIMEOUT_S)
    assert proxy.get(f"/api/v1/datasets/{trained['dataset']}").status_code == 200
    loaded = proxy.post("/api/v1/models/load", json={"model_id": trained["model"]})
    assert loaded.status_code == 200, loaded.text
    assert _predict(proxy, trained["model"]) == before


def test_the_lean_backend_refuses_keras_kinds_with_422(images: dict[str, str]) -> None:
    """The image built with KERAS=false: no TensorFlow, and a Keras fit is a clear 422."""
    port = free_port()
    name = f"textclf-lean-{port}"
    subprocess.run(
        ["podman", "run", "-d", "--rm", "--name", name, "--network", "host",
         "-e", f"BACKEND_PORT={port}", "-e", "BACKEND_HOST=127.0.0.1",
         "-e", "DEFAULT_MODELS=false", images["backend-lean"]],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/readyz", 300)
        with httpx.Client(base_url=url, timeout=60) as client, DEMO_CSV.open("rb") as handle:
            upload = client.post("/api/v1/datasets", files={"file": ("d.csv", handle, "text/csv")})
            assert upload.status_code == 201, upload.text
            fit = client.post(
                "/api/v1/models/fit",
                json={"name": "cnn", "kind": "keras_cnn", "dataset_id": upload.json()["id"]},
            )
            assert_problem(fit, 422, "not installed in this image", "tensorflow")
    finally:
        subprocess.run(["podman", "rm", "-f", name], capture_output=True, timeout=120)
    assert containers.image_size_mb(images["backend-lean"]) <= 1200
