"""Compare models by ROC: score several models on labelled data, side by side.

By default each model that was trained on the chosen dataset is scored on its own held-out
split (the rows its fit never saw); no model is marked best while any was scored on rows
it was trained on. Results belong to the inputs that made them: change the models, the
data or the split and the old figures go, rather than sit under a new caption.
"""

import streamlit as st

from shared.schemas import (
    DatasetRead,
    ModelSource,
    ModelStatus,
    ModelSummary,
    ScoreResult,
    ScoresRequest,
)
from ui import navigation, state
from ui.api_client import ApiError
from ui.components import files
from ui.components.backend import call, call_or_stop, get_client, show_error
from ui.components.comparison import show_comparison
from ui.components.models import cached_models, model_name, pick_models
from ui.words import counted

ALL_NAMES = "Every name"
HELD_OUT = "The held-out split of this dataset"
EVERY_ROW = "Every row of this dataset"
OTHER = "Another CSV file"
RESULT = "compare.result"
OTHER_DATASET = "compare.other_dataset"
OTHER_FILE = "compare.other_file"  # (file id, format): a new file, or format, is uploaded again
SOURCE_HELP = (
    "Held-out split: a model trained on this dataset is scored on the rows its fit set "
    "aside (the same dataset, test_size and random_state give the same rows); other models "
    "on every row. Every row: includes the rows a model was trained on, so its figures are "
    "optimistic."
)

Inputs = tuple[tuple[str, ...], str, str, str, str]


def render() -> None:
    st.title("Compare models by ROC")
    models = call_or_stop("Listing the models", cached_models)
    ready = [m for m in models if m.status == ModelStatus.READY]
    if not ready:
        st.info("No trained models yet: train one on the Train page.")
        return
    ready, name = versions_of_one_name(ready)
    if name is None:
        # the models of the dataset picked on Upload first: the defaults know the toxic
        # comments' labels only, and scoring them on other data is a 422
        chosen = state.selection()
        of_chosen = [m.id for m in ready if chosen and m.dataset_id == chosen.dataset_id]
        defaults = of_chosen or [m.id for m in ready if m.is_default] or [ready[0].id]
        key = "compare.models"
    else:  # every version of the name; a widget of its own, so the pick starts from them
        defaults, key = [m.id for m in ready], f"compare.models.{name}"
    # the URL's models are the last pick of every name (a reload opens on every name): a
    # name's own picker starts on all its versions, not on those of them picked there
    picked = pick_models(
        "Models to compare", ready, key=key, default=defaults, from_url=name is None
    )
    source = st.radio(
        "Score them on",
        [HELD_OUT, EVERY_ROW, OTHER],
        horizontal=True,
        key="compare.source",
        help=SOURCE_HELP,
    )
    target = other_data() if source == OTHER else current_data(picked, source)
    if target is None:
        return
    dataset_id, text_column, label_column = target
    split = "test" if source == HELD_OUT else "all"
    inputs: Inputs = (tuple(m.id for m in picked), dataset_id, text_column, label_column, split)
    if st.button(
        "Compare",
        type="primary",
        disabled=not picked,
        key="compare.run",
        help=None if picked else "Pick at least one model.",
    ):
        st.session_state.pop(RESULT, None)
        results = score(picked, inputs)
        if results is not None:
            st.session_state[RESULT] = (inputs, results, {m.id: m for m in picked})
    stored = st.session_state.get(RESULT)
    if stored is None:
        return
    if stored[0] != inputs:
        st.info(
            "The models, the data or the rows changed since the last comparison: press "
            "Compare to score them again.",
            icon=":material/refresh:",
        )
        return
    show_comparison(stored[1], stored[2])


def versions_of_one_name(
    ready: list[ModelSummary],
) -> tuple[list[ModelSummary], str | None]:
    """The models to choose from: all, or only the versions of one name (and that name)."""
    names = sorted({m.name for m in ready})
    name = st.selectbox(
        "Versions of one name",
        [ALL_NAMES, *names],
        key="compare.name",
        help="Compare the versions of one model name with each other.",
    )
    if name == ALL_NAMES:
        return ready, None
    return [m for m in ready if m.name == name], name


def score(models: list[ModelSummary], inputs: Inputs) -> list[ScoreResult] | None:
    """One request per model, so a long comparison shows how far it got; a model that
    cannot be scored on these rows (other labels, a column it lacks) is left out, saying
    why. None when no model could be scored."""
    _, dataset_id, text_column, label_column, split = inputs
    results: list[ScoreResult] = []
    bar = st.progress(0.0, text=f"Scoring {counted(len(models), 'model')}…")
    try:
        for i, model in enumerate(models):
            bar.progress(
                i / len(models), text=f"Scoring {model_name(model)} ({i + 1}/{len(models)})…"
            )
            request = ScoresRequest(
                model_ids=[model.id],
                dataset_id=dataset_id,
                text_column=text_column,
                label_column=label_column,
                split=split,  # type: ignore[arg-type]
            )
            try:
                results.extend(get_client().predict_scores(request).results)
            except ApiError as error:  # said, and the others are still compared
                show_error(f"Scoring {model_name(model)} (left out)", error)
    finally:
        bar.empty()
    return results or None


def current_data(picked: list[ModelSummary], source: str) -> tuple[str, str, str] | None:
    chosen = state.selection()
    if chosen is None:
        st.info("No dataset is selected: pick one on the Upload page, or use another CSV file.")
        st.page_link(navigation.page("upload"), label="Go to Upload data")
        return None
    st.caption(f"Dataset {chosen.describe()}")
    if source == HELD_OUT:
        st.caption(held_out_caption(picked, chosen.dataset_id))
    return chosen.dataset_id, chosen.text_column, chosen.label_column


def held_out_caption(picked: list[ModelSummary], dataset_id: str) -> str:
    """Which models score on their own held-out split (those trained on the dataset, by
    their fit or through their lineage: the split is made again from all the data their
    fit read, which the caption names when it is not this dataset) and which on every row
    (the others: the dataset has no split of theirs; an imported version's is not here)."""
    trained = [m for m in picked if m.trained_on(dataset_id) and m.source != ModelSource.IMPORT]
    others = [model_name(m) for m in picked if m not in trained]
    if not trained:
        return "None of these models was trained on it here: each is scored on every row."
    text = "Scored on their own held-out split: " + ", ".join(own_split(m) for m in trained)
    return text + "." + (" On every row: " + ", ".join(others) + "." if others else "")


def own_split(model: ModelSummary) -> str:
    """A model, and where its held-out split comes from when that is not only this
    dataset: a continuation's is of the rows it was continued on (its own dataset), a
    retrain's on several datasets of them together."""
    name = model_name(model)
    if model.source in (ModelSource.INCREMENTAL, ModelSource.FEEDBACK):
        return f"{name} (of {model.dataset_name or 'its own dataset'}, the rows it last learnt)"
    if len(model.lineage_datasets) > 1:
        return f"{name} (of its {len(model.lineage_datasets)} datasets together)"
    return name


def other_data() -> tuple[str, str, str] | None:
    """A CSV uploaded as a dataset of its own, then scored by its dataset id."""
    file = files.csv_uploader("A labelled CSV file", key="compare.file")
    fmt = files.csv_format("compare.format")
    if file is not None:
        result = files.checked(file, fmt)
        if result is None:
            return None
        content = result[0]
        if st.session_state.get(OTHER_FILE) != (file.file_id, fmt):
            with st.spinner("Uploading the file…"):
                stored = call(
                    "Uploading",
                    get_client().upload_dataset,
                    file.name,
                    content,
                    encoding=fmt.encoding,
                    delimiter=fmt.delimiter,
                )
            if stored is None:
                return None
            st.session_state[OTHER_DATASET] = stored
            st.session_state[OTHER_FILE] = (file.file_id, fmt)
    dataset: DatasetRead | None = st.session_state.get(OTHER_DATASET)
    if dataset is None:
        return None
    names = [c.name for c in dataset.columns]
    text_default, label_default = state.default_columns(names)
    left, right = st.columns(2)
    text = left.selectbox(
        "Text column", names, index=names.index(text_default), key=f"compare.text.{dataset.id}"
    )
    label = right.selectbox(
        "Label column", names, index=names.index(label_default), key=f"compare.label.{dataset.id}"
    )
    st.caption(f"Stored as dataset **{dataset.name}** ({dataset.rows:,} rows).")
    return dataset.id, text, label
