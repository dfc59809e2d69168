"""Explanations: which terms of a text pushed it towards its label and which away.

- Linear kinds (logistic regression, linear SVM): exact. The decision function of class k
  is sum_j coef[k, j] * x[j] + intercept[k], so each present feature j contributes
  coef[k, j] * x[j]; for two classes the one coefficient row counts for the second class
  and against the first. The calibrated SVM (`ensemble=False`, since 2026-12-03) holds one
  SVM fitted on all the training rows (`calibrated_classifiers_[0].estimator`): its
  coefficients, exactly. Bundles made before hold one SVM per calibration fold, whose
  probabilities are averaged; they are explained by the folds' mean coefficients (the
  mean of their decision functions).
- Multi-label (one-vs-rest): each label's own binary model, explained as above towards
  that label.
- Naive Bayes: the joint log-likelihood is x @ feature_log_prob_.T (+ prior), so a term's
  share of the log-probability ratio of class k against the others is
  x[j] * (feature_log_prob_[k, j] - mean of the other classes' rows).
- Anything else (Keras): occlusion, in `occlusion.py`.

The weights come from the fitted objects' public attributes (coef_, intercept_,
feature_log_prob_), read once per model; the feature vector of the text comes once from
the fitted vectorizers' own `transform` (`features_of`); `term_spans`
says where each feature stands in the cleaned text and `text_offsets` maps that back to
the original characters.
"""

import logging
import re
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline

from app.ml.bundle import TrainedModel
from app.ml.labels import Label
from app.ml.occlusion import explain_by_occlusion
from app.ml.term_spans import (
    Span,
    UnsupportedFeaturesError,
    VectorizerBlock,
    feature_spans,
    vectorizer_blocks,
)
from app.ml.text_offsets import MappedText, cleaned_with_offsets
from shared.schemas.explanations import Explanation, ExplanationMethod, TermWeight

log = logging.getLogger(__name__)
DEFAULT_TERMS = 10


@dataclass(frozen=True)
class _LinearView:
    """What a fitted pipeline needs to be explained, worked out once per model."""

    blocks: list[VectorizerBlock]
    weights: np.ndarray  # (n_classes, n_features): towards each class
    bias: np.ndarray | None  # (n_classes,)
    method: ExplanationMethod


_VIEWS: "weakref.WeakKeyDictionary[Pipeline, _LinearView]" = weakref.WeakKeyDictionary()


def _two_sided(row: np.ndarray) -> np.ndarray:
    return np.vstack([-row, row])


def _class_weights(classifier: Any) -> tuple[np.ndarray, np.ndarray | None, ExplanationMethod]:
    if isinstance(classifier, CalibratedClassifierCV):
        fitted = [c.estimator for c in classifier.calibrated_classifiers_]
        coef = np.mean([np.asarray(e.coef_) for e in fitted], axis=0)
        intercept = np.mean([np.asarray(e.intercept_) for e in fitted], axis=0)
        return _linear(coef, intercept)
    if isinstance(classifier, MultinomialNB | ComplementNB):
        log_prob = np.asarray(classifier.feature_log_prob_)
        n = log_prob.shape[0]
        others = (log_prob.sum(axis=0, keepdims=True) - log_prob) / max(n - 1, 1)
        weights = log_prob - others
        bias = None
        if isinstance(classifier, MultinomialNB):
            prior = np.asarray(classifier.class_log_prior_)
            bias = prior - (prior.sum() - prior) / max(n - 1, 1)
        return weights, bias, "naive_bayes"
    if hasattr(classifier, "coef_"):
        return _linear(np.asarray(classifier.coef_), np.asarray(classifier.intercept_))
    if isinstance(classifier, OneVsRestClassifier):  # multi-label: one binary model a label
        parts = [_class_weights(estimator) for estimator in classifier.estimators_]
        weights = np.vstack([w[1] for w, _, _ in parts])  # row 1: towards its label
        biases = [b[1] for _, b, _ in parts if b is not None]
        bias = np.array(biases) if len(biases) == len(parts) else None
        return weights, bias, parts[0][2]
    raise UnsupportedFeaturesError(f"a classifier of type {type(classifier).__name__}")


def _linear(
    coef: np.ndarray, intercept: np.ndarray
) -> tuple[np.ndarray, np.ndarray, ExplanationMethod]:
    if coef.shape[0] == 1:
        return _two_sided(coef[0]), np.array([-intercept[0], intercept[0]]), "linear"
    return coef, intercept, "linear"


def linear_view(pipeline: Pipeline) -> _LinearView:
    view = _VIEWS.get(pipeline)
    if view is None:
        if len(pipeline.steps) != 2:
            raise UnsupportedFeaturesError("a pipeline that is not features + classifier")
        blocks = vectorizer_blocks(pipeline.steps[0][1])
        weights, bias, method = _class_weights(pipeline.steps[-1][1])
        view = _LinearView(blocks, weights, bias, method)
        _VIEWS[pipeline] = view
    return view


def features_of(step: Any, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The feature row of one text (indices, values), from the fitted step's own
    `transform`. A FeatureUnion's parts are transformed one after the other and stacked,
    as the union stacks them, without its joblib dispatch (for one text it cost more than
    the counting)."""
    if isinstance(step, FeatureUnion) and not step.transformer_weights:
        parts = [part.transform([text]) for _, part in step.transformer_list if part != "drop"]
        row = sparse.hstack(parts, format="csr") if parts else step.transform([text]).tocsr()
    else:
        row = step.transform([text]).tocsr()
    return row.indices, row.data


def _original_spans(mapped: MappedText, spans: list[Span], original: str, term: str) -> list[Span]:
    if mapped.exact:
        return sorted({mapped.span(s, e) for s, e in spans})
    # preprocessing we could not trace: find the term in the original text, any case
    pattern = re.compile(re.escape(term.strip()), re.IGNORECASE)
    return [m.span() for m in pattern.finditer(original)] if term.strip() else []


def _top(contributions: np.ndarray, top: int, sign: int) -> np.ndarray:
    """Positions of the `top` largest contributions of one sign, largest first."""
    candidates = np.flatnonzero(sign * contributions > 0)
    if len(candidates) > top:
        part = np.argpartition(-sign * contributions[candidates], top - 1)[:top]
        candidates = candidates[part]
    return candidates[np.argsort(-sign * contributions[candidates], kind="stable")]


def explain_linear(
    pipeline: Pipeline,
    mapped: MappedText,
    original: str,
    class_index: int,
    label: Label,
    top: int,
) -> Explanation:
    view = linear_view(pipeline)
    indices, values = features_of(pipeline.steps[0][1], mapped.text)
    contributions = view.weights[class_index][indices] * values
    towards, away = _top(contributions, top, 1), _top(contributions, top, -1)
    chosen = indices[np.r_[towards, away]].tolist()
    found = feature_spans(view.blocks, mapped.text, chosen)

    def terms(positions: np.ndarray) -> list[TermWeight]:
        out = []
        for k in positions:
            term, spans = found[int(indices[k])]
            out.append(
                TermWeight(
                    term=term,
                    weight=round(float(contributions[k]), 6),
                    spans=_original_spans(mapped, spans, original, term),
                )
            )
        return out

    bias = None if view.bias is None else round(float(view.bias[class_index]), 6)
    return Explanation(
        label=label,
        method=view.method,
        towards=terms(towards),
        away=terms(away),
        bias=bias,
        exact_spans=mapped.exact,
    )


def explain(model: TrainedModel, text: str, label: Label, top: int = DEFAULT_TERMS) -> Explanation:
    """Why `model` gives `text` (as sent, before preprocessing) the label `label`."""
    class_index = [str(c) for c in model.classes].index(str(label))
    mapped = cleaned_with_offsets(model.preprocessor, text)
    if not mapped.exact:
        log.warning(
            "explanation: the preprocessing of model %s could not be traced "
            "character by character; spans are found by searching the text",
            type(model).__name__,
        )
    pipeline = getattr(model, "pipeline", None)
    if isinstance(pipeline, Pipeline):
        try:
            return explain_linear(pipeline, mapped, text, class_index, label, top)
        except UnsupportedFeaturesError as exc:
            log.warning("explanation by occlusion: the pipeline has %s", exc)
    return explain_by_occlusion(model, mapped, text, class_index, label, top)
