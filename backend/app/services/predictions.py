"""Predictions: texts in, label and confidence out; whole CSV files in bounded chunks."""

import asyncio
import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.core.errors import InvalidInputError
from app.ml.bundle import TrainedModel
from app.ml.csv_format import read_frames
from app.ml.labels import Label
from app.services.batching import PredictBatcher
from app.services.csv_inspection import checked_csv
from app.services.csv_safety import neutralise_formulas
from app.services.models import ModelService
from shared.schemas import Prediction, PredictResponse

RESULT_COLUMN = "Result"
CONFIDENCE_COLUMN = "Confidence"


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

    async def predict(self, model_id: str, texts: list[str]) -> PredictResponse:
        """Label and confidence per text, from the event loop: the model runs in the
        batcher (micro-batched with concurrent requests for the same model), never here."""
        if len(texts) > self.max_texts:
            raise InvalidInputError(
                f"{len(texts):,} texts in one request; the limit is {self.max_texts:,} "
                "(send more in several requests, or use predict_csv)"
            )
        model = await self._loaded(model_id)
        labels, confidences = await self.batcher.predict(model_id, model, texts)
        return _response(model_id, labels, confidences)

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
        """The input's rows with Result and Confidence appended, as CSV, chunk by chunk.
        The model is resolved now, before a streamed answer starts; the rows as it runs."""
        return self._with_results(self.models.in_memory(model_id), path, text_column)

    def _with_results(self, model: TrainedModel, path: Path, text_column: str) -> Iterator[bytes]:
        first = True
        for chunk in read_frames(path, chunk_rows=self.chunk_rows):
            labels, confidences = model.predict(chunk[text_column].tolist())
            # appended even where the input has columns of these names: theirs are kept
            width = chunk.shape[1]
            chunk.insert(width, RESULT_COLUMN, labels, allow_duplicates=True)
            chunk.insert(
                width + 1,
                CONFIDENCE_COLUMN,
                [round(c, 6) for c in confidences],
                allow_duplicates=True,
            )
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


def _response(
    model_id: str, labels: Sequence[Label], confidences: Sequence[float]
) -> PredictResponse:
    return PredictResponse(
        model_id=model_id,
        predictions=[
            Prediction(label=label, confidence=round(conf, 6))
            for label, conf in zip(labels, confidences, strict=True)
        ],
    )
