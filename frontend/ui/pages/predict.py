"""Predict: a loaded model labels a text, several texts (one per line) or a whole CSV file
(`components/csv_prediction.py`).

The model is the one the user picked, always: when it is no longer loaded (unloaded in
another tab, say) the page says so and predicts nothing, rather than fall back on another
model. A prediction reruns only its own fragment, not the page.
"""

import pandas as pd
import streamlit as st

from shared.schemas import ModelRead, ModelStatus, ModelSummary, Prediction
from ui import navigation, state
from ui.api_client import ApiError
from ui.components.backend import call, call_or_stop, get_client, show_error
from ui.components.csv_prediction import csv_prediction
from ui.components.explanation import ASKED_TERMS, beside_words, show_explanation
from ui.components.models import (
    cached_model,
    cached_models,
    decision_threshold,
    forget_models,
    label_names,
    label_text,
    model_label,
    model_name,
    model_read,
)
from ui.components.tables import SCORE_FORMAT, number_columns
from ui.components.thresholds import current_threshold
from ui.words import counted

MODEL = "predict.model"
TEXT_RESULT = "predict.text_result"
EXPLAINED = "predict.explained"  # (model id, text, label) and its explained prediction
EXPLAIN_LABEL = "predict.explain_label"
SEGMENT = "predict.segment"
PREDICT_WITH = "predict.with"  # per picked version: its id or an alias of its name


def render() -> None:
    st.title("Predict")
    models = call_or_stop("Listing the models", cached_models)
    model = chosen_model(models)
    if model is None:
        return
    ref = answering_ref(model, models)
    text_tab, csv_tab = st.tabs(["Text", "CSV file"])
    with text_tab:
        text_prediction(model, ref)
    with csv_tab:
        csv_prediction(model, ref)


def answering_ref(model: ModelSummary, models: list[ModelSummary]) -> str:
    """What a prediction names: the picked version (its id), or one of its name's aliases
    (`name@alias`), answered by whichever version the alias names when it is sent, as a
    program that names the alias is."""
    refs = sorted(
        {f"{m.name}@{alias}" for m in models if m.name == model.name for alias in m.aliases}
    )
    if not refs:
        return model.id

    def label(ref: str) -> str:
        if ref == model.id:
            return f"{model_name(model)}, this version"
        return f"{ref}: the version it names when you press Predict"

    return st.selectbox(
        "Predict with",
        [model.id, *refs],
        format_func=label,
        key=f"{PREDICT_WITH}.{model.id}",
        help="An alias of the name answers with the version it names at that moment: "
        "moved meanwhile, it is another version than the one picked above.",
    )


def chosen_model(models: list[ModelSummary]) -> ModelSummary | None:
    """The picked model while it is loaded; None (and why) when there is none to use. A
    picked model that stopped being loaded stays picked: the user decides what comes next."""
    by_id = {m.id: m for m in models}
    loaded = [m for m in models if m.loaded]
    chosen = state.selection()
    if chosen is not None:  # the models of the dataset being worked on come first
        loaded.sort(key=lambda m: m.dataset_id != chosen.dataset_id)
    options = [m.id for m in loaded]
    state.start_picker_from_url(MODEL, by_id)
    picked = st.session_state.get(MODEL)
    if picked is not None and picked not in options:
        options.append(picked)  # kept, so the picker cannot slide onto another model
    if not options:
        st.info("No model is loaded: load one on the Models page.", icon=":material/info:")
        st.page_link(navigation.page("models"), label="Go to Models")
        return None

    def label(model_id: str) -> str:
        model = by_id.get(model_id)
        if model is None:
            return "a removed model"
        return model_label(model) + ("" if model.loaded else " · not loaded")

    picked = st.selectbox("Loaded model", options, format_func=label, key=MODEL)
    idle = sum(1 for m in models if m.status == ModelStatus.READY and not m.loaded)
    if idle:
        st.caption(
            f"{counted(idle, 'trained model is', 'trained models are')} not loaded; load one "
            "on the Models page to predict with it."
        )
    state.show_model_in_url(picked)
    model = by_id.get(picked)
    if model is None or not model.loaded:
        what = model_name(model) if model else "The model you picked"
        st.error(
            f"**{what} is no longer loaded** (unloaded or removed elsewhere, perhaps in "
            "another tab), so nothing is predicted with it. Load it again on the Models page "
            "or pick another model.",
            icon=":material/error:",
        )
        st.page_link(navigation.page("models"), label="Go to Models")
        return None
    return model


def texts_from(raw: str, one_per_line: bool) -> list[str]:
    if one_per_line:
        return [line.strip() for line in raw.splitlines() if line.strip()]
    return [raw] if raw.strip() else []


@st.fragment
def text_prediction(model: ModelSummary, ref: str) -> None:
    # read again on each run of the fragment (the list is cached for seconds): an alias
    # moved since the page was drawn is not said to name this version
    now = cached_model(model.id) or model
    if now.aliases:
        named = ", ".join(f"`{now.name}@{alias}`" for alias in now.aliases)
        st.caption(f"In use as {named}: a program that names the alias gets this version.")
    raw = st.text_area(
        "Text to classify",
        height=160,
        key="predict.text",
        placeholder="Paste a comment; line breaks are fine.",
    )
    per_line = st.toggle(
        "One text per line",
        key="predict.per_line",
        help="Off: the whole box is one text, line breaks included. On: each line is a text.",
    )
    st.text_input(
        "Segment (optional)",
        key=SEGMENT,
        placeholder="default",
        help="The business line these predictions are logged under, for the Monitor page's "
        "figures per segment: letters, digits, spaces, '.', '_' and '-'.",
    )
    if st.button("Predict", type="primary", key="predict.run", icon=":material/send:"):
        texts = texts_from(raw, per_line)
        if not texts:
            st.warning("Write a text first.")
        else:
            predict_texts(model, ref, texts)
    result = st.session_state.get(TEXT_RESULT)
    if not result or result[0] != (model.id, ref):
        return
    _, texts, predictions, answered = result
    if ref != model.id or answered != model.id:  # by alias: say which version answered
        model = cached_model(answered) or model
        st.caption(f"Answered by **{model_name(model)}** through `{ref}`.")
    names = label_names(model.id)
    if len(predictions) == 1:
        read = model_read(model.id)
        show_one(predictions[0], names, read)
        show_explanation(
            texts[0],
            explained_for(model, texts[0], predictions[0], names),
            names,
            single_letters=not beside_words(model.params),
        )
    else:
        show_many(texts, predictions, names)


def predict_texts(model: ModelSummary, ref: str, texts: list[str]) -> None:
    """Predict with this model (or the version its name's alias `ref` names) and no
    other; a model unloaded meanwhile is an error."""
    st.session_state.pop(TEXT_RESULT, None)
    st.session_state.pop(EXPLAIN_LABEL, None)  # a new answer is explained for its own label
    try:
        # one text is explained too: a few milliseconds for the linear kinds
        answer = get_client().predict(
            ref,
            texts,
            explain=len(texts) == 1,
            explain_terms=explain_terms(model),
            segment=st.session_state.get(SEGMENT, "").strip() or None,
        )
    except ApiError as error:
        if error.status in (404, 409):  # unloaded or removed since the page was drawn
            forget_models()
        show_error(f"Predicting with {ref if ref != model.id else model_name(model)}", error)
        return
    st.session_state[TEXT_RESULT] = ((model.id, ref), texts, answer.predictions, answer.model_id)


def show_one(prediction: Prediction, names: dict[str, str], model: ModelRead | None) -> None:
    """One text's answer. A binary model's threshold is said beside the answer (the label
    can be the less probable class); a multi-label model's bars each say their label's."""
    left, right = st.columns(2)
    multilabel = prediction.labels is not None
    if prediction.labels is not None:  # multi-label: every label that applies, or none
        applying = ", ".join(label_text(x, names) for x in prediction.labels)
        left.metric("Labels that apply", applying or "none")
    else:
        left.metric("Label", label_text(prediction.label, names))
    right.metric("Confidence", f"{prediction.confidence:.1%}")
    if multilabel:
        sure = (
            "the highest probability among the labels that apply"
            if prediction.labels
            else "the probability that even the likeliest label does not apply (1 − its "
            "probability)"
        )
        st.caption(
            "Each label has its own probability; a label applies from its own threshold "
            "(chosen at fit, set on the Models page), said beside its bar. The confidence "
            f"is {sure}."
        )
    threshold = decision_threshold(model)
    if threshold is not None:
        positive, cut = threshold
        st.caption(
            f"`{label_text(positive, names)}` is predicted when its probability is at least "
            f"{cut:.3f}, the model's decision threshold (chosen at fit; explore it on the "
            "Models page); the confidence is the probability of the label predicted."
        )
    if prediction.warning:
        st.warning(
            f"**Take this answer with care:** {prediction.warning}.", icon=":material/translate:"
        )
    # progress bars, not a data grid: drawn at once (a grid costs a few hundred ms)
    for probability in prediction.probabilities:
        text = f"`{label_text(probability.label, names)}` {probability.probability:.1%}"
        if multilabel and model is not None:
            text += f" · applies from {current_threshold(model, str(probability.label)):.1%}"
        st.progress(min(max(probability.probability, 0.0), 1.0), text=text)
    if prediction.known_token_share is not None:
        st.caption(f"{prediction.known_token_share:.0%} of its words are known to the model.")


def explain_terms(model: ModelSummary) -> int | None:
    """More terms of a model of words and characters: its one-letter n-grams are left out
    of the lists shown, and as many terms are still shown (None: the API's default)."""
    return ASKED_TERMS if beside_words(model.params) else None


def explained_for(
    model: ModelSummary, text: str, prediction: Prediction, names: dict[str, str]
) -> Prediction:
    """The prediction whose explanation is shown: its own, or, for a model of more than two
    classes or labels, the one asked (unlogged) for the label the user picks."""
    own = prediction.explanation
    if own is None or len(prediction.probabilities) <= 2:
        return prediction
    labels = [str(p.label) for p in prediction.probabilities]
    picked = st.selectbox(
        "Explain the label",
        labels,
        index=labels.index(str(own.label)),
        format_func=lambda label: label_text(label, names),
        key=EXPLAIN_LABEL,
        help="The answer's own label at first (a multi-label answer: its most probable "
        "label); any other shows what pushes the text towards or away from that one.",
    )
    if picked == str(own.label):
        return prediction
    asked = (model.id, text, picked)
    kept = st.session_state.get(EXPLAINED)
    if kept is None or kept[0] != asked:
        answer = call(
            f"Explaining `{label_text(picked, names)}`",
            get_client().predict,
            model.id,
            [text],
            explain=True,
            explain_label=picked,
            explain_terms=explain_terms(model),
            log=False,  # the text is in the log once, from its prediction
        )
        if answer is None:
            return prediction
        kept = (asked, answer.predictions[0])
        st.session_state[EXPLAINED] = kept
    return kept[1]


def show_many(texts: list[str], predictions: list[Prediction], names: dict[str, str]) -> None:
    columns: dict[str, list[object]] = {
        "text": list(texts),
        "label": [
            label_text(p.label, names) if p.labels is None or p.labels else "none"
            for p in predictions
        ],
        "confidence": [p.confidence for p in predictions],
    }
    scores = ["confidence"]
    for i, probability in enumerate(predictions[0].probabilities):
        shown = f"P({label_text(probability.label, names)})"
        columns[shown] = [p.probabilities[i].probability for p in predictions]
        scores.append(shown)
    columns["known words"] = [p.known_token_share for p in predictions]
    columns["note"] = [p.warning or "" for p in predictions]
    flagged = sum(1 for p in predictions if p.warning)
    if flagged:
        st.warning(
            f"{flagged} of {len(predictions)} texts have few or no words the model knows: "
            "see the note column.",
            icon=":material/translate:",
        )
    st.dataframe(
        pd.DataFrame(columns),
        hide_index=True,
        # every score as the other tables write them (0.973), the bar beside the confidence
        column_config=number_columns(scores)
        | {
            "confidence": st.column_config.ProgressColumn(
                min_value=0, max_value=1, format=SCORE_FORMAT
            ),
            "known words": st.column_config.NumberColumn(format="percent"),
        },
    )
