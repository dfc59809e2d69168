"""The `sgd` kind: hashed n-grams + TF-IDF weights + a logistic-loss SGDClassifier.

Hashing needs no vocabulary, so new rows can be learnt without refitting one: a fit is
scikit-learn's Pipeline.fit, a continuation is `partial_fit` of the classifier on the new
rows (the TF-IDF weights learnt at the first fit stay as they are, like a Keras model's
vocabulary). The fitted Pipeline is served as any scikit-learn model (`sklearn` flavour).
"""

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import SGDClassifier
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline

from app.ml.labels import Label
from app.ml.multilabel import MultiLabels
from app.ml.preprocessing import Preprocessor
from app.ml.progress import FitOutput, ProgressFn
from app.ml.sklearn_models import SklearnTrainedModel
from shared.schemas import SgdParams


def build_sgd_pipeline(
    params: SgdParams, random_state: int, token_pattern: str | None = None
) -> Pipeline:
    """`token_pattern`: the Preprocessor's (segmented Chinese keeps one-character words)."""
    pattern = {"token_pattern": token_pattern} if token_pattern else {}
    return Pipeline(
        [
            (
                "hashing",
                HashingVectorizer(
                    analyzer=params.analyzer,
                    ngram_range=tuple(params.ngram_range),
                    n_features=params.n_features,
                    alternate_sign=False,  # counts stay non-negative for the TF-IDF step
                    norm=None,
                    lowercase=False,  # the Preprocessor decides about case
                    dtype=np.float32,
                    **pattern,
                ),
            ),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
            (
                "clf",
                SGDClassifier(
                    loss="log_loss",  # probabilities
                    alpha=params.regularization,
                    max_iter=params.max_iter,
                    tol=None,  # max_iter passes, the same at every fit
                    random_state=random_state,
                ),
            ),
        ]
    )


def fit_sgd(
    *,
    texts: list[str],
    labels: list[Label] | MultiLabels,
    holdout_texts: list[str],
    params: SgdParams,
    preprocessor: Preprocessor,
    progress: ProgressFn,
    random_state: int,
) -> FitOutput:
    pipeline = build_sgd_pipeline(params, random_state, preprocessor.token_pattern)
    progress(0.1, f"hashing {len(texts):,} texts and fitting SGDClassifier")
    multilabel = isinstance(labels, MultiLabels)
    if isinstance(labels, MultiLabels):  # one binary SGDClassifier per label
        pipeline.steps[-1] = ("clf", OneVsRestClassifier(pipeline.steps[-1][1]))
        pipeline.fit(texts, labels.matrix)
        classes: list[Label] = list(labels.names)
    else:
        pipeline.fit(texts, np.asarray(labels))
        classes = [c.item() if hasattr(c, "item") else c for c in pipeline.classes_]
    model = SklearnTrainedModel(
        preprocessor=preprocessor, classes=classes, pipeline=pipeline, multilabel=multilabel
    )
    progress(0.9, f"scoring {len(holdout_texts):,} held-out texts")
    return FitOutput(model=model, holdout_proba=pipeline.predict_proba(holdout_texts))


def continue_sgd(
    model: SklearnTrainedModel,
    *,
    texts: list[str],
    labels: list[Label],
    epochs: int,
    progress: ProgressFn,
) -> SklearnTrainedModel:
    """`epochs` passes of partial_fit over the new rows, in place. Labels must be among
    the model's classes (the caller checks: partial_fit cannot add a class)."""
    features = model.pipeline[:-1].transform(texts)
    classifier: SGDClassifier = model.pipeline.named_steps["clf"]
    targets = np.asarray(labels)
    for epoch in range(epochs):
        classifier.partial_fit(features, targets)
        progress((epoch + 1) / epochs, f"pass {epoch + 1}/{epochs} over {len(texts):,} rows")
    return model


def hashed_known_share(pipeline: Pipeline, cleaned_texts: list[str]) -> list[float | None]:
    """Per text, the share of its tokens whose hash bucket held a token at the first fit
    (a bucket never seen has the largest IDF weight). Words count for a word analyzer
    (single ones: bigrams are rarely known), character n-grams for the others."""
    hashing: HashingVectorizer = pipeline.named_steps["hashing"]
    idf = pipeline.named_steps["tfidf"].idf_
    unseen = idf.max()
    split = hashing.build_tokenizer() if hashing.analyzer == "word" else hashing.build_analyzer()
    # the same hash as the fit's: one "document" per token, already a token list
    buckets = HashingVectorizer(
        analyzer=_as_tokens, n_features=hashing.n_features, alternate_sign=False, norm=None
    )
    shares: list[float | None] = []
    for text in cleaned_texts:
        tokens = split(text)
        if not tokens:
            shares.append(None)
            continue
        columns = buckets.transform([[t] for t in tokens]).indices
        known = int((idf[columns] < unseen).sum())
        shares.append(round(known / len(tokens), 4))
    return shares


def _as_tokens(document: list[str]) -> list[str]:
    return document
