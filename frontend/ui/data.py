"""Cached fetches and computations, keyed by dataset id (and columns, and options).

A dataset's file never changes under its id (new bytes get a new id), so a cache entry
never goes stale.
"""

import io

import numpy as np
import pandas as pd
import streamlit as st

from ui.analysis import language, pos, qa, text_stats, tsne, wordclouds
from ui.components.backend import get_client


def read_csv_bytes(content: bytes, nrows: int | None = None) -> pd.DataFrame:
    """Every column as text, missing values as empty strings (as the backend reads them)."""
    return pd.read_csv(
        io.BytesIO(content), dtype=str, keep_default_na=False, encoding="utf-8-sig", nrows=nrows
    )


@st.cache_data(max_entries=3, show_spinner=False)
def dataset_frame(dataset_id: str) -> pd.DataFrame:
    return read_csv_bytes(get_client().dataset_file(dataset_id))


def labelled_texts(dataset_id: str, text_column: str, label_column: str) -> pd.DataFrame:
    """Columns `text` and `label`, without rows whose label is empty."""
    frame = dataset_frame(dataset_id)
    out = pd.DataFrame({"text": frame[text_column], "label": frame[label_column].str.strip()})
    return out[out["label"] != ""].reset_index(drop=True)


@st.cache_data(max_entries=8, show_spinner=False)
def text_languages(dataset_id: str, text_column: str, label_column: str) -> language.LanguageMix:
    return language.detect_languages(labelled_texts(dataset_id, text_column, label_column)["text"])


def text_language(dataset_id: str, text_column: str, label_column: str) -> language.Language:
    """The most common language of the texts (what EDA splits them by)."""
    return text_languages(dataset_id, text_column, label_column).main


@st.cache_resource(max_entries=2, show_spinner=False)
def token_table(dataset_id: str, text_column: str, label_column: str) -> text_stats.TokenTable:
    # a resource, not data: it is large, read-only, and pickling it on every hit would cost
    # more than the lookups it saves. Words are split, and stop words known, in the
    # texts' language.
    data = labelled_texts(dataset_id, text_column, label_column)
    lang = text_language(dataset_id, text_column, label_column)
    return text_stats.tokenize(
        data["text"],
        data["label"],
        lang.stop_words,
        token_pattern=lang.token_pattern,
        split=lang.split,
    )


@st.cache_data(max_entries=8, show_spinner=False)
def lengths(dataset_id: str, text_column: str, label_column: str) -> pd.DataFrame:
    data = labelled_texts(dataset_id, text_column, label_column)
    lengths = text_stats.text_lengths(data["text"], data["label"])
    if text_language(dataset_id, text_column, label_column).split is not None:
        # unspaced (Chinese): the words are the segmenter's, as the other tabs count them
        table = token_table(dataset_id, text_column, label_column)
        lengths["words"] = np.bincount(table.rows, minlength=len(lengths))
    return lengths


@st.cache_data(max_entries=8, show_spinner=False)
def class_balance(dataset_id: str, label_column: str) -> pd.DataFrame:
    labels = dataset_frame(dataset_id)[label_column].str.strip()
    return text_stats.class_balance(labels[labels != ""])


@st.cache_data(max_entries=32, show_spinner=False)
def ngrams(
    dataset_id: str,
    text_column: str,
    label_column: str,
    n: int,
    include_stop_words: bool,
    per_text: bool = False,
) -> pd.DataFrame:
    table = token_table(dataset_id, text_column, label_column)
    return text_stats.top_ngrams(
        table, n, include_stop_words=include_stop_words, k=20, per_text=per_text
    )


@st.cache_data(max_entries=8, show_spinner=False)
def stop_words(dataset_id: str, text_column: str, label_column: str) -> pd.DataFrame:
    return text_stats.top_stop_words(token_table(dataset_id, text_column, label_column), k=20)


@st.cache_data(max_entries=8, show_spinner=False)
def parts_of_speech(
    dataset_id: str, text_column: str, label_column: str, sample_rows: int
) -> pd.DataFrame:
    data = labelled_texts(dataset_id, text_column, label_column)
    return pos.pos_counts(data["text"], data["label"], sample_rows=sample_rows)


@st.cache_data(max_entries=8, show_spinner=False)
def word_clouds(
    dataset_id: str, text_column: str, label_column: str
) -> dict[str, np.ndarray | None]:
    return _word_cloud_images(token_table(dataset_id, text_column, label_column))


def _word_cloud_images(table: text_stats.TokenTable) -> dict[str, np.ndarray | None]:
    """One word cloud per class that has words; None for a class whose words need a font
    this machine does not have."""
    images: dict[str, np.ndarray | None] = {}
    for label in table.classes:
        try:
            image = wordclouds.word_cloud(text_stats.word_frequencies(table, label))
        except wordclouds.NoFontError:
            images[label] = None
            continue
        if image is not None:
            images[label] = image
    return images


@st.cache_data(max_entries=4, show_spinner=False)
def tsne_map(dataset_id: str, text_column: str, label_column: str, max_rows: int) -> pd.DataFrame:
    # no progress bar is moved from in here: a cached function's elements are replayed on
    # a cache hit, and a bar made outside it no longer exists then (a traceback)
    data = labelled_texts(dataset_id, text_column, label_column)
    lang = text_language(dataset_id, text_column, label_column)
    words = language.word_splitter(lang.split, lang.token_pattern)
    return tsne.tsne_points(data["text"], data["label"], max_rows=max_rows, words=words)


# A QA dataset: the same statistics, its parts (contexts once, questions, answers) as classes.


def qa_texts(
    dataset_id: str, context_column: str, question_column: str, answer_column: str | None
) -> pd.DataFrame:
    """Columns `text` and `label` (the part), every distinct context once."""
    frame = dataset_frame(dataset_id)
    return qa.qa_texts(frame, context_column, question_column, answer_column)


@st.cache_data(max_entries=8, show_spinner=False)
def qa_languages(
    dataset_id: str, context_column: str, question_column: str, answer_column: str | None
) -> language.LanguageMix:
    # answers are too short to tell (a name, a number): the contexts and questions tell
    texts = qa_texts(dataset_id, context_column, question_column, answer_column)
    return language.detect_languages(texts.loc[texts["label"] != qa.ANSWERS, "text"])


@st.cache_resource(max_entries=2, show_spinner=False)
def qa_token_table(
    dataset_id: str, context_column: str, question_column: str, answer_column: str | None
) -> text_stats.TokenTable:
    # stop words of every language the dataset is written in (EN and RU questions alike)
    texts = qa_texts(dataset_id, context_column, question_column, answer_column)
    mix = qa_languages(dataset_id, context_column, question_column, answer_column)
    return text_stats.tokenize(
        texts["text"],
        texts["label"],
        mix.stop_words,
        token_pattern=mix.token_pattern,
        split=mix.split,
    )


@st.cache_data(max_entries=8, show_spinner=False)
def qa_lengths(
    dataset_id: str, context_column: str, question_column: str, answer_column: str | None
) -> pd.DataFrame:
    texts = qa_texts(dataset_id, context_column, question_column, answer_column)
    return text_stats.text_lengths(texts["text"], texts["label"])


@st.cache_data(max_entries=8, show_spinner=False)
def qa_stop_words(
    dataset_id: str, context_column: str, question_column: str, answer_column: str | None
) -> pd.DataFrame:
    table = qa_token_table(dataset_id, context_column, question_column, answer_column)
    return text_stats.top_stop_words(table, k=20)


@st.cache_data(max_entries=16, show_spinner=False)
def qa_words(
    dataset_id: str,
    context_column: str,
    question_column: str,
    answer_column: str | None,
    per_text: bool = False,
) -> pd.DataFrame:
    """The most frequent words that are not stop words, per part."""
    table = qa_token_table(dataset_id, context_column, question_column, answer_column)
    return text_stats.top_ngrams(table, 1, include_stop_words=False, k=20, per_text=per_text)


@st.cache_data(max_entries=8, show_spinner=False)
def qa_word_clouds(
    dataset_id: str, context_column: str, question_column: str, answer_column: str | None
) -> dict[str, np.ndarray | None]:
    return _word_cloud_images(
        qa_token_table(dataset_id, context_column, question_column, answer_column)
    )


@st.cache_data(max_entries=4, show_spinner=False)
def qa_context_tsne(dataset_id: str, context_column: str, max_rows: int) -> pd.DataFrame:
    """The t-SNE map of the distinct contexts (a sample of at most max_rows); no progress
    from in here, as for `tsne_map`."""
    contexts = qa.distinct_contexts(dataset_frame(dataset_id)[context_column])
    labels = pd.Series(qa.CONTEXTS, index=contexts.index)
    mix = language.detect_languages(contexts)
    words = language.word_splitter(mix.split, mix.token_pattern)
    return tsne.tsne_points(contexts, labels, max_rows=max_rows, words=words)
