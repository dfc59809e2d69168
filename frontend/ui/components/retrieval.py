"""Widgets the retrieval pages share: choosing a retriever, a QA dataset and its columns,
and highlighting the question's words in a context."""

import html
import re

import pandas as pd
import streamlit as st

from shared.schemas import DatasetRead, PreprocessingConfig
from shared.schemas.retrieval import QaColumns, QaDatasetReport, RetrieverRead, RetrieverStatus
from ui.components.backend import call_or_stop, get_client, valid
from ui.words import counted

_WORD = re.compile(r"\w+", re.UNICODE)
MIN_HIGHLIGHT = 3  # shorter words ("a", "of") are not highlighted


# the params each kind uses (RetrieverParams holds both kinds'), as people read them
KIND_PARAMS = {
    "tfidf": {
        "analyzer": "vectors",
        "word_ngram_range": "word n-grams",
        "char_ngram_range": "character n-grams",
        "word_weight": "word share",
        "sublinear_tf": "sublinear tf",
    },
    "bm25": {"k1": "k1", "b": "b"},
}


def describe(retriever: RetrieverRead) -> str:
    kind = str(retriever.kind)
    if kind == "tfidf" and retriever.params.get("analyzer"):
        kind += f" {retriever.params['analyzer']}"
    default = " · default" if retriever.is_default else ""
    return f"{retriever.name} v{retriever.version} ({kind}){default}"


# the TF-IDF params that apply to each of its analyzers (word share: the fusion's weight)
ANALYZER_PARAMS = {
    "word": {"analyzer", "word_ngram_range", "sublinear_tf"},
    "char_wb": {"analyzer", "char_ngram_range", "sublinear_tf"},
}


def params_text(retriever: RetrieverRead) -> str:
    """Its kind's params that apply: "vectors both · word n-grams 1-2 · …" (a word-only
    TF-IDF retriever has no character n-grams to tell of)."""
    parts = []
    applies = ANALYZER_PARAMS.get(str(retriever.params.get("analyzer")))
    for name, label in KIND_PARAMS.get(str(retriever.kind), {}).items():
        if str(retriever.kind) == "tfidf" and applies is not None and name not in applies:
            continue
        value = retriever.params.get(name)
        if isinstance(value, bool):  # a switch: named when on, "no …" when off
            parts.append(label if value else f"no {label}")
            continue
        if isinstance(value, list | tuple):
            value = "-".join(map(str, value))
        if value is not None:
            parts.append(f"{label} {value}")
    return " · ".join(parts)


def preprocessing_text(stored: dict[str, object]) -> str:
    """What a retriever's cleaning does beyond the default (lower-casing): "stop words
    english, russian · punctuation stripped"; empty when it is the default."""
    config = PreprocessingConfig.model_validate(stored)
    parts = []
    if not config.lowercase:
        parts.append("case kept")
    if config.strip_punctuation:
        parts.append("punctuation stripped")
    if config.strip_non_alphanumeric:
        parts.append("letters and digits only")
    if config.stop_words or config.custom_stop_words:
        lists = [*config.stop_words, *(["your own"] if config.custom_stop_words else [])]
        parts.append("stop words " + ", ".join(lists))
    if config.stemming != "none":
        parts.append(f"{config.stemming} stems")
    if config.tokenizer == "jieba":
        parts.append("jieba words")
    return " · ".join(parts)


def choose_retriever(key: str, *, loaded_only: bool = True) -> RetrieverRead | None:
    """The picked retriever while it can be used; None (and why) when there is none. A
    picked retriever that stopped being loaded (elsewhere: another tab, the API) stays
    picked, and the page says so: it never slides onto another retriever."""
    every = call_or_stop("Listing the retrievers", get_client().list_retrievers)
    by_id = {r.id: r for r in every}
    ready = [r for r in every if r.status == RetrieverStatus.READY]
    usable = [r.id for r in ready if r.loaded or not loaded_only]
    unloaded = len(ready) - len(usable)
    hint = (
        f"{counted(unloaded, 'ready retriever')} {'is' if unloaded == 1 else 'are'} not "
        "loaded: load one on the Retrievers page to use it here."
        if unloaded
        else ""
    )
    picked = st.session_state.get(key)
    if picked is not None and picked not in usable:
        usable.append(picked)  # kept, so the picker cannot slide onto another retriever
    if not usable:
        st.info(hint or "No retriever yet: train one on the Retrievers page and load it.")
        return None

    def label(retriever_id: str) -> str:
        retriever = by_id.get(retriever_id)
        return describe(retriever) if retriever is not None else "a removed retriever"

    chosen_id = st.selectbox("Retriever", usable, format_func=label, key=key)
    if hint:
        st.caption(hint)
    chosen = by_id.get(chosen_id)
    if (
        chosen is None
        or chosen.status != RetrieverStatus.READY
        or (loaded_only and not chosen.loaded)
    ):
        what = f"{chosen.name} v{chosen.version}" if chosen else "The retriever you picked"
        st.error(
            f"**{what} is no longer {'loaded' if chosen else 'here'}** (unloaded or removed "
            "elsewhere, perhaps in another tab), so nothing is searched with it. Load it "
            "again on the Retrievers page, or pick another.",
            icon=":material/error:",
        )
        return None
    return chosen


def choose_dataset(key: str, preferred_id: str | None = None) -> DatasetRead | None:
    """A dataset, QA datasets first; `preferred_id` is the first choice when it is listed."""
    datasets = call_or_stop("Listing the datasets", get_client().list_datasets)
    if not datasets:
        st.info("No dataset yet: upload a QA CSV (context, question, answer) first.")
        return None
    qa_first = sorted(datasets, key=lambda d: not looks_like_qa(d))
    # the dataset chosen on other pages is preferred only when it looks like QA data (a
    # classification dataset would open on a page of errors)
    ids = [d.id for d in qa_first if looks_like_qa(d)]
    return st.selectbox(
        "QA dataset",
        qa_first,
        index=ids.index(preferred_id) if preferred_id in ids else 0,  # QA ones come first
        format_func=lambda d: f"{d.name} ({d.rows:,} rows)",
        key=key,
    )


def looks_like_qa(dataset: DatasetRead) -> bool:
    """A dataset with a `context` column: question answering data, for the retrievers."""
    return "context" in [c.name for c in dataset.columns]


def choose_columns(dataset: DatasetRead, key: str) -> QaColumns | None:
    """The columns picked, or None after saying what to change (one column picked twice)."""
    names = [c.name for c in dataset.columns]

    def pick(label: str, default: str, optional: bool = False) -> str | None:
        options: list[str | None] = [*names, None] if optional else list(names)
        index = (
            options.index(default) if default in options else (len(options) - 1 if optional else 0)
        )
        return st.selectbox(
            label,
            options,
            index=index,
            format_func=lambda v: "(none)" if v is None else v,
            # per dataset: a choice made for one (none, for a file without answers) is not
            # carried to the next
            key=f"{key}.{dataset.id}.{default}",
        )

    left, middle, right = st.columns(3)
    with left:
        context = pick("Context column", "context")
    with middle:
        question = pick("Question column", "question")
    with right:
        answer = pick("Answer column", "answer", optional=True)
    if context == question:
        missing = [c for c in ("context", "question") if c not in names]
        why = (
            f"{dataset.name} has no {' and no '.join(f'`{c}`' for c in missing)} column, so "
            "both start on its first one. "
            if missing
            else ""
        )
        st.warning(
            f"{why}Pick the column of the contexts and the column of the questions: two "
            "different columns (a QA dataset has both).",
            icon=":material/warning:",
        )
        return None
    return valid(
        QaColumns,
        {
            "context_column": context or names[0],
            "question_column": question or names[0],
            "answer_column": answer,
        },
    )


def qa_report_summary(report: QaDatasetReport) -> None:
    """Rows, distinct contexts and questions; per column, missing values and duplicates."""
    a, b, c = st.columns(3)
    a.metric("rows", f"{report.rows:,}")
    b.metric("distinct contexts", f"{report.contexts:,}")
    c.metric("questions", f"{report.questions:,}")
    st.dataframe(pd.DataFrame([col.model_dump() for col in report.columns]), hide_index=True)


def highlight(text: str, question: str) -> str:
    """The text, HTML-escaped, with the question's words marked."""
    words = {w.lower() for w in _WORD.findall(question) if len(w) >= MIN_HIGHLIGHT}
    parts = []
    last = 0
    for match in _WORD.finditer(text):
        parts.append(html.escape(text[last : match.start()]))
        word = match.group(0)
        escaped = html.escape(word)
        parts.append(f"<mark>{escaped}</mark>" if word.lower() in words else escaped)
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)
