"""A multi-label model through the API: fit on several 0/1 columns, predict (a probability
per label and the labels that apply), predict_csv (a column per label), scores and
mistakes per label, a decision threshold per label (chosen at fit, changed later), and the
422s for columns that cannot be multi-label."""

import csv
import io
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from sklearn.metrics import f1_score

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


def test_a_names_versions_are_all_multi_label_or_all_single_label(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    """Their feedback, thresholds and comparisons assume one shape of answer."""
    dataset, model = trained

    def versions(name: str) -> int:
        return [m["name"] for m in api.get(f"{API}/", params={"limit": 1000}).json()].count(name)

    before = versions(model["name"])
    single = {"name": model["name"], "kind": "logreg", "dataset_id": dataset["id"]}
    single["label_column"] = MULTILABEL_COLUMNS[0]
    problem = assert_problem(api.post(f"{API}/fit", json=single), 409, "another name")
    assert "'multi-logreg' belongs to multi-label models" in problem["detail"]
    plain = fit(api, dataset["id"], name="single-first", label_column=MULTILABEL_COLUMNS[0])
    assert wait_task(api, plain["task_id"])["status"] == "succeeded"
    multi = {**single, "name": "single-first", "label_columns": MULTILABEL_COLUMNS}
    problem = assert_problem(api.post(f"{API}/fit", json=multi), 409, "this multi-label model")
    assert "'single-first' belongs to single-label models" in problem["detail"]
    assert versions("single-first") == 1 and versions(model["name"]) == before  # none kept


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
    cuts = cuts_in_force(api, model["id"])
    for row in rows:  # Result: the labels over their thresholds, in the model's order
        over = [c for c in MULTILABEL_COLUMNS if float(row[f"P({c})"]) >= cuts[c]]
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
    # each row's probability and truth per label: the fit's thresholds were chosen on these
    assert len(result["label_scores"]) == len(result["label_truths"]) == result["n_rows"]
    for i, threshold in enumerate(model["thresholds"]["thresholds"]):
        pairs = zip(result["label_scores"], result["label_truths"], strict=True)
        tp = sum(1 for score, truth in pairs if truth[i] and score[i] >= threshold["threshold"])
        assert tp == threshold["tp"]
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
    # label_column beside label_columns is their first or nothing, never silently dropped
    both = {**body, "label_column": "toxic", "label_columns": ["severe_toxic", "toxic"]}
    problem = assert_problem(api.post(f"{API}/fit", json=both), 422, "label_column 'toxic'")
    assert problem["title"] == "Invalid request", problem


def test_a_fit_chooses_a_threshold_per_label_on_the_held_out_split(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    dataset, model = trained
    chosen = model["thresholds"]
    assert chosen["source"] == "fit" and chosen["objective"]["objective"] == "max_f1"
    assert [t["label"] for t in chosen["thresholds"]] == MULTILABEL_COLUMNS
    assert model["metrics"]["threshold_figures"] in ("cross_fitted", "partly_cross_fitted")
    stored = {c["label"]: c for c in model["metrics"]["per_class"]}
    body = {"model_ids": [model["id"]], "dataset_id": dataset["id"], "split": "test"}
    (held_out,) = api.post(f"{API}/predict_scores", json=body).json()["results"]
    scores, truths = np.asarray(held_out["label_scores"]), np.asarray(held_out["label_truths"])
    for i, threshold in enumerate(chosen["thresholds"]):
        counts = threshold["tp"] + threshold["fp"] + threshold["fn"] + threshold["tn"]
        assert counts == model["metrics"]["n_test"]
        assert threshold["tp"] + threshold["fn"] == stored[threshold["label"]]["support"]
        # the best F1 over every cut on these rows: never below that of the cut at 0.5
        at_half = f1_score(truths[:, i], scores[:, i] >= 0.5, zero_division=0)
        assert threshold["f1"] >= at_half - 1e-6
        assert threshold["threshold"] != 0.5
    assert model["threshold_history"] == []
    read = api.get(f"{API}/{model['id']}/thresholds").json()
    assert read["thresholds"] == chosen and read["history"] == []


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
    # the bundle holds the thresholds its fit chose: the copy decides as the original did
    assert imported["thresholds"] == model["thresholds"]
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
    # its own thresholds, chosen on its own held-out split by the parent's objective
    chosen = child["thresholds"]
    assert chosen["source"] == "fit" and child["threshold_history"] == []
    assert chosen["objective"] == model["thresholds"]["objective"]
    assert [t["label"] for t in chosen["thresholds"]] == MULTILABEL_COLUMNS
    assert chosen["set_at"] != model["thresholds"]["set_at"]
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


def test_a_multilabel_answer_is_explained_for_the_label_asked(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    """Any of the labels, applying or not, not only the most probable one."""
    _, model = trained
    texts = ["you moron, watch your back", "good source"]
    for label in MULTILABEL_COLUMNS:
        body = {"model_id": model["id"], "texts": texts, "explain": True, "explain_label": label}
        response = api.post(f"{API}/predict", json=body)
        assert response.status_code == 200, response.text
        assert [p["explanation"]["label"] for p in response.json()["predictions"]] == [
            label,
            label,
        ]


def cuts_in_force(api: httpx.Client, model_id: str) -> dict[str, float]:
    read = api.get(f"{API}/{model_id}/thresholds").json()
    return {t["label"]: t["threshold"] for t in read["thresholds"]["thresholds"]}


def predicted(api: httpx.Client, model_id: str, texts: list[str]) -> list[dict]:
    response = api.post(f"{API}/predict", json={"model_id": model_id, "texts": texts})
    assert response.status_code == 200, response.text
    return response.json()["predictions"]


TEXTS = ["you moron, watch your back", "good source", "damn clown", "see the talk page crap"]


def test_per_label_thresholds_change_without_retraining_and_predictions_follow(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    """Each change is the next version of the name; the model changed keeps its own."""
    _, model = trained
    before = cuts_in_force(api, model["id"])
    answers = predicted(api, model["id"], TEXTS)
    insult = [{p["label"]: p["probability"] for p in a["probabilities"]}["insult"] for a in answers]
    assert max(insult) >= before["insult"]  # some text has it now
    # a threshold above every text's insult probability: no text has it any more
    high = round(min(max(insult) + 1e-3, 1.0), 6)
    response = api.put(f"{API}/{model['id']}/thresholds", json={"thresholds": {"insult": high}})
    assert response.status_code == 200, response.text
    read = response.json()
    assert read["thresholds"]["source"] == "manual" and read["thresholds"]["objective"] is None
    assert read["history"] == [model["thresholds"]]
    assert read["parent_id"] == model["id"] and read["model_id"] != model["id"]
    child = read["model_id"]
    by_label = {t["label"]: t for t in read["thresholds"]["thresholds"]}
    assert list(by_label) == MULTILABEL_COLUMNS  # the other labels kept as they were
    assert by_label["insult"]["threshold"] == high and by_label["insult"]["f1"] is not None
    kept = {t["label"]: t for t in model["thresholds"]["thresholds"]}
    assert by_label["threat"] == kept["threat"] and by_label["obscene"] == kept["obscene"]
    assert cuts_in_force(api, model["id"]) == before  # the parent is unchanged
    cuts = cuts_in_force(api, child)
    for answer in predicted(api, child, TEXTS):
        probability = {p["label"]: p["probability"] for p in answer["probabilities"]}
        assert "insult" not in answer["labels"]
        assert answer["labels"] == [c for c in MULTILABEL_COLUMNS if probability[c] >= cuts[c]]
        assert answer["label"] == ", ".join(answer["labels"])
    # a threshold of 0: every text has the label; predict_csv's Result too
    response = api.put(f"{API}/{child}/thresholds", json={"thresholds": {"threat": 0.0}})
    response.raise_for_status()
    grandchild = response.json()["model_id"]
    assert all("threat" in a["labels"] for a in predicted(api, grandchild, TEXTS))
    content = ("comment_text\n" + "\n".join(TEXTS) + "\n").encode()
    response = api.post(
        f"{API}/predict_csv",
        data={"model_id": grandchild},
        files={"file": ("in.csv", content, "text/csv")},
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert all("threat" in row["Result"].split(", ") for row in rows)
    assert not any("insult" in row["Result"].split(", ") for row in rows)
    assert cuts_in_force(api, grandchild)["insult"] == high  # kept by the threat change


def test_an_objective_chooses_every_label_again(
    api: httpx.Client, trained: tuple[dict, dict]
) -> None:
    _, model = trained
    url = f"{API}/{model['id']}/thresholds"
    history = len(api.get(url).json()["history"])
    objective = {"objective": "min_cost", "cost_fp": 1, "cost_fn": 20}
    response = api.put(url, json={"objective": objective})
    assert response.status_code == 200, response.text
    read = response.json()
    assert read["thresholds"]["source"] == "objective" and len(read["history"]) == history + 1
    chosen = {t["label"]: t for t in read["thresholds"]["thresholds"]}
    fitted = {t["label"]: t for t in model["thresholds"]["thresholds"]}
    assert list(chosen) == MULTILABEL_COLUMNS
    for label, threshold in chosen.items():
        # a dear false negative: a cut no higher than max F1's, missing no more positives
        assert threshold["threshold"] <= fitted[label]["threshold"]
        assert threshold["fn"] <= fitted[label]["fn"]
        assert threshold["tp"] + threshold["fn"] == fitted[label]["tp"] + fitted[label]["fn"]
    assert api.get(f"{API}/{read['model_id']}").json()["thresholds"] == read["thresholds"]


def test_bad_per_label_thresholds_are_422(api: httpx.Client, trained: tuple[dict, dict]) -> None:
    _, model = trained
    url = f"{API}/{model['id']}/thresholds"
    before = api.get(url).json()
    response = api.put(url, json={"thresholds": {"insult": 0.4, "nope": 0.3}})
    assert_problem(response, 422, "no label", "nope")
    assert_problem(api.put(url, json={"thresholds": {"threat": 1.5}}), 422, "between 0 and 1")
    assert api.get(url).json() == before  # nothing changed, nothing added to the history
