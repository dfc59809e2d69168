"""Retrain and incremental training over the API, with lineage, on SQLite and PostgreSQL:
a retrain on the parent's data (every dataset it learnt from), new data and both; an
`sgd` version continued on new rows; 409 for a kind that cannot continue; 422 for new
classes or bad requests; a version's held-out split made again from the data its fit
read (both datasets of a retrain on both). Versions and deleted datasets:
test_model_versions_datasets.py."""

import csv
import io

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.data import REPO_ROOT
from testkit.samples import labelled_csv, multiclass_csv
from testkit.versions import finished_version


@pytest.fixture(scope="module")
def first(client: httpx.Client) -> dict:
    response = upload_csv(client, labelled_csv(200, seed=11), "first.csv")
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture(scope="module")
def second(client: httpx.Client) -> dict:
    response = upload_csv(client, labelled_csv(240, seed=12), "second.csv")
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture(scope="module")
def sgd_parent(client: httpx.Client, first: dict) -> dict:
    accepted = fit(
        client, first["id"], name="versions-sgd", kind="sgd", params={"regularization": 1e-4}
    )
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    return client.get(f"/api/v1/models/{accepted['model_id']}").json()


def _ids(model: dict) -> list[str]:
    return [d["id"] for d in model["lineage_datasets"]]


def _texts(content: bytes) -> list[str]:
    """The text column of a labelled_csv, by data row."""
    return [r["comment_text"] for r in csv.DictReader(io.StringIO(content.decode()))]


def _scored(client: httpx.Client, model_id: str, dataset_id: str, split: str) -> dict:
    response = client.post(
        "/api/v1/models/predict_scores",
        json={"model_ids": [model_id], "dataset_id": dataset_id, "split": split},
    )
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


def test_a_fit_records_its_lineage(sgd_parent: dict, first: dict) -> None:
    assert sgd_parent["source"] == "fit" and sgd_parent["parent_id"] is None
    assert sgd_parent["lineage_datasets"] == [
        {"id": first["id"], "name": first["name"], "sha256": first["sha256"], "rows": 200}
    ]
    assert sgd_parent["metrics"]["roc_auc"] > 0.9


def test_retrain_on_the_parents_data_keeps_kind_params_and_preprocessing(
    client: httpx.Client, sgd_parent: dict, first: dict
) -> None:
    child = finished_version(
        client, client.post(f"/api/v1/models/{sgd_parent['id']}/retrain", json={})
    )
    assert child["name"] == sgd_parent["name"] and child["version"] == sgd_parent["version"] + 1
    assert child["kind"] == "sgd" and child["params"] == sgd_parent["params"]
    assert child["preprocessing"] == sgd_parent["preprocessing"]
    assert child["source"] == "retrain"
    assert (child["parent_id"], child["parent_version"]) == (
        sgd_parent["id"],
        sgd_parent["version"],
    )
    assert _ids(child) == [first["id"]] and child["metrics"]["n_train"] == 160
    listed = [m for m in client.get("/api/v1/models/").json() if m["id"] == child["id"]]
    assert listed[0]["source"] == "retrain" and listed[0]["parent_id"] == sgd_parent["id"]


def test_retrain_on_both_datasets_with_overrides(
    client: httpx.Client, sgd_parent: dict, first: dict, second: dict
) -> None:
    body = {
        "data": "both",
        "dataset_id": second["id"],
        "params": {"regularization": 1e-5},
        "preprocessing": {"lowercase": False},
        "description": "more data",
    }
    child = finished_version(
        client, client.post(f"/api/v1/models/{sgd_parent['id']}/retrain", json=body)
    )
    assert _ids(child) == [first["id"], second["id"]]
    assert child["params"]["regularization"] == 1e-5
    assert child["params"]["n_features"] == sgd_parent["params"]["n_features"]
    assert child["preprocessing"]["lowercase"] is False and child["description"] == "more data"
    # both files concatenated: 440 rows read (none repeated across them)
    assert child["preprocessing_report"]["rows_read"] == 440
    assert child["metrics"]["n_train"] + child["metrics"]["n_test"] == 440


def test_retrain_on_the_parents_data_reads_every_dataset_it_learnt_from(
    client: httpx.Client, sgd_parent: dict, first: dict, second: dict
) -> None:
    """A retrain on both, and a version continued on new rows, learnt from both datasets:
    their retrain on the parent's data reads both, not only the first."""
    base = f"/api/v1/models/{sgd_parent['id']}"
    both = {"data": "both", "dataset_id": second["id"]}
    grown = finished_version(client, client.post(f"{base}/retrain", json=both))
    continued = finished_version(
        client, client.post(f"{base}/incremental", json={"dataset_id": second["id"]})
    )
    for parent in (grown, continued):
        url = f"/api/v1/models/{parent['id']}/retrain"
        child = finished_version(client, client.post(url, json={"data": "parent"}))
        assert _ids(child) == [first["id"], second["id"]], parent["source"]
        assert child["preprocessing_report"]["rows_read"] == 440


def test_retrain_on_new_data(client: httpx.Client, sgd_parent: dict, second: dict) -> None:
    body = {"data": "new", "dataset_id": second["id"]}
    child = finished_version(
        client, client.post(f"/api/v1/models/{sgd_parent['id']}/retrain", json=body)
    )
    assert _ids(child) == [second["id"]] and child["dataset_id"] == second["id"]
    assert child["preprocessing_report"]["rows_read"] == 240


def test_retrain_refuses_bad_requests(client: httpx.Client, sgd_parent: dict, first: dict) -> None:
    url = f"/api/v1/models/{sgd_parent['id']}/retrain"
    # a rule between fields is the body's own: "Invalid request", on the whole body
    problem = assert_problem(client.post(url, json={"data": "new"}), 422, "needs a dataset_id")
    assert problem["title"] == "Invalid request" and problem["errors"][0]["loc"] == []
    assert_problem(
        client.post(url, json={"dataset_id": first["id"]}), 422, "only with data 'new' or 'both'"
    )
    # a param is checked against the parent's kind, and said as /fit says it
    for params, where, what in (
        ({"regularization": -1}, "regularization", "greater than"),
        ({"C": 1}, "C", "Extra inputs are not permitted"),
    ):
        problem = assert_problem(client.post(url, json={"params": params}), 422, what)
        assert problem["title"] == "Invalid request"
        assert [e["loc"] for e in problem["errors"]] == [["params", where]], problem
        assert problem["detail"].startswith(f"params.{where}: ")
    # a retrain keeps its parent's kind: another kind in params is refused, as /fit does
    response = client.post(url, json={"params": {"kind": "naive_bayes"}})
    assert_problem(response, 422, "params.kind 'naive_bayes' contradicts", "'sgd'")
    assert_problem(client.post(url, json={"data": "some"}), 422)
    assert_problem(client.post("/api/v1/models/nope/retrain", json={}), 404)


def test_retrain_refuses_params_its_data_cannot_fit(client: httpx.Client, first: dict) -> None:
    accepted = fit(client, first["id"], name="versions-logreg", params={"min_df": 1})
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    url = f"/api/v1/models/{accepted['model_id']}/retrain"
    three = multiclass_csv().replace(b"text,topic", b"comment_text,toxic", 1)
    dataset = upload_csv(client, three, "three-classes.csv").json()
    body = {"data": "new", "dataset_id": dataset["id"], "params": {"solver": "liblinear"}}
    response = client.post(url, json=body)
    assert_problem(response, 422, "'liblinear' handles two classes only", "has 3")
    # the parent's 200 rows, 20 % held out: 160 texts to train on
    response = client.post(url, json={"params": {"min_df": 161}})
    assert_problem(response, 422, "params.min_df 161 is more than the 160 texts")
    versions = client.get("/api/v1/models", params={"name": "versions-logreg"}).json()
    assert [m["version"] for m in versions if m["name"] == "versions-logreg"] == [1]


def test_incremental_continues_an_sgd_version(
    client: httpx.Client, sgd_parent: dict, first: dict, second: dict
) -> None:
    body = {"dataset_id": second["id"], "epochs": 3}
    url = f"/api/v1/models/{sgd_parent['id']}/incremental"
    child = finished_version(client, client.post(url, json=body))
    assert child["source"] == "incremental" and child["parent_id"] == sgd_parent["id"]
    assert child["kind"] == "sgd" and child["params"] == sgd_parent["params"]
    assert _ids(child) == [first["id"], second["id"]]  # what it has seen, in order
    assert child["dataset_id"] == second["id"] and child["metrics"]["n_train"] == 192
    assert child["metrics"]["roc_auc"] > 0.9
    assert child["preprocessing_report"]["known_token_share"] > 0.8  # the same words
    assert sgd_parent["preprocessing_report"]["known_token_share"] is None  # a fit
    assert client.post("/api/v1/models/load", json={"model_id": child["id"]}).status_code == 200
    answer = client.post(
        "/api/v1/models/predict",
        json={"model_id": child["id"], "texts": ["you are a stupid idiot", "nice photo"]},
    ).json()
    assert [p["label"] for p in answer["predictions"]] == [1, 0]
    client.post("/api/v1/models/unload", json={"model_id": child["id"]})


def test_a_continuation_on_rows_of_another_language_says_how_few_words_it_knew(
    client: httpx.Client, sgd_parent: dict
) -> None:
    reviews = (REPO_ROOT / "demo_data" / "ru_reviews_demo.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(reviews)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["comment_text", "toxic"])  # the parent's columns and classes
    writer.writerows([r["text"], int(r["label"] == "negative")] for r in rows)
    russian = upload_csv(client, out.getvalue().encode(), "russian-rows.csv").json()
    url = f"/api/v1/models/{sgd_parent['id']}/incremental"

    child = finished_version(client, client.post(url, json={"dataset_id": russian["id"]}))

    assert child["preprocessing_report"]["known_token_share"] < 0.2


def test_incremental_refusals(client: httpx.Client, first: dict, second: dict) -> None:
    accepted = fit(client, first["id"], name="versions-logreg", params={"min_df": 1})
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    body = assert_problem(
        client.post(
            f"/api/v1/models/{accepted['model_id']}/incremental",
            json={"dataset_id": second["id"]},
        ),
        409,
        "cannot continue training",
        "retrain",
    )
    assert "sgd" in body["detail"]
    topics = upload_csv(client, multiclass_csv(), "topics.csv").json()
    sgd = fit(
        client,
        topics["id"],
        name="versions-topics",
        kind="sgd",
        text_column="text",
        label_column="topic",
    )
    assert wait_task(client, sgd["task_id"])["status"] == "succeeded"
    more = multiclass_csv(seed=9).decode().replace(",food", ",music").encode()
    music = upload_csv(client, more, "music.csv").json()
    assert_problem(
        client.post(
            f"/api/v1/models/{sgd['model_id']}/incremental", json={"dataset_id": music["id"]}
        ),
        422,
        "music",
        "cannot add classes",
    )
    # a dataset without the parent's columns
    assert_problem(
        client.post(
            f"/api/v1/models/{sgd['model_id']}/incremental", json={"dataset_id": first["id"]}
        ),
        422,
        "text",
    )
    assert_problem(
        client.post(f"/api/v1/models/{sgd['model_id']}/incremental", json={"dataset_id": "x"}),
        404,
    )
    assert_problem(
        client.post(
            f"/api/v1/models/{sgd['model_id']}/incremental",
            json={"dataset_id": topics["id"], "epochs": 0},
        ),
        422,
    )


def test_a_retrain_chooses_its_threshold_by_the_parents_objective(
    client: httpx.Client, first: dict, second: dict
) -> None:
    """Not the default (max F1), and without the parent's threshold history: the child's
    cut is its own, chosen on its own held-out rows."""
    objective = {"objective": "recall_at_precision", "min_precision": 0.9}
    accepted = fit(client, first["id"], name="versions-objective", threshold=objective)
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    changed = client.put(
        f"/api/v1/models/{accepted['model_id']}/thresholds", json={"objective": objective}
    )
    assert changed.status_code == 200, changed.text
    parent_id = changed.json()["model_id"]  # a version with a threshold history
    assert changed.json()["history"]
    child = finished_version(
        client,
        client.post(
            f"/api/v1/models/{parent_id}/retrain",
            json={"data": "new", "dataset_id": second["id"]},
        ),
    )
    assert child["thresholds"]["objective"]["objective"] == "recall_at_precision"
    assert child["thresholds"]["source"] == "fit"
    assert child["threshold_history"] == []


def test_a_retrain_on_both_is_scored_on_the_split_its_fit_made(
    client: httpx.Client, sgd_parent: dict, first: dict, second: dict
) -> None:
    """Its held-out rows come from both datasets concatenated, as its fit split them: on
    either dataset, split "test" scores those rows, so the figures are its stored ones
    (not the first dataset split alone, which holds rows it trained on)."""
    body = {"data": "both", "dataset_id": second["id"]}
    child = finished_version(
        client, client.post(f"/api/v1/models/{sgd_parent['id']}/retrain", json=body)
    )
    metrics = child["metrics"]
    assert metrics["n_test"] == 88  # 20 % of 440
    for dataset in (first, second):
        result = _scored(client, child["id"], dataset["id"], "test")
        assert result["split"] == "test" and result["includes_training_rows"] is False
        assert result["n_rows"] == metrics["n_test"]
        assert result["roc_auc"] == pytest.approx(metrics["roc_auc"], abs=1e-4)
        every = _scored(client, child["id"], dataset["id"], "all")
        assert every["includes_training_rows"] is True
    errors = client.get(f"/api/v1/models/{child['id']}/errors", params={"limit": 1000}).json()
    assert errors["n_test"] == metrics["n_test"]
    # each mistake names its dataset and its row in that dataset's CSV
    texts = {
        first["id"]: _texts(labelled_csv(200, seed=11)),
        second["id"]: _texts(labelled_csv(240, seed=12)),
    }
    for row in errors["rows"]:
        assert texts[row["dataset_id"]][row["row"]] == row["text"], row
    # a threshold chosen by an objective is chosen on the same rows, and its version (a copy
    # of this one) is scored on them too
    objective = {"objective": "recall_at_precision", "min_precision": 0.8}
    changed = client.put(f"/api/v1/models/{child['id']}/thresholds", json={"objective": objective})
    assert changed.status_code == 200, changed.text
    copy = client.get(f"/api/v1/models/{changed.json()['model_id']}").json()
    assert copy["metrics"]["n_test"] == metrics["n_test"]
    assert _scored(client, copy["id"], second["id"], "test")["n_rows"] == metrics["n_test"]
    # exported and imported, it still names its own dataset (the parent's, the first of
    # its lineage), not the lineage's last one
    bundle = client.get(f"/api/v1/models/{child['id']}/bundle")
    assert bundle.status_code == 200, bundle.text
    imported = client.post(
        "/api/v1/models/import",
        files={"file": ("both.zip", bundle.content, "application/zip")},
        data={"sha256": bundle.headers["x-bundle-sha256"], "name": "both-imported"},
    )
    assert imported.status_code == 201, imported.text
    copied = imported.json()
    assert (copied["dataset_name"], copied["dataset_sha256"]) == (
        child["dataset_name"],
        child["dataset_sha256"],
    )
    assert child["dataset_name"] == first["name"] != second["name"]


def test_an_incremental_version_counts_as_trained_on_its_parents_data(
    client: httpx.Client, sgd_parent: dict, first: dict, second: dict
) -> None:
    """Continued on `second`, it was trained on `first` through its parent: scored on every
    row of `first`, its training rows are included; its own held-out split is the one its
    continued fit set aside (of `second`), whose figures its metrics hold."""
    url = f"/api/v1/models/{sgd_parent['id']}/incremental"
    child = finished_version(client, client.post(url, json={"dataset_id": second["id"]}))
    every = _scored(client, child["id"], first["id"], "all")
    assert every["split"] == "all" and every["includes_training_rows"] is True
    assert every["n_rows"] == 200
    held = _scored(client, child["id"], first["id"], "test")
    assert held["split"] == "test" and held["includes_training_rows"] is False
    assert held["n_rows"] == child["metrics"]["n_test"] == 48
    assert held["roc_auc"] == pytest.approx(child["metrics"]["roc_auc"], abs=1e-4)
