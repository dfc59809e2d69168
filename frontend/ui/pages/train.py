"""Train: a model kind, its hyperparameters, preprocessing and split; then a background task."""

import re

import streamlit as st

from shared.schemas import FitRequest, ModelKind, PreprocessingConfig
from shared.schemas.strings import NAME_PATTERN, PATTERN_WORDS
from ui import data, state
from ui.components.backend import call, call_or_stop, get_client, valid
from ui.components.dataset import require_selection, selection_caption
from ui.components.label_columns import label_columns_of, more_label_columns
from ui.components.param_form import field_widget, model_form, params_models
from ui.components.preprocessing_checks import languages_read, mismatches, mixed_scripts
from ui.components.started_task import remember_started, started_banner
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
MAX_PLACEHOLDER_LINES = 4  # the display names' example: the label's first values


def render() -> None:
    st.title("Train a model")
    if state.last_page() != "train":  # a new visit: the last one's banner is done
        st.session_state.pop(LAST_FIT, None)
    chosen = require_selection("training")
    dataset = call_or_stop("Reading the dataset", get_client().get_dataset, chosen.dataset_id)
    selection_caption(chosen)
    st.caption(f"{dataset.rows:,} rows; a share of them is held out to measure the model.")
    more_labels = more_label_columns(dataset, chosen.text_column, chosen.label_column)
    values = [str(v) for v in data.class_balance(chosen.dataset_id, chosen.label_column)["label"]]
    one_class = len(values) < 2 and not more_labels
    if one_class:
        found = f"only `{values[0]}`" if values else "no value"
        st.warning(
            f"The label column `{chosen.label_column}` has {found} in its labelled rows: a "
            "classifier needs two classes or more. Pick another label column on the Upload "
            "page (or more label columns, for a multi-label model).",
            icon=":material/warning:",
        )
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

    follow_suggested_name(default_name(chosen, kind, multilabel=bool(more_labels)))
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
        placeholder="\n".join(f"{value} = …" for value in values[:MAX_PLACEHOLDER_LINES]),
        help="One `value = name` per line (`0 = clean`), shown with predictions instead of "
        "the raw value. Optional.",
        key="train.label_names",
    )
    st.subheader("Hyperparameters")
    params = model_form(models[kind], key=prefix, exclude=frozenset({"kind"}))
    st.subheader("Preprocessing")
    st.caption(
        "With **Split words with: auto** the fit detects the language of the texts: Chinese "
        "gets character n-grams (TF-IDF kinds) or jieba words (Keras kinds, or when words to "
        "keep whole or the chinese stop-word list are picked); the model's page says what "
        "was detected and chosen."
    )
    mix = data.text_languages(chosen.dataset_id, chosen.text_column, chosen.label_column)
    lang = mix.main
    st.caption(f"The texts read as {languages_read(mix)} (detected on a sample by langdetect).")
    if (mixed := mixed_scripts(mix)) is not None:
        st.warning(mixed, icon=":material/translate:")
    preprocessing = model_form(PreprocessingConfig, key="train.pre")
    for said in mismatches(preprocessing, lang):
        st.warning(said, icon=":material/translate:")
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

    if st.button("Train", type="primary", key="train.submit", disabled=one_class):
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
    started_banner(LAST_FIT)


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
        remember_started(LAST_FIT, accepted, request.name)


def parse_label_names(text: str) -> dict[str, str]:
    """`0 = clean` lines as {"0": "clean"}; lines without an `=` are left out."""
    names = {}
    for line in text.splitlines():
        value, sep, name = line.partition("=")
        if sep and value.strip() and name.strip():
            names[value.strip()] = name.strip()
    return names


def default_name(chosen: Selection, kind: str, multilabel: bool = False) -> str:
    """The dataset's name and the kind; a multi-label model's says so, since a name's
    versions are all single-label or all multi-label."""
    base = re.sub(r"[^\w .\-]+", "-", chosen.dataset_name).strip(" -") or "model"
    suffix = "-multilabel" if multilabel else ""
    return f"{base}-{kind}{suffix}"[:100]


def reset_widgets(*prefixes: str) -> None:
    for key in [k for k in st.session_state if str(k).startswith(prefixes)]:
        del st.session_state[key]
