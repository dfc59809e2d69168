"""Scoring models on labelled texts (side by side, on every row or on each model's own
held-out split) and a model's mistakes on its held-out split."""

from dataclasses import dataclass

import numpy as np

from app.core.errors import InvalidInputError
from app.ml import seen_texts
from app.ml.bundle import TrainedModel
from app.ml.labels import Label, normalise_labels
from app.ml.metrics import (
    MAX_CURVE_POINTS,
    class_indices,
    decided,
    per_class,
    roc_points,
    unknown_labels,
)
from app.ml.multilabel import MultiLabels, cuts_for
from app.ml.multilabel_data import MultiLabelDataError, read_multilabel_frame
from app.registry.entities import DatasetRecord, ModelRecord
from app.services.chunk_scoring import ChunkScorers
from app.services.datasets import DatasetService
from app.services.held_out import HeldOut, HeldOutSplits
from app.services.models import ModelService, cutoffs_of
from app.services.multilabel_scores import mistakes, score_multilabel
from app.services.prediction_files import refuse_empty_texts
from shared.schemas import (
    Misclassified,
    ModelErrors,
    ScoreResult,
    ScoresRequest,
    ScoresResponse,
)


@dataclass
class _Rows:
    """Rows to score a model on: texts (cleaned already or not), their labels."""

    texts: list[str]
    labels: list[Label]
    cleaned: bool = False


class EvaluationService:
    def __init__(
        self, *, models: ModelService, datasets: DatasetService, scorers: ChunkScorers
    ) -> None:
        self.models = models
        self.datasets = datasets
        self.scorers = scorers
        self.splits = HeldOutSplits(models=models, datasets=datasets)

    def scores(self, request: ScoresRequest) -> ScoresResponse:
        records = [self.models.get(model_id) for model_id in request.model_ids]
        dataset = self.datasets.get(request.dataset_id) if request.dataset_id else None
        every_row: _Rows | None = None  # read once, for all the models scored on every row
        results = []
        for record in records:
            trained_here = dataset is not None and self._trained_on(record, dataset)
            if record.label_columns:
                results.append(self._score_multilabel(request, record, trained_here))
                continue
            # not made again (a dataset it was fitted on deleted, an imported model): every
            # row, said to include its training rows
            split = (
                self.splits.split_if_any(record)
                if request.split == "test" and trained_here
                else None
            )
            if split is not None:
                rows = _Rows(split.texts(split.test), split.labels(split.test), cleaned=True)
            else:
                if every_row is None:
                    every_row = self._labelled_texts(request, record)
                rows = every_row
            model = self.models.for_scoring(record.id)
            _check_labels(record, model, rows)  # before the rows are scored
            learnt = learnt_rows(model, rows.texts, cleaned=rows.cleaned)
            results.append(
                _score(
                    record,
                    model,
                    self._probabilities(record, model, rows.texts, cleaned=rows.cleaned),
                    rows,
                    split="test" if rows is not every_row else "all",
                    includes_training_rows=bool(learnt)
                    or (learnt is None and trained_here and rows is every_row),
                    training_rows=learnt,
                )
            )
        return ScoresResponse(results=results, labels=every_row.labels if every_row else [])

    def _score_multilabel(
        self, request: ScoresRequest, record: ModelRecord, trained_here: bool
    ) -> ScoreResult:
        """A multi-label model on its own held-out split, or on every row of a dataset that
        has its label columns."""
        model = self.models.for_scoring(record.id)
        held = request.split == "test" and trained_here
        split = self.splits.split_if_any(record) if held else None
        if split is not None:
            texts = split.texts(split.test)
            return score_multilabel(
                record,
                self._probabilities(record, model, texts, cleaned=True),
                split.multilabels(split.test),
                split="test",
                includes_training_rows=False,
                training_rows=learnt_rows(model, texts, cleaned=True),
            )
        if request.dataset_id is None:
            raise InvalidInputError(
                f"model {record.name} v{record.version} is multi-label: score it on a dataset "
                f"with its label columns {record.label_columns}"
            )
        columns = list(record.label_columns or [])
        text_column = request.text_column or record.text_column
        self.datasets.require_columns(self.datasets.get(request.dataset_id), text_column, *columns)
        try:
            frame = read_multilabel_frame(
                self.datasets.file_path(request.dataset_id), text_column, columns
            )
        except MultiLabelDataError as exc:
            raise InvalidInputError(str(exc)) from exc
        truth = MultiLabels(columns, frame[columns].to_numpy())
        texts = frame[text_column].tolist()
        learnt = learnt_rows(model, texts, cleaned=False)
        return score_multilabel(
            record,
            self._probabilities(record, model, texts, cleaned=False),
            truth,
            split="all",
            includes_training_rows=bool(learnt) or (learnt is None and trained_here),
            training_rows=learnt,
        )

    def _probabilities(
        self, record: ModelRecord, model: TrainedModel, texts: list[str], *, cleaned: bool
    ) -> np.ndarray:
        """The model's probabilities of the texts: here, or on the Dask workers when they
        are many and TASK_EXECUTOR=dask."""
        return self.scorers.for_rows(record, model, len(texts)).probabilities(
            texts, cleaned=cleaned
        )

    def held_out_predictions(
        self, record: ModelRecord
    ) -> tuple[list[Label] | MultiLabels, np.ndarray]:
        """A model's held-out split made again: its true labels (a multi-label model's
        MultiLabels) and the model's probabilities, columns in its class order."""
        split = self.splits.split(record)
        proba = self.models.for_scoring(record.id).predict_proba_cleaned(split.texts(split.test))
        return split.targets(split.test), proba

    def errors(self, model_id: str, limit: int) -> ModelErrors:
        """The model's misclassified held-out rows, the most confident mistakes first."""
        record = self.models.get(model_id)
        model = self.models.for_scoring(model_id)
        held = self.splits.made_again(record)
        split = held.split
        if split.label_columns:
            return self._multilabel_errors(record, model, held, limit)
        proba = model.predict_proba_cleaned(split.texts(split.test))
        truth = class_indices(split.labels(split.test), model.classes)
        binary = len(model.classes) == 2
        cuts = cutoffs_of(record) if binary else None  # decided as its predictions are
        threshold = (cuts or {}).get(str(model.classes[1])) if binary else None
        predicted = decided(proba, threshold)
        wrong = np.flatnonzero(predicted != truth)
        order = wrong[np.argsort(-proba[wrong, predicted[wrong]], kind="stable")][:limit]
        raw_rows = split.frame.index[split.test]
        rows = [
            Misclassified(
                dataset_id=(origin := held.origin(raw_rows[i]))[0],
                row=origin[1],
                text=str(held.originals.loc[raw_rows[i]]),
                true_label=model.classes[truth[i]],
                predicted_label=model.classes[predicted[i]],
                confidence=round(float(proba[i, predicted[i]]), 6),
                kind=(
                    ("false positive" if predicted[i] == 1 else "false negative")
                    if binary
                    else "misclassified"
                ),
            )
            for i in order
        ]
        return ModelErrors(
            model_id=record.id,
            n_test=len(split.test),
            n_errors=len(wrong),
            false_positives=int((predicted[wrong] == 1).sum()) if binary else None,
            false_negatives=int((predicted[wrong] == 0).sum()) if binary else None,
            positive_label=model.classes[1] if binary else None,
            decision_thresholds=None if threshold is None else {str(model.classes[1]): threshold},
            rows=rows,
        )

    def _multilabel_errors(
        self, record: ModelRecord, model: TrainedModel, held: HeldOut, limit: int
    ) -> ModelErrors:
        split = held.split
        proba = model.predict_proba_cleaned(split.texts(split.test))
        truth = split.multilabels(split.test)
        cuts = cuts_for(truth.names, cutoffs_of(record))
        order, true_sets, predicted_sets, confidences = mistakes(proba, truth, cutoffs_of(record))
        raw_rows = split.frame.index[split.test]
        shown = order[:limit]
        rows = [
            Misclassified(
                dataset_id=(origin := held.origin(raw_rows[i]))[0],
                row=origin[1],
                text=str(held.originals.loc[raw_rows[i]]),
                true_label=true_sets[k],
                predicted_label=predicted_sets[k],
                confidence=round(confidences[k], 6),
                kind="misclassified",
            )
            for k, i in enumerate(shown)
        ]
        return ModelErrors(
            model_id=record.id,
            n_test=len(split.test),
            n_errors=len(order),
            decision_thresholds={n: float(c) for n, c in zip(truth.names, cuts, strict=True)},
            rows=rows,
        )

    def _trained_on(self, record: ModelRecord, dataset: DatasetRecord) -> bool:
        """Whether the model was trained on this dataset, or on a file with the same content:
        by its own fit or through its lineage (the datasets its parents were trained on,
        the second dataset of a retrain on both)."""
        ids = {record.dataset_id, *(d.id for d in record.lineage_datasets)} - {None}
        shas = {record.dataset_sha256, *(d.sha256 for d in record.lineage_datasets)} - {None}
        return dataset.id in ids or dataset.sha256 in shas

    def _labelled_texts(self, request: ScoresRequest, record: ModelRecord) -> _Rows:
        if request.texts is not None:
            refuse_empty_texts(request.texts, "score")  # as /predict refuses them
            return _Rows(request.texts, normalise_labels(request.labels or []))
        assert request.dataset_id is not None
        text_column = request.text_column or record.text_column
        label_column = request.label_column or record.label_column
        frame = self.datasets.read_columns(request.dataset_id, text_column, label_column)
        # the rows a fit learns from: a label, and a text to classify
        frame = frame[
            (frame[label_column].str.strip() != "") & (frame[text_column].str.strip() != "")
        ]
        if frame.empty:
            raise InvalidInputError(f"column {label_column!r} has no labels to score against")
        return _Rows(frame[text_column].tolist(), normalise_labels(frame[label_column]))


def _check_labels(record: ModelRecord, model: TrainedModel, rows: _Rows) -> None:
    unknown = unknown_labels(rows.labels, model.classes)
    if unknown:
        raise InvalidInputError(
            f"model {record.name} v{record.version} knows the classes {model.classes}, but "
            f"the data's labels include {unknown[:10]}, which it never saw: score it on data "
            "labelled with its classes (or pick the label column it was trained on)"
        )


def learnt_rows(model: TrainedModel, texts: list[str], *, cleaned: bool) -> int | None:
    """How many of the texts the model trained on, by the digests of its training texts
    (cleaned as it cleans them); None when its bundle keeps no digests."""
    if model.trained_texts is None:
        return None
    known = texts if cleaned else model.preprocessor.preprocess_texts(texts)
    return int(seen_texts.seen_mask(model.trained_texts, known).sum())


def _score(
    record: ModelRecord,
    model: TrainedModel,
    proba: np.ndarray,
    rows: _Rows,
    *,
    split: str,
    includes_training_rows: bool,
    training_rows: int | None,
) -> ScoreResult:
    """The scores of a model whose probabilities of the rows are `proba`."""
    binary = proba.shape[1] == 2
    scores = proba[:, 1] if binary else proba.max(axis=1)
    positive = model.classes[1] if binary else None
    # decided as its predictions are: at a binary model's threshold in force
    threshold = (cutoffs_of(record) or {}).get(str(positive)) if binary else None
    predicted = decided(proba, threshold)
    fpr: list[float] = []
    tpr: list[float] = []
    auc = None
    if positive is not None:
        fpr, tpr, auc = roc_points(rows.labels, scores, positive, MAX_CURVE_POINTS * 5)
    truth = class_indices(rows.labels, model.classes)
    return ScoreResult.model_validate(
        {
            "model_id": record.id,
            "version": record.version,
            "scores": [round(float(s), 6) for s in scores],
            "roc_auc": auc,
            "fpr": fpr,
            "tpr": tpr,
            "positive_label": positive,
            "n_rows": len(rows.labels),
            "includes_training_rows": includes_training_rows,
            "training_rows": training_rows,
            "split": split,
            "labels": rows.labels,
            "accuracy": float((predicted == truth).mean()) if len(truth) else None,
            "per_class": per_class(rows.labels, proba, model.classes, threshold),
        }
    )
