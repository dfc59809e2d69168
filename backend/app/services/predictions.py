"""Predictions: texts in; label, confidence, every class's probability and a word of warning
out; whole CSV files in bounded chunks."""

import asyncio
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from app.core.errors import InvalidInputError
from app.ml.bundle import Predictions, TrainedModel
from app.ml.labels import Label
from app.ml.preprocessing import MAX_TEXT_CHARS
from app.services.batching import PredictBatcher
from app.services.csv_inspection import checked_csv
from app.services.csv_safety import neutralise_formulas
from app.services.decisions import decided
from app.services.explanations import explain_in_thread
from app.services.models import ModelService
from app.services.references import is_reference
from shared.csv_format import read_frames
from shared.schemas import ClassProbability, Prediction, PredictResponse

RESULT_COLUMN = "Result"
CONFIDENCE_COLUMN = "Confidence"
NOTE_COLUMN = "Note"
EMPTY_NOTE = "empty text: not predicted"
# below this share of known tokens an answer says little about the text itself
LOW_KNOWN_SHARE = 0.5


def probability_column(label: object) -> str:
    return f"P({label})"


def known_token_warning(share: float | None) -> str | None:
    """What to tell the user about an answer given on few or no known words."""
    if share is None:
        return "no words left after preprocessing: the answer is the model's class prior"
    if share == 0:
        return "none of its words is known to the model: the answer is the class prior"
    if share < LOW_KNOWN_SHARE:
        return f"only {share:.0%} of its words are known to the model: the answer is unreliable"
    return None


def text_warning(text: str, share: float | None) -> str | None:
    """Every word of warning an answer needs: on its text's length, on its known words."""
    notes = [known_token_warning(share)]
    if len(text) > MAX_TEXT_CHARS:
        notes.insert(
            0, f"only the first {MAX_TEXT_CHARS:,} of its {len(text):,} characters were read"
        )
    return "; ".join(n for n in notes if n) or None


class PredictionService:
    def __init__(
        self,
        *,
        models: ModelService,
        batcher: PredictBatcher,
        max_texts: int,
        chunk_rows: int,
        formula_protection: bool,
        max_columns: int | None = None,
    ) -> None:
        self.models = models
        self.max_columns = max_columns
        self.batcher = batcher
        self.max_texts = max_texts
        self.chunk_rows = chunk_rows
        self.formula_protection = formula_protection

    async def predict(
        self, ref: str, texts: list[str], *, explain: bool = False, explain_terms: int = 10
    ) -> PredictResponse:
        """Label and confidence per text, from the event loop: the model runs in the
        batcher (micro-batched with concurrent requests for the same model), never here.
        `ref` is a model id, `name@alias` or `name:version`; the answer names the id and
        version that answered."""
        if len(texts) > self.max_texts:
            raise InvalidInputError(
                f"{len(texts):,} texts in one request; the limit is {self.max_texts:,} "
                "(send more in several requests, or use predict_csv)"
            )
        empty = [i for i, text in enumerate(texts) if not text.strip()]
        if empty:
            raise InvalidInputError(
                f"texts {empty[:10]} are empty or only whitespace; there is nothing to "
                "classify (index from 0)"
            )
        model_id = await self.resolve(ref)
        model = await self._loaded(model_id)
        answers = await self.batcher.predict(model_id, model, texts)
        answers = decided(answers, model.classes, self.models.memory.cutoffs(model_id))
        response = _response(model_id, model, answers)
        response.version = self.models.memory.version(model_id)
        for text, prediction in zip(texts, response.predictions, strict=True):
            if len(text) > MAX_TEXT_CHARS:
                prediction.warning = text_warning(text, prediction.known_token_share)
        if explain:
            # a multi-label answer: its most probable label (applying or not) is explained
            labels = [
                max(p.probabilities, key=lambda c: c.probability).label
                if p.labels is not None
                else p.label
                for p in response.predictions
            ]
            explained = await explain_in_thread(model, texts, labels, explain_terms)
            for prediction, explanation in zip(response.predictions, explained, strict=True):
                prediction.explanation = explanation
        return response

    async def resolve(self, ref: str) -> str:
        """The model id a request names; a reference is looked up off the event loop."""
        if not is_reference(ref):
            return ref
        return await asyncio.to_thread(self.models.resolve_id, ref)

    async def _loaded(self, model_id: str) -> TrainedModel:
        model = self.models.memory.get(model_id)
        if model is None:  # the 404 / 409 answer needs the registry: not on the event loop
            model = await asyncio.to_thread(self.models.in_memory, model_id)
        return model

    def check_csv(self, model_id: str, path: Path, text_column: str | None) -> str:
        """Validate the file before streaming starts; return the text column to use."""
        self.models.in_memory(model_id)  # 409 before reading a byte of the file
        column = (text_column or "").strip() or self.models.get(model_id).text_column
        # all of it: nothing knowable fails mid-stream
        header, _ = checked_csv(path, max_columns=self.max_columns)
        if column not in header:
            raise InvalidInputError(
                f"the file has no column {column!r}; its columns are {header}. "
                "Name the text column with the text_column field."
            )
        return column

    def predict_csv(self, model_id: str, path: Path, text_column: str) -> Iterator[bytes]:
        """The input's rows with Result, Confidence, one P(label) column per class and a
        Note appended, as CSV, chunk by chunk. Empty texts get no prediction, a Note says
        so; so does a text with few or no words the model knows. The model is resolved
        now, before a streamed answer starts; the rows as it runs."""
        model = self.models.in_memory(model_id)
        cutoffs = self.models.memory.cutoffs(model_id)
        return self._with_results(model, cutoffs, path, text_column)

    def _with_results(
        self, model: TrainedModel, cutoffs: dict[str, float] | None, path: Path, text_column: str
    ) -> Iterator[bytes]:
        first = True
        for chunk in read_frames(path, chunk_rows=self.chunk_rows):
            chunk = _with_predictions(chunk, model, cutoffs, chunk[text_column].tolist())
            if self.formula_protection:
                chunk = neutralise_formulas(chunk)
            buffer = io.StringIO()
            # CRLF rows (RFC 4180): the csv writer quotes a cell holding any character
            # of the line terminator, so with "\n" alone a bare CR went out unquoted
            # and split its row for every reader
            chunk.to_csv(
                buffer,
                index=False,
                header=first,
                quoting=csv.QUOTE_MINIMAL,
                lineterminator="\r\n",
            )
            first = False
            yield buffer.getvalue().encode("utf-8")


def _with_predictions(
    chunk: pd.DataFrame, model: TrainedModel, cutoffs: dict[str, float] | None, texts: list[str]
) -> pd.DataFrame:
    filled = [i for i, text in enumerate(texts) if text.strip()]
    answers = decided(model.predict([texts[i] for i in filled]), model.classes, cutoffs)
    n = len(texts)
    results: list[object] = [""] * n
    confidences: list[object] = [""] * n
    probabilities: list[list[object]] = [[""] * n for _ in model.classes]
    notes: list[object] = [EMPTY_NOTE] * n
    for k, i in enumerate(filled):
        results[i] = answers.labels[k]
        confidences[i] = round(answers.confidences[k], 6)
        for c, p in enumerate(answers.probabilities[k]):
            probabilities[c][i] = p
        notes[i] = text_warning(texts[i], answers.known_token_share[k]) or ""
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
    width = chunk.shape[1]
    for offset, (name, values) in enumerate(columns):
        chunk.insert(width + offset, name, values, allow_duplicates=True)
    return chunk


def _response(model_id: str, model: TrainedModel, answers: Predictions) -> PredictResponse:
    predictions = []
    sets: list[list[Label] | None] = (
        list(answers.label_sets) if answers.label_sets else [None] * len(answers.labels)
    )
    for label, conf, proba, share, applying in zip(
        answers.labels,
        answers.confidences,
        answers.probabilities,
        answers.known_token_share,
        sets,
        strict=True,
    ):
        predictions.append(
            Prediction(
                label=label,
                confidence=round(conf, 6),
                probabilities=[
                    ClassProbability(label=c, probability=p)
                    for c, p in zip(model.classes, proba, strict=True)
                ],
                known_token_share=share,
                warning=known_token_warning(share),
                labels=applying,
            )
        )
    return PredictResponse(model_id=model_id, predictions=predictions)
