"""A multi-label model through the API: fit on several 0/1 columns, predict (a probability
per label and the labels that apply), predict_csv (a column per label), scores and
mistakes per label, and the 422s for columns that cannot be multi-label."""

import csv
import io
from collections.abc import Iterator

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.multilabel_samples import MULTILABEL_COLUMNS, multilabel_csv
from testkit.samples import labelled_csv
from testkit.servers import BackendServer

API = "/api/v1/models"


@pytest.fixture(scope="module")
def api(sqlite_server: BackendServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sqlite_server.base_url, timeout=120) as c:
        yield c


@pytest.fixture(scope="module")
def trained(api: httpx.Client) -> tuple[dict, dict]:
    dataset = upload_csv(api, multilabel_csv(400), "multi.csv").json()
    accepted = fit(
        api,
        dataset["id"],
        name="multi-logreg",
        label_columns=MULTILABEL_COLUMNS,
        params={"min_df": 1},
    )
    task = wait_task(api, accepted["task_id"])
    assert task["status"] == "succeeded", task
    model = api.get(f"{API}/{accepted['model_id']}").json()
    api.post(f"{API}/load", json={"model_id": model["id"]}).raise_for_status()
    return dataset, model


def test_the_model_knows_its_labels_and_their_metrics(trained: tuple[dict, dict]) -> None:
    _, model = trained
    assert model["label_columns"] == MULTILABEL_COLUMNS
    assert model["classes"] == MULTILABEL_COLUMNS
    per_label = model["metrics"]["per_class"]
    assert [c["label"] for c in per_label] == MULTILABEL_COLUMNS
    assert all(c["roc_auc"] > 0.9 and c["fpr"] for c in per_label)
    mean = sum(c["roc_auc"] for c in per_label) / len(per_label)
    assert model["metrics"]["roc_auc"] == pytest.approx(mean)


def test_predict_gives_each_label_and_those_that_apply(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    _, model = trained
    response = api.post(
        f"{API}/predict",
        json={"model_id": model["id"], "texts": ["you moron, watch your back", "good source"]},
    )
    assert response.status_code == 200, response.text
    first, second = response.json()["predictions"]
    assert [p["label"] for p in first["probabilities"]] == MULTILABEL_COLUMNS
    assert {"insult", "threat"} <= set(first["labels"]) and second["labels"] == []
    assert first["label"] == ", ".join(first["labels"]) and second["label"] == ""
    by_label = {p["label"]: p["probability"] for p in first["probabilities"]}
    assert by_label["insult"] > 0.5 and by_label["threat"] > 0.5
    assert first["confidence"] == max(by_label[name] for name in first["labels"])


def test_predict_csv_writes_a_probability_column_per_label(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    _, model = trained
    content = b"comment_text\nyou idiot\nthanks for the edit\n"
    response = api.post(
        f"{API}/predict_csv",
        data={"model_id": model["id"]},
        files={"file": ("in.csv", content, "text/csv")},
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    header = list(rows[0])
    assert header[1:3] == ["Result", "Confidence"]
    assert [f"P({c})" for c in MULTILABEL_COLUMNS] == header[3:6]
    for row in rows:  # Result: the labels over the threshold, in the model's order
        over = [c for c in MULTILABEL_COLUMNS if float(row[f"P({c})"]) >= 0.5]
        assert row["Result"] == ", ".join(over)
    assert "insult" in rows[0]["Result"].split(", ") and rows[1]["Result"] == ""


def test_scores_on_the_held_out_split_are_per_label(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    dataset, model = trained
    response = api.post(
        f"{API}/predict_scores",
        json={"model_ids": [model["id"]], "dataset_id": dataset["id"], "split": "test"},
    )
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["multilabel"] and result["split"] == "test"
    assert result["n_rows"] == model["metrics"]["n_test"]
    assert result["roc_auc"] == pytest.approx(model["metrics"]["roc_auc"])
    assert [c["label"] for c in result["per_class"]] == MULTILABEL_COLUMNS
    assert all(c["fpr"] and c["tpr"] for c in result["per_class"])
    errors = api.get(f"{API}/{model['id']}/errors", params={"limit": 3}).json()
    assert errors["n_test"] == result["n_rows"] and len(errors["rows"]) <= 3


def test_label_columns_that_cannot_be_multilabel_are_422(api: httpx.Client) -> None:
    dataset = upload_csv(api, labelled_csv(60), "single.csv").json()
    body = {"name": "bad-multi", "kind": "logreg", "dataset_id": dataset["id"]}
    response = api.post(f"{API}/fit", json={**body, "label_columns": ["toxic", "id"]})
    assert_problem(response, 422, "'id'", "0 or 1")
    response = api.post(f"{API}/fit", json={**body, "label_columns": ["toxic", "nope"]})
    assert_problem(response, 422, "nope")
    response = api.post(f"{API}/fit", json={**body, "label_columns": ["toxic", "toxic"]})
    assert_problem(response, 422, "different columns")


def test_decision_thresholds_are_refused_for_a_multilabel_model(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    _, model = trained
    response = api.put(
        f"{API}/{model['id']}/thresholds", json={"thresholds": {MULTILABEL_COLUMNS[1]: 0.3}}
    )
    assert_problem(response, 422, "multi-label")


def test_an_exported_multilabel_model_imports_as_multilabel(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    _, model = trained
    bundle = api.get(f"{API}/{model['id']}/bundle")
    assert bundle.status_code == 200, bundle.text
    response = api.post(
        f"{API}/import",
        files={"file": ("model.zip", bundle.content, "application/zip")},
        data={"sha256": bundle.headers["x-bundle-sha256"], "name": "multi-imported"},
    )
    assert response.status_code in (200, 201), response.text
    imported = response.json()
    assert imported["label_columns"] == MULTILABEL_COLUMNS
    api.post(f"{API}/load", json={"model_id": imported["id"]}).raise_for_status()
    answer = api.post(
        f"{API}/predict", json={"model_id": imported["id"], "texts": ["you moron"]}
    ).json()
    assert "labels" in answer["predictions"][0]


def test_a_retrained_multilabel_model_keeps_its_label_columns(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    _, model = trained
    response = api.post(f"{API}/{model['id']}/retrain", json={})
    assert response.status_code == 202, response.text
    task = wait_task(api, response.json()["task_id"])
    assert task["status"] == "succeeded", task
    child = api.get(f"{API}/{response.json()['model_id']}").json()
    assert child["label_columns"] == MULTILABEL_COLUMNS
    assert child["classes"] == MULTILABEL_COLUMNS
    assert child["thresholds"] is None
    continued = api.post(f"{API}/{model['id']}/incremental", json={"dataset_id": trained[0]["id"]})
    assert_problem(continued, 409, "multi-label", "retrain")


def test_a_multilabel_answer_can_be_explained(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    """Texts with no label and with several labels: each explains its most probable one."""
    _, model = trained
    texts = ["you moron, watch your back", "good source"]
    response = api.post(
        f"{API}/predict", json={"model_id": model["id"], "texts": texts, "explain": True}
    )
    assert response.status_code == 200, response.text
    for prediction in response.json()["predictions"]:
        top = max(prediction["probabilities"], key=lambda c: c["probability"])["label"]
        assert prediction["explanation"]["label"] == top
