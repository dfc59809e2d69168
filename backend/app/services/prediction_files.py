"""The predict_csv result file: the columns appended to each row (Result, Confidence,
one P(label) per class, Note, the prediction's id), the file read chunk by chunk, its
segment column checked; and the words of warning an answer carries (its Note)."""

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from app.core.errors import InvalidInputError
from app.ml.bundle import Predictions, TokenTerms, TrainedModel
from app.ml.language import script_warning
from app.ml.preprocessing import MAX_TEXT_CHARS
from shared.csv_format import read_frames
from shared.prediction_file import (
    CONFIDENCE_COLUMN,
    EMPTY_NOTE,
    NOTE_COLUMN,
    PREDICTION_ID_COLUMN,
    RESULT_COLUMN,
    probability_column,
)
from shared.schemas.strings import DEFAULT_SEGMENT, NAME_PATTERN, PATTERN_WORDS, SEGMENT_MAX

# below this share of known tokens an answer says little about the text itself
LOW_KNOWN_SHARE = 0.5


def known_token_warning(share: float | None, terms: TokenTerms) -> str | None:
    """What to tell the user about an answer given on few or no known tokens (`terms`: the
    model's, `TrainedModel.token_terms`)."""
    if share is None:
        return f"no {terms.unit} left after preprocessing: {terms.without_known}"
    if share == 0:
        return f"none of its {terms.unit} is known to the model: {terms.without_known}"
    if share < LOW_KNOWN_SHARE:
        return (
            f"only {share:.0%} of its {terms.unit} are known to the model: the answer is unreliable"
        )
    return None


def refuse_empty_texts(texts: Sequence[str], what: str) -> None:
    """A 422 naming the texts that are empty or only whitespace (there is nothing to
    `what`: classify, score), by index from 0."""
    empty = [i for i, text in enumerate(texts) if not text.strip()]
    if empty:
        raise InvalidInputError(
            f"texts {empty[:10]} are empty or only whitespace; there is nothing to {what} "
            "(index from 0)"
        )


def text_warning(
    text: str, share: float | None, terms: TokenTerms, language: str | None = None
) -> str | None:
    """Every word of warning an answer needs: on its text's length, on its known tokens,
    on a script other than the model's training `language` (`Serving.language`)."""
    notes = [known_token_warning(share, terms) or script_warning(text, language)]
    if len(text) > MAX_TEXT_CHARS:
        notes.insert(
            0, f"only the first {MAX_TEXT_CHARS:,} of its {len(text):,} characters were read"
        )
    return "; ".join(n for n in notes if n) or None


class CsvToPredict(NamedTuple):
    """A checked predict_csv upload: the text column to read, and its number of rows."""

    column: str
    rows: int


@dataclass(frozen=True)
class Chunk:
    """Rows of a predict_csv file: their frame, texts, the indices of the texts that are
    not blank (the ones predicted) and the rows' segments (None: all the default)."""

    frame: pd.DataFrame
    texts: list[str]
    filled: list[int]
    segments: list[str] | None


def chunks(
    frames: Iterable[pd.DataFrame], text_column: str, segment_column: str | None
) -> Iterator[tuple[Chunk, list[str]]]:
    """Each chunk, with the texts the model gets (its non-blank ones)."""
    for frame in frames:
        texts = frame[text_column].tolist()
        filled = [i for i, text in enumerate(texts) if text.strip()]
        segments = (
            [s.strip() or DEFAULT_SEGMENT for s in frame[segment_column].tolist()]
            if segment_column is not None
            else None
        )
        yield Chunk(frame, texts, filled, segments), [texts[i] for i in filled]


def check_segments(path: Path, column: str) -> None:
    """Every non-blank cell of the segment column is a name; a 422 names the first that
    is not, with its row (from 1, after the header)."""
    row = 0
    for frame in read_frames(path, [column], chunk_rows=100_000):
        for offset, value in enumerate(frame[column].tolist()):
            segment = value.strip()
            if segment and (len(segment) > SEGMENT_MAX or not re.fullmatch(NAME_PATTERN, segment)):
                raise InvalidInputError(
                    f"row {row + offset + 1}: segment {segment[:120]!r} is not a name; a "
                    f"segment is 1 to {SEGMENT_MAX} {PATTERN_WORDS[NAME_PATTERN]}"
                )
        row += len(frame)


def result_columns(
    chunk: pd.DataFrame,
    model: TrainedModel,
    texts: list[str],
    filled: list[int],
    answers: Predictions,
    ids: list[str] | None,
    language: str | None = None,
) -> pd.DataFrame:
    """The result columns of a chunk's rows; `language`: the model's (`text_warning`)."""
    n = len(texts)
    terms = model.token_terms()
    results: list[object] = [""] * n
    confidences: list[object] = [""] * n
    probabilities: list[list[object]] = [[""] * n for _ in model.classes]
    notes: list[object] = [EMPTY_NOTE] * n
    for k, i in enumerate(filled):
        results[i] = answers.labels[k]
        confidences[i] = round(answers.confidences[k], 6)
        for c, p in enumerate(answers.probabilities[k]):
            probabilities[c][i] = p
        notes[i] = text_warning(texts[i], answers.known_token_share[k], terms, language) or ""
    # appended even where the input has columns of these names: theirs are kept
    columns: list[tuple[str, list[object]]] = [
        (RESULT_COLUMN, results),
        (CONFIDENCE_COLUMN, confidences),
    ]
    columns += [
        (probability_column(label), values)
        for label, values in zip(model.classes, probabilities, strict=True)
    ]
    columns.append((NOTE_COLUMN, notes))
    if ids is not None:
        id_cells: list[object] = [""] * n
        for k, i in enumerate(filled):
            id_cells[i] = ids[k]
        columns.append((PREDICTION_ID_COLUMN, id_cells))
    width = chunk.shape[1]
    for offset, (name, values) in enumerate(columns):
        chunk.insert(width + offset, name, values, allow_duplicates=True)
    return chunk
