"""A model's drift from the prediction summary: per segment and period, the population
stability index (PSI) of the class mix and of the confidence histogram (10 bins) against
the model's predictions on its own held-out split, and the share of tokens unknown to its
vocabulary, each flagged over its threshold.

The reference (the held-out split made again and scored, as Compare scores it) is worked
out once per version and thresholds and kept beside the model file as JSON
(`<artifact>.drift.json`). A model without a held-out split (a bundle imported without its
dataset, a dataset removed) has no reference: the answer says why, its PSIs are null and
only the unknown-token share is reported."""

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from app.core.errors import AppError
from app.ml.bundle import Predictions
from app.ml.drift import as_bins, confidence_histogram, psi, shares
from app.registry.entities import ModelRecord
from app.registry.prediction_statistics import BucketFigures
from app.registry.summary_bins import COARSE_CONFIDENCE_GROUPS
from app.services.decisions import decided
from app.services.evaluation import EvaluationService
from app.services.models import ModelService, cutoffs_of
from app.services.statistics import StatisticsService, time_range
from shared.schemas.drift import DriftBucket, DriftReference, ModelDrift
from shared.schemas.statistics import StatisticsPeriod

log = logging.getLogger(__name__)


class DriftService:
    def __init__(
        self,
        *,
        statistics: StatisticsService,
        models: ModelService,
        evaluation: EvaluationService,
        models_dir: Path,
        psi_threshold: float,
        unknown_token_threshold: float,
        min_predictions: int = 1,
    ) -> None:
        self.statistics = statistics
        self.models = models
        self.evaluation = evaluation
        self.models_dir = models_dir
        self.psi_threshold = psi_threshold
        self.unknown_token_threshold = unknown_token_threshold
        self.min_predictions = min_predictions

    def drift(
        self,
        ref: str,
        *,
        period: StatisticsPeriod = StatisticsPeriod.DAY,
        start: datetime | None = None,
        end: datetime | None = None,
        segment: str | None = None,
        psi_threshold: float | None = None,
        unknown_token_threshold: float | None = None,
        min_predictions: int | None = None,
        now: datetime | None = None,
    ) -> ModelDrift:
        """The buckets of [start, end) (default: the last 30 days), by segment."""
        start, end = time_range(start, end, now)
        psi_limit = self.psi_threshold if psi_threshold is None else psi_threshold
        unknown_limit = (
            self.unknown_token_threshold
            if unknown_token_threshold is None
            else unknown_token_threshold
        )
        least = self.min_predictions if min_predictions is None else min_predictions
        model_id = self.statistics.model_ids(ref)[-1]
        reference = self.reference(self.models.get(model_id))
        figures = self.statistics.store.buckets(
            [model_id],
            period=period,
            start=start,
            end=end,
            segment=segment,
            confidence_groups=COARSE_CONFIDENCE_GROUPS,
            latency=False,
            by_segment=True,
        )
        buckets = sorted(
            (_bucket(f, reference, psi_limit, unknown_limit, least) for f in figures),
            key=lambda b: (b.segment, b.start),
        )
        return ModelDrift(
            model=ref,
            model_id=model_id,
            segment=segment,
            period=period,
            start=start,
            end=end,
            psi_threshold=psi_limit,
            unknown_token_threshold=unknown_limit,
            min_predictions=least,
            reference=reference,
            flagged=any(
                b.class_mix_drift or b.confidence_drift or b.unknown_token_drift for b in buckets
            ),
            buckets=buckets,
        )

    def reference(self, record: ModelRecord) -> DriftReference:
        """The model's held-out predictions' figures: from the file beside the model when
        it was made for these thresholds, else worked out and written there."""
        cutoffs = cutoffs_of(record)
        path = self._cache_path(record)
        if path is not None and path.is_file():
            try:
                cached = json.loads(path.read_text())
                if cached.get("cutoffs") == cutoffs:
                    return DriftReference.model_validate(cached["reference"])
            except (OSError, ValueError, KeyError) as exc:
                log.warning("drift reference %s unreadable (%s); made again", path, exc)
        reference = self._scored(record, cutoffs)
        if path is not None and reference.available:
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_text(
                json.dumps({"cutoffs": cutoffs, "reference": reference.model_dump()})
            )
            temporary.replace(path)
        return reference

    def _cache_path(self, record: ModelRecord) -> Path | None:
        if not record.artifact_file:
            return None
        return self.models_dir / f"{record.artifact_file}.drift.json"

    def _scored(self, record: ModelRecord, cutoffs: dict[str, float] | None) -> DriftReference:
        if record.label_columns:
            return DriftReference(
                available=False, reason="drift is not computed for multi-label models"
            )
        try:
            split = self.evaluation.splits.split(record)
            model = self.models.for_scoring(record.id)
        except AppError as exc:
            return DriftReference(available=False, reason=f"no held-out split: {exc}")
        texts = split.texts(split.test)
        if not texts:
            return DriftReference(available=False, reason="the held-out split is empty")
        proba = model.predict_proba_cleaned(texts)
        best = proba.argmax(axis=1)
        answers = decided(
            Predictions(
                labels=[model.classes[i] for i in best],
                confidences=proba[np.arange(len(best)), best].astype(float).tolist(),
                probabilities=proba.astype(float).tolist(),
                known_token_share=model.known_token_share(texts),
            ),
            model.classes,
            cutoffs,
        )
        mix: dict[str, int] = {}
        for label in answers.labels:
            mix[str(label)] = mix.get(str(label), 0) + 1
        known = [k for k in answers.known_token_share if k is not None]
        return DriftReference(
            available=True,
            count=len(texts),
            class_mix=shares(mix),
            confidence_histogram=confidence_histogram(answers.confidences),
            unknown_token_share=1 - sum(known) / len(known) if known else None,
        )


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [n / total for n in counts] if total else [0.0] * len(counts)


def _bucket(
    f: BucketFigures,
    reference: DriftReference,
    psi_limit: float,
    unknown_limit: float,
    min_predictions: int,
) -> DriftBucket:
    """The bucket's figures; its flags only over `min_predictions` (a few predictions make
    any mix look far from the reference)."""
    unknown = 1 - f.known_share_sum / f.known_share_count if f.known_share_count else None
    mix_psi = confidence_psi = None
    if reference.available:
        mix_psi = psi(reference.class_mix, shares(f.class_mix))
        confidence_psi = psi(
            as_bins(reference.confidence_histogram), as_bins(_shares(f.confidence))
        )
    base = reference.unknown_token_share
    enough = f.count >= min_predictions
    return DriftBucket(
        segment=f.segment or "",
        start=f.start.replace(tzinfo=UTC),
        count=f.count,
        class_mix_psi=mix_psi,
        confidence_psi=confidence_psi,
        unknown_token_share=unknown,
        class_mix_drift=enough and mix_psi is not None and mix_psi > psi_limit,
        confidence_drift=enough and confidence_psi is not None and confidence_psi > psi_limit,
        unknown_token_drift=(
            enough and unknown is not None and base is not None and unknown - base > unknown_limit
        ),
    )
