"""A server whose folders it may not write (their permissions, for real: the server runs
without root's override): an upload, a fit and a bundle import answer a problem+json that
tells an operator which folder to check, by its setting and never by its path (the log has
the path), and a fit whose worker cannot write its bundle, or read its dataset's file,
fails with the same words."""

from collections.abc import Iterator

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_running, wait_task
from testkit.permissions import permissions_enforced, read_only, unreadable
from testkit.samples import SLOW_PARAMS, labelled_csv, slow_csv
from testkit.servers import BackendServer, serving

MODELS = "models folder (MODELS_DIR)"
DATASETS = "datasets folder (DATASETS_DIR)"
CHECK = "an operator must check its permissions"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    server = BackendServer(
        root=tmp_path_factory.mktemp("unwritable"),
        env={"DEFAULT_MODELS": "false", "TRAINING_WORKERS": "1"},
        launcher=permissions_enforced(),
    )
    with serving(server):
        yield server


@pytest.fixture
def client(backend: BackendServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=backend.base_url, timeout=120) as c:
        yield c


def _says_which_folder(response: httpx.Response, folder: str, server: BackendServer) -> None:
    body = assert_problem(response, 500, folder, CHECK)
    assert str(server.root) not in response.text  # no path in the answer
    assert body["title"] == "Storage error"


def test_an_upload_into_a_folder_it_may_not_write(
    backend: BackendServer, client: httpx.Client
) -> None:
    incoming = backend.datasets_dir / ".incoming"
    assert upload_csv(client, labelled_csv(50, seed=1)).status_code == 201  # makes `incoming`
    # the upload lands, but cannot be moved into the datasets folder
    with read_only(backend.datasets_dir):
        _says_which_folder(upload_csv(client, labelled_csv(50, seed=2)), DATASETS, backend)
    # it cannot even land
    with read_only(incoming, backend.datasets_dir):
        _says_which_folder(upload_csv(client, labelled_csv(50, seed=3)), DATASETS, backend)
    assert upload_csv(client, labelled_csv(50, seed=3)).status_code == 201  # writable again
    assert str(incoming) in backend.output()  # the path is in the log


def test_a_fit_and_an_import_into_a_models_folder_it_may_not_write(
    backend: BackendServer, client: httpx.Client
) -> None:
    dataset = upload_csv(client, labelled_csv(200, seed=4)).json()
    model = wait_task(client, fit(client, dataset["id"], name="source", kind="sgd")["task_id"])
    assert model["status"] == "succeeded", model
    exported = client.get(f"/api/v1/models/{model['model_id']}/bundle")
    assert exported.status_code == 200
    with read_only(backend.models_dir):
        response = client.post(
            "/api/v1/models/fit",
            json={"name": "refused", "kind": "sgd", "dataset_id": dataset["id"]},
        )
        _says_which_folder(response, MODELS, backend)
        imported = client.post(
            "/api/v1/models/import",
            files={"file": ("model.zip", exported.content, "application/zip")},
            data={"sha256": exported.headers["x-bundle-sha256"]},
        )
        _says_which_folder(imported, MODELS, backend)


def test_a_fit_whose_worker_may_not_write_its_bundle_fails_with_the_reason(
    backend: BackendServer, client: httpx.Client
) -> None:
    dataset = upload_csv(client, slow_csv(3000), "slow.csv").json()
    task_id = fit(client, dataset["id"], name="unsaved", params=SLOW_PARAMS)["task_id"]
    wait_running(client, task_id)
    with read_only(backend.models_dir):  # queued and running: its bundle is next
        task = wait_task(client, task_id)
    assert task["status"] == "failed", task
    assert task["error"].startswith(f"training failed: the server cannot write to its {MODELS}")
    assert str(backend.root) not in task["error"]
    log = backend.output()
    assert f"task {task_id} failed on a file of its {MODELS}" in log
    assert str(backend.models_dir) in log  # the path: in the log only


def test_a_fit_on_a_dataset_the_server_may_not_read(
    backend: BackendServer, client: httpx.Client
) -> None:
    """At queueing (its labels are read then), and in the worker (the file changed after)."""
    dataset = upload_csv(client, labelled_csv(200, seed=5)).json()
    stored = backend.datasets_dir / f"{dataset['id']}.csv"
    with unreadable(stored):
        response = client.post(
            "/api/v1/models/fit",
            json={"name": "unread", "kind": "sgd", "dataset_id": dataset["id"]},
        )
    body = assert_problem(response, 500, f"dataset {dataset['id']} cannot be read", DATASETS)
    assert body["detail"].endswith(f"the server cannot read a file in its {DATASETS}; {CHECK}")
    assert str(backend.root) not in response.text
    # readable when queued, unreadable when the worker (one, busy) comes to it
    slow = upload_csv(client, slow_csv(3000), "slow.csv").json()
    busy = fit(client, slow["id"], name="busy", params=SLOW_PARAMS)["task_id"]
    wait_running(client, busy)
    task_id = fit(client, dataset["id"], name="unread", kind="sgd")["task_id"]
    with unreadable(stored):
        task = wait_task(client, task_id)
    assert task["status"] == "failed", task
    assert (
        task["error"]
        == f"training failed: the server cannot read a file in its {DATASETS}; {CHECK}"
    )
    log = backend.output()
    assert f"task {task_id} failed on a file of its {DATASETS}" in log
    assert str(stored) in log  # the path: in the log only
    assert wait_task(client, busy)["status"] == "succeeded"
