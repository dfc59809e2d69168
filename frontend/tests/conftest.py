"""One real backend per test session; the frontend's settings point at it.

The backend trains its two default models from demo_data_sample.csv at start-up, and
`BackendServer.start()` waits until /readyz says they are loaded.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from shared.schemas import (
    DatasetRead,
    FitAccepted,
    FitRequest,
    ModelRead,
    ModelSummary,
    TaskRead,
    TaskStatus,
)
from testkit.browser import launch
from testkit.servers import BackendServer, free_port, serving, serving_frontend
from testkit.versions import GrownOnBoth
from testkit.versions import grown_on_both as grow
from ui.api_client import ApiClient
from ui.components.models import forget_models
from ui.settings import get_settings
from ui.state import Selection

# Small upload limit on both sides, so the limit is tested without a big file.
UPLOAD_LIMIT_MB = "5"
PAGE_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    server = BackendServer(
        root=tmp_path_factory.mktemp("frontend-backend"), env={"MAX_UPLOAD_MB": UPLOAD_LIMIT_MB}
    )
    with serving(server):
        yield server


@pytest.fixture(scope="session")
def frontend_settings(
    backend: BackendServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """The in-process frontend (AppTest) talks to the session's backend and logs to a temp dir."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BACKEND_URL", backend.base_url)
        patch.setenv("MAX_UPLOAD_MB", UPLOAD_LIMIT_MB)
        patch.setenv("LOGS_DIR", str(tmp_path_factory.mktemp("frontend-logs")))
        reset_frontend_caches()
        yield
    reset_frontend_caches()


@pytest.fixture(autouse=True)
def fresh_model_lists() -> None:
    """Every test sees the registry as it is now: the UI keeps its model list for a few
    seconds (MODELS_TTL_S), and tests make models through the API faster than that."""
    forget_models()


def reset_frontend_caches() -> None:
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="session")
def api(backend: BackendServer) -> Iterator[ApiClient]:
    client = ApiClient(backend.base_url, request_timeout_s=60)
    yield client
    client.close()


@pytest.fixture(scope="session")
def demo_dataset(api: ApiClient) -> DatasetRead:
    """The demo CSV, which the backend stored at start-up to train its default models."""
    return next(d for d in api.list_datasets() if d.filename == "demo_data_sample.csv")


@pytest.fixture(scope="session")
def default_models(api: ApiClient) -> list[ModelSummary]:
    return [m for m in api.list_models() if m.is_default]


@pytest.fixture
def demo_selection(demo_dataset: DatasetRead) -> Selection:
    return Selection(demo_dataset.id, demo_dataset.name, "comment_text", "toxic")


@pytest.fixture
def page(frontend_settings: None) -> Callable[[str], AppTest]:
    """`page("upload")`: an AppTest that renders that page's render(), as st.navigation would."""

    def make(name: str) -> AppTest:
        forget_models()  # a test's API calls change the registry: pages start from it
        script = f"from ui.pages.{name} import render\nrender()\n"
        return AppTest.from_string(script, default_timeout=PAGE_TIMEOUT_S)

    return make


def wait_for_task(api: ApiClient, task_id: str, timeout_s: float = 180) -> TaskRead:
    deadline = time.monotonic() + timeout_s
    task = api.get_task(task_id)
    while not task.status.is_finished and time.monotonic() < deadline:
        time.sleep(0.3)
        task = api.get_task(task_id)
    return task


@pytest.fixture
def finished(api: ApiClient) -> Callable[[str], TaskRead]:
    """`finished(task_id)`: the task once it has ended."""
    return lambda task_id: wait_for_task(api, task_id)


@pytest.fixture
def grown_on_both(backend: BackendServer) -> Iterator[Callable[[str, int], GrownOnBoth]]:
    """`grown_on_both(name, seed)`: testkit.versions.grown_on_both on this backend."""
    with httpx.Client(base_url=backend.base_url, timeout=60) as client:
        yield lambda name, seed: grow(client, name, seed)


@pytest.fixture(scope="module")
def logged_model(
    api: ApiClient, demo_dataset: DatasetRead
) -> Iterator[Callable[[str, list[str]], ModelRead]]:
    """`logged_model(prefix, texts)`: a loaded logreg of a name of its own (on the demo
    data) that has predicted the texts, once they are in the prediction log; unloaded
    when the module is done."""
    made: list[ModelRead] = []

    def make(prefix: str, texts: list[str]) -> ModelRead:
        name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        fit = {"name": name, "kind": "logreg", "dataset_id": demo_dataset.id}
        accepted = api.fit(FitRequest.model_validate(fit))
        assert wait_for_task(api, accepted.task_id).status == TaskStatus.SUCCEEDED
        model = api.load_model(accepted.model_id)
        made.append(model)
        api.predict(model.id, texts)
        deadline = time.monotonic() + 20
        while len(api.hard_examples(model.id, limit=100)) < len(texts):
            assert time.monotonic() < deadline, "the predictions were not logged"
            time.sleep(0.2)
        return model

    yield make
    for model in made:
        api.unload_model(model.id)


TRAINED_MODEL = "page-tests-logreg"
NAMED_LABELS_MODEL = "page-tests-named-labels"


def _ready_model(api: ApiClient, name: str, fit: dict[str, object]) -> ModelRead:
    """The ready model of this name, read whole; fitted (and waited for) when there is none,
    e.g. because a test removed it (a few seconds)."""
    for model in api.list_models():
        if model.name == name and model.status == "ready":
            return api.get_model(model.id)  # whole: the list's items are light
    accepted = api.fit(FitRequest.model_validate({"name": name, **fit}))
    task = wait_for_task(api, accepted.task_id)
    assert task.status == TaskStatus.SUCCEEDED, task.error
    return api.get_model(accepted.model_id)


@pytest.fixture
def trained_model(api: ApiClient, demo_dataset: DatasetRead) -> ModelRead:
    """A logistic regression fitted through the API (not a default, so it can be removed)."""
    fit = {"kind": "logreg", "description": "fitted by the frontend tests"}
    return _ready_model(api, TRAINED_MODEL, {**fit, "dataset_id": demo_dataset.id})


@pytest.fixture
def named_labels_model(api: ApiClient, demo_dataset: DatasetRead) -> ModelRead:
    """A logistic regression whose labels 0 and 1 have display names (tests load it: others
    unload models)."""
    fit = {"kind": "logreg", "label_names": {"0": "clean", "1": "toxic"}}
    return _ready_model(api, NAMED_LABELS_MODEL, {**fit, "dataset_id": demo_dataset.id})


@pytest.fixture(scope="session")
def failed_task(api: ApiClient, demo_dataset: DatasetRead) -> TaskRead:
    """A task that fails in the worker: no term can be in at most 0.01% and at least 2 texts."""
    accepted = api.fit(
        FitRequest.model_validate(
            {
                "name": "page-tests-failing",
                "kind": "logreg",
                "params": {"max_df": 0.0001},
                "dataset_id": demo_dataset.id,
            }
        )
    )
    task = wait_for_task(api, accepted.task_id)
    assert task.status == TaskStatus.FAILED
    return task


@pytest.fixture
def slow_fit(api: ApiClient, trained_model: ModelRead) -> Iterator[FitAccepted]:
    """A fit still running when the test acts on it: Keras starts slowly (TensorFlow is
    imported in the worker) and 50 epochs take long. Its model is removed afterwards."""
    accepted = api.fit(
        FitRequest.model_validate(
            {
                "name": "page-tests-slow",
                "kind": "keras_cnn",
                "params": {"epochs": 50},
                "dataset_id": trained_model.dataset_id,
            }
        )
    )
    yield accepted
    if api.get_task(accepted.task_id).status in (TaskStatus.QUEUED, TaskStatus.RUNNING):
        api.cancel_task(accepted.task_id)
    wait_for_task(api, accepted.task_id)
    api.remove_model(accepted.model_id)


@pytest.fixture
def fit_and_wait(api: ApiClient) -> Callable[[dict[str, object]], ModelRead]:
    """Fit from a FitRequest body, wait for the task to succeed, return the model."""

    def fit(body: dict[str, object]) -> ModelRead:
        accepted = api.fit(FitRequest.model_validate(body))
        task = wait_for_task(api, accepted.task_id)
        assert task.status == TaskStatus.SUCCEEDED, task.error
        return api.get_model(accepted.model_id)

    return fit


@pytest.fixture
def backend_down(frontend_settings: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The frontend points at a port where nothing listens, for this test only."""
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("BACKEND_URL", url)
    monkeypatch.setenv("CONNECT_TIMEOUT_S", "1")
    reset_frontend_caches()
    yield url
    monkeypatch.undo()
    reset_frontend_caches()


@pytest.fixture(scope="session")
def frontend_url(backend: BackendServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m ui` as `make frontend` runs it, pointed at the test backend."""
    root = tmp_path_factory.mktemp("frontend")
    try:
        with serving_frontend(backend.base_url, root, env={"MAX_UPLOAD_MB": "5"}) as url:
            yield url
    finally:
        print((root / "streamlit.out").read_text(errors="replace")[-3000:])
    assert (root / "logs" / "frontend" / "frontend.log").exists()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for one test module (the browser tests: marked, and skipped
    where Chromium or Playwright is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
