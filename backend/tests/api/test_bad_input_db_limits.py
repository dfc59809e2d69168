"""Input the database cannot store (too long for its column, a NUL character, an integer
over 32 bits) is a 422 that says what to fix, on SQLite and PostgreSQL alike, never a 500."""

import httpx
import pytest

from testkit.api import assert_problem, upload_csv, wait_task
from testkit.samples import labelled_csv

NUL = "a\x00b"


@pytest.fixture(scope="module")
def dataset(client: httpx.Client) -> dict:
    response = upload_csv(client, labelled_csv(60, seed=4242), "limits.csv")
    assert response.status_code in (200, 201), response.text
    return response.json()


def _fit(client: httpx.Client, dataset: dict, **overrides: object) -> httpx.Response:
    body = {"name": "limits", "kind": "logreg", "dataset_id": dataset["id"], **overrides}
    return client.post("/api/v1/models/fit", json=body)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "n" * 101),
        ("name", NUL),
        ("description", NUL),
        ("description", "d" * 2001),
        ("random_state", 2**31),
        ("random_state", 2**63),
        ("random_state", -1),
        ("dataset_id", NUL),
        ("dataset_id", "i" * 65),
        ("text_column", NUL),
        ("text_column", "c" * 301),
        ("label_column", NUL),
        ("preprocessing", {"custom_stop_words": [NUL]}),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_fit_fields_the_database_cannot_store(
    client: httpx.Client, dataset: dict, field: str, value: object
) -> None:
    before = len(client.get("/api/v1/models/").json())
    assert_problem(_fit(client, dataset, **{field: value}), 422)
    assert len(client.get("/api/v1/models/").json()) == before


def test_largest_random_state_is_stored(client: httpx.Client, dataset: dict) -> None:
    response = _fit(client, dataset, name="limits-seed", random_state=2**31 - 1)
    assert response.status_code == 202, response.text
    assert wait_task(client, response.json()["task_id"])["status"] == "succeeded"
    model = client.get(f"/api/v1/models/{response.json()['model_id']}").json()
    assert model["random_state"] == 2**31 - 1


@pytest.mark.parametrize("model_id", [NUL, "\x00"])
def test_model_ids_with_nul(client: httpx.Client, model_id: str) -> None:
    assert_problem(client.post("/api/v1/models/load", json={"model_id": model_id}), 422)
    assert_problem(client.post("/api/v1/models/unload", json={"model_id": model_id}), 422)
    response = client.post("/api/v1/models/predict", json={"model_id": model_id, "texts": ["x"]})
    assert_problem(response, 422)
    body = {"model_ids": [model_id], "texts": ["x"], "labels": [0]}
    assert_problem(client.post("/api/v1/models/predict_scores", json=body), 422)
    body = {"model_ids": ["m"], "dataset_id": model_id}
    assert_problem(client.post("/api/v1/models/predict_scores", json=body), 422)


@pytest.mark.parametrize(
    ("name", "fragment"), [("n" * 201, "200 characters"), (NUL, "nul"), ("ok\x00", "nul")]
)
def test_upload_names_the_database_cannot_store(
    client: httpx.Client, name: str, fragment: str
) -> None:
    before = {d["id"] for d in client.get("/api/v1/datasets").json()}
    response = upload_csv(client, labelled_csv(20, seed=len(name) + 77), "named.csv", name=name)
    assert_problem(response, 422, fragment)
    assert {d["id"] for d in client.get("/api/v1/datasets").json()} == before


def test_upload_name_at_its_limit(client: httpx.Client) -> None:
    response = upload_csv(client, labelled_csv(20, seed=4343), "named.csv", name="n" * 200)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "n" * 200


def test_long_upload_filename_is_shortened(client: httpx.Client) -> None:
    filename = "f" * 400 + ".csv"
    response = upload_csv(client, labelled_csv(20, seed=4444), filename)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert len(stored["filename"]) <= 300
    assert stored["filename"].endswith(".csv")
    assert len(stored["name"]) <= 200


def test_upload_filename_with_nul(client: httpx.Client) -> None:
    response = upload_csv(client, labelled_csv(20, seed=4545), "bad\x00name.csv")
    assert response.status_code in (201, 422), response.text
    if response.status_code == 201:  # a sanitised name, never the NUL
        assert "\x00" not in response.json()["filename"]
        assert "\x00" not in response.json()["name"]
    else:
        assert_problem(response, 422)
