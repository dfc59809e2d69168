"""Scoring on each model's own held-out split, per-class metrics, classes that do not match
the data, a model's misclassified held-out rows, and what /predict says about each text."""

import csv
import io
from collections.abc import Iterator

import httpx
import pandas as pd
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.samples import labelled_csv, multiclass_csv
from testkit.servers import BackendServer

API = "/api/v1/models"


@pytest.fixture(scope="module")
def api(sqlite_server: BackendServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sqlite_server.base_url, timeout=120) as c:
        yield c


def noisy_csv(rows: int = 400, flip_every: int = 9, seed: int = 5) -> bytes:
    """labelled_csv with every flip_every-th label flipped: the model makes mistakes."""
    reader = csv.reader(io.StringIO(labelled_csv(rows, seed=seed).decode()))
    out = io.StringIO()
    writer = csv.writer(out)
    for i, row in enumerate(reader):
        if i and i % flip_every == 0:
            row[2] = str(1 - int(row[2]))
        writer.writerow(row)
    return out.getvalue().encode()


def fitted(api: httpx.Client, content: bytes, name: str, **body: object) -> tuple[dict, dict]:
    dataset = upload_csv(api, content, f"{name}.csv").json()
    accepted = fit(api, dataset["id"], name=name, **body)
    task = wait_task(api, accepted["task_id"])
    assert task["status"] == "succeeded", task
    return dataset, api.get(f"{API}/{accepted['model_id']}").json()


@pytest.fixture(scope="module")
def binary(api: httpx.Client) -> tuple[dict, dict]:
    return fitted(api, noisy_csv(), "eval-binary", params={"min_df": 1})


@pytest.fixture(scope="module")
def three_class(api: httpx.Client) -> tuple[dict, dict]:
    return fitted(
        api,
        multiclass_csv(300),
        "eval-topics",
        text_column="text",
        label_column="topic",
        params={"min_df": 1},
    )


def scores(api: httpx.Client, **body: object) -> httpx.Response:
    return api.post(f"{API}/predict_scores", json=body)


def test_held_out_split_reproduces_the_stored_metrics(
    api: httpx.Client, binary: tuple[dict, dict]
) -> None:
    dataset, model = binary
    test = scores(api, model_ids=[model["id"]], dataset_id=dataset["id"], split="test")
    assert test.status_code == 200, test.text
    result = test.json()["results"][0]
    metrics = model["metrics"]
    assert result["split"] == "test" and result["includes_training_rows"] is False
    assert result["n_rows"] == metrics["n_test"] == len(result["labels"]) == 80
    # at the threshold in force on the rows it was chosen on: the threshold's own counts
    # (the stored metrics that depend on it are cross-fitted); the ROC AUC is the same
    (cut,) = model["thresholds"]["thresholds"]
    assert result["accuracy"] == pytest.approx((cut["tp"] + cut["tn"]) / 80)
    assert metrics["threshold_figures"] == "cross_fitted"
    assert result["roc_auc"] == pytest.approx(metrics["roc_auc"])
    every = scores(api, model_ids=[model["id"]], dataset_id=dataset["id"]).json()
    assert every["results"][0]["includes_training_rows"] is True
    assert every["results"][0]["n_rows"] == 400 == len(every["labels"])


def test_a_copy_of_the_training_file_counts_as_training_rows(
    api: httpx.Client, binary: tuple[dict, dict]
) -> None:
    _, model = binary
    copy = upload_csv(api, noisy_csv(), "copy.csv", name="a copy").json()
    answer = scores(api, model_ids=[model["id"]], dataset_id=copy["id"]).json()
    assert answer["results"][0]["includes_training_rows"] is True


def test_another_dataset_that_repeats_its_training_rows_is_said_to(
    api: httpx.Client, binary: tuple[dict, dict]
) -> None:
    """Told by the digests of its training texts, not by the dataset's id: its rows in
    another order (another file) are the rows it trained on, and they are counted."""
    dataset, model = binary
    rows = pd.read_csv(io.BytesIO(noisy_csv()), dtype=str, keep_default_na=False)
    shuffled = rows.sample(frac=1, random_state=5).to_csv(index=False).encode()
    other = upload_csv(api, shuffled, "shuffled.csv", name="shuffled").json()
    assert other["id"] != dataset["id"]
    (result,) = scores(api, model_ids=[model["id"]], dataset_id=other["id"], split="test").json()[
        "results"
    ]
    assert result["split"] == "all" and result["includes_training_rows"] is True
    assert result["training_rows"] == model["metrics"]["n_train"] == 320
    (own,) = scores(api, model_ids=[model["id"]], dataset_id=dataset["id"], split="test").json()[
        "results"
    ]
    assert (own["split"], own["training_rows"], own["includes_training_rows"]) == ("test", 0, False)
    fresh = upload_csv(api, labelled_csv(100, seed=77), "fresh.csv", name="fresh").json()
    (unseen,) = scores(api, model_ids=[model["id"]], dataset_id=fresh["id"]).json()["results"]
    assert (unseen["training_rows"], unseen["includes_training_rows"]) == (0, False)


def test_other_models_are_scored_on_every_row(api: httpx.Client, binary: tuple[dict, dict]) -> None:
    dataset, model = binary
    default = next(m for m in api.get(f"{API}/", params={"limit": 1000}).json() if m["is_default"])
    answer = scores(
        api, model_ids=[model["id"], default["id"]], dataset_id=dataset["id"], split="test"
    ).json()
    mine, other = answer["results"]
    assert (mine["split"], mine["n_rows"]) == ("test", 80)
    assert (other["split"], other["n_rows"], other["includes_training_rows"]) == ("all", 400, False)


def test_per_class_metrics_at_fit_and_in_scores(
    api: httpx.Client, binary: tuple[dict, dict]
) -> None:
    dataset, model = binary
    stored = model["metrics"]["per_class"]
    assert [c["label"] for c in stored] == [0, 1]
    assert sum(c["support"] for c in stored) == model["metrics"]["n_test"]
    matrix = model["metrics"]["confusion_matrix"]
    assert stored[1]["recall"] == pytest.approx(matrix[1][1] / sum(matrix[1]))
    result = scores(api, model_ids=[model["id"]], dataset_id=dataset["id"], split="test").json()
    # the scores are at the threshold in force on these rows (in sample), the stored
    # figures cross-fitted: the same rows and classes, the positive class's own figures
    scored = result["results"][0]["per_class"]
    assert [(c["label"], c["support"]) for c in scored] == [
        (c["label"], c["support"]) for c in stored
    ]
    (cut,) = model["thresholds"]["thresholds"]
    assert scored[1]["recall"] == pytest.approx(cut["recall"], abs=1e-6)


def test_multiclass_gets_one_vs_rest_roc_per_class(
    api: httpx.Client, three_class: tuple[dict, dict]
) -> None:
    dataset, model = three_class
    stored = model["metrics"]["per_class"]
    assert [c["label"] for c in stored] == ["food", "sport", "tech"]
    assert all(c["roc_auc"] is not None and c["fpr"] and c["tpr"] for c in stored)
    body = {"model_ids": [model["id"]], "dataset_id": dataset["id"], "split": "test"}
    result = scores(api, **body).json()["results"][0]
    assert [c["label"] for c in result["per_class"]] == ["food", "sport", "tech"]
    assert all(c["roc_auc"] is not None for c in result["per_class"])


def test_a_binary_model_on_three_class_data_is_a_clear_422(
    api: httpx.Client, three_class: tuple[dict, dict]
) -> None:
    dataset, _ = three_class
    default = next(m for m in api.get(f"{API}/", params={"limit": 1000}).json() if m["is_default"])
    body = {
        "model_ids": [default["id"]],
        "dataset_id": dataset["id"],
        "text_column": "text",
        "label_column": "topic",
    }
    assert_problem(scores(api, **body), 422, "knows the classes [0, 1]", "'food'", "never saw")


def test_split_test_needs_a_dataset(api: httpx.Client, binary: tuple[dict, dict]) -> None:
    _, model = binary
    body = {"model_ids": [model["id"]], "texts": ["a"], "labels": [1], "split": "test"}
    assert_problem(scores(api, **body), 422, "dataset_id")


def test_errors_are_the_held_out_mistakes(api: httpx.Client, binary: tuple[dict, dict]) -> None:
    _, model = binary
    response = api.get(f"{API}/{model['id']}/errors", params={"limit": 5})
    assert response.status_code == 200, response.text
    errors = response.json()
    (cut,) = model["thresholds"]["thresholds"]  # its mistakes at the threshold in force
    assert errors["n_test"] == model["metrics"]["n_test"]
    assert errors["false_positives"] == cut["fp"] and errors["false_negatives"] == cut["fn"]
    assert errors["n_errors"] == cut["fp"] + cut["fn"] > 5
    rows = errors["rows"]
    assert len(rows) == 5
    assert [r["confidence"] for r in rows] == sorted((r["confidence"] for r in rows), reverse=True)
    source = list(csv.DictReader(io.StringIO(noisy_csv().decode())))
    for row in rows:
        assert row["text"] == source[row["row"]]["comment_text"]  # as written, not cleaned
        assert row["true_label"] == int(source[row["row"]]["toxic"]) != row["predicted_label"]
        expected = "false positive" if row["predicted_label"] == 1 else "false negative"
        assert row["kind"] == expected
    assert_problem(api.get(f"{API}/{model['id']}/errors", params={"limit": 0}), 422)


def test_a_retrain_on_both_is_evaluated_on_the_rows_its_fit_held_out(
    api: httpx.Client, binary: tuple[dict, dict]
) -> None:
    """Its fit split both files concatenated (rows repeated across them dropped): its
    held-out split is made again from the same rows, for scores and errors alike, and an
    error names the dataset its row is in and its row in that dataset's CSV."""
    first, model = binary
    extra = noisy_csv(300, flip_every=7, seed=6)
    repeated = noisy_csv().decode().splitlines()[1:41]  # 40 rows of the first file again
    content = extra + ("\r\n".join(repeated) + "\r\n").encode()
    second = upload_csv(api, content, "eval-more.csv").json()
    body = {"data": "both", "dataset_id": second["id"]}
    accepted = api.post(f"{API}/{model['id']}/retrain", json=body).json()
    assert wait_task(api, accepted["task_id"])["status"] == "succeeded"
    child = api.get(f"{API}/{accepted['model_id']}").json()
    metrics = child["metrics"]
    assert metrics["n_train"] + metrics["n_test"] == 700  # the 40 repeats dropped
    result = scores(api, model_ids=[child["id"]], dataset_id=first["id"], split="test")
    assert result.status_code == 200, result.text
    held = result.json()["results"][0]
    assert held["split"] == "test" and held["includes_training_rows"] is False
    assert held["n_rows"] == metrics["n_test"]
    assert held["roc_auc"] == pytest.approx(metrics["roc_auc"], abs=1e-4)
    errors = api.get(f"{API}/{child['id']}/errors", params={"limit": 1000}).json()
    (cut,) = child["thresholds"]["thresholds"]  # its mistakes at the threshold in force
    assert errors["n_test"] == metrics["n_test"]
    assert errors["n_errors"] == cut["fp"] + cut["fn"] > 5
    by_dataset = {
        first["id"]: [*csv.DictReader(io.StringIO(noisy_csv().decode()))],
        second["id"]: [*csv.DictReader(io.StringIO(content.decode()))],
    }
    assert {row["dataset_id"] for row in errors["rows"]} == {first["id"], second["id"]}
    for row in errors["rows"]:
        source = by_dataset[row["dataset_id"]][row["row"]]
        assert row["text"] == source["comment_text"]
        assert row["true_label"] == int(source["toxic"]) != row["predicted_label"]


def test_predict_gives_every_probability_and_flags_unknown_words(api: httpx.Client) -> None:
    listed = next(
        m
        for m in api.get(f"{API}/", params={"limit": 1000}).json()
        if m["is_default"] and m["kind"] == "logreg"
    )
    default = api.get(f"{API}/{listed['id']}").json()  # classes are on the single read
    texts = ["you are a stupid idiot", "Привет, как дела у тебя сегодня?"]
    answer = api.post(f"{API}/predict", json={"model_id": default["id"], "texts": texts})
    assert answer.status_code == 200, answer.text
    english, russian = answer.json()["predictions"]
    for prediction in (english, russian):
        probabilities = prediction["probabilities"]
        assert [p["label"] for p in probabilities] == default["classes"]
        assert sum(p["probability"] for p in probabilities) == pytest.approx(1, abs=1e-5)
        # the label its decision threshold picks, and that label's own probability
        chosen = next(p for p in probabilities if p["label"] == prediction["label"])
        assert chosen["probability"] == pytest.approx(prediction["confidence"], abs=1e-6)
    assert english["known_token_share"] > 0.5 and english["warning"] is None
    assert russian["known_token_share"] == 0
    # its character n-grams (beside the words) still score the text: no class prior
    assert default["params"]["char_ngram_range"] is not None
    assert russian["warning"] == (
        "none of its words is known to the model: the answer rests on its character "
        "n-grams alone and is unreliable"
    )


@pytest.mark.parametrize(
    ("params", "unit", "answer"),
    [
        ({"char_ngram_range": None}, "words", "the answer is the class prior"),
        (
            {"analyzer": "char_wb", "ngram_range": [2, 3]},
            "character n-grams",
            "the answer is the class prior",
        ),
    ],
    ids=["words", "characters"],
)
def test_a_text_with_no_known_token_is_answered_by_the_class_prior(
    api: httpx.Client, params: dict, unit: str, answer: str
) -> None:
    """A linear model of one kind of token only: what the warning claims holds, every such
    text gets the same answer."""
    _, model = fitted(api, labelled_csv(200, seed=31), f"prior-{unit[:4]}", params=params)
    api.post(f"{API}/load", json={"model_id": model["id"]})
    texts = ["Привет как дела", "这是中文的句子", "שלום עולם"]  # no punctuation it knows
    answers = api.post(f"{API}/predict", json={"model_id": model["id"], "texts": texts}).json()
    predictions = answers["predictions"]
    assert {p["warning"] for p in predictions} == {
        f"none of its {unit} is known to the model: {answer}"
    }
    assert len({tuple(q["probability"] for q in p["probabilities"]) for p in predictions}) == 1
    api.post(f"{API}/unload", json={"model_id": model["id"]})


def test_empty_texts_are_refused_by_index(api: httpx.Client) -> None:
    default = next(m for m in api.get(f"{API}/", params={"limit": 1000}).json() if m["is_default"])
    body = {"model_id": default["id"], "texts": ["fine", "", "  \n\t", "also fine"]}
    assert_problem(api.post(f"{API}/predict", json=body), 422, "texts [1, 2]", "empty")
