"""The Label page's labelling and retraining, which call the feedback API
(ApiClient.send_feedback and retrain_from_feedback): a label leaves the queue
and the next hard-example list; a dataset's text likewise; a new class; a retrain with
an alias moved, said to change little with few labels, and none without labels."""

import csv
import io
import uuid
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import ModelRead, TaskRead, TaskStatus
from shared.schemas.feedback import FeedbackCreate
from testkit.samples import NEGATIVE, POSITIVE
from ui.api_client import ApiClient
from ui.pages.label import DATASET_SOURCE

TEXTS = [f"{a} or {b}" for a in POSITIVE[:3] for b in NEGATIVE[:3]]


@pytest.fixture(scope="module")
def feedback_model(logged_model: Callable[[str, list[str]], ModelRead]) -> ModelRead:
    """A model of its own name, loaded, with the TEXTS predicted (and logged)."""
    return logged_model("page-tests-feedback", TEXTS)


def label_page(page: Callable[[str], AppTest], model: ModelRead) -> AppTest:
    at = page("label").run()
    at.selectbox(key="label.model").set_value(model.id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def progress_texts(at: AppTest) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def test_a_label_is_sent_and_leaves_the_queue(
    page: Callable[[str], AppTest], api: ApiClient, feedback_model: ModelRead
) -> None:
    before = api.hard_examples(feedback_model.id)
    at = label_page(page, feedback_model)
    at.button(key="label.load_log").click().run()
    at.button(key="label.class.1").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert f"1 of {len(before)} labelled · 0 skipped" in progress_texts(at)
    after = api.hard_examples(feedback_model.id)
    assert [e.prediction_id for e in after] == [e.prediction_id for e in before[1:]]


def test_a_new_class_can_be_given(
    page: Callable[[str], AppTest], api: ApiClient, feedback_model: ModelRead
) -> None:
    before = api.hard_examples(feedback_model.id)
    at = label_page(page, feedback_model)
    at.button(key="label.load_log").click().run()
    at.text_input(key="label.new_class").input("spam").run()
    at.button(key="label.add_class").click().run()
    assert not at.error, [e.value for e in at.error]
    assert f"1 of {len(before)} labelled" in progress_texts(at)[0]
    assert before[0].text not in {e.text for e in api.hard_examples(feedback_model.id)}
    # one text of a new class cannot be split for a retrain: take it back (the retrain
    # test below shares this model)
    given, _ = api.list_feedback(feedback_model.id, limit=1)
    assert given[0].label == "spam" and given[0].text == before[0].text
    api.delete_feedback(feedback_model.id, given[0].id)


def test_a_datasets_text_is_labelled(
    page: Callable[[str], AppTest],
    api: ApiClient,
    feedback_model: ModelRead,
    finished: Callable[[str], TaskRead],
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["message"])
    writer.writerows([[f"{t} {uuid.uuid4().hex[:6]}"] for t in POSITIVE + NEGATIVE])
    dataset = api.upload_dataset("to-label.csv", out.getvalue().encode())
    accepted = api.score_dataset_for_labelling(feedback_model.id, dataset.id, "message")
    assert finished(accepted.task_id).status == TaskStatus.SUCCEEDED
    before = api.dataset_hard_examples(feedback_model.id, dataset.id, "message")
    at = label_page(page, feedback_model)
    at.radio(key="label.source").set_value(DATASET_SOURCE).run()
    at.selectbox(key="label.dataset").set_value(dataset.id).run()
    at.selectbox(key="label.column").set_value("message").run()
    at.button(key="label.load_dataset").click().run()
    at.button(key="label.class.0").click().run()
    assert not at.error, [e.value for e in at.error]
    after = api.dataset_hard_examples(feedback_model.id, dataset.id, "message")
    assert [e.row for e in after] == [e.row for e in before[1:]]


def test_retrain_from_feedback_passes_the_alias_to_move(
    page: Callable[[str], AppTest],
    api: ApiClient,
    feedback_model: ModelRead,
    finished: Callable[[str], TaskRead],
) -> None:
    at = label_page(page, feedback_model)
    _, given = api.list_feedback(feedback_model.id, limit=1)
    assert 0 < given < 20  # the tests above labelled a few
    warned = [w.value for w in at.warning if "given for" in w.value]
    assert warned == [
        f"Only {given} label{'s' * (given != 1)} given for **{feedback_model.name}** so far: "
        "the new version will differ little from its parent. Its comparison with the "
        "parent, on the Tasks page once it ends, says by how much."
    ]
    at.text_input(key="label.move_alias").input("labelled").run()
    at.button(key="label.retrain").click().run()
    assert not at.error, [e.value for e in at.error]
    shown = [s.value for s in at.success]
    assert any("Retraining: task" in s for s in shown), shown
    # the banner is this model's: another model picked shows none
    other = next(m for m in api.list_models() if m.is_default and m.kind == "logreg")
    at.selectbox(key="label.model").set_value(other.id).run()
    assert not [s.value for s in at.success if "Retraining: task" in s.value]
    at.selectbox(key="label.model").set_value(feedback_model.id).run()
    tasks = [
        t
        for t in api.list_tasks()
        if t.model_name == feedback_model.name and t.model_version == feedback_model.version + 1
    ]
    assert len(tasks) == 1
    assert finished(tasks[0].id).status == TaskStatus.SUCCEEDED
    # the page passed the alias: the task says whether it moved (it moves only when the
    # new version is better on held-out feedback, tested through the API)
    message = api.get_task(tasks[0].id).message or ""
    assert "alias 'labelled'" in message, message
    moved = {a.alias: a.version for a in api.list_aliases(feedback_model.name)}
    if "moved to" in message:
        assert moved.get("labelled") == feedback_model.version + 1
    else:
        assert "labelled" not in moved
    # the Models page says why: the comparison the fit made, beside the lineage
    retrained = api.get_model(tasks[0].model_id or "")
    comparison = retrained.metrics.comparison if retrained.metrics else None
    assert comparison is not None
    models = page("models").run()
    models.selectbox(key="models.picked").set_value(retrained.id).run()
    assert not models.exception, [e.value for e in models.exception]
    verdict = "better" if comparison.better else "not better"
    said = [m.value for m in models.markdown if m.value.startswith("**Against its parent:**")]
    assert len(said) == 1 and said[0].startswith(f"**Against its parent:** {verdict} "), said
    assert "The alias `labelled` moved to it only if better." in said[0]
    table = next(d.value for d in models.dataframe if "scored on" in d.value.columns)
    assert list(table["version"])[:2] == ["parent", "this version"]
    assert table["texts"].iloc[0] == comparison.parent_holdout.parent.n


def test_without_labels_there_is_nothing_to_retrain_with(
    page: Callable[[str], AppTest], logged_model: Callable[[str, list[str]], ModelRead]
) -> None:
    model = logged_model("page-tests-unlabelled", TEXTS[:2])
    at = label_page(page, model)
    assert any(f"No labels given for **{model.name}** yet" in i.value for i in at.info), [
        i.value for i in at.info
    ]
    assert not [b for b in at.button if b.key == "label.retrain"]


def test_a_label_given_can_be_taken_back(
    page: Callable[[str], AppTest],
    api: ApiClient,
    logged_model: Callable[[str, list[str]], ModelRead],
) -> None:
    model = logged_model("page-tests-take-back", TEXTS[:3])
    api.send_feedback(model.id, FeedbackCreate(text="a wrong key pressed", label="1"))
    api.send_feedback(model.id, FeedbackCreate(text="a right one", label="0"))
    at = label_page(page, model)
    table = at.dataframe(key=f"label.given.{model.name}").value
    assert list(table["text"]) == ["a right one", "a wrong key pressed"]  # newest first
    assert list(table["label"]) == ["0", "1"]
    at.session_state[f"label.given.{model.name}"] = {"selection": {"rows": [1], "columns": []}}
    at.run()
    at.button(key="label.take_back").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Took back the label `1`" in s.value for s in at.success)
    given, total = api.list_feedback(model.id)
    assert total == 1 and [f.text for f in given] == ["a right one"]


def test_labels_are_added_from_a_csv(
    page: Callable[[str], AppTest],
    api: ApiClient,
    logged_model: Callable[[str, list[str]], ModelRead],
) -> None:
    model = logged_model("page-tests-csv-labels", TEXTS[:2])
    content = b"comment,truth\nreviewed text one,1\nreviewed text two,0\n"
    at = label_page(page, model)
    at.file_uploader(key="label.csv_file").upload("reviewed.csv", content, "text/csv").run()
    at.selectbox(key="label.csv_text").set_value("comment").run()
    at.selectbox(key="label.csv_label").set_value("truth").run()
    at.button(key="label.csv_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Added 2 labels from reviewed.csv" in s.value for s in at.success)
    given, total = api.list_feedback(model.id)
    assert total == 2 and {f.text for f in given} == {"reviewed text one", "reviewed text two"}


def test_labels_are_added_from_a_cp1251_csv_with_semicolons(
    page: Callable[[str], AppTest],
    api: ApiClient,
    logged_model: Callable[[str, list[str]], ModelRead],
) -> None:
    model = logged_model("page-tests-csv-labels-cp1251", TEXTS[:2])
    content = "отзыв;оценка\r\nпроверенный текст, первый;1\r\nвторой проверенный текст;0\r\n"
    at = label_page(page, model)
    at.file_uploader(key="label.csv_file").upload(
        "reviewed.csv", content.encode("cp1251"), "text/csv"
    )
    at.run()
    assert "it reads as Cyrillic text in cp1251" in at.error[0].value
    assert any("under **File format**" in c.value for c in at.caption)
    at.selectbox(key="label.csv_format.encoding").set_value("cp1251").run()
    at.selectbox(key="label.csv_format.delimiter").set_value(";").run()
    assert not at.error, [e.value for e in at.error]
    at.selectbox(key="label.csv_text").set_value("отзыв").run()
    at.selectbox(key="label.csv_label").set_value("оценка").run()
    at.button(key="label.csv_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Added 2 labels from reviewed.csv" in s.value for s in at.success)
    given, total = api.list_feedback(model.id)
    assert total == 2
    assert {f.text for f in given} == {"проверенный текст, первый", "второй проверенный текст"}
