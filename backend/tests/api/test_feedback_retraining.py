"""Retraining from feedback on a real server of its own (SQLite, then PostgreSQL): the new
version learns the feedback, is compared with its parent on the parent's held-out rows,
and moves the alias only when better; a version retrained on both datasets retrains on
both. Feedback itself: test_feedback.py."""

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from app.ml.preprocessing import Preprocessor
from app.ml.training import read_training_frames, split_dataset
from shared.schemas import PreprocessingConfig
from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.feedback import API, feedback_client, import_csv, url
from testkit.samples import labelled_csv
from testkit.versions import trained_versions, unique_name


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    yield from feedback_client(
        request.param, tmp_path_factory.mktemp(f"feedback-retraining-{request.param}")
    )


def accuracy_at_threshold(model: dict[str, Any]) -> float:
    """A binary model's held-out accuracy as it decides, in sample: its threshold's own
    counts (its metrics' figures are cross-fitted)."""
    (cut,) = model["thresholds"]["thresholds"]
    return (cut["tp"] + cut["tn"]) / (cut["tp"] + cut["fp"] + cut["fn"] + cut["tn"])


def feedback_rows(client: httpx.Client, ref: str, rows: list[tuple[str, str]]) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([("text", "label"), *rows])
    response = import_csv(client, ref, out.getvalue(), add_class="false")
    assert response.status_code == 201, response.text


def retrained(client: httpx.Client, ref: str, **body: Any) -> tuple[dict[str, Any], dict]:
    response = client.post(f"{API}/models/{quote(ref, safe='@:')}/retrain_from_feedback", json=body)
    assert response.status_code == 202, response.text
    accepted = response.json()
    task = wait_task(client, accepted["task_id"])
    assert task["status"] == "succeeded", task
    return task, client.get(f"{API}/models/{accepted['model_id']}").json()


def test_retrain_from_feedback_learns_it_compares_and_moves_the_alias_when_better(
    client: httpx.Client,
) -> None:
    name = unique_name("fb-retrain")
    (parent_id,) = trained_versions(client, name, 1)
    no_feedback = client.post(f"{API}/models/{parent_id}/retrain_from_feedback", json={})
    assert_problem(no_feedback, 409, "no usable feedback")
    # every field is optional: no body at all is read as {}, not "Content-Type is missing"
    no_body = client.post(f"{API}/models/{parent_id}/retrain_from_feedback")
    assert_problem(no_body, 409, "no usable feedback")
    alias = client.put(f"{API}/aliases/{quote(name)}/production", json={"version": 1})
    assert alias.status_code == 200, alias.text
    # words the parent never saw, labelled against its prior: only a retrain can learn them
    new_words = [(f"the weather is lovely today {n}", "1") for n in range(15)]
    new_words += [(f"the train was late again {n}", "0") for n in range(15)]
    parent_rows = list(csv.reader(io.StringIO(labelled_csv(120, seed=31).decode())))[1:]
    corrected = (parent_rows[0][1], "1" if parent_rows[0][2] == "0" else "0")
    feedback_rows(client, f"{name}:1", [*new_words, corrected])
    # an older label for a text is overruled by its newest
    client.post(url(parent_id), json={"text": new_words[0][0], "label": "0"})
    client.post(url(parent_id), json={"text": new_words[0][0], "label": "1"})

    task, child = retrained(client, f"{name}@production", move_alias="production")
    assert child["version"] == 2 and child["source"] == "feedback"
    assert child["parent_id"] == parent_id
    parent = client.get(f"{API}/models/{parent_id}").json()
    lineage = [d["id"] for d in child["lineage_datasets"]]
    assert lineage[0] == parent["dataset_id"] and lineage[-1] == child["dataset_id"] != lineage[0]
    comparison = child["metrics"]["comparison"]
    assert comparison["parent_id"] == parent_id
    assert comparison["feedback_holdout_rows"] == round(31 * 0.2)
    assert comparison["feedback_train_rows"] == 31 - comparison["feedback_holdout_rows"]
    on_parent, on_feedback = comparison["parent_holdout"], comparison["feedback_holdout"]
    assert on_parent["parent"]["n"] == on_parent["new"]["n"] == parent["metrics"]["n_test"]
    for scores in (*on_parent.values(), *on_feedback.values()):
        assert {"accuracy", "macro_f1", "roc_auc", "n"} <= scores.keys()
        assert 0 <= scores["macro_f1"] <= 1 and 0 <= scores["accuracy"] <= 1
    assert on_parent["parent"]["accuracy"] == pytest.approx(accuracy_at_threshold(parent))
    assert on_feedback["new"]["macro_f1"] > on_feedback["parent"]["macro_f1"]
    assert comparison["better"] is True
    aliases = client.get(f"{API}/aliases/{quote(name)}/production").json()
    deadline = time.monotonic() + 20  # the alias moves right after the task succeeds
    while aliases["model_id"] != child["id"] and time.monotonic() < deadline:
        time.sleep(0.2)
        aliases = client.get(f"{API}/aliases/{quote(name)}/production").json()
    assert aliases["model_id"] == child["id"]
    history = client.get(f"{API}/aliases/{quote(name)}/production/history").json()
    moved = [h for h in history if h["to_model_id"] == child["id"]]
    assert len(moved) == 1 and "retrained from feedback" in moved[0]["reason"]
    assert moved[0]["caller"] == "retrain_from_feedback"
    message = client.get(f"{API}/tasks/{task['id']}").json()["message"]
    assert "better" in message and "moved to v2" in message

    # the new version's data: the parent's rows and every feedback text, with the
    # feedback's labels, and a split column: held out are the parent's held-out rows and
    # the held-out feedback, and the new version was tested on exactly those
    data = client.get(f"{API}/datasets/{child['dataset_id']}/file")
    rows = list(csv.DictReader(io.StringIO(data.text)))
    assert child["split_column"] == "split" and parent["split_column"] is None
    stored = {r["comment_text"]: r["toxic"] for r in rows}
    feedback = dict([*new_words, corrected])
    assert all(stored[t] == label for t, label in feedback.items())
    roles = {r["comment_text"]: r["split"] for r in rows}
    held_feedback = [t for t in feedback if roles[t] == "test" and t != corrected[0]]
    assert len(held_feedback) == comparison["feedback_holdout_rows"]
    assert set(stored) - set(feedback) <= {row[1] for row in parent_rows}
    tested = sum(1 for r in rows if r["split"] == "test")
    assert child["metrics"]["n_test"] == tested
    assert tested <= parent["metrics"]["n_test"] + comparison["feedback_holdout_rows"]
    trained = sum(1 for r in rows if r["split"] == "train")
    assert trained >= 120 - parent["metrics"]["n_test"] + comparison["feedback_train_rows"] - 1
    # its held-out split is made again from that column (Compare, errors)
    scores = client.post(
        f"{API}/models/predict_scores",
        json={"model_ids": [child["id"]], "dataset_id": child["dataset_id"], "split": "test"},
    )
    assert scores.status_code == 200, scores.text
    assert scores.json()["results"][0]["n_rows"] == tested


def test_retrain_from_feedback_leaves_the_alias_when_not_better(client: httpx.Client) -> None:
    name = unique_name("fb-same")
    (parent_id,) = trained_versions(client, name, 1)
    assert client.put(f"{API}/aliases/{quote(name)}/production", json={"version": 1}).is_success
    # what the parent already gets right: the new version cannot do better
    known = [(f"you stupid idiot, shut up you moron {n}", "1") for n in range(5)]
    known += [(f"thanks for fixing the citation, nice photo {n}", "0") for n in range(5)]
    feedback_rows(client, parent_id, known)
    task, child = retrained(client, parent_id, move_alias="production")
    comparison = child["metrics"]["comparison"]
    assert comparison["better"] is False and comparison["feedback_holdout_rows"] == 2
    assert "not moved" in task["message"]
    alias = client.get(f"{API}/aliases/{quote(name)}/production").json()
    assert alias["model_id"] == parent_id


def test_retrain_from_feedback_of_a_retrain_on_both_trains_on_both_datasets(
    client: httpx.Client, tmp_path: Path
) -> None:
    """A parent retrained on two datasets (data `both`): the new version's data is the
    rows its fit read (both datasets) with the feedback, the parent's held-out rows (of
    both, as its fit split them) held out; its lineage lists both datasets and the new one,
    and both versions are compared. Once one of the two is deleted: 409 naming it."""
    name = unique_name("fb-both")
    contents = [labelled_csv(120, seed=71), labelled_csv(120, seed=72)]
    one, two = (
        upload_csv(client, content, f"fb-both-{i}.csv").json() for i, content in enumerate(contents)
    )
    first = fit(client, one["id"], name=name, params={"min_df": 1})
    assert wait_task(client, first["task_id"])["status"] == "succeeded"
    both = {"data": "both", "dataset_id": two["id"]}
    accepted = client.post(f"{API}/models/{first['model_id']}/retrain", json=both)
    assert accepted.status_code == 202, accepted.text
    assert wait_task(client, accepted.json()["task_id"])["status"] == "succeeded"
    parent = client.get(f"{API}/models/{accepted.json()['model_id']}").json()
    # the rows the parent's fit read and those it held out, split again as its fit split them
    paths = [tmp_path / "one.csv", tmp_path / "two.csv"]
    for path, content in zip(paths, contents, strict=True):
        path.write_bytes(content)
    read = read_training_frames([str(p) for p in paths], "comment_text", "toxic")
    split = split_dataset(
        read,
        text_column="comment_text",
        label_column="toxic",
        preprocessor=Preprocessor(PreprocessingConfig.model_validate(parent["preprocessing"])),
        test_size=parent["test_size"],
        random_state=parent["random_state"],
    )
    parent_held = set(read.loc[split.frame.index[split.test], "comment_text"])
    assert len(parent_held) == parent["metrics"]["n_test"] == 48
    texts_of_two = [row[1] for row in csv.reader(io.StringIO(contents[1].decode()))][1:]
    assert parent_held & set(texts_of_two) and parent_held - set(texts_of_two)
    # feedback: new texts, and a label corrected on a row of the second dataset it trained on
    new_words = [(f"the weather is lovely today {n}", "1") for n in range(10)]
    new_words += [(f"the train was late again {n}", "0") for n in range(10)]
    trained_text = next(t for t in texts_of_two if t not in parent_held)
    old_label = str(read.loc[read["comment_text"] == trained_text, "toxic"].iloc[0])
    corrected = (trained_text, "1" if old_label == "0" else "0")
    feedback = dict([*new_words, corrected])
    feedback_rows(client, parent["id"], [*new_words, corrected])

    _, child = retrained(client, parent["id"])
    assert (child["version"], child["source"]) == (3, "feedback")
    assert child["parent_id"] == parent["id"] and child["split_column"] == "split"
    stored = client.get(f"{API}/datasets/{child['dataset_id']}").json()

    def entry(dataset: dict[str, Any]) -> tuple[str, str, str, int]:
        return dataset["id"], dataset["name"], dataset["sha256"], dataset["rows"]

    assert [entry(d) for d in child["lineage_datasets"]] == [entry(one), entry(two), entry(stored)]
    # its data: every row of both datasets and every feedback text, with the feedback's labels
    data = client.get(f"{API}/datasets/{child['dataset_id']}/file")
    rows = list(csv.DictReader(io.StringIO(data.text)))
    labels = {r["comment_text"]: r["toxic"] for r in rows}
    roles = {r["comment_text"]: r["split"] for r in rows}
    assert len(rows) == len(labels) == stored["rows"] == 240 + len(new_words)
    assert set(labels) == set(read["comment_text"]) | set(feedback)
    assert all(labels[t] == label for t, label in feedback.items())
    # held out (not trained on): the parent's held-out rows and the held-out feedback
    comparison = child["metrics"]["comparison"]
    held_feedback = {t for t in feedback if roles[t] == "test"}
    assert len(held_feedback) == comparison["feedback_holdout_rows"] == round(21 * 0.2)
    tested = {t for t, role in roles.items() if role == "test"}
    assert tested == parent_held | held_feedback
    assert child["metrics"]["n_test"] == len(tested)
    # the judge scored both versions on the parent's held-out split and the held-out feedback
    on_parent, on_feedback = comparison["parent_holdout"], comparison["feedback_holdout"]
    assert on_parent["parent"]["n"] == on_parent["new"]["n"] == parent["metrics"]["n_test"]
    assert on_parent["parent"]["accuracy"] == pytest.approx(accuracy_at_threshold(parent))
    assert on_feedback["parent"]["n"] == on_feedback["new"]["n"] == len(held_feedback)

    deleted = client.delete(f"{API}/datasets/{two['id']}", params={"force": "true"})
    assert deleted.status_code == 204, deleted.text
    again = client.post(f"{API}/models/{parent['id']}/retrain_from_feedback", json={})
    assert_problem(again, 409, f"({two['name']}) has been deleted")
