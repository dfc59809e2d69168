"""Hard examples: the texts a model is least sure of, to be labelled first.

From the prediction log: a model name's logged predictions (any version) with a text and
no feedback, one per text (its newest), of at most SCAN_ROWS newest such predictions
(filtered in SQL, `registry/hard_examples.py`), ranked here by a strategy on their
stored probabilities.

From an uploaded unlabelled dataset: a task scores every row of a text column with the
model (`hard_example_scores.py`); the ranking reads its scores and the dataset's column,
and leaves out the texts that have feedback under the model's name.

A binary model's threshold (its cutoff for the positive class) moves the probabilities
ranked so that the cutoff is at 0.5 (`ml.uncertainty.centred_on_threshold`): the texts
nearest the threshold rank hardest. A logged prediction is moved by its own version's
threshold; a dataset's rows by the model's. The answers keep the real probabilities and
confidence; only the score is of the moved ones.

Multi-label models are refused (422): their labels are decided per label by thresholds,
which one ranking of class probabilities does not capture."""

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.core.errors import ConflictError, InvalidInputError
from app.core.times import as_utc
from app.ml.thresholds import decide_binary, positive_cut
from app.ml.uncertainty import centred_on_threshold, hardest_first, uncertainty
from app.registry.base import Registry
from app.registry.entities import ModelRecord, TaskRecord
from app.registry.hard_examples import LoggedCandidate, SqlHardExamples
from app.services.datasets import DatasetService
from app.services.hard_example_scores import DatasetScores
from app.services.models import ModelService, cutoffs_of
from shared.csv_format import read_frames
from shared.schemas import ModelStatus
from shared.schemas.hard_examples import DatasetHardExample, HardExample, HardExampleStrategy

# the newest logged predictions (after the filters, before the text dedup) ranked per call
SCAN_ROWS = 10_000


class HardExampleService:
    def __init__(
        self,
        *,
        registry: Registry,
        models: ModelService,
        datasets: DatasetService,
        store: SqlHardExamples,
        scan_rows: int = SCAN_ROWS,
    ) -> None:
        self.registry = registry
        self.models = models
        self.datasets = datasets
        self.store = store
        self.scan_rows = scan_rows
        self.scores = DatasetScores(registry=registry, models=models, datasets=datasets)

    # -- from the prediction log ---------------------------------------------------------
    def from_log(
        self,
        ref: str,
        *,
        strategy: HardExampleStrategy,
        segment: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[HardExample], int]:
        """One page of the ranked examples, and how many were ranked."""
        model = self._single_label(ref)
        start = as_utc(start) if start is not None else None
        end = as_utc(end) if end is not None else None
        if start is not None and end is not None and start >= end:
            raise InvalidInputError(
                f"start ({start.isoformat()}) must be before end ({end.isoformat()})"
            )
        model_ids = self.store.model_ids_of_name(model.name)
        found = self.store.candidates(
            model.name, model_ids, segment=segment, start=start, end=end, scan=self.scan_rows
        )
        scores = uncertainty(self._centred(found), strategy)
        order = hardest_first(scores, strategy)[offset : offset + limit]
        rows = self.store.rows([found[i][0] for i in order])
        page = [
            _logged_example(rows[found[i][0]], float(scores[i]))
            for i in order
            if found[i][0] in rows  # unless deleted by age meanwhile
        ]
        return page, len(found)

    # -- from an uploaded dataset ----------------------------------------------------------
    def start_scoring(self, ref: str, dataset_id: str, text_column: str) -> TaskRecord:
        """Queue the scoring of every row of the column (a task; 409 while the same model,
        dataset and column are being scored)."""
        model = self._single_label(ref)
        if model.status != ModelStatus.READY:
            raise ConflictError(f"model {model.id} is {model.status}, not trained yet")
        dataset = self.datasets.get(dataset_id)
        self.datasets.require_columns(dataset, text_column)
        self.datasets.file_path(dataset_id)  # 404 now for a file gone, not a failed task
        return self.scores.start(model, dataset, text_column)

    def from_dataset(
        self,
        ref: str,
        dataset_id: str,
        text_column: str,
        *,
        strategy: HardExampleStrategy,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[DatasetHardExample], int]:
        """One page of the scored rows, hardest first, without the texts that have
        feedback under the model's name; and how many were ranked. 409 until scored."""
        model = self._single_label(ref)
        dataset_path = self.datasets.file_path(dataset_id)
        rows, proba, classes = self.scores.read(model, dataset_id, text_column)
        texts = _column(dataset_path, text_column)
        labelled = self.store.feedback_texts(model.name)
        keep = np.array([texts[r] not in labelled for r in rows], dtype=bool)
        rows, proba = rows[keep], proba[keep]
        names = [str(c) for c in classes]
        cuts = cutoffs_of(model)
        # ranked on the probabilities moved to the model's threshold, if any
        cut = positive_cut(names, cuts) if proba.shape[1] == 2 else None
        scores = uncertainty(centred_on_threshold(proba, cut), strategy)
        order = hardest_first(scores, strategy)[offset : offset + limit]
        # each row's label as its prediction would be: at the model's threshold, if any
        chosen = decide_binary(proba, names, cuts or {})
        if chosen is None:
            chosen = proba.argmax(axis=1)
        page = []
        for i in order:
            best = int(chosen[i])
            page.append(
                DatasetHardExample(
                    row=int(rows[i]),
                    text=texts[rows[i]],
                    label=names[best],
                    confidence=round(float(proba[i, best]), 6),
                    probabilities={
                        n: round(float(p), 6) for n, p in zip(names, proba[i], strict=True)
                    },
                    score=float(scores[i]),
                )
            )
        return page, len(rows)

    def clean_up(self) -> None:
        """At start-up: remove score files whose model or dataset is gone, and any a crash
        left half-written."""
        self.scores.clean_up()

    def _centred(self, found: Sequence[tuple[str, str, dict[str, Any]]]) -> np.ndarray:
        """The logged rows' probabilities as one matrix to rank, each binary row moved by
        its own version's threshold (none, or another class than the row's: as it is)."""
        matrix = _matrix([p for _, _, p in found])
        by_version: dict[str, list[int]] = {}
        for i, (_, model_id, _) in enumerate(found):
            by_version.setdefault(model_id, []).append(i)
        for model_id, positions in by_version.items():
            version = self.registry.get_model(model_id)
            if version is None:  # removed meanwhile
                continue
            cut = positive_cut(version.classes, cutoffs_of(version))
            if cut is None:
                continue
            positive = str(version.classes[1])
            binary = [i for i in positions if len(found[i][2]) == 2 and positive in found[i][2]]
            p = np.array([float(found[i][2][positive]) for i in binary])
            # a row's score does not depend on the order of its classes: [other, positive]
            matrix[binary] = 0.0
            matrix[binary, :2] = centred_on_threshold(np.column_stack([1 - p, p]), cut)
        return matrix

    def _single_label(self, ref: str) -> ModelRecord:
        model = self.models.get(ref)
        if model.label_columns:
            raise InvalidInputError(
                f"model {model.id} ({model.name} v{model.version}) is multi-label; hard "
                "examples rank single-label models only"
            )
        return model


def _matrix(probabilities: Sequence[dict[str, object]]) -> np.ndarray:
    """The rows' probabilities as one matrix, padded with zeros (versions of a name may
    have different classes; a zero changes no strategy's score)."""
    width = max((len(p) for p in probabilities), default=0)
    matrix = np.zeros((len(probabilities), width))
    for i, p in enumerate(probabilities):
        values = [float(v) for v in p.values()]  # type: ignore[arg-type]
        matrix[i, : len(values)] = values
    return matrix


def _logged_example(c: LoggedCandidate, score: float) -> HardExample:
    return HardExample(
        prediction_id=c.id,
        text=c.text,
        label=c.label,
        confidence=c.confidence,
        probabilities={str(k): float(v) for k, v in c.probabilities.items()},
        score=score,
        segment=c.segment,
        created_at=c.created_at,
        model_id=c.model_id,
    )


def _column(path: Path, column: str) -> list[str]:
    texts: list[str] = []
    for frame in read_frames(path, [column], chunk_rows=100_000):
        texts.extend(frame[column].tolist())
    return texts
