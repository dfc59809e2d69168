"""Answers that could grow without bound: capped datasets (columns, classes), paginated
lists, and list items that stay light whatever a model's number of classes."""

import io
import time

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.servers import BackendServer

LIMIT = 1_000  # MAX_DATASET_COLUMNS and MAX_CLASSES, at their defaults


def wide_csv(columns: int, rows: int = 2) -> bytes:
    """`columns` columns, `comment_text` first: 100,000 of them make about 1.4 MB."""
    header = ["comment_text"] + [f"c{i}" for i in range(1, columns)]
    lines = [",".join(header)]
    lines += [",".join(["some text"] + ["1"] * (columns - 1)) for _ in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def classes_csv(classes: int, seed: str) -> bytes:
    out = io.StringIO()
    out.write("text,label\n")
    for i in range(classes):
        for j in range(2):
            out.write(f"topic{i} word{i} {seed} sample{j},c{i:04d}\n")
    return out.getvalue().encode()


def _default_model(client: httpx.Client) -> str:
    models = client.get("/api/v1/models/", params={"limit": 1000}).json()
    return next(m["id"] for m in models if m["is_default"])


def test_a_100000_column_csv_is_refused_fast(client: httpx.Client, server: BackendServer) -> None:
    content = wide_csv(100_000, rows=4)
    assert 1_300_000 < len(content) < 1_600_000
    started = time.monotonic()
    response = upload_csv(client, content, "wide.csv")
    assert time.monotonic() - started < 3
    assert_problem(response, 422, "100,000 columns", "limit is 1,000", "MAX_DATASET_COLUMNS")
    started = time.monotonic()
    response = client.post(
        "/api/v1/models/predict_csv",
        data={"model_id": _default_model(client)},
        files={"file": ("wide.csv", content, "text/csv")},
    )
    assert time.monotonic() - started < 3
    assert_problem(response, 422, "100,000 columns")
    assert list((server.datasets_dir / ".incoming").glob("*")) == []


def test_the_column_limit_is_exact(client: httpx.Client) -> None:
    assert_problem(upload_csv(client, wide_csv(LIMIT + 1), "wide.csv"), 422, "1,001 columns")
    at_limit = upload_csv(client, wide_csv(LIMIT), "at-limit.csv")
    assert at_limit.status_code in (200, 201), at_limit.text
    assert len(at_limit.json()["columns"]) == LIMIT


def test_more_classes_than_the_limit_are_refused_at_fit(client: httpx.Client) -> None:
    dataset = upload_csv(client, classes_csv(LIMIT + 1, "over"), "classes.csv").json()
    before = client.get("/api/v1/models/", params={"limit": 1000}).headers["x-total-count"]
    body = {
        "name": "too-many-classes",
        "kind": "naive_bayes",
        "dataset_id": dataset["id"],
        "text_column": "text",
        "label_column": "label",
        "test_size": 0.5,
    }
    response = client.post("/api/v1/models/fit", json=body)
    assert_problem(response, 422, "1,001 classes", "limit is 1,000", "MAX_CLASSES")
    after = client.get("/api/v1/models/", params={"limit": 1000}).headers["x-total-count"]
    assert after == before


def test_a_1000_class_model_is_light_in_the_list(client: httpx.Client) -> None:
    dataset = upload_csv(client, classes_csv(LIMIT, "ok"), "classes.csv").json()
    accepted = fit(
        client,
        dataset["id"],
        name="thousand-classes",
        kind="naive_bayes",
        text_column="text",
        label_column="label",
        test_size=0.5,
        params={"min_df": 1},
    )
    task = wait_task(client, accepted["task_id"], timeout=300)
    assert task["status"] == "succeeded", task

    whole = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert len(whole["classes"]) == LIMIT
    matrix = whole["metrics"]["confusion_matrix"]
    assert len(matrix) == LIMIT and all(len(row) == LIMIT for row in matrix)

    listed = client.get("/api/v1/models/", params={"limit": 1000})
    item = next(m for m in listed.json() if m["id"] == accepted["model_id"])
    assert item["n_classes"] == LIMIT
    assert "classes" not in item and "history" not in item
    assert set(item["metrics"]) == {
        "accuracy", "precision", "recall", "f1", "roc_auc", "positive_label", "n_train", "n_test"
    }  # fmt: skip
    assert item["metrics"]["accuracy"] == whole["metrics"]["accuracy"]
    # every list item is small, whatever its model's classes
    per_item = len(listed.content) / len(listed.json())
    assert per_item < 2_000, per_item


@pytest.mark.parametrize("path", ["/api/v1/datasets", "/api/v1/models/", "/api/v1/tasks/"])
def test_lists_are_paginated(client: httpx.Client, path: str) -> None:
    upload_csv(client, wide_csv(3, rows=3), "page.csv")  # at least one dataset, model, task
    whole = client.get(path, params={"limit": 1000})
    total = int(whole.headers["x-total-count"])
    assert total == len(whole.json()) >= 1
    ids = [item["id"] for item in whole.json()]
    default = client.get(path)
    assert len(default.json()) == min(total, 100)
    assert default.headers["x-total-count"] == str(total)
    pages: list[str] = []
    for offset in range(0, total, 2):
        page = client.get(path, params={"limit": 2, "offset": offset})
        assert page.headers["x-total-count"] == str(total)
        pages += [item["id"] for item in page.json()]
    assert pages == ids
    beyond = client.get(path, params={"offset": total})
    assert beyond.status_code == 200 and beyond.json() == []
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "x"}, {"offset": 2**31}):
        assert_problem(client.get(path, params=bad), 422)
