"""What a fit's preprocessing did to its dataset, under a model on the Models page: the
rows it dropped and why, the language it detected with how it split the texts, and for a
continued version how much of its new data it knew."""

import streamlit as st

from shared.schemas import ModelRead, ModelSource
from shared.schemas.language import LanguageChoice


def preprocessing_report(model: ModelRead) -> None:
    """What the fit's preprocessing removed, so a small n_train explains itself."""
    report = model.preprocessing_report
    if report is None:
        return
    removed = report.rows_read - report.rows_left
    text = (
        f"**Rows:** {report.rows_read:,} read; {report.unlabelled_dropped:,} without a label, "
        f"{report.empty_dropped:,} empty and {report.duplicates_dropped:,} duplicate texts "
        f"dropped; {report.rows_left:,} left for training and testing."
    )
    if removed > report.rows_read / 4:
        st.warning(text, icon=":material/filter_alt:")
    else:
        st.markdown(text)
    if report.language is not None:
        st.markdown(language_line(report.language))
    if report.known_token_share is not None:
        known_words(report.known_token_share)
    if report.held_out_seen_by_parent:
        seen_by_parent(
            report.held_out_seen_by_parent,
            model.metrics.n_test if model.metrics else None,
            imported=model.source == ModelSource.IMPORT,
        )


# below it, a continuation mostly met words its vocabulary has no place for
LOW_KNOWN_SHARE = 0.5


def known_words(share: float) -> None:
    """How much of the new rows a continued version could read with its parent's
    vocabulary, which a continuation keeps."""
    text = (
        f"**New rows:** {share:.0%} of their words were known to the version it continued "
        "(its vocabulary stays as its first fit made it)."
    )
    if share < LOW_KNOWN_SHARE:
        st.warning(
            f"{text} It can learn little from the rest: another language or domain wants a "
            "retrain on these rows (Retrain, data Both or Another dataset).",
            icon=":material/translate:",
        )
    else:
        st.markdown(text)


def seen_by_parent(moved: int, n_test: int | None, *, imported: bool = False) -> None:
    """Held-out rows of a continuation's new data that its parent had trained on: they
    went to its training part, so its figures rest on rows it had not seen. An imported
    version was continued where it came from: its parent is there."""
    rows = "row" if moved == 1 else "rows"
    rest = (
        f": its figures are made on the {n_test:,} held-out rows it had not seen"
        if n_test is not None
        else ""
    )
    st.markdown(
        f"**Held out:** {moved:,} {rows} of the new data that would have been held out "
        f"{'was a text' if moved == 1 else 'were texts'} the version it continued had "
        f"trained on{' (in the installation it was imported from)' if imported else ''}; "
        f"{'it was' if moved == 1 else 'they were'} trained on again instead{rest}."
    )


# the detected language as people say it, and the script its share counts
LANGUAGE_WORDS = {
    "zh": ("Chinese", "Chinese characters"),
    "ru": ("Russian", "Cyrillic letters"),
    "other": ("not Chinese or Russian", "Latin or of another alphabet"),
}


def language_line(language: LanguageChoice) -> str:
    """What the fit detected and how it therefore split the texts, in words."""
    name, script = LANGUAGE_WORDS.get(language.detected, (language.detected, "its script"))
    if language.tokenizer == "jieba":
        split = "words segmented by jieba"
    elif language.analyzer == "char" and language.ngram_range:
        low, high = language.ngram_range
        split = f"character {low}-{high}-grams (Chinese has no spaces between words)"
    else:
        split = "words between spaces and punctuation"
    return (
        f"**Language:** {name} ({language.script_share:.0%} of the letters are "
        f"{script}), detected from the training texts; they were split into {split}."
    )
