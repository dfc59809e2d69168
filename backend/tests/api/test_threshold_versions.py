"""A decision-threshold change is the next version of the model's name, on a real server:
lineage source `thresholds`, its own bundle (exported and imported, the copy decides at the
new threshold), metrics and mistakes at the threshold in force, loaded only when its
parent is, aliases moved only when asked. Binary (SQLite and PostgreSQL) and multi-label."""

import io
import json
import zipfile

import httpx
import numpy as np
import pytest

from app.ml.thresholds import choose_cut
from shared.schemas.thresholds import ThresholdObjective
from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.multilabel_samples import MULTILABEL_COLUMNS, multilabel_csv
from testkit.samples import labelled_csv
from testkit.servers import BackendServer

API = "/api/v1/models"
TEXTS = [
    "you stupid idiot",
    "thanks for the source",
    "what a moron, shut up",
    "could you explain the edit",
    "idiot",
]


def _counts(threshold: dict) -> tuple[int, int, int, int]:
    return threshold["tp"], threshold["fp"], threshold["fn"], threshold["tn"]


def _assert_binary_metrics_at(model: dict) -> None:
    """The stored metrics are the held-out figures at the model's threshold in force: the
    same figures as the threshold's when it was given by hand; cross-fitted (each row
    decided at a cut chosen on the other half of the rows) when an objective chose it on
    them, then one set of decisions on the same rows, but not the threshold's own counts."""
    (threshold,) = model["thresholds"]["thresholds"]
    metrics = model["metrics"]
    assert metrics["decision_thresholds"] == {"1": threshold["threshold"]}
    by_hand = model["thresholds"]["source"] == "manual"
    assert metrics["threshold_figures"] == ("fixed" if by_hand else "cross_fitted")
    (tn, fp), (fn, tp) = metrics["confusion_matrix"]
    assert tp + fn == threshold["tp"] + threshold["fn"]  # the same held-out rows
    assert tn + fp == threshold["tn"] + threshold["fp"]
    assert metrics["accuracy"] == pytest.approx((tp + tn) / metrics["n_test"])
    assert metrics["precision"] == pytest.approx(tp / (tp + fp) if tp + fp else 0.0)
    assert metrics["recall"] == pytest.approx(tp / (tp + fn))
    assert metrics["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    if by_hand:
        assert (tp, fp, fn, tn) == _counts(threshold)
        assert metrics["f1"] == pytest.approx(threshold["f1"], abs=1e-6)


def _manifest(content: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return json.loads(zf.read("manifest.json"))


def _export_import(client: httpx.Client, model_id: str, name: str) -> tuple[dict, dict]:
    """The version's bundle (its manifest) and the model imported from it."""
    bundle = client.get(f"{API}/{model_id}/bundle")
    assert bundle.status_code == 200, bundle.text
    response = client.post(
        f"{API}/import",
        files={"file": ("model.zip", bundle.content, "application/zip")},
        data={"sha256": bundle.headers["x-bundle-sha256"], "name": name},
    )
    assert response.status_code in (200, 201), response.text
    return _manifest(bundle.content), response.json()


def _predict(client: httpx.Client, model_id: str, texts: list[str]) -> dict:
    response = client.post(f"{API}/predict", json={"model_id": model_id, "texts": texts})
    assert response.status_code == 200, response.text
    return response.json()


def _positive(prediction: dict) -> float:
    return next(p["probability"] for p in prediction["probabilities"] if p["label"] == 1)


@pytest.fixture(scope="module")
def binary(client: httpx.Client) -> dict:
    dataset = upload_csv(client, labelled_csv(300, seed=31), "thresholdver.csv").json()
    accepted = fit(client, dataset["id"], name="thresholdver", params={"min_df": 1})
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    return client.get(f"{API}/{accepted['model_id']}").json()


def test_a_fit_stores_metrics_and_mistakes_at_its_threshold(
    client: httpx.Client, binary: dict
) -> None:
    _assert_binary_metrics_at(binary)
    (threshold,) = binary["thresholds"]["thresholds"]
    errors = client.get(f"{API}/{binary['id']}/errors", params={"limit": 1000}).json()
    assert errors["decision_thresholds"] == {"1": threshold["threshold"]}
    assert errors["false_positives"] == threshold["fp"]
    assert errors["false_negatives"] == threshold["fn"]
    assert errors["n_errors"] == threshold["fp"] + threshold["fn"] == len(errors["rows"])


def test_a_fit_keeps_the_threshold_chosen_on_all_held_out_rows_and_cross_fits_its_figures(
    client: httpx.Client, binary: dict
) -> None:
    body = {"model_ids": [binary["id"]], "dataset_id": binary["dataset_id"], "split": "test"}
    (held_out,) = client.post(f"{API}/predict_scores", json=body).json()["results"]
    truth = np.asarray([label == 1 for label in held_out["labels"]])
    cut, _ = choose_cut(truth, np.asarray(held_out["scores"]), ThresholdObjective())
    (stored,) = binary["thresholds"]["thresholds"]
    assert stored["threshold"] == pytest.approx(cut, abs=2e-6)  # scores come rounded to 1e-6
    assert binary["metrics"]["threshold_figures"] == "cross_fitted"
    assert binary["metrics"]["threshold_figures_note"] is None


def test_a_threshold_change_is_the_next_version_with_its_own_bundle(
    client: httpx.Client, binary: dict
) -> None:
    parent = binary
    name = parent["name"]
    client.put(
        f"/api/v1/aliases/{name}/production", json={"version": parent["version"], "reason": "go"}
    ).raise_for_status()
    client.post(f"{API}/unload", json={"model_id": parent["id"]}).raise_for_status()
    # a cut above the positive probability of every text the parent calls toxic
    client.post(f"{API}/load", json={"model_id": parent["id"]}).raise_for_status()
    before = _predict(client, parent["id"], TEXTS)["predictions"]
    client.post(f"{API}/unload", json={"model_id": parent["id"]}).raise_for_status()
    assert any(p["label"] == 1 for p in before)
    high = round(max(_positive(p) for p in before) + 1e-4, 6)
    assert high <= 1

    response = client.put(f"{API}/{parent['id']}/thresholds", json={"thresholds": {"1": high}})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["name"] == name and answer["version"] == parent["version"] + 1
    assert answer["parent_id"] == parent["id"] and answer["parent_version"] == parent["version"]
    assert answer["loaded"] is False and answer["moved_alias"] is None  # the parent was not
    child = client.get(f"{API}/{answer['model_id']}").json()
    assert child["source"] == "thresholds" and child["status"] == "ready"
    assert child["parent_id"] == parent["id"] and child["parent_version"] == parent["version"]
    for same in ("kind", "params", "preprocessing", "dataset_id", "classes", "lineage_datasets"):
        assert child[same] == parent[same], same
    assert child["artifact_sha256"] != parent["artifact_sha256"]
    assert child["thresholds"]["thresholds"][0]["threshold"] == high
    assert child["threshold_history"] == [parent["thresholds"]]
    # (b) its metrics at its threshold; the ROC AUC does not depend on it
    _assert_binary_metrics_at(child)
    assert child["metrics"]["roc_auc"] == parent["metrics"]["roc_auc"]
    assert child["metrics"]["n_train"] == parent["metrics"]["n_train"]
    errors = client.get(f"{API}/{child['id']}/errors", params={"limit": 1000}).json()
    (cut,) = child["thresholds"]["thresholds"]
    assert errors["decision_thresholds"] == {"1": high}
    assert errors["n_errors"] == cut["fp"] + cut["fn"]
    assert all(r["predicted_label"] == 0 for r in errors["rows"] if r["confidence"] >= 1 - high)
    # the parent and the alias are as they were
    unchanged = client.get(f"{API}/{parent['id']}").json()
    assert unchanged["thresholds"] == parent["thresholds"]
    assert unchanged["metrics"] == parent["metrics"]
    assert unchanged["artifact_sha256"] == parent["artifact_sha256"]
    alias = client.get(f"/api/v1/aliases/{name}/production").json()
    assert alias["version"] == parent["version"]

    # (c) its bundle carries its thresholds; the imported copy decides at them
    manifest, imported = _export_import(client, child["id"], "thresholdver-copy")
    assert manifest["thresholds"] == child["thresholds"]
    assert manifest["metrics"]["decision_thresholds"] == {"1": high}
    assert manifest["lineage"]["source"] == "thresholds"
    assert manifest["lineage"]["parent_id"] == parent["id"]
    assert manifest["version"] == child["version"] and manifest["model_id"] == child["id"]
    assert imported["thresholds"] == child["thresholds"]
    assert imported["metrics"]["decision_thresholds"] == {"1": high}
    client.post(f"{API}/load", json={"model_id": imported["id"]}).raise_for_status()
    copied = _predict(client, imported["id"], TEXTS)["predictions"]
    assert [p["label"] for p in copied] == [0] * len(TEXTS)
    assert [_positive(p) for p in copied] == [_positive(p) for p in before]


def test_a_change_to_a_loaded_version_is_loaded_and_can_move_an_alias(
    client: httpx.Client, binary: dict
) -> None:
    name = binary["name"]
    client.post(f"{API}/load", json={"model_id": binary["id"]}).raise_for_status()
    low = 0.05
    response = client.put(
        f"{API}/{binary['id']}/thresholds",
        json={"thresholds": {"1": low}, "move_alias": "production"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["loaded"] is True and answer["moved_alias"] == "production"
    alias = client.get(f"/api/v1/aliases/{name}/production").json()
    assert alias["version"] == answer["version"] and alias["model_id"] == answer["model_id"]
    history = client.get(f"/api/v1/aliases/{name}/production/history").json()
    assert f"v{binary['version']} -> v{answer['version']}" in history[-1]["reason"]
    by_alias = _predict(client, f"{name}@production", TEXTS)
    assert by_alias["model_id"] == answer["model_id"]
    expected = [int(_positive(p) >= low) for p in by_alias["predictions"]]
    assert [p["label"] for p in by_alias["predictions"]] == expected
    client.post(f"{API}/unload", json={"model_id": binary["id"]}).raise_for_status()


def test_a_bad_alias_to_move_is_422_and_makes_no_version(
    client: httpx.Client, binary: dict
) -> None:
    count = client.get(API).headers["x-total-count"]
    body = {"thresholds": {"1": 0.5}, "move_alias": "Not An Alias"}
    assert_problem(client.put(f"{API}/{binary['id']}/thresholds", json=body), 422, "move_alias")
    assert client.get(API).headers["x-total-count"] == count


@pytest.fixture(scope="module")
def multilabel(sqlite_server: BackendServer) -> tuple[httpx.Client, dict, dict]:
    api = httpx.Client(base_url=sqlite_server.base_url, timeout=120)
    dataset = upload_csv(api, multilabel_csv(400, seed=5), "thresholdver-multi.csv").json()
    accepted = fit(
        api,
        dataset["id"],
        name="thresholdver-multi",
        label_columns=MULTILABEL_COLUMNS,
        params={"min_df": 1},
    )
    assert wait_task(api, accepted["task_id"])["status"] == "succeeded"
    return api, dataset, api.get(f"{API}/{accepted['model_id']}").json()


def _assert_multilabel_metrics_at(model: dict) -> None:
    """Each label's figures at its threshold: the threshold's own when given by hand (the
    figures of a label kept from an objective are then those of the rows it was chosen
    on); cross-fitted when an objective chose every one on the held-out rows."""
    by_label = {t["label"]: t for t in model["thresholds"]["thresholds"]}
    metrics = model["metrics"]
    assert metrics["decision_thresholds"] == {k: t["threshold"] for k, t in by_label.items()}
    if model["thresholds"]["source"] != "manual":
        assert metrics["threshold_figures"] in ("cross_fitted", "partly_cross_fitted")
        return
    assert metrics["threshold_figures"] == "fixed"
    for row in metrics["per_class"]:
        chosen = by_label[row["label"]]
        # from the counts at the threshold (none predicted: precision 0, as scikit-learn has it)
        predicted = chosen["tp"] + chosen["fp"]
        precision = chosen["tp"] / predicted if predicted else 0.0
        assert row["precision"] == pytest.approx(precision, abs=1e-6), row["label"]
        assert row["recall"] == pytest.approx(chosen["recall"], abs=1e-6)
        assert row["f1"] == pytest.approx(chosen["f1"], abs=1e-6)


def _wrong_rows(scores: dict, cuts: dict[str, float]) -> int:
    """Held-out rows with any label wrong at `cuts`, from the scores endpoint's rows."""
    limits = [cuts[c] for c in MULTILABEL_COLUMNS]
    return sum(
        any((s >= c) != bool(t) for s, c, t in zip(row, limits, truth, strict=True))
        for row, truth in zip(scores["label_scores"], scores["label_truths"], strict=True)
    )


def test_a_multilabel_threshold_version_has_its_metrics_mistakes_and_bundle(
    multilabel: tuple[httpx.Client, dict, dict],
) -> None:
    api, dataset, parent = multilabel
    _assert_multilabel_metrics_at(parent)
    body = {"model_ids": [parent["id"]], "dataset_id": dataset["id"], "split": "test"}
    (scores,) = api.post(f"{API}/predict_scores", json=body).json()["results"]
    parent_cuts = parent["metrics"]["decision_thresholds"]
    errors = api.get(f"{API}/{parent['id']}/errors", params={"limit": 1}).json()
    assert errors["decision_thresholds"] == parent_cuts
    assert errors["n_errors"] == _wrong_rows(scores, parent_cuts)

    response = api.put(
        f"{API}/{parent['id']}/thresholds", json={"thresholds": {"insult": 0.97, "threat": 0.02}}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["version"] == parent["version"] + 1 and answer["loaded"] is False
    child = api.get(f"{API}/{answer['model_id']}").json()
    assert child["source"] == "thresholds" and child["label_columns"] == MULTILABEL_COLUMNS
    cuts = child["metrics"]["decision_thresholds"]
    assert cuts == {**parent_cuts, "insult": 0.97, "threat": 0.02}
    _assert_multilabel_metrics_at(child)
    assert child["metrics"]["roc_auc"] == parent["metrics"]["roc_auc"]
    assert child["metrics"]["f1"] != parent["metrics"]["f1"]
    errors = api.get(f"{API}/{child['id']}/errors", params={"limit": 1}).json()
    assert errors["decision_thresholds"] == cuts
    assert errors["n_errors"] == _wrong_rows(scores, cuts) != _wrong_rows(scores, parent_cuts)

    manifest, imported = _export_import(api, child["id"], "thresholdver-multi-copy")
    assert manifest["thresholds"] == child["thresholds"] == imported["thresholds"]
    api.post(f"{API}/load", json={"model_id": imported["id"]}).raise_for_status()
    for prediction in _predict(api, imported["id"], TEXTS)["predictions"]:
        probability = {p["label"]: p["probability"] for p in prediction["probabilities"]}
        assert "threat" in prediction["labels"] or probability["threat"] < 0.02
        assert prediction["labels"] == [c for c in MULTILABEL_COLUMNS if probability[c] >= cuts[c]]
    api.close()
