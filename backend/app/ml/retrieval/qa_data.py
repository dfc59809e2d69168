"""Reading a QA dataset: its context, question and answer columns, as strings."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shared.csv_format import CsvFormatError, read_frame

MAX_ANSWERS_KEPT = 20  # known answers kept per context


class QaDataError(ValueError):
    """The columns cannot be read, or nothing is left to index."""


@dataclass(frozen=True)
class QaColumnNames:
    context: str
    question: str
    answer: str | None


def read_qa_frame(path: str | Path, columns: QaColumnNames) -> pd.DataFrame:
    """The named columns (answer optional), every row, as stripped strings."""
    names = [columns.context, columns.question] + ([columns.answer] if columns.answer else [])
    try:
        frame = read_frame(Path(path), names)
    except CsvFormatError as exc:
        raise QaDataError(f"cannot read columns {', '.join(map(repr, names))}: {exc}") from exc
    return frame.apply(lambda col: col.fillna("").astype(str).str.strip())


def contexts_with_answers(frame: pd.DataFrame, columns: QaColumnNames) -> pd.DataFrame:
    """One row per distinct non-empty context, in first-seen order, with its known answers."""
    rows = frame[frame[columns.context] != ""]
    grouped: dict[str, list[str]] = {}
    for _, row in rows.iterrows():
        answers = grouped.setdefault(row[columns.context], [])
        answer = row[columns.answer] if columns.answer else ""
        if answer and answer not in answers and len(answers) < MAX_ANSWERS_KEPT:
            answers.append(answer)
    return pd.DataFrame({"context": list(grouped), "answers": list(grouped.values())})


def question_pairs(frame: pd.DataFrame, columns: QaColumnNames) -> pd.DataFrame:
    """The rows with both a question and a context: (question, context)."""
    keep = (frame[columns.question] != "") & (frame[columns.context] != "")
    out = frame.loc[keep, [columns.question, columns.context]]
    return out.set_axis(["question", "context"], axis=1).reset_index(drop=True)
