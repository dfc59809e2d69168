"""Versions and the datasets they learnt from, over the API on SQLite and PostgreSQL: a
dataset's deletion counts every version trained on it (its lineage's too), a retrain on
the parent's data names a dataset deleted since, and a continuation on data that repeats
its parent's rows is not scored on them."""

import uuid

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.samples import SLOW_PARAMS, labelled_csv, slow_csv
from testkit.versions import finished_version


def test_retrain_on_the_parents_data_names_a_deleted_dataset(client: httpx.Client) -> None:
    seed = uuid.uuid4().int % 10**9  # bytes of their own (see below)
    one = upload_csv(client, labelled_csv(200, seed=seed), "gone-one.csv").json()
    two = upload_csv(client, labelled_csv(200, seed=seed + 1), "gone-two.csv").json()
    parent = fit(client, one["id"], name="gone-sgd", kind="sgd")
    assert wait_task(client, parent["task_id"])["status"] == "succeeded"
    both = {"data": "both", "dataset_id": two["id"]}
    url = f"/api/v1/models/{parent['model_id']}/retrain"
    grown = finished_version(client, client.post(url, json=both))
    deleted = client.delete(f"/api/v1/datasets/{two['id']}", params={"force": "true"})
    assert deleted.status_code == 204, deleted.text

    response = client.post(f"/api/v1/models/{grown['id']}/retrain", json={})

    assert_problem(response, 409, f"({two['name']}) has been deleted; retrain it on a new")


def test_deleting_a_dataset_counts_every_version_trained_on_it(client: httpx.Client) -> None:
    """Versions that used it through their lineage count; a fit cancelled before it
    trained does not."""
    # bytes of their own: an upload of bytes stored before is that dataset, with its models
    seed = uuid.uuid4().int % 10**9
    one = upload_csv(client, labelled_csv(200, seed=seed), "count-one.csv").json()
    two = upload_csv(client, labelled_csv(200, seed=seed + 1), "count-two.csv").json()
    parent = fit(client, one["id"], name="count-sgd", kind="sgd")
    assert wait_task(client, parent["task_id"])["status"] == "succeeded"
    base = f"/api/v1/models/{parent['model_id']}"
    finished_version(client, client.post(f"{base}/incremental", json={"dataset_id": two["id"]}))
    both = {"data": "both", "dataset_id": two["id"]}
    finished_version(client, client.post(f"{base}/retrain", json=both))
    # one: the parent, the retrain (its dataset_id) and the incremental version (lineage)
    assert_problem(
        client.delete(f"/api/v1/datasets/{one['id']}"), 409, "was used to train 3 models"
    )
    # two: the incremental version (its dataset_id) and the retrain on both (lineage)
    assert_problem(
        client.delete(f"/api/v1/datasets/{two['id']}"), 409, "was used to train 2 models"
    )
    slow = upload_csv(client, slow_csv(), "count-slow.csv").json()
    queued = fit(client, slow["id"], name="count-cancelled", kind="linear_svc", params=SLOW_PARAMS)
    cancelled = client.post(f"/api/v1/tasks/{queued['task_id']}/cancel")
    assert cancelled.status_code == 202, cancelled.text
    assert client.get(f"/api/v1/models/{queued['model_id']}").json()["status"] == "cancelled"
    assert client.delete(f"/api/v1/datasets/{slow['id']}").status_code == 204


def test_a_continuation_on_data_repeating_its_parents_rows_is_not_scored_on_them(
    client: httpx.Client,
) -> None:
    """New data that repeats the parent's rows (last month's export and this month's): the
    rows the parent trained on are trained on again, not held out, and every figure made
    on the held-out split again (predict_scores, errors) leaves them out as the fit did."""
    seed = uuid.uuid4().int % 10**9
    old = labelled_csv(200, seed=seed)
    one = upload_csv(client, old, "repeat-one.csv").json()
    parent = fit(client, one["id"], name="repeat-sgd", kind="sgd")
    assert wait_task(client, parent["task_id"])["status"] == "succeeded"
    new_rows = labelled_csv(200, seed=seed + 1).decode().split("\n", 1)[1]
    both = upload_csv(client, old + new_rows.encode(), "repeat-both.csv").json()
    url = f"/api/v1/models/{parent['model_id']}/incremental"
    child = finished_version(client, client.post(url, json={"dataset_id": both["id"]}))
    moved = child["preprocessing_report"]["held_out_seen_by_parent"]
    metrics = child["metrics"]
    assert moved > 10 and metrics["n_test"] == 80 - moved
    assert metrics["n_train"] == 320 + moved
    scored = client.post(
        "/api/v1/models/predict_scores",
        json={"model_ids": [child["id"]], "dataset_id": both["id"], "split": "test"},
    )
    assert scored.status_code == 200, scored.text
    result = scored.json()["results"][0]
    assert result["n_rows"] == metrics["n_test"]
    assert result["roc_auc"] == pytest.approx(metrics["roc_auc"], abs=1e-4)
    errors = client.get(f"/api/v1/models/{child['id']}/errors", params={"limit": 1000}).json()
    assert errors["n_test"] == metrics["n_test"]
