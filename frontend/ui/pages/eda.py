"""EDA: per-class lengths, frequent tokens and n-grams, stop words, parts of speech,
word clouds and a t-SNE map. Heavy parts are cached per dataset and columns."""

import pandas as pd
import streamlit as st

from ui import data, navigation
from ui.analysis.language import SHIPPED, UNSPACED, Language
from ui.analysis.pos import TaggerUnavailableError
from ui.analysis.text_stats import length_summary, sort_labels
from ui.components import charts, word_clouds
from ui.components.backend import stop_on_error
from ui.components.dataset import require_selection, selection_caption
from ui.components.frequencies import per_group_bars
from ui.components.tsne import requested_points
from ui.settings import get_settings
from ui.state import Selection
from ui.words import counted


def render() -> None:
    st.title("Explore the data")
    chosen = require_selection("exploration")
    selection_caption(chosen)
    key = (chosen.dataset_id, chosen.text_column, chosen.label_column)

    bar = st.progress(0.0, text="Downloading the dataset…")
    with stop_on_error("Downloading the dataset"):
        columns = data.dataset_frame(chosen.dataset_id).columns
    if {"context", "question"} <= set(columns):
        st.info(
            "This looks like a QA dataset (context, question): its own exploration, contexts "
            "counted once, is on the retrieval pages.",
            icon=":material/info:",
        )
        st.page_link(navigation.page("retrieval_explore"), label="Explore it as QA data")
    missing = [c for c in (chosen.text_column, chosen.label_column) if c not in columns]
    if missing:
        bar.empty()
        st.error(f"The dataset has no column {', '.join(missing)}: map its columns on Upload.")
        return
    labelled = data.labelled_texts(*key)
    if labelled.empty:
        bar.empty()
        st.warning(f"`{chosen.label_column}` has no labelled rows to explore.")
        return
    order = sort_labels(labelled["label"].unique())
    bar.progress(0.2, text="Text lengths…")
    lengths = data.lengths(*key)
    bar.progress(0.3, text="Detecting the language…")
    lang = data.text_language(*key)
    bar.progress(0.35, text="Tokens and n-grams…")
    data.token_table(*key)
    bar.empty()
    st.caption(
        f"{len(labelled):,} labelled texts in {counted(len(order), 'class', 'classes')}: "
        f"{', '.join(order)}. "
        f"Language: **{lang.name}** (detected on a sample by langdetect)."
    )

    tabs = st.tabs(
        ["Lengths", "Tokens & n-grams", "Stop words", "Parts of speech", "Word clouds", "t-SNE"]
    )
    with tabs[0]:
        lengths_section(lengths, order, lang)
    with tabs[1]:
        ngrams_section(chosen, order, lang)
    with tabs[2]:
        stop_words_section(chosen, order, lang)
    with tabs[3]:
        pos_section(chosen, order, lang)
    with tabs[4]:
        word_clouds_section(chosen, lang)
    with tabs[5]:
        tsne_section(chosen, order)


@st.fragment  # its widgets rerun this section only, not the whole page
def lengths_section(lengths: pd.DataFrame, order: list[str], lang: Language) -> None:
    if lang.split is not None:
        st.caption(
            f"{lang.name} is written without spaces: its words are jieba's, as the other "
            "tabs count them (punctuation left out)."
        )
    elif lang.code in UNSPACED:
        st.caption(
            f"{lang.name} is written without spaces: a word here is a run of text between "
            "spaces (often a whole sentence), so read the lengths in characters."
        )
    unit = st.radio(
        "Length in",
        ["chars", "words"],
        horizontal=True,
        key="eda.length_unit",
        format_func=lambda u: "characters" if u == "chars" else "words",
    )
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.length_histogram(lengths, unit, order), key="eda.length_hist")
    right.plotly_chart(charts.length_box(lengths, unit, order), key="eda.length_box")
    st.dataframe(length_summary(lengths), key="eda.length_summary")


@st.fragment  # its widgets rerun this section only, not the whole page
def ngrams_section(chosen: Selection, order: list[str], lang: Language) -> None:
    left, right = st.columns(2)
    unit = "characters" if lang.counts_characters else "words"
    n = (
        left.segmented_control(
            "n-gram length",
            [1, 2, 3],
            default=1,
            key="eda.ngram_n",
            format_func=lambda v: {1: unit, 2: "bigrams", 3: "trigrams"}[v],
        )
        or 1
    )
    include = right.toggle("Include stop words", value=False, key="eda.ngram_stop")
    per_text = right.toggle(
        "Count texts, not occurrences",
        value=False,
        key="eda.ngram_per_text",
        help="Document frequency: how many texts hold the n-gram, so a few texts that "
        "repeat a word many times do not dominate.",
    )
    top = data.ngrams(
        chosen.dataset_id, chosen.text_column, chosen.label_column, n, include, per_text
    )
    units = (
        "Characters (the language is written without spaces)"
        if lang.counts_characters
        else f"Words as jieba splits {lang.name} (it is written without spaces)"
        if lang.split is not None
        else "Lower-cased words of two or more letters (and one-letter stop words)"
    )
    if include:
        left_out = f"all {unit}."
    elif not lang.has_stop_words:
        left_out = f"all {unit} (no stop-word list for {lang.name})."
    else:
        left_out = f"n-grams with a stop word left out ({lang.name} list)."
    st.caption(f"{units}; {left_out}")
    per_group_bars(top, "ngram", order, f"eda.ngrams.{n}.{include}.{per_text}")


def stop_words_section(chosen: Selection, order: list[str], lang: Language) -> None:
    if not lang.has_stop_words:
        st.info(
            f"No stop-word list for {lang.name}: the lists shipped are {SHIPPED}.",
            icon=":material/info:",
        )
        return
    top = data.stop_words(chosen.dataset_id, chosen.text_column, chosen.label_column)
    st.caption(f"The most frequent words of the {lang.name} stop-word list, per class.")
    per_group_bars(top, "word", order, "eda.stop")


def pos_section(chosen: Selection, order: list[str], lang: Language) -> None:
    if not lang.has_tagger:
        st.info(
            f"Parts of speech are shown for English only: no tagger for {lang.name} is "
            "installed (TextBlob's tags English).",
            icon=":material/info:",
        )
        return
    sample = get_settings().pos_sample_rows
    try:
        with st.spinner("Tagging parts of speech…"):
            counts = data.parts_of_speech(
                chosen.dataset_id, chosen.text_column, chosen.label_column, sample
            )
    except TaggerUnavailableError as exc:
        st.warning(f"Parts of speech are not available: {exc}.")
        return
    st.caption(
        f"Share of each part of speech among the tokens of a random sample of up to {sample:,} "
        "texts, tagged by TextBlob's bundled Brill (Pattern) tagger for English."
    )
    st.plotly_chart(charts.pos_bars(counts, order), key="eda.pos")
    table = counts.pivot_table(index="pos", columns="label", values="share", fill_value=0)
    st.dataframe(table.style.format("{:.1%}"), key="eda.pos_table")


def word_clouds_section(chosen: Selection, lang: Language) -> None:
    with st.spinner("Drawing word clouds…"):
        images = data.word_clouds(chosen.dataset_id, chosen.text_column, chosen.label_column)
    st.caption(word_clouds_caption(lang))
    shown = word_clouds.drawn(images)
    labels = list(shown)
    for start in range(0, len(labels), 2):
        cols = st.columns(2)
        for col, label in zip(cols, labels[start : start + 2], strict=False):
            col.image(shown[label], caption=f"class {label}", width="stretch")


def word_clouds_caption(lang: Language) -> str:
    units = (
        f"characters ({lang.name} is written without spaces)"
        if lang.counts_characters
        else f"words (split by jieba: {lang.name} is written without spaces)"
        if lang.split is not None
        else "words"
    )
    left_out = (
        f"stop words left out ({lang.name} list)"
        if lang.has_stop_words
        else f"no stop-word list for {lang.name}: every "
        f"{'character' if lang.counts_characters else 'word'} counts"
    )
    return f"The 150 most frequent {units} of each class; {left_out}."


@st.fragment  # its widgets rerun this section only, not the whole page
def tsne_section(chosen: Selection, order: list[str]) -> None:
    max_rows = get_settings().tsne_max_rows
    st.caption(
        f"TF-IDF vectors of a sample of up to {max_rows:,} texts, reduced to 50 dimensions by "
        "TruncatedSVD, then placed in 2-D by t-SNE. Takes up to half a minute."
    )
    points = requested_points(
        f"eda.tsne_done.{chosen.dataset_id}.{chosen.text_column}.{chosen.label_column}",
        "eda.tsne_run",
        lambda: data.tsne_map(chosen.dataset_id, chosen.text_column, chosen.label_column, max_rows),
    )
    if points is None:
        return
    st.plotly_chart(charts.tsne_scatter(points, order), key="eda.tsne")
