"""Train: a model kind, its hyperparameters, preprocessing and split; then a background task."""

import re

import streamlit as st

from shared.schemas import FitRequest, ModelKind, PreprocessingConfig, TaskRead, TaskStatus
from shared.schemas.strings import NAME_PATTERN, PATTERN_WORDS
from ui import navigation, state
from ui.api_client import ApiError
from ui.components.backend import call, call_or_stop, get_client, valid
from ui.components.dataset import require_selection, selection_caption
from ui.components.label_columns import label_columns_of, more_label_columns
from ui.components.param_form import field_widget, model_form, params_models
from ui.settings import get_settings
from ui.state import Selection

KIND_NAMES = {
    "logreg": "Logistic regression (TF-IDF)",
    "linear_svc": "Linear SVM (TF-IDF, calibrated)",
    "naive_bayes": "Naive Bayes (TF-IDF)",
    "keras_cnn": "Keras 1-D CNN",
    "keras_bilstm": "Keras bidirectional LSTM",
    "sgd": "SGD, hashed n-grams (continues training on new rows)",
}
LAST_FIT = "train.last_fit"
NAME = "train.name"
SUGGESTED_NAME = "train.name_suggested"


def render() -> None:
    st.title("Train a model")
    if state.last_page() != "train":  # a new visit: the last one's banner is done
        st.session_state.pop(LAST_FIT, None)
    chosen = require_selection("training")
    dataset = call_or_stop("Reading the dataset", get_client().get_dataset, chosen.dataset_id)
    selection_caption(chosen)
    st.caption(f"{dataset.rows:,} rows; a share of them is held out to measure the model.")
    more_labels = more_label_columns(dataset, chosen.text_column, chosen.label_column)
    models = params_models()
    kind = st.selectbox(
        "Model kind", list(models), format_func=lambda k: KIND_NAMES.get(k, k), key="train.kind"
    )
    if ModelKind(kind).is_keras:
        st.info(
            "Keras models learn their own vocabulary and embeddings; on a CPU they take "
            "minutes where the TF-IDF models take seconds.",
            icon=":material/schedule:",
        )
    prefix = f"train.params.{kind}"
    if st.button("Reset to defaults", key="train.reset"):
        reset_widgets(prefix, "train.pre")

    follow_suggested_name(default_name(chosen, kind))
    name = st.text_input(
        "Name",
        max_chars=100,
        help=f"Use only {PATTERN_WORDS[NAME_PATTERN]}. An existing name gets its next version; "
        "a name's versions are all of one kind.",
        key=NAME,
    )
    description = st.text_area(
        "Description",
        help="What problem the model solves, for whoever picks it later.",
        key="train.description",
    )
    label_names = st.text_area(
        "Display names for the labels",
        placeholder="0 = clean\n1 = toxic",
        help="One `value = name` per line, shown with predictions instead of the raw value. "
        "Optional.",
        key="train.label_names",
    )
    st.subheader("Hyperparameters")
    params = model_form(models[kind], key=prefix, exclude=frozenset({"kind"}))
    st.subheader("Preprocessing")
    st.caption(
        "With **Split words with: auto** the fit detects the language of the texts: Chinese "
        "gets character n-grams (TF-IDF kinds) or jieba words (Keras kinds, or when words to "
        "keep whole are listed); the model's page says what was detected and chosen."
    )
    preprocessing = model_form(PreprocessingConfig, key="train.pre")
    if preprocessing["new_words"] and preprocessing["tokenizer"] == "regex":
        st.warning(
            "**Words to keep whole** will be ignored: they are jieba's dictionary, and words "
            "are split with regex. Pick jieba (or auto, on Chinese text) to use them.",
            icon=":material/warning:",
        )
    st.subheader("Evaluation")
    left, right = st.columns(2)
    with left:
        test_size = field_widget(
            "test_size", FitRequest.model_fields["test_size"], "train.test_size"
        )
    with right:
        seed = field_widget("random_state", FitRequest.model_fields["random_state"], "train.seed")

    if st.button("Train", type="primary", key="train.submit"):
        submit(
            {
                "name": name.strip(),
                "description": description,
                "kind": kind,
                "params": params,
                "preprocessing": preprocessing,
                "dataset_id": chosen.dataset_id,
                "text_column": chosen.text_column,
                "label_column": chosen.label_column,
                "label_columns": label_columns_of(chosen.label_column, more_labels),
                "test_size": test_size,
                "random_state": seed,
                "label_names": parse_label_names(label_names),
            }
        )
    started_banner()


def started_banner() -> None:
    """The fit started during this visit of the page (a later visit drops it, see render),
    and its task's state, followed until the task ends; nothing once its model was
    removed."""
    last = st.session_state.get(LAST_FIT)
    if not last:
        return
    task = _task_of(last)
    if task is None:
        return
    polling = not task.status.is_finished
    every = get_settings().tasks_refresh_s if polling else None
    read = [task]  # this run's read; each later run of the fragment reads it anew

    @st.fragment(run_every=every)
    def banner() -> None:
        current = read.pop() if read else _task_of(last)
        if current is None:
            return
        if polling and current.status.is_finished:
            st.rerun()  # the whole page, so that the banner stops polling
        show = st.error if current.status == TaskStatus.FAILED else st.success
        show(
            f"Training started: **{last['name']}** — {_task_state(current)}.",
            icon=":material/rocket_launch:",
        )
        st.caption(f"Task `{last['task_id']}` · model id `{last['model_id']}`")

    banner()
    st.page_link(navigation.page("tasks"), label="Follow it on the Tasks page")


def _task_of(last: dict[str, str]) -> TaskRead | None:
    """The fit's task, or None (and the banner forgotten) once its model was removed."""
    try:
        task = get_client().get_task(last["task_id"])
    except ApiError:
        task = None
    if task is None or task.model_id != last["model_id"]:  # removed (its task forgets it)
        st.session_state.pop(LAST_FIT, None)
        return None
    return task


def _task_state(task: TaskRead) -> str:
    """Where a fit's task is, in words."""
    if task.status == TaskStatus.QUEUED:
        return "queued, waiting for a training process"
    if task.status == TaskStatus.RUNNING:
        return f"training, {task.progress:.0%}" + (f" ({task.message})" if task.message else "")
    if task.status == TaskStatus.SUCCEEDED:
        return "finished: the model is ready (load it on the Models page to predict)"
    if task.status == TaskStatus.FAILED:
        return f"failed: {task.error or task.message}"
    return "cancelled"


def follow_suggested_name(suggested: str) -> None:
    """The name field shows the suggested name (dataset and kind) until the user edits it."""
    current = st.session_state.get(NAME)
    if current is None or current == st.session_state.get(SUGGESTED_NAME):
        st.session_state[NAME] = suggested
    st.session_state[SUGGESTED_NAME] = suggested


def submit(body: dict[str, object]) -> None:
    request = valid(FitRequest, body)
    if request is None:
        return
    accepted = call("Starting the training", get_client().fit, request)
    if accepted is not None:
        st.session_state[LAST_FIT] = {
            "task_id": accepted.task_id,
            "model_id": accepted.model_id,
            "name": request.name,
        }


def parse_label_names(text: str) -> dict[str, str]:
    """`0 = clean` lines as {"0": "clean"}; lines without an `=` are left out."""
    names = {}
    for line in text.splitlines():
        value, sep, name = line.partition("=")
        if sep and value.strip() and name.strip():
            names[value.strip()] = name.strip()
    return names


def default_name(chosen: Selection, kind: str) -> str:
    base = re.sub(r"[^\w .\-]+", "-", chosen.dataset_name).strip(" -") or "model"
    return f"{base}-{kind}"[:100]


def reset_widgets(*prefixes: str) -> None:
    for key in [k for k in st.session_state if str(k).startswith(prefixes)]:
        del st.session_state[key]
