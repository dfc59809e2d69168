"""Feedback: true labels for what a model was asked, kept by model name. For a logged
prediction (its text and segment from the log), for a text, or for a CSV of texts (each
matched to the newest logged prediction of it by that name); listed, exported, deleted."""

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from app.core.errors import ConflictError, InvalidInputError, NotFoundError
from app.registry.entities import ModelRecord
from app.registry.feedback import FeedbackEntry, SqlFeedback
from app.registry.prediction_log import LoggedPrediction, SqlPredictionLog
from app.services.csv_inspection import checked_csv
from app.services.csv_safety import neutralise_formulas
from app.services.models import ModelService
from app.services.prediction_files import check_segments
from app.services.prediction_log import PredictionLog
from shared.csv_format import read_frames
from shared.schemas import FeedbackCreate
from shared.schemas.feedback import FEEDBACK_LABEL_MAX
from shared.schemas.strings import DEFAULT_SEGMENT

EXPORT_COLUMNS = ("text", "label", "segment", "prediction_id", "model_id", "created_at", "source")
EXPORT_PAGE = 1000
_CHUNK_ROWS = 100_000
_SHOWN = 10


@dataclass(frozen=True)
class CsvFeedback:
    """Where a CSV's feedback is: its columns (the segment column is optional)."""

    path: Path
    text_column: str = "text"
    label_column: str = "label"
    segment_column: str | None = None
    add_class: bool = False


class FeedbackService:
    def __init__(
        self,
        *,
        models: ModelService,
        store: SqlFeedback,
        predictions: SqlPredictionLog,
        log: PredictionLog,
        formula_protection: bool,
        max_columns: int | None = None,
    ) -> None:
        self.models = models
        self.store = store
        self.predictions = predictions
        self.log = log
        self.formula_protection = formula_protection
        self.max_columns = max_columns

    def add(self, ref: str, body: FeedbackCreate) -> FeedbackEntry:
        model = self._labelled_model(ref)
        label = body.label.strip()
        _check_labels(model, [label], add_class=body.add_class)
        if body.prediction_id is not None:
            logged = self._logged(body.prediction_id, model)
            entry = _entry(
                model.name,
                logged.model_id,
                prediction_id=logged.id,
                text=logged.text,
                label=label,
                segment=logged.segment,
                source="prediction",
            )
        else:
            assert body.text is not None  # the schema asks for one of the two
            entry = _entry(
                model.name,
                model.id,
                prediction_id=None,
                text=body.text,
                label=label,
                segment=body.segment or DEFAULT_SEGMENT,
                source="text",
            )
        self.store.insert([entry])
        return entry

    def import_csv(self, ref: str, upload: CsvFeedback) -> tuple[int, int]:
        """Store a row of feedback for each row of the file; (rows added, rows matched to
        a logged prediction). Nothing is stored unless every row is usable."""
        model = self._labelled_model(ref)
        header, _ = checked_csv(upload.path, max_columns=self.max_columns)
        fields = (
            (upload.text_column, "text_column"),
            (upload.label_column, "label_column"),
            (upload.segment_column, "segment_column"),
        )
        for name, field in fields:
            if name is not None and name not in header:
                raise InvalidInputError(
                    f"the file has no column {name!r}; its columns are {header}. "
                    f"Name the column with the {field} field."
                )
        if upload.segment_column is not None:
            check_segments(upload.path, upload.segment_column)
        frame = _read(upload)
        _check_cells(frame, upload)
        texts = frame["text"].tolist()
        labels = [label.strip() for label in frame["label"].tolist()]
        _check_labels(model, labels, add_class=upload.add_class)
        self.log.flush()  # predictions answered a moment ago are matched too
        matched = self.predictions.newest_by_text(model.name, texts)
        entries = [
            _entry(
                model.name,
                model.id,
                prediction_id=matched.get(text),
                text=text,
                label=label,
                segment=segment.strip() or DEFAULT_SEGMENT,
                source="csv",
            )
            for text, label, segment in zip(texts, labels, frame["segment"].tolist(), strict=True)
        ]
        self.store.insert(entries)
        return len(entries), sum(e.prediction_id is not None for e in entries)

    def page(self, ref: str, *, limit: int, offset: int) -> tuple[list[FeedbackEntry], int]:
        name = self.models.get(ref).name
        return self.store.list(name, limit=limit, offset=offset), self.store.count(name)

    def export(self, ref: str) -> tuple[str, Iterator[bytes]]:
        """The name's feedback as CSV (newest first), page by page; and the name."""
        name = self.models.get(ref).name
        return name, self._csv_pages(name)

    def delete(self, ref: str, feedback_id: str) -> None:
        name = self.models.get(ref).name
        entry = self.store.get(feedback_id)
        if entry is None or entry.model_name != name or not self.store.delete(feedback_id):
            raise NotFoundError(f"model {name!r} has no feedback {feedback_id}")

    # helpers
    def _labelled_model(self, ref: str) -> ModelRecord:
        model = self.models.get(ref)
        if model.label_columns:
            raise InvalidInputError(
                "feedback for a multi-label model is not supported yet; give feedback to a "
                "single-label version"
            )
        if not model.classes:
            raise ConflictError(
                f"model {model.id} is {model.status}; feedback needs a trained version "
                "(its classes)"
            )
        return model

    def _logged(self, prediction_id: str, model: ModelRecord) -> LoggedPrediction:
        logged = self.predictions.get(prediction_id)
        if logged is None:  # answered a moment ago: it may still be queued for the log
            self.log.flush()
            logged = self.predictions.get(prediction_id)
        if logged is None:
            raise NotFoundError(
                f"prediction {prediction_id} is not in the prediction log (never made, "
                "older than its retention, or made while the log was off)"
            )
        made_by = self.models.registry.get_model(logged.model_id)
        if made_by is None or made_by.name != model.name:
            by = f"model {made_by.name!r}" if made_by else f"a removed model ({logged.model_id})"
            raise ConflictError(
                f"prediction {prediction_id} was made by {by}, not by a version of "
                f"{model.name!r}; give the feedback to that model"
            )
        return logged

    def _csv_pages(self, name: str) -> Iterator[bytes]:
        offset, first = 0, True
        while True:
            entries = self.store.list(name, limit=EXPORT_PAGE, offset=offset)
            if not entries and not first:
                return
            frame = pd.DataFrame(
                [_export_row(e) for e in entries], columns=list(EXPORT_COLUMNS), dtype=object
            )
            if self.formula_protection:
                frame = neutralise_formulas(frame)
            buffer = io.StringIO()
            frame.to_csv(
                buffer, index=False, header=first, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n"
            )
            yield buffer.getvalue().encode("utf-8")
            first = False
            offset += len(entries)
            if len(entries) < EXPORT_PAGE:
                return


def _entry(
    name: str,
    model_id: str,
    *,
    prediction_id: str | None,
    text: str | None,
    label: str,
    segment: str,
    source: str,
) -> FeedbackEntry:
    return FeedbackEntry(
        id=uuid.uuid4().hex,
        model_name=name,
        model_id=model_id,
        prediction_id=prediction_id,
        text=text,
        label=label,
        segment=segment,
        source=source,
        created_at=datetime.now(UTC),
    )


def _check_labels(model: ModelRecord, labels: list[str], *, add_class: bool) -> None:
    """Every label is one of the model's classes, unless new classes are asked for."""
    if add_class:
        return
    classes = [str(c) for c in model.classes]
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise InvalidInputError(
            f"label {', '.join(repr(u[:120]) for u in unknown[:_SHOWN])} is not a class of "
            f"model {model.name!r}; its classes are {', '.join(repr(c) for c in classes)} "
            "(add_class: true stores a new class, for a retrain to learn)"
        )


def _read(upload: CsvFeedback) -> pd.DataFrame:
    """The text, label and segment cells of every row, as strings ('' when missing)."""
    columns = [upload.text_column, upload.label_column]
    if upload.segment_column is not None:
        columns.append(upload.segment_column)
    parts = []
    for chunk in read_frames(upload.path, columns, chunk_rows=_CHUNK_ROWS):
        parts.append(
            pd.DataFrame(
                {
                    "text": chunk[upload.text_column].to_numpy(),
                    "label": chunk[upload.label_column].to_numpy(),
                    "segment": chunk[upload.segment_column].to_numpy()
                    if upload.segment_column is not None
                    else "",
                }
            )
        )
    if not parts:
        raise InvalidInputError("the file has a header but no rows: there is no feedback in it")
    return pd.concat(parts, ignore_index=True)


def _check_cells(frame: pd.DataFrame, upload: CsvFeedback) -> None:
    """No empty text and no empty or over-long label; a 422 names the rows (from 1, after
    the header)."""
    for column, name in (("text", upload.text_column), ("label", upload.label_column)):
        empty = frame.index[frame[column].str.strip() == ""]
        if len(empty):
            rows = ", ".join(str(i + 1) for i in empty[:_SHOWN])
            raise InvalidInputError(
                f"column {name!r} is empty in {len(empty):,} row(s) (rows {rows}); every row "
                "needs a text and its label"
            )
    long = frame.index[frame["label"].str.len() > FEEDBACK_LABEL_MAX]
    if len(long):
        raise InvalidInputError(
            f"row {long[0] + 1}: a label is at most {FEEDBACK_LABEL_MAX} characters "
            f"(is {upload.label_column!r} the label column?)"
        )


def _export_row(entry: FeedbackEntry) -> list[object]:
    created = entry.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return [
        entry.text if entry.text is not None else "",
        entry.label,
        entry.segment,
        entry.prediction_id or "",
        entry.model_id,
        # as the JSON answers write it: 2026-12-05T02:40:11.497513Z
        created.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        entry.source,
    ]
