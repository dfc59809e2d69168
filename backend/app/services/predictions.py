"""Predictions: texts in; label, confidence, every class's probability and a word of warning
out; whole CSV files in bounded chunks."""

import asyncio
import csv
import io
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from app.core.errors import InvalidInputError
from app.core.metrics import PREDICTIONS
from app.ml.bundle import Predictions, TrainedModel
from app.ml.labels import Label
from app.services.batching import PredictBatcher
from app.services.chunk_scoring import ChunkScorer, ChunkScorers
from app.services.csv_inspection import checked_csv
from app.services.csv_safety import neutralise_formulas
from app.services.decisions import decided
from app.services.explanations import explain_in_thread
from app.services.memory import Serving
from app.services.models import ModelService
from app.services.prediction_files import (
    Chunk,
    CsvToPredict,
    check_segments,
    chunks,
    refuse_empty_texts,
    result_columns,
    text_warning,
)
from app.services.prediction_log import LoggedPredictions, PredictionLog
from app.services.references import is_reference
from shared.csv_format import read_frames
from shared.schemas import ClassProbability, Prediction, PredictResponse
from shared.schemas.strings import DEFAULT_SEGMENT


class PredictionService:
    def __init__(
        self,
        *,
        models: ModelService,
        batcher: PredictBatcher,
        max_texts: int,
        chunk_rows: int,
        formula_protection: bool,
        log: PredictionLog,
        scorers: ChunkScorers,
        max_columns: int | None = None,
    ) -> None:
        self.models = models
        self.scorers = scorers
        self.log = log
        self.max_columns = max_columns
        self.batcher = batcher
        self.max_texts = max_texts
        self.chunk_rows = chunk_rows
        self.formula_protection = formula_protection

    async def predict(
        self,
        ref: str,
        texts: list[str],
        *,
        explain: bool = False,
        explain_terms: int = 10,
        explain_label: Label | None = None,
        segment: str = DEFAULT_SEGMENT,
        log: bool = True,
    ) -> PredictResponse:
        """Label and confidence per text, from the event loop: the model runs in the
        batcher (micro-batched with concurrent requests for the same model), never here.
        `ref` is a model id, `name@alias` or `name:version`; the answer names the id and
        version that answered. Each prediction is logged (off the request path) under
        `segment`, and carries its id in the log (unless `log` is false)."""
        started = time.perf_counter()
        if len(texts) > self.max_texts:
            raise InvalidInputError(
                f"{len(texts):,} texts in one request; the limit is {self.max_texts:,} "
                "(send more in several requests, or use predict_csv)"
            )
        refuse_empty_texts(texts, "classify")
        model_id = await self.resolve(ref)
        serving = await self._serving(model_id)
        model = serving.model
        if explain and explain_label is not None:
            explain_label = _explained_class(explain_label, model.classes)
        answers = await self.batcher.predict(model_id, model, texts)
        answers = decided(answers, model.classes, serving.cutoffs)
        ids = self.log.new_ids(len(texts)) if log and self.log.enabled else None
        response = _response(model_id, model, texts, answers, ids, serving.language)
        response.version = serving.version
        PREDICTIONS.labels(model_id, segment).inc(len(texts))
        if ids is not None:
            self.log.record(
                LoggedPredictions(
                    model_id=model_id,
                    version=response.version,
                    reference=ref,
                    segments=segment,
                    texts=texts,
                    ids=ids,
                    answers=answers,
                    classes=model.classes,
                    latency_ms=(time.perf_counter() - started) * 1000,
                    at=datetime.now(UTC),
                )
            )
        if explain:
            # a multi-label answer: its most probable label (applying or not) is explained
            labels = [
                explain_label
                if explain_label is not None
                else max(p.probabilities, key=lambda c: c.probability).label
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

    async def _serving(self, model_id: str) -> Serving:
        serving = self.models.memory.serving(model_id)
        if serving is None:  # the 404 / 409 answer needs the registry: not on the event loop
            serving = await asyncio.to_thread(self.models.serving, model_id)
        return serving

    def check_csv(
        self,
        model_id: str,
        path: Path,
        text_column: str | None,
        segment_column: str | None = None,
    ) -> "CsvToPredict":
        """Validate the file before streaming starts; return the text column to use and
        the number of rows. A segment column must exist and hold names (an empty cell: the
        default segment)."""
        self.models.in_memory(model_id)  # 409 before reading a byte of the file
        column = (text_column or "").strip() or self.models.get(model_id).text_column
        # all of it: nothing knowable fails mid-stream
        header, rows = checked_csv(path, max_columns=self.max_columns)
        for name, field in ((column, "text_column"), (segment_column, "segment_column")):
            if name is not None and name not in header:
                raise InvalidInputError(
                    f"the file has no column {name!r}; its columns are {header}. "
                    f"Name the column with the {field} field."
                )
        if segment_column is not None:
            check_segments(path, segment_column)
        return CsvToPredict(column, rows)

    def predict_csv(
        self,
        model_id: str,
        path: Path,
        text_column: str,
        *,
        rows: int,
        reference: str | None = None,
        segment_column: str | None = None,
    ) -> Iterator[bytes]:
        """The input's rows with Result, Confidence, one P(label) column per class and a
        Note appended (and the prediction's id in the log when it is on), as CSV, chunk by
        chunk. Empty texts get no prediction, a Note says so; so does a text with few or no
        words the model knows. The model, and where it runs (`rows` of them: here, or on
        the Dask workers), are resolved now, before a streamed answer starts; the rows as
        it runs. Each row's segment is its `segment_column` cell (blank, or no such column:
        the default)."""
        serving = self.models.serving(model_id)
        answering = _Answering(
            model_id=model_id,
            version=serving.version,
            reference=reference or model_id,
            model=serving.model,
            cutoffs=serving.cutoffs,
            language=serving.language,
            scorer=self.scorers.for_rows(self.models.get(model_id), serving.model, rows),
        )
        return self._with_results(answering, path, text_column, segment_column)

    def _with_results(
        self,
        answering: "_Answering",
        path: Path,
        text_column: str,
        segment_column: str | None,
    ) -> Iterator[bytes]:
        first = True
        rows = chunks(read_frames(path, chunk_rows=self.chunk_rows), text_column, segment_column)
        for chunk, answers, seconds in answering.scorer.predictions(rows):
            frame = self._with_predictions(answering, chunk, answers, seconds)
            if self.formula_protection:
                frame = neutralise_formulas(frame)
            buffer = io.StringIO()
            # CRLF rows (RFC 4180): the csv writer quotes a cell holding any character
            # of the line terminator, so with "\n" alone a bare CR went out unquoted
            # and split its row for every reader
            frame.to_csv(
                buffer,
                index=False,
                header=first,
                quoting=csv.QUOTE_MINIMAL,
                lineterminator="\r\n",
            )
            first = False
            yield buffer.getvalue().encode("utf-8")

    def _with_predictions(
        self,
        answering: "_Answering",
        chunk: "Chunk",
        predictions: Predictions,
        seconds: float,
    ) -> pd.DataFrame:
        """The chunk with its answers' columns; its predictions counted and logged.
        `seconds`: the model's time on the chunk."""
        started = time.perf_counter()
        model = answering.model
        texts, filled = chunk.texts, chunk.filled
        filled_texts = [texts[i] for i in filled]
        answers = decided(predictions, model.classes, answering.cutoffs)
        if chunk.segments is None:
            filled_segments = [DEFAULT_SEGMENT] * len(filled)
        else:
            filled_segments = [chunk.segments[i] for i in filled]
        for segment, count in Counter(filled_segments).items():
            PREDICTIONS.labels(answering.model_id, segment).inc(count)
        ids: list[str] | None = None
        if self.log.enabled:
            ids = self.log.new_ids(len(filled))
            elapsed = seconds + time.perf_counter() - started
            self.log.record(
                LoggedPredictions(
                    model_id=answering.model_id,
                    version=answering.version,
                    reference=answering.reference,
                    segments=filled_segments,
                    texts=filled_texts,
                    ids=ids,
                    answers=answers,
                    classes=model.classes,
                    # the chunk's time shared by its rows
                    latency_ms=elapsed * 1000 / max(len(filled), 1),
                    at=datetime.now(UTC),
                )
            )
        return result_columns(chunk.frame, model, texts, filled, answers, ids, answering.language)


@dataclass(frozen=True)
class _Answering:
    """The model a predict_csv runs with, and how its log rows name it."""

    model_id: str
    version: int | None
    reference: str
    model: TrainedModel
    cutoffs: dict[str, float] | None
    language: str | None  # of its training texts (Serving.language)
    scorer: ChunkScorer  # where the model runs: here, or on the Dask workers


def _explained_class(label: Label, classes: Sequence[Label]) -> Label:
    """The model's class (or label) that `explain_label` names; a 422 naming them when it
    names none (1 and "1" name the same class)."""
    for known in classes:
        if str(known) == str(label):
            return known
    raise InvalidInputError(
        f"explain_label {label!r} is not one of the model's labels: "
        + ", ".join(repr(c) for c in classes)
    )


def _response(
    model_id: str,
    model: TrainedModel,
    texts: Sequence[str],
    answers: Predictions,
    ids: Sequence[str] | None,
    language: str | None,
) -> PredictResponse:
    """`language`: the model's training texts' (Serving.language), for `text_warning`."""
    predictions = []
    terms = model.token_terms()
    sets: list[list[Label] | None] = (
        list(answers.label_sets) if answers.label_sets else [None] * len(answers.labels)
    )
    for text, label, conf, proba, share, applying, prediction_id in zip(
        texts,
        answers.labels,
        answers.confidences,
        answers.probabilities,
        answers.known_token_share,
        sets,
        ids if ids is not None else [None] * len(answers.labels),
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
                warning=text_warning(text, share, terms, language),
                labels=applying,
                prediction_id=prediction_id,
            )
        )
    return PredictResponse(model_id=model_id, predictions=predictions)
