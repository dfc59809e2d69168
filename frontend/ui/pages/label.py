"""Label: the texts a model is least sure of, one at a time, to label first (active
learning). The queue comes from the prediction log (filtered by segment and time) or from
an uploaded dataset scored in the background; each label is sent as feedback, and the
feedback retrains the model. Each class's button has a key (shown on it), S skips."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import streamlit as st

from shared.schemas import ModelRead, ModelStatus, TaskStatus
from shared.schemas.feedback import FeedbackCreate
from shared.schemas.hard_examples import DatasetHardExample, HardExample, HardExampleStrategy
from ui import navigation
from ui.api_client import ApiError
from ui.components.backend import call, call_or_stop, get_client, show_error
from ui.components.feedback_given import given_labels
from ui.components.feedback_retrain import retrain_from_feedback
from ui.components.models import (
    cached_models,
    label_names,
    label_text,
    pick_model,
    threshold_in_force,
)
from ui.settings import get_settings

MODEL = "label.model"
SOURCE = "label.source"
STRATEGY = "label.strategy"
SIZE = "label.size"
SEGMENT = "label.segment"
DAYS = "label.days"
DATASET = "label.dataset"
COLUMN = "label.column"
QUEUE = "label.queue"  # the loaded Queue
SCORING = "label.scoring"  # (model id, dataset id, column, task id) being scored
NEW_CLASS = "label.new_class"
LOG, DATASET_SOURCE = "Prediction log", "Uploaded dataset"
STRATEGY_NAMES = {
    HardExampleStrategy.LEAST_CONFIDENCE: "Least confidence (1 − max p)",
    HardExampleStrategy.MARGIN: "Margin (p1 − p2, smallest first)",
    HardExampleStrategy.ENTROPY: "Entropy",
}
SHORTCUTS = 9  # classes 1..9 get a key
SKIP_KEY = "s"
Example = HardExample | DatasetHardExample


@dataclass
class Queue:
    source: tuple[str, ...]  # what it was loaded for: model id, source and its filters
    examples: list[Example]
    position: int = 0
    labelled: int = 0
    skipped: int = 0


def render() -> None:
    st.title("Label")
    st.caption(
        "The texts the model is least sure of, hardest first: label them, then retrain the "
        "model from the feedback. Each class's button shows its key; **S** skips."
    )
    models = call_or_stop("Listing the models", cached_models)
    usable = [m for m in models if m.status == ModelStatus.READY and not m.label_columns]
    if not usable:
        st.info("No trained single-label model yet: train one first.", icon=":material/info:")
        st.page_link(navigation.page("train"), label="Go to Train")
        return
    summary = pick_model("Model", usable, MODEL)
    if summary is None:
        return
    model = call_or_stop("Reading the model", get_client().get_model, summary.id)
    source = st.radio("Source", [LOG, DATASET_SOURCE], horizontal=True, key=SOURCE)
    left, right = st.columns(2)
    strategy = left.selectbox(
        "Strategy",
        list(STRATEGY_NAMES),
        format_func=lambda s: STRATEGY_NAMES[s],
        key=STRATEGY,
        help=strategy_help(model),
    )
    size = int(right.number_input("Queue size", 1, 1000, 50, step=10, key=SIZE))
    if source == LOG:
        log_source(model, strategy, size)
    else:
        dataset_source(model, strategy, size)
    queue = st.session_state.get(QUEUE)
    if isinstance(queue, Queue) and queue.source[0] == model.id:
        show_queue(model, queue)
    given = given_labels(model)
    retrain_from_feedback(summary, given)


def strategy_help(model: ModelRead) -> str:
    """How the strategies rank: around even odds, or a binary model's threshold."""
    cut = threshold_in_force(model) if len(model.classes) == 2 else None
    if cut is None:
        return "How unsure the model is of a text: the texts nearest even odds come first."
    return (
        f"How unsure the model is of a text, around its decision threshold {cut:.0%} for "
        f"`{model.classes[1]}`: the texts nearest the threshold come first (the probabilities "
        "shown are the model's own)."
    )


def log_source(model: ModelRead, strategy: HardExampleStrategy, size: int) -> None:
    left, right = st.columns(2)
    segment = left.text_input("Segment", key=SEGMENT, placeholder="every segment").strip()
    days = right.date_input(
        "Logged between",
        value=(date.today() - timedelta(days=30), date.today()),
        key=DAYS,
    )
    start, end = _range(days)
    if st.button("Load the queue", key="label.load_log", type="primary"):
        examples = call(
            "Reading the hard examples",
            get_client().hard_examples,
            model.id,
            strategy=strategy,
            segment=segment or None,
            start=start,
            end=end,
            limit=size,
        )
        if examples is not None:
            key = (model.id, LOG, str(strategy), segment, str(start), str(end))
            st.session_state[QUEUE] = Queue(key, list(examples))
            if not examples:
                st.info(
                    "No logged prediction without feedback matches: predict some texts, or "
                    "widen the filters.",
                    icon=":material/info:",
                )


def dataset_source(model: ModelRead, strategy: HardExampleStrategy, size: int) -> None:
    datasets = call_or_stop("Listing the datasets", get_client().list_datasets)
    if not datasets:
        st.info("No dataset uploaded yet.", icon=":material/info:")
        st.page_link(navigation.page("upload"), label="Go to Upload data")
        return
    by_id = {d.id: d for d in datasets}
    left, right = st.columns(2)
    dataset_id = left.selectbox(
        "Dataset", list(by_id), format_func=lambda i: by_id[i].name, key=DATASET
    )
    dataset = by_id[dataset_id]
    columns = [c.name for c in dataset.columns]
    default = columns.index(model.text_column) if model.text_column in columns else 0
    column = right.selectbox("Text column", columns, index=default, key=COLUMN)
    scoring = st.session_state.get(SCORING)
    this = (model.id, dataset_id, column)
    score, load = st.columns(2)
    if score.button(
        "Score in the background",
        key="label.score",
        help="The model scores every row; the Tasks page shows the progress too.",
    ):
        accepted = call(
            "Starting the scoring",
            get_client().score_dataset_for_labelling,
            model.id,
            dataset_id,
            column,
        )
        if accepted is not None:
            scoring = (*this, accepted.task_id)
            st.session_state[SCORING] = scoring
    if scoring is not None and tuple(scoring[:3]) == this:
        scoring_progress(scoring[3])
    if load.button("Load the queue", key="label.load_dataset", type="primary"):
        try:
            examples = get_client().dataset_hard_examples(
                model.id, dataset_id, column, strategy=strategy, limit=size
            )
        except ApiError as error:
            if error.status == 409:  # said in the page's words: the API's name a route
                st.info(
                    f"**Not scored yet.** The model is still scoring `{column}` of "
                    f"{dataset.name}: load the queue once its task has ended."
                    if "still scoring" in error.detail
                    else f"**Not scored yet.** Press *Score in the background* first: the "
                    f"model scores every row of `{column}` of {dataset.name}, then the "
                    "queue loads.",
                    icon=":material/hourglass_top:",
                )
            else:
                show_error("Reading the hard examples", error)
            return
        st.session_state[QUEUE] = Queue((*this, DATASET_SOURCE, str(strategy)), list(examples))


def scoring_progress(task_id: str) -> None:
    """The scoring task's progress, polled while it runs."""
    task = call("Reading the scoring task", get_client().get_task, task_id)
    every = None if task is None or task.status.is_finished else get_settings().tasks_refresh_s

    @st.fragment(run_every=every)
    def progress() -> None:
        current = call("Reading the scoring task", get_client().get_task, task_id)
        if current is None:
            return
        if every is not None and current.status.is_finished:
            st.rerun()  # the whole page, so the fragment stops polling
        if current.status == TaskStatus.SUCCEEDED:
            st.success(f"Scored: {current.message}. Load the queue.", icon=":material/done:")
        elif current.status == TaskStatus.RUNNING or current.status == TaskStatus.QUEUED:
            st.progress(min(max(current.progress, 0.0), 1.0), text=current.message or "scoring")
        else:
            st.error(f"**Scoring {current.status}:** {current.error or current.message}")

    progress()


def show_queue(model: ModelRead, queue: Queue) -> None:
    st.divider()
    total = len(queue.examples)
    if not total:
        return
    st.progress(
        min(queue.position / total, 1.0),
        text=f"{queue.labelled} of {total} labelled · {queue.skipped} skipped",
    )
    if queue.position >= total:
        st.success(
            f"Queue done: {queue.labelled} labelled, {queue.skipped} skipped. Load the next "
            "queue, or retrain the model from the feedback below.",
            icon=":material/task_alt:",
        )
        return
    example = queue.examples[queue.position]
    names = label_names(model.id)
    with st.container(border=True, key="label-example"):
        st.caption(f"Example {queue.position + 1} of {total} · {describe(example, model)}")
        st.markdown(_escaped(example.text))
    # bars on a fixed 0-100 % scale, as on the Predict page (a chart's axis stretched to the
    # largest probability made a 54 % bar look certain)
    for label, probability in example.probabilities.items():
        st.progress(
            min(max(probability, 0.0), 1.0), text=f"`{label_text(label, names)}` {probability:.1%}"
        )
    classes = [str(c) for c in model.classes]
    columns = st.columns(len(classes) + 1)
    for i, (column, label, key) in enumerate(
        zip(columns, classes, shortcuts(classes), strict=False)
    ):
        if column.button(
            label_text(label, names),  # Streamlit shows the key beside it
            key=f"label.class.{i}",
            shortcut=key,
            width="stretch",
        ):
            send(model, queue, example, label)
    if columns[-1].button("Skip", key="label.skip", shortcut=SKIP_KEY, icon=":material/skip_next:"):
        queue.position += 1
        queue.skipped += 1
        st.rerun()
    with st.expander("Another label (a class the model does not know yet)"):
        new = st.text_input("Label", key=NEW_CLASS).strip()
        if st.button("Label with it", key="label.add_class", disabled=not new):
            send(model, queue, example, new, add_class=True)


def describe(example: Example, model: ModelRead) -> str:
    names = model.label_names or {}
    said = f"the model says **{label_text(example.label, names)}** ({example.confidence:.0%}"
    cuts = model.thresholds.thresholds if model.thresholds and len(model.classes) == 2 else []
    cut = cuts[0] if cuts else None
    # below 50 % yet its answer: its threshold says why, for either class of a binary model
    if cut is None:
        said += ")"
    elif str(cut.label) == str(example.label):
        said += f", its threshold {cut.threshold:.0%})"
    else:
        positive = example.probabilities.get(str(cut.label))
        said += (
            f", as P({label_text(cut.label, names)}) {positive:.0%} is under its threshold "
            f"{cut.threshold:.0%})"
            if positive is not None
            else ")"
        )
    if isinstance(example, HardExample):
        logged = example.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        return f"{said} · segment `{example.segment}` · logged {logged}"
    # counted as a spreadsheet counts data rows: from 1, after the header
    return f"{said} · data row {example.row + 1:,} of the file"


def shortcuts(classes: list[str]) -> list[str | None]:
    """The key of each class's button: the class itself where every class is one distinct
    digit or letter (0/1: the 1 key is the class 1, never the class 0), else 1, 2, … 9."""
    keys = [c.lower() for c in classes]
    if all(len(k) == 1 and k.isalnum() and k != SKIP_KEY for k in keys) and len(set(keys)) == len(
        keys
    ):
        return list(keys)
    return [str(i + 1) if i < SHORTCUTS else None for i in range(len(classes))]


def send(
    model: ModelRead, queue: Queue, example: Example, label: str, *, add_class: bool = False
) -> None:
    """The label as feedback: for the logged prediction, or for the dataset's text."""
    if isinstance(example, HardExample):  # the log has its text and segment
        feedback = FeedbackCreate(
            prediction_id=example.prediction_id, label=label, add_class=add_class
        )
    else:
        feedback = FeedbackCreate(text=example.text, label=label, add_class=add_class)
    sent = call("Sending the label", get_client().send_feedback, model.id, feedback)
    if sent is None:
        return
    queue.position += 1
    queue.labelled += 1
    st.rerun()


def _range(days: Any) -> tuple[datetime | None, datetime | None]:
    """[first day 00:00, day after the last 00:00) in UTC; a range still being picked
    (one day) is that day."""
    picked = list(days) if isinstance(days, list | tuple) else [days]
    picked = [d for d in picked if isinstance(d, date)]
    if not picked:
        return None, None
    first, last = picked[0], picked[-1]
    return (
        datetime.combine(first, time(), tzinfo=UTC),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC),
    )


def _escaped(text: str) -> str:
    """The text as Markdown shows it literally."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", text).replace("\n", "  \n")
