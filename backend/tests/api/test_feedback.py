"""Feedback on a real server of its own (SQLite, then PostgreSQL), whose prediction log
writes only once a minute: feedback on a prediction just answered finds it all the same
(the log is flushed first). By prediction id and by text, the label checks, 404s and
409s, the list's pages and total, the CSV export and delete. A feedback CSV's import:
test_feedback_csv.py; retraining from feedback: test_feedback_retraining.py."""

import csv
import io
from collections.abc import Iterator

import httpx
import pytest

from shared.schemas import TOTAL_COUNT_HEADER
from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.feedback import API, feedback_client, listed, loaded_names, predict, url
from testkit.multilabel_samples import MULTILABEL_COLUMNS, multilabel_csv
from testkit.versions import trained_versions, unique_name


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    yield from feedback_client(
        request.param, tmp_path_factory.mktemp(f"feedback-backend-{request.param}")
    )


@pytest.fixture(scope="module")
def names(client: httpx.Client) -> dict[str, str]:
    return loaded_names(client)


def test_feedback_on_a_prediction_just_answered_takes_its_text_and_segment(
    client: httpx.Client, names: dict[str, str]
) -> None:
    ref = f"{names['main']}:1"
    (prediction_id,) = predict(client, ref, ["you idiot, thanks a lot"], segment="retail")
    response = client.post(url(ref), json={"prediction_id": prediction_id, "label": "1"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["prediction_id"] == prediction_id
    assert body["text"] == "you idiot, thanks a lot"
    assert (body["segment"], body["source"], body["label"]) == ("retail", "prediction", "1")
    assert (body["model_name"], body["model_id"]) == (names["main"], names["main_id"])
    assert listed(client, names["main_id"])[0]["id"] == body["id"]


def test_feedback_on_a_text_has_the_default_segment_or_the_one_given(
    client: httpx.Client, names: dict[str, str]
) -> None:
    plain = client.post(url(names["main_id"]), json={"text": "a plain text", "label": "0"})
    assert plain.status_code == 201, plain.text
    assert plain.json()["segment"] == "default" and plain.json()["source"] == "text"
    assert plain.json()["prediction_id"] is None
    given = client.post(
        url(names["main_id"]), json={"text": "another", "label": "0", "segment": "cards"}
    )
    assert given.status_code == 201 and given.json()["segment"] == "cards"
    bad = client.post(url(names["main_id"]), json={"text": "x", "label": "0", "segment": "a/b"})
    assert_problem(bad, 422, "segment")


def test_a_number_label_is_the_same_label_as_its_text(
    client: httpx.Client, names: dict[str, str]
) -> None:
    # /predict answers a 0/1 model's labels as numbers; a client may send one back as is
    (prediction_id,) = predict(client, names["main_id"], ["thanks, great work"])
    answered = client.post(url(names["main_id"]), json={"prediction_id": prediction_id, "label": 0})
    assert answered.status_code == 201, answered.text
    assert answered.json()["label"] == "0"
    for label in (True, 0.5, [1]):  # not numbers that name a class
        assert_problem(
            client.post(url(names["main_id"]), json={"text": "t", "label": label}), 422, "label"
        )


def test_a_label_outside_the_classes_is_refused_unless_a_class_is_added(
    client: httpx.Client, names: dict[str, str]
) -> None:
    body = {"text": "a new kind of text", "label": "spam"}
    assert_problem(client.post(url(names["main_id"]), json=body), 422, "'spam'", "'0', '1'")
    added = client.post(url(names["main_id"]), json={**body, "add_class": True})
    assert added.status_code == 201, added.text
    assert added.json()["label"] == "spam"


def test_exactly_one_of_prediction_id_and_text(client: httpx.Client, names: dict[str, str]) -> None:
    both = {"prediction_id": "a" * 32, "text": "t", "label": "1"}
    assert_problem(client.post(url(names["main_id"]), json=both), 422, "exactly one")
    assert_problem(client.post(url(names["main_id"]), json={"label": "1"}), 422, "exactly one")


def test_unknown_prediction_model_and_another_names_prediction(
    client: httpx.Client, names: dict[str, str]
) -> None:
    unknown = client.post(url(names["main_id"]), json={"prediction_id": "f" * 32, "label": "1"})
    assert_problem(unknown, 404, "not in the prediction log")
    no_model = client.post(url("no-such-name@production"), json={"text": "t", "label": "1"})
    assert_problem(no_model, 404)
    (theirs,) = predict(client, names["other_id"], ["thanks for the source"])
    wrong = client.post(url(names["main_id"]), json={"prediction_id": theirs, "label": "0"})
    assert_problem(wrong, 409, names["other"], names["main"])


def test_the_list_is_paged_newest_first_with_its_total(
    client: httpx.Client, names: dict[str, str]
) -> None:
    name = unique_name("fb-pages")
    (model_id,) = trained_versions(client, name, 1)
    ids = []
    for n in range(5):
        response = client.post(url(model_id), json={"text": f"page text {n}", "label": "1"})
        ids.append(response.json()["id"])
    page = client.get(url(f"{name}:1"), params={"limit": 2, "offset": 1})
    assert page.status_code == 200
    assert page.headers[TOTAL_COUNT_HEADER] == "5"
    assert [e["id"] for e in page.json()] == [ids[3], ids[2]]
    assert_problem(client.get(url(model_id), params={"limit": 0}), 422)


def test_the_export_is_a_csv_of_every_entry(client: httpx.Client, names: dict[str, str]) -> None:
    name = unique_name("fb-export")
    (model_id,) = trained_versions(client, name, 1)
    client.post(url(model_id), json={"text": '=1+1 a formula, "quoted"\nline', "label": "1"})
    client.post(url(model_id), json={"text": "second", "label": "0", "segment": "cards"})
    response = client.get(url(f"{name}:1", "/export"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert list(rows[0]) == [
        "text",
        "label",
        "segment",
        "prediction_id",
        "model_id",
        "created_at",
        "source",
    ]
    assert [(r["text"], r["label"], r["segment"], r["source"]) for r in rows] == [
        ("second", "0", "cards", "text"),
        ('\'=1+1 a formula, "quoted"\nline', "1", "default", "text"),  # a formula, defused
    ]
    assert {r["model_id"] for r in rows} == {model_id}
    assert all(r["prediction_id"] == "" for r in rows)
    # the time as the JSON list writes it (UTC, with a Z)
    listed_times = [e["created_at"] for e in listed(client, model_id)][:2]
    assert [r["created_at"] for r in rows] == listed_times
    assert all(r["created_at"].endswith("Z") for r in rows)


def test_delete_removes_only_that_names_entry(client: httpx.Client, names: dict[str, str]) -> None:
    made = client.post(url(names["main_id"]), json={"text": "to delete", "label": "0"}).json()
    other = client.delete(url(names["other_id"], f"/{made['id']}"))
    assert_problem(other, 404, names["other"])
    assert client.delete(url(f"{names['main']}:1", f"/{made['id']}")).status_code == 204
    assert made["id"] not in {e["id"] for e in listed(client, names["main_id"])}
    assert_problem(client.delete(url(names["main_id"], f"/{made['id']}")), 404)


def test_a_multi_label_model_takes_no_feedback_yet(client: httpx.Client) -> None:
    dataset = upload_csv(client, multilabel_csv(200), "multi.csv").json()
    accepted = fit(
        client,
        dataset["id"],
        name=unique_name("fb-multi"),
        label_columns=MULTILABEL_COLUMNS,
        params={"min_df": 1},
    )
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    model_id = accepted["model_id"]
    sent = client.post(url(model_id), json={"text": "t", "label": "toxic"})
    assert_problem(sent, 422, "multi-label", "not supported yet")
    retrain = client.post(f"{API}/models/{model_id}/retrain_from_feedback", json={})
    assert_problem(retrain, 422, "multi-label", "not supported yet")
