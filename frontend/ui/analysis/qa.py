"""A QA dataset (contexts, questions, optional answers) as one corpus of texts whose
"label" is the part each text comes from, so that the classification EDA's per-class
statistics (lengths, stop words, frequent words, word clouds) apply to it as they are.

A context is asked about by many questions, so it repeats across rows: it counts once.
"""

import pandas as pd

CONTEXTS, QUESTIONS, ANSWERS = "contexts", "questions", "answers"
PARTS = (CONTEXTS, QUESTIONS, ANSWERS)


def distinct_contexts(contexts: pd.Series) -> pd.Series:
    """The non-empty contexts, each once (after trimming), in order of first appearance."""
    trimmed = contexts.fillna("").astype(str).str.strip()
    return trimmed[trimmed != ""].drop_duplicates().reset_index(drop=True)


def qa_texts(
    frame: pd.DataFrame, context_column: str, question_column: str, answer_column: str | None
) -> pd.DataFrame:
    """Columns `text` and `label` (the part: contexts, questions, answers): every distinct
    context once, every non-empty question and answer as often as it is asked."""
    parts = [(CONTEXTS, distinct_contexts(frame[context_column]))]
    for part, column in ((QUESTIONS, question_column), (ANSWERS, answer_column)):
        if column is None:
            continue
        values = frame[column].fillna("").astype(str).str.strip()
        parts.append((part, values[values != ""]))
    return pd.concat(
        [pd.DataFrame({"text": texts.to_numpy(), "label": part}) for part, texts in parts],
        ignore_index=True,
    )


def parts_of(texts: pd.DataFrame) -> list[str]:
    """The parts present, in the order contexts, questions, answers."""
    present = set(texts["label"])
    return [part for part in PARTS if part in present]
