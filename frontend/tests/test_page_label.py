"""The Label page against a real backend: the prediction log's queue, hardest first as the
API ranks it; skipping; the segment and time filters; an uploaded dataset scored in the
background with its progress, then its queue. (Labelling and retraining, which need the
feedback API, are in test_page_label_feedback.py.)"""

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import ModelRead, TaskRead, TaskStatus
from shared.schemas.hard_examples import DatasetHardExample, HardExample, HardExampleStrategy
from shared.schemas.thresholds import DecisionThresholds, LabelThreshold
from testkit.samples import NEGATIVE, POSITIVE
from ui.api_client import ApiClient
from ui.pages.label import DATASET_SOURCE, describe, shortcuts, strategy_help

TEXTS = [f"{a} and {b}" for a in POSITIVE[:3] for b in NEGATIVE[:3]] + POSITIVE + NEGATIVE


@pytest.fixture(scope="module")
def label_model(logged_model: Callable[[str, list[str]], ModelRead]) -> ModelRead:
    """A model of its own name, loaded, with the TEXTS predicted (and logged)."""
    return logged_model("page-tests-label", TEXTS)


def label_page(page: Callable[[str], AppTest], model: ModelRead) -> AppTest:
    at = page("label").run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="label.model").set_value(model.id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def progress_texts(at: AppTest) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def test_the_log_queue_shows_the_hardest_first(
    page: Callable[[str], AppTest], api: ApiClient, label_model: ModelRead
) -> None:
    at = label_page(page, label_model)
    at.selectbox(key="label.strategy").set_value("margin").run()
    at.button(key="label.load_log").click().run()
    assert not at.exception, [e.value for e in at.exception]
    expected = api.hard_examples(label_model.id, strategy=HardExampleStrategy.MARGIN)
    assert len(expected) == len(set(TEXTS))
    first = expected[0]
    assert first.text.replace(" ", "") in shown_text(at).replace("\\", "").replace(" ", "")
    assert f"0 of {len(expected)} labelled · 0 skipped" in progress_texts(at)
    labels = [b.label for b in at.button if b.key and b.key.startswith("label.class.")]
    assert labels == [str(c) for c in label_model.classes]
    # the probabilities as bars on a fixed 0-100 % scale, one per class
    bars = [b for b in at.get("progress") if b.proto.text.startswith("`")]
    assert [b.proto.text.split("`")[1] for b in bars] == [str(c) for c in label_model.classes]
    assert sum(b.proto.value for b in bars) == pytest.approx(100, abs=1)


def test_skip_goes_on_to_the_next(
    page: Callable[[str], AppTest], api: ApiClient, label_model: ModelRead
) -> None:
    at = label_page(page, label_model)
    at.button(key="label.load_log").click().run()
    expected = api.hard_examples(label_model.id, limit=50)
    at.button(key="label.skip").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"0 of {len(expected)} labelled · 1 skipped" in progress_texts(at)
    assert "Example 2 of" in shown_text(at)
    second = expected[1].text.replace(" ", "")
    assert second in shown_text(at).replace("\\", "").replace(" ", "")


def test_the_filters_reach_the_log(page: Callable[[str], AppTest], label_model: ModelRead) -> None:
    at = label_page(page, label_model)
    at.text_input(key="label.segment").input("no-such-segment").run()
    at.button(key="label.load_log").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("No logged prediction" in i.value for i in at.info)
    at.text_input(key="label.segment").input("").run()
    long_ago = (date.today() - timedelta(days=400), date.today() - timedelta(days=300))
    at.date_input(key="label.days").set_value(long_ago).run()
    at.button(key="label.load_log").click().run()
    assert any("No logged prediction" in i.value for i in at.info)
    at.date_input(key="label.days").set_value((date.today(), date.today())).run()
    at.button(key="label.load_log").click().run()
    assert not [i.value for i in at.info if "No logged prediction" in i.value]
    assert "Example 1 of" in shown_text(at)


def test_a_dataset_is_scored_in_the_background_then_queued(
    page: Callable[[str], AppTest],
    api: ApiClient,
    label_model: ModelRead,
    finished: Callable[[str], TaskRead],
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["message"])
    marker = uuid.uuid4().hex[:6]
    writer.writerows([[f"{text} {marker}"] for text in TEXTS])
    dataset = api.upload_dataset("unlabelled.csv", out.getvalue().encode())
    at = label_page(page, label_model)
    at.radio(key="label.source").set_value(DATASET_SOURCE).run()
    at.selectbox(key="label.dataset").set_value(dataset.id).run()
    at.selectbox(key="label.column").set_value("message").run()
    at.button(key="label.load_dataset").click().run()
    said = [i.value for i in at.info if "Not scored yet" in i.value]
    assert said == [
        "**Not scored yet.** Press *Score in the background* first: the model scores every "
        f"row of `message` of {dataset.name}, then the queue loads."
    ], said  # the page's words, not the API's route
    at.button(key="label.score").click().run()
    assert not at.exception, [e.value for e in at.exception]
    task = next(
        t
        for t in api.list_tasks()
        if t.dataset_id == dataset.id and t.model_name == label_model.name
    )
    assert task.kind == "hard_examples_scoring"
    shown = progress_texts(at) + [s.value for s in at.success]
    assert any("rows" in text for text in shown), shown  # its progress, or that it is done
    assert finished(task.id).status == TaskStatus.SUCCEEDED
    at.run()
    assert any("Scored" in s.value for s in at.success), [s.value for s in at.success]
    at.button(key="label.load_dataset").click().run()
    assert not at.exception, [e.value for e in at.exception]
    expected = api.dataset_hard_examples(label_model.id, dataset.id, "message", limit=50)
    assert f"data row {expected[0].row + 1:,} of the file" in shown_text(at)
    assert f"0 of {len(expected)} labelled" in progress_texts(at)[0]


def test_the_scoring_task_shows_on_the_tasks_page(
    page: Callable[[str], AppTest],
    api: ApiClient,
    label_model: ModelRead,
    finished: Callable[[str], TaskRead],
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["message"])
    writer.writerows([[f"{text} {uuid.uuid4().hex[:6]}"] for text in TEXTS])
    dataset = api.upload_dataset("for-tasks.csv", out.getvalue().encode())
    accepted = api.score_dataset_for_labelling(label_model.id, dataset.id, "message")
    assert finished(accepted.task_id).status == TaskStatus.SUCCEEDED
    at = page("tasks").run()
    assert not at.exception, [e.value for e in at.exception]
    expected = (
        f"**{label_model.name}** v1 · hard examples scoring · on for-tasks · "
        f"task `{accepted.task_id[:8]}`"
    )
    assert expected in [m.value for m in at.markdown]


def test_a_class_named_by_one_digit_or_letter_is_its_own_key() -> None:
    assert shortcuts(["0", "1"]) == ["0", "1"]  # pressing 1 labels 1, not the first class
    assert shortcuts(["A", "b", "c"]) == ["a", "b", "c"]
    assert shortcuts(["spam", "ham"]) == ["1", "2"]
    assert shortcuts(["s", "t"]) == ["1", "2"]  # s is the skip
    assert shortcuts([str(i) for i in range(10, 21)])[8:] == ["9", None, None]


def test_a_prediction_under_50_percent_says_the_threshold_it_passed(
    label_model: ModelRead,
) -> None:
    example = HardExample(
        prediction_id="p", text="t", label="1", confidence=0.44,
        probabilities={"0": 0.56, "1": 0.44}, score=0.1, segment="default",
        created_at=datetime(2026, 1, 1, tzinfo=UTC), model_id=label_model.id,
    )  # fmt: skip
    thresholds = DecisionThresholds(
        source="manual",
        thresholds=[LabelThreshold(label=1, threshold=0.377)],
        set_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    with_cut = label_model.model_copy(update={"thresholds": thresholds})
    assert describe(example, with_cut).startswith("the model says **1** (44%, its threshold 38%)")
    without = label_model.model_copy(update={"thresholds": None})
    assert describe(example, without).startswith("the model says **1** (44%) ·")
    # the other class, under 50 %: its threshold on the positive class says why
    other = example.model_copy(
        update={"label": "0", "confidence": 0.45, "probabilities": {"0": 0.45, "1": 0.55}}
    )
    strict = thresholds.model_copy(update={"thresholds": [LabelThreshold(label=1, threshold=0.61)]})
    named = label_model.model_copy(
        update={"thresholds": strict, "label_names": {"0": "clean", "1": "toxic"}}
    )
    assert describe(other, named).startswith(
        "the model says **clean (0)** (45%, as P(toxic (1)) 55% is under its threshold 61%)"
    )


def test_a_datasets_row_is_counted_from_1_as_a_spreadsheet_does(label_model: ModelRead) -> None:
    example = DatasetHardExample(
        row=0, text="t", label="1", confidence=0.6, probabilities={"0": 0.4, "1": 0.6},
        score=0.4,
    )  # fmt: skip
    assert describe(example, label_model).endswith(" · data row 1 of the file")
    assert describe(example.model_copy(update={"row": 1233}), label_model).endswith(
        " · data row 1,234 of the file"
    )


def test_the_strategy_help_says_what_the_ranking_is_centred_on(label_model: ModelRead) -> None:
    thresholds = DecisionThresholds(
        source="manual",
        thresholds=[LabelThreshold(label=1, threshold=0.2)],
        set_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    with_cut = label_model.model_copy(update={"thresholds": thresholds})
    assert "around its decision threshold 20% for `1`" in strategy_help(with_cut)
    without = label_model.model_copy(update={"thresholds": None})
    assert "nearest even odds" in strategy_help(without)
