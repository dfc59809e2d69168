"""Scoring models side by side on labelled texts: positive-class scores and ROC curves."""

from app.core.errors import InvalidInputError
from app.ml.labels import Label, normalise_labels
from app.ml.metrics import MAX_CURVE_POINTS, roc_points
from app.services.datasets import DatasetService
from app.services.models import ModelService
from shared.schemas import ScoreResult, ScoresRequest, ScoresResponse


class EvaluationService:
    def __init__(self, *, models: ModelService, datasets: DatasetService) -> None:
        self.models = models
        self.datasets = datasets

    def scores(self, request: ScoresRequest) -> ScoresResponse:
        records = [self.models.get(model_id) for model_id in request.model_ids]
        texts, labels = self._labelled_texts(
            request, records[0].text_column, records[0].label_column
        )
        results = []
        for record in records:
            model = self.models.for_scoring(record.id)
            scores = model.positive_scores(texts)
            positive = model.classes[1] if len(model.classes) == 2 else None
            fpr: list[float] = []
            tpr: list[float] = []
            auc = None
            if positive is not None:
                fpr, tpr, auc = roc_points(labels, scores, positive, MAX_CURVE_POINTS * 5)
            results.append(
                ScoreResult(
                    model_id=record.id,
                    scores=[round(float(s), 6) for s in scores],
                    roc_auc=auc,
                    fpr=fpr,
                    tpr=tpr,
                    positive_label=positive,
                )
            )
        return ScoresResponse(results=results, labels=labels)

    def _labelled_texts(
        self, request: ScoresRequest, default_text: str, default_label: str
    ) -> tuple[list[str], list[Label]]:
        if request.texts is not None:
            return request.texts, normalise_labels(request.labels or [])
        assert request.dataset_id is not None
        text_column = request.text_column or default_text
        label_column = request.label_column or default_label
        frame = self.datasets.read_columns(request.dataset_id, text_column, label_column)
        frame = frame[frame[label_column].str.strip() != ""]
        if frame.empty:
            raise InvalidInputError(f"column {label_column!r} has no labels to score against")
        return frame[text_column].tolist(), normalise_labels(frame[label_column])
