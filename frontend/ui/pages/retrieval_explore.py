"""Explore a QA dataset: per column missing values and duplicates, lengths in words of the
contexts, questions and answers, their frequent stop words and other words, word clouds,
and a t-SNE map of the contexts. The classification EDA's analysis code does the work,
the parts (contexts counted once, questions, answers) taking the place of classes."""

import streamlit as st

from shared.schemas.retrieval import QaColumns
from ui import data, state
from ui.analysis.language import CHARACTER_PATTERN, SHIPPED, LanguageMix
from ui.analysis.qa import parts_of
from ui.analysis.text_stats import length_summary
from ui.components import charts, word_clouds
from ui.components.backend import call_or_stop, get_client, stop_on_error
from ui.components.frequencies import per_group_bars
from ui.components.retrieval import choose_columns, choose_dataset, qa_report_summary
from ui.components.tsne import requested_points
from ui.settings import get_settings

KEY = "retrieval_explore"


def render() -> None:
    st.title("Explore QA data")
    st.caption(
        "A QA dataset (context, question, optional answer) before a retriever is fitted on "
        "it. A context asked about by several questions counts once."
    )
    chosen = state.selection()  # the dataset selected on Upload, when it is one
    dataset = choose_dataset(f"{KEY}.dataset", chosen.dataset_id if chosen else None)
    if dataset is None:
        return
    columns = choose_columns(dataset, f"{KEY}.columns")
    if columns is None:
        return
    report = call_or_stop(
        "Reading the dataset as QA data", get_client().qa_report, dataset.id, columns
    )
    qa_report_summary(report)

    key = (dataset.id, columns.context_column, columns.question_column, columns.answer_column)
    bar = st.progress(0.0, text="Downloading the dataset…")
    with stop_on_error("Downloading the dataset"):
        texts = data.qa_texts(*key)
    order = parts_of(texts)
    bar.progress(0.3, text="Detecting the languages…")
    mix = data.qa_languages(*key)
    bar.progress(0.5, text="Words…")
    data.qa_token_table(*key)
    bar.empty()
    counts = texts["label"].value_counts()
    st.caption(
        ", ".join(f"{counts[part]:,} {part}" for part in order)
        + f" (contexts counted once). Languages: **{mix.describe()}** "
        "(detected on a sample by langdetect)."
    )

    tabs = st.tabs(["Lengths", "Stop words", "Other words", "Word clouds", "t-SNE of contexts"])
    with tabs[0]:
        lengths_section(key, order)
    with tabs[1]:
        stop_words_section(key, order, mix)
    with tabs[2]:
        words_section(key, order, mix)
    with tabs[3]:
        word_clouds_section(key, order)
    with tabs[4]:
        tsne_section(dataset.id, columns)


def lengths_section(key: tuple[str, str, str, str | None], order: list[str]) -> None:
    lengths = data.qa_lengths(*key)
    st.caption("Length in words (whitespace-separated), up to the 99th percentile.")
    for col, part in zip(st.columns(len(order)), order, strict=True):
        figure = charts.length_histogram(
            lengths[lengths["label"] == part], "words", order, group="part"
        )
        figure.update_layout(title=part, showlegend=False, margin={**charts.MARGIN, "t": 40})
        col.plotly_chart(figure, key=f"{KEY}.length.{part}")
    summary = length_summary(lengths).reindex(order)
    summary.insert(0, "texts", lengths["label"].value_counts().reindex(order))
    summary.index.name = "part"
    st.dataframe(summary, key=f"{KEY}.length_summary")


def stop_words_section(
    key: tuple[str, str, str, str | None], order: list[str], mix: LanguageMix
) -> None:
    lists = mix.stop_word_lists
    if not lists:
        names = ", ".join(lang.name for lang in mix.present)
        st.info(
            f"No stop-word list for {names}: the lists shipped are {SHIPPED}.",
            icon=":material/info:",
        )
        return
    st.caption(
        f"The most frequent words of the {' and '.join(lists)} stop-word "
        f"list{'s' if len(lists) > 1 else ''}: questions against contexts."
    )
    per_group_bars(data.qa_stop_words(*key), "word", order, f"{KEY}.stop", title=str)


@st.fragment  # its widgets rerun this section only, not the whole page
def words_section(
    key: tuple[str, str, str, str | None], order: list[str], mix: LanguageMix
) -> None:
    per_text = st.toggle(
        "Count texts, not occurrences",
        value=False,
        key=f"{KEY}.words_per_text",
        help="How many texts hold the word, so a few texts that repeat a word many times "
        "do not dominate.",
    )
    units = (
        "Words as jieba splits Chinese, lower-cased words of other scripts"
        if mix.split is not None
        else "Characters of unspaced scripts, lower-cased words of others"
        if mix.token_pattern == CHARACTER_PATTERN
        else "Lower-cased words of two or more letters"
    )
    st.caption(f"{units}; stop words left out.")
    top = data.qa_words(*key, per_text=per_text)
    per_group_bars(top, "ngram", order, f"{KEY}.words.{per_text}", title=str)


def word_clouds_section(key: tuple[str, str, str, str | None], order: list[str]) -> None:
    with st.spinner("Drawing word clouds…"):
        images = data.qa_word_clouds(*key)
    st.caption("The 150 most frequent words of each part, stop words left out.")
    drawn = word_clouds.drawn(images)
    shown = [part for part in order if part in drawn]
    for col, part in zip(st.columns(max(len(shown), 1)), shown, strict=False):
        col.image(drawn[part], caption=part, width="stretch")


@st.fragment  # its widgets rerun this section only, not the whole page
def tsne_section(dataset_id: str, columns: QaColumns) -> None:
    max_rows = get_settings().tsne_max_rows
    st.caption(
        f"TF-IDF vectors of the distinct contexts (a sample of up to {max_rows:,}), reduced "
        "to 50 dimensions by TruncatedSVD, then placed in 2-D by t-SNE: contexts on the same "
        "subject lie close. Takes up to half a minute."
    )
    points = requested_points(
        f"{KEY}.tsne_done.{dataset_id}.{columns.context_column}",
        f"{KEY}.tsne_run",
        lambda: data.qa_context_tsne(dataset_id, columns.context_column, max_rows),
    )
    if points is None:
        return
    figure = charts.tsne_scatter(points, ["contexts"], group="part")
    figure.update_layout(showlegend=False)  # one colour: the contexts
    st.plotly_chart(figure, key=f"{KEY}.tsne")
