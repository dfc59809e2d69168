import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.samples import labelled_csv, multiclass_csv


@pytest.fixture(scope="module")
def dataset(client: httpx.Client) -> dict:
    response = upload_csv(client, labelled_csv(300, seed=5), "fit.csv")
    assert response.status_code in (200, 201)
    return response.json()


@pytest.mark.parametrize("kind", ["logreg", "linear_svc", "naive_bayes"])
def test_fit_each_sklearn_kind(client: httpx.Client, dataset: dict, kind: str) -> None:
    accepted = fit(
        client,
        dataset["id"],
        name=f"fit-{kind}",
        kind=kind,
        description="a test model",
        params={"min_df": 1},
    )
    task = wait_task(client, accepted["task_id"])
    assert task["status"] == "succeeded", task
    assert task["progress"] == 1.0 and task["started_at"] and task["finished_at"]
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "ready" and model["kind"] == kind
    assert model["classes"] == [0, 1]
    assert model["params"]["min_df"] == 1 and "ngram_range" in model["params"]
    metrics = model["metrics"]
    assert metrics["accuracy"] > 0.9 and metrics["roc_auc"] > 0.9
    assert len(metrics["confusion_matrix"]) == 2 and metrics["roc_curve"]["fpr"]
    assert model["train_seconds"] > 0 and model["artifact_sha256"]
    assert model["description"] == "a test model" and not model["loaded"]


def test_fit_same_name_creates_next_version(client: httpx.Client, dataset: dict) -> None:
    first = fit(client, dataset["id"], name="versioned")
    second = fit(client, dataset["id"], name="versioned")
    for accepted in (first, second):
        assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    versions = sorted(
        m["version"] for m in client.get("/api/v1/models/").json() if m["name"] == "versioned"
    )
    assert versions[-2:] == [versions[-2], versions[-2] + 1]


def test_string_labels_and_multiclass(client: httpx.Client) -> None:
    dataset = upload_csv(client, multiclass_csv(), "topics.csv").json()
    accepted = fit(
        client,
        dataset["id"],
        name="topics",
        text_column="text",
        label_column="topic",
        params={"min_df": 1},
    )
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["classes"] == ["food", "sport", "tech"]
    assert model["metrics"]["f1"] > 0.9 and len(model["metrics"]["confusion_matrix"]) == 3
    client.post("/api/v1/models/load", json={"model_id": model["id"]})
    result = client.post(
        "/api/v1/models/predict",
        json={"model_id": model["id"], "texts": ["bake bread with garlic"]},
    )
    assert result.json()["predictions"][0]["label"] == "food"


def test_fit_validation_errors(client: httpx.Client, dataset: dict) -> None:
    base = {"name": "bad", "kind": "logreg", "dataset_id": dataset["id"]}
    body = assert_problem(client.post("/api/v1/models/fit", json={**base, "kind": "forest"}), 422)
    assert [e["loc"] for e in body["errors"]] == [["kind"]]  # no repeat of it about params
    assert "'logreg'" in body["detail"] and "ModelKind" not in body["detail"]
    body = assert_problem(
        client.post("/api/v1/models/fit", json={**base, "params": {"C": -1}}), 422, "params.C"
    )
    body = assert_problem(
        client.post("/api/v1/models/fit", json={**base, "params": {"alpha": 1}}),
        422,
        "params.alpha",
    )
    assert_problem(
        client.post("/api/v1/models/fit", json={**base, "params": {"ngram_range": [3, 1]}}),
        422,
        "ngram",
    )
    assert_problem(
        client.post("/api/v1/models/fit", json={**base, "text_column": "nope"}),
        422,
        "'nope'",
        "comment_text",
    )
    assert_problem(client.post("/api/v1/models/fit", json={**base, "dataset_id": "missing"}), 404)
    assert_problem(client.post("/api/v1/models/fit", json={**base, "test_size": 0.9}), 422)
    # a convolution wider than the texts it reads has no output: refused at submit
    cnn = {**base, "kind": "keras_cnn", "params": {"kernel_size": 32, "sequence_length": 8}}
    problem = assert_problem(
        client.post("/api/v1/models/fit", json=cnn), 422, "kernel_size 32", "sequence_length 8"
    )
    assert problem["title"] == "Invalid request", problem


def test_a_binary_only_solver_on_three_classes_is_422(client: httpx.Client) -> None:
    dataset = upload_csv(client, multiclass_csv(), "three.csv").json()
    body = {
        "name": "liblinear-3",
        "kind": "logreg",
        "dataset_id": dataset["id"],
        "text_column": "text",
        "label_column": "topic",
        "params": {"solver": "liblinear"},
    }
    response = client.post("/api/v1/models/fit", json=body)
    assert_problem(response, 422, "params.solver 'liblinear' handles two classes only", "has 3")


def test_one_class_labels_are_422(client: httpx.Client) -> None:
    content = b"comment_text,toxic\n" + b"".join(b"text %d,1\n" % i for i in range(30))
    dataset = upload_csv(client, content, "oneclass.csv").json()
    assert_problem(
        client.post(
            "/api/v1/models/fit", json={"name": "x", "kind": "logreg", "dataset_id": dataset["id"]}
        ),
        422,
        "only one class (1)",  # the label as the data has it, not numpy's np.int64(1)
    )


def test_failed_training_is_reported(client: httpx.Client, dataset: dict) -> None:
    # no term is in every one of the 240 training texts: no vocabulary, the worker fails
    # (a min_df above 240 is refused at submit)
    accepted = fit(client, dataset["id"], name="doomed", params={"min_df": 240})
    task = wait_task(client, accepted["task_id"])
    assert task["status"] == "failed", task
    # the user's min_df and the training texts, not scikit-learn's words
    assert "no term is in at least min_df 240 of the 240 training texts" in task["error"]
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "failed" and model["error"]
    assert_problem(client.post("/api/v1/models/load", json={"model_id": model["id"]}), 409)
    body = {"model_id": model["id"], "texts": ["a"]}
    predicted = client.post("/api/v1/models/predict", json=body)
    assert_problem(predicted, 409, "is failed, not trained yet: it cannot predict")


def test_a_fit_that_cleaning_left_too_few_rows_says_so(client: httpx.Client) -> None:
    # both classes in the file; punctuation only, every text is empty once cleaned but one
    texts = [b"!!! ..." if i else b"fine words here" for i in range(120)]
    content = b"comment_text,toxic\n" + b"".join(
        b"%s,%d\n" % (t, i % 2) for i, t in enumerate(texts)
    )
    dataset = upload_csv(client, content, "punctuation.csv").json()
    accepted = fit(
        client, dataset["id"], name="punctuation", preprocessing={"strip_punctuation": True}
    )
    task = wait_task(client, accepted["task_id"])
    assert task["status"] == "failed", task
    assert task["error"].startswith("after cleaning, 119 of 120 texts were empty or repeated"), task
    assert "1 row is left" in task["error"] and "only one class" in task["error"]


def test_fit_answers_202_with_the_location_of_its_task(client: httpx.Client, dataset: dict) -> None:
    body = {
        "name": "located",
        "kind": "logreg",
        "dataset_id": dataset["id"],
        "params": {"min_df": 1},
    }
    response = client.post("/api/v1/models/fit", json=body)
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert location == f"/api/v1/tasks/{response.json()['task_id']}"
    assert wait_task(client, response.json()["task_id"])["status"] == "succeeded"
    assert client.get(location).json()["id"] == response.json()["task_id"]


def test_params_kind_must_agree_with_kind(client: httpx.Client, dataset: dict) -> None:
    body = {"name": "mixed", "kind": "logreg", "dataset_id": dataset["id"]}
    contradicting = {**body, "params": {"kind": "linear_svc", "C": 2}}
    problem = assert_problem(
        client.post("/api/v1/models/fit", json=contradicting), 422, "params.kind", "contradicts"
    )
    assert "linear_svc" in problem["detail"] and "logreg" in problem["detail"]
    agreeing = {**body, "name": "agreeing", "params": {"kind": "logreg", "min_df": 1}}
    response = client.post("/api/v1/models/fit", json=agreeing)
    assert response.status_code == 202, response.text
    wait_task(client, response.json()["task_id"])


@pytest.mark.parametrize("content_type", [None, "text/plain"])
@pytest.mark.parametrize("path", ["/api/v1/models/fit", "/api/v1/models/load"])
def test_a_json_route_says_which_content_type_it_expects(
    client: httpx.Client, dataset: dict, path: str, content_type: str | None
) -> None:
    body = f'{{"model_id": "x", "name": "n", "kind": "logreg", "dataset_id": "{dataset["id"]}"}}'
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(path, content=body.encode(), headers=headers)
    problem = assert_problem(response, 422, "content-type", "application/json")
    assert ("missing" if content_type is None else "text/plain") in problem["detail"]


def test_a_names_versions_share_one_kind(client: httpx.Client, dataset: dict) -> None:
    first = fit(client, dataset["id"], name="one-kind", kind="logreg", params={"min_df": 1})
    assert wait_task(client, first["task_id"])["status"] == "succeeded"
    response = client.post(
        "/api/v1/models/fit",
        json={"name": "one-kind", "kind": "linear_svc", "dataset_id": dataset["id"]},
    )
    assert_problem(response, 409, "'one-kind'", "logreg", "linear_svc", "another name")
    kinds = {m["kind"] for m in client.get("/api/v1/models").json() if m["name"] == "one-kind"}
    assert kinds == {"logreg"}  # nothing stored for the refused fit
    again = fit(client, dataset["id"], name="one-kind", kind="logreg", params={"min_df": 1})
    assert wait_task(client, again["task_id"])["status"] == "succeeded"


def test_a_column_of_distinct_values_is_a_short_422(client: httpx.Client, dataset: dict) -> None:
    response = client.post(
        "/api/v1/models/fit",
        json={
            "name": "wrong-label",
            "kind": "logreg",
            "dataset_id": dataset["id"],
            "label_column": "comment_text",
        },
    )
    problem = assert_problem(response, 422, "300 distinct values", "and 295 more")
    assert len(problem["detail"]) < 500, problem["detail"]


def test_the_model_keeps_its_datasets_name_and_hash(client: httpx.Client) -> None:
    dataset = upload_csv(client, labelled_csv(60, seed=321), "kept.csv", name="kept-data").json()
    accepted = fit(client, dataset["id"], name="keeps-dataset", params={"min_df": 1})
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    assert_problem(client.delete(f"/api/v1/datasets/{dataset['id']}"), 409, "1 model", "force=true")
    assert client.get(f"/api/v1/datasets/{dataset['id']}").status_code == 200  # still there
    deleted = client.delete(f"/api/v1/datasets/{dataset['id']}", params={"force": "true"})
    assert deleted.status_code == 204, deleted.text
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["dataset_id"] is None
    assert model["dataset_name"] == "kept-data" and model["dataset_sha256"] == dataset["sha256"]


def test_a_pattern_error_says_what_is_allowed_in_words(client: httpx.Client, dataset: dict) -> None:
    body = {"name": "bad/name!", "kind": "logreg", "dataset_id": dataset["id"]}
    problem = assert_problem(client.post("/api/v1/models/fit", json=body), 422)
    assert "letters, digits, spaces, '.', '_' and '-'" in problem["detail"], problem
    assert "pattern" not in problem["detail"] and "\\w" not in problem["detail"]
    assert problem["errors"][0]["loc"] == ["name"]


def test_the_model_reports_what_preprocessing_removed(client: httpx.Client) -> None:
    rows = labelled_csv(60, seed=404, extra_column=False).decode().splitlines()
    extra = [rows[1], rows[2], rows[1], '"!!!",0', '"   ",1', "unlabelled text,"]
    content = "\n".join([*rows, *extra]).encode() + b"\n"
    dataset = upload_csv(client, content, "dirty.csv").json()
    accepted = fit(
        client,
        dataset["id"],
        name="report",
        params={"min_df": 1},
        preprocessing={"strip_punctuation": True},
    )
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["preprocessing_report"] == {
        "rows_read": 66,
        "unlabelled_dropped": 1,
        "empty_dropped": 2,  # "!!!" once its punctuation is gone, and "   "
        "duplicates_dropped": 3,
        "rows_left": 60,
        "language": {  # tokenizer auto (the default): detected, chosen and said
            "detected": "other",
            "script_share": 1.0,
            "tokenizer": "regex",
            "analyzer": "word",
            "ngram_range": [1, 2],
            "reason": "not Chinese: the word pattern",
        },
        "known_token_share": None,  # a fit: it continued no model
        "held_out_seen_by_parent": None,
    }
    assert model["preprocessing"]["tokenizer"] == "regex"  # stored resolved
    metrics = model["metrics"]
    assert metrics["n_train"] + metrics["n_test"] == 60


def test_label_display_names_are_kept_with_the_model(client: httpx.Client, dataset: dict) -> None:
    names = {"0": "clean", "1": "toxic"}
    accepted = fit(client, dataset["id"], name="named-labels", label_names=names)
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    assert client.get(f"/api/v1/models/{accepted['model_id']}").json()["label_names"] == names
    bad = {"name": "x", "kind": "logreg", "dataset_id": dataset["id"], "label_names": {"0": ""}}
    assert_problem(client.post("/api/v1/models/fit", json=bad), 422, "label_names")


def test_label_display_names_must_name_classes_of_the_label_column(
    client: httpx.Client, dataset: dict
) -> None:
    """A display name for a value the label column does not have (a typo: "l" for "1")
    would never be shown; the fit is refused, naming the unknown value and the classes."""
    bad = {
        "name": "typo-labels",
        "kind": "logreg",
        "dataset_id": dataset["id"],
        "label_names": {"0": "clean", "l": "toxic"},
    }
    problem = assert_problem(client.post("/api/v1/models/fit", json=bad), 422, "'l'")
    assert "'0', '1'" in problem["detail"]


def test_columns_the_dataset_lacks_are_named_in_one_sentence(
    client: httpx.Client, dataset: dict
) -> None:
    body = {"name": "x", "kind": "logreg", "dataset_id": dataset["id"]}
    one = client.post("/api/v1/models/fit", json={**body, "label_column": "nope"})
    # the dataset by its name too: an id alone tells a person nothing
    said = f"dataset {dataset['name']!r} ({dataset['id']}) has no column 'nope'; its columns are"
    assert_problem(one, 422, said)
    both = {**body, "text_column": "body", "label_column": "nope"}
    assert_problem(
        client.post("/api/v1/models/fit", json=both), 422, "has no columns 'body' and 'nope';"
    )


def test_a_min_df_above_the_training_texts_is_422(client: httpx.Client, dataset: dict) -> None:
    # 300 labelled rows, 20 % held out: 240 texts to train on, so no term is in 241 of them
    body = {
        "name": "min-df-too-high",
        "kind": "logreg",
        "dataset_id": dataset["id"],
        "text_column": "comment_text",
        "label_column": "toxic",
        "test_size": 0.2,
        "params": {"min_df": 241},
    }
    response = client.post("/api/v1/models/fit", json=body)
    assert_problem(response, 422, "params.min_df 241", "240 texts", "lower min_df")
    names = {m["name"] for m in client.get("/api/v1/models").json()}
    assert "min-df-too-high" not in names  # nothing was registered
