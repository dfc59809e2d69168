"""The scikit-learn kinds (logreg, linear_svc, naive_bayes): a TF-IDF + linear classifier
Pipeline built from the kind's params, fitted with scikit-learn's own Pipeline.fit, and the
served model that saves, loads and predicts with it."""

import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from app.ml.artifacts import ArtifactError
from app.ml.bundle import TokenTerms, TrainedModel
from app.ml.labels import Label
from app.ml.multilabel import MultiLabels
from app.ml.preprocessing import Preprocessor
from app.ml.progress import FitOutput, ProgressFn
from shared.schemas import LinearSvcParams, LogregParams, NaiveBayesParams

SklearnParams = LogregParams | LinearSvcParams | NaiveBayesParams
# The fitted Pipeline, pickled with the standard library's C pickler (protocol 5). joblib's
# pure-Python pickler took 1.2 s to write and 0.45 s to read a 4 MB TF-IDF pipeline that
# pickle writes in 0.3 s and reads in 0.07 s. Bundles written before hold a joblib file.
PIPELINE_FILE = "pipeline.pkl"
_JOBLIB_PIPELINE_FILE = "pipeline.joblib"


def _tfidf(
    params: SklearnParams,
    analyzer: str,
    ngrams: Any,
    max_features: int | None,
    token_pattern: str | None = None,
) -> Any:
    pattern = {"token_pattern": token_pattern} if token_pattern else {}
    return TfidfVectorizer(
        **pattern,
        analyzer=analyzer,
        ngram_range=tuple(ngrams),
        min_df=params.min_df,
        max_df=params.max_df,
        max_features=max_features,
        sublinear_tf=params.sublinear_tf,
        lowercase=False,  # the Preprocessor decides about case
        dtype=np.float32,
    )


def build_vectorizer(
    params: SklearnParams, token_pattern: str | None = None
) -> TfidfVectorizer | FeatureUnion:
    """One TfidfVectorizer of the analyzer's terms, or, with `char_ngram_range` on a word
    analyzer, a FeatureUnion of it ("word") and a char_wb one ("char")."""
    terms = _tfidf(params, params.analyzer, params.ngram_range, params.max_features, token_pattern)
    if params.char_ngram_range is None or params.analyzer != "word":
        return terms
    chars = _tfidf(params, "char_wb", params.char_ngram_range, params.char_max_features)
    return FeatureUnion([("word", terms), ("char", chars)])


def build_classifier(params: SklearnParams, random_state: int, n_classes: int = 2) -> object:
    if isinstance(params, LogregParams):
        solver = params.solver
        if solver == "auto":  # liblinear is quick but binary-only in recent scikit-learn
            solver = "liblinear" if n_classes == 2 else "lbfgs"
        elif solver == "liblinear" and n_classes > 2:
            raise ValueError(
                f"solver 'liblinear' handles two classes only and the labels have {n_classes}; "
                "use solver 'auto', 'lbfgs' or 'saga'"
            )
        return LogisticRegression(
            C=params.C,
            class_weight=params.class_weight,
            max_iter=params.max_iter,
            solver=solver,
            random_state=random_state,
        )
    if isinstance(params, LinearSvcParams):
        # LinearSVC has no probabilities; a sigmoid calibration gives honest confidences.
        # ensemble=False: ONE SVM fitted on all the training rows, its sigmoid fitted on
        # the folds' cross-validated decision values. A prediction is one decision
        # function (not one per fold, averaged) and an explanation is that SVM's exact
        # coefficients. Bundles made before hold the fold ensemble and keep working.
        svc = LinearSVC(
            C=params.C,
            class_weight=params.class_weight,
            max_iter=params.max_iter,
            random_state=random_state,
        )
        return CalibratedClassifierCV(
            svc, method="sigmoid", cv=params.calibration_folds, ensemble=False
        )
    nb_class = ComplementNB if params.variant == "complement" else MultinomialNB
    return nb_class(alpha=params.alpha, fit_prior=params.fit_prior)


def build_pipeline(
    params: SklearnParams,
    random_state: int,
    n_classes: int = 2,
    *,
    multilabel: bool = False,
    token_pattern: str | None = None,
) -> Pipeline:
    """TF-IDF then the classifier; multi-label: one binary classifier per label
    (one-vs-rest), each giving its label's own probability. `token_pattern`: the
    Preprocessor's (segmented text keeps one-character words)."""
    classifier = build_classifier(params, random_state, 2 if multilabel else n_classes)
    if multilabel:
        classifier = OneVsRestClassifier(classifier)
    return Pipeline([("tfidf", build_vectorizer(params, token_pattern)), ("clf", classifier)])


def word_vectorizer(pipeline: Pipeline) -> TfidfVectorizer:
    """The pipeline's TfidfVectorizer of words (or its only one)."""
    step = pipeline.named_steps["tfidf"]
    if isinstance(step, FeatureUnion):
        return dict(step.transformer_list)["word"]
    return step


def fit_sklearn(
    *,
    texts: list[str],
    labels: list[Label] | MultiLabels,
    holdout_texts: list[str],
    params: SklearnParams,
    preprocessor: Preprocessor,
    progress: ProgressFn,
    random_state: int,
) -> FitOutput:
    multilabel = isinstance(labels, MultiLabels)
    n_classes = 2 if isinstance(labels, MultiLabels) else len(set(labels))
    pipeline = build_pipeline(
        params,
        random_state,
        n_classes,
        multilabel=multilabel,
        token_pattern=preprocessor.token_pattern,
    )
    classifier = pipeline.named_steps["clf"]
    progress(
        0.1,
        f"vectorising {len(texts):,} texts (TF-IDF) and fitting {type(classifier).__name__}",
    )
    if isinstance(labels, MultiLabels):
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


def _check_fitted_classes(pipeline: object, classes: list[Label], *, multilabel: bool) -> None:
    """The unpickled payload is a fitted classifier with probabilities whose classes are the
    manifest's, in its order (a multi-label one: one output per label column). Anything
    else would fail, or answer with the wrong labels, at the first prediction."""
    if not callable(getattr(pipeline, "predict_proba", None)):
        raise ArtifactError(
            f"the payload (a pickled {type(pipeline).__name__}) is not a classifier with "
            "probabilities"
        )
    fitted = getattr(pipeline, "classes_", None)
    if fitted is None:
        raise ArtifactError("the payload's classifier is not fitted (it has no classes)")
    own = [c.item() if hasattr(c, "item") else c for c in fitted]
    if multilabel:
        if len(own) != len(classes):
            raise ArtifactError(
                f"the manifest's classes {classes} are {len(classes)} label columns, but the "
                f"model has {len(own)} outputs"
            )
    elif own != classes:
        raise ArtifactError(f"the manifest's classes {classes} are not the model's ({own})")


class _IntScalarsAsInts(pickle.Pickler):
    """A pickler that writes numpy integer scalars as Python ints.

    A TfidfVectorizer that pruned terms (min_df, max_df, max_features) keeps each term's
    index as a numpy integer scalar, which pickle writes as one object with its dtype: for
    90,000 terms 0.3 s of every save and 0.2 s of every load, and a file twice the size.
    As ints (what an unpruned vocabulary holds anyway) the pickle is quicker both ways; the
    fitted pipeline in memory is left as scikit-learn made it.
    """

    def reducer_override(self, obj: object) -> Any:
        if isinstance(obj, np.integer):
            return int, (int(obj),)
        return NotImplemented


class SklearnTrainedModel(TrainedModel):
    flavor = "sklearn"

    def __init__(
        self,
        *,
        preprocessor: Preprocessor,
        classes: Sequence[Label],
        pipeline: Pipeline,
        multilabel: bool = False,
    ) -> None:
        super().__init__(preprocessor=preprocessor, classes=classes, multilabel=multilabel)
        self.pipeline = pipeline

    def _proba(self, cleaned_texts: list[str]) -> np.ndarray:
        return self.pipeline.predict_proba(cleaned_texts)

    def known_token_share(self, cleaned_texts: list[str]) -> list[float | None]:
        """Words (or character n-grams) of each text found in the TF-IDF vocabulary. For a
        word analyzer with unigrams, single words count: bigrams are rarely known."""
        if "hashing" in self.pipeline.named_steps:  # the sgd kind: no vocabulary
            from app.ml.sgd_model import hashed_known_share

            return hashed_known_share(self.pipeline, cleaned_texts)
        vectorizer = word_vectorizer(self.pipeline)
        vocabulary = vectorizer.vocabulary_
        if vectorizer.analyzer == "word" and vectorizer.ngram_range[0] == 1:
            split = vectorizer.build_tokenizer()
        else:
            split = vectorizer.build_analyzer()
        shares: list[float | None] = []
        for text in cleaned_texts:
            tokens = split(text)
            known = sum(1 for t in tokens if t in vocabulary)
            shares.append(round(known / len(tokens), 4) if tokens else None)
        return shares

    def token_terms(self) -> TokenTerms:
        """Words, or character n-grams for a character analyzer. Character n-grams beside
        the words (a FeatureUnion) still score a text none of whose words is known."""
        steps = self.pipeline.named_steps
        analyzer = (
            steps["hashing"].analyzer
            if "hashing" in steps
            else word_vectorizer(self.pipeline).analyzer
        )
        unit = "words" if analyzer == "word" else "character n-grams"
        if isinstance(steps.get("tfidf"), FeatureUnion):
            return TokenTerms(
                unit, "the answer rests on its character n-grams alone and is unreliable"
            )
        return TokenTerms(unit)

    def save_payload(self, directory: Path) -> None:
        with (directory / PIPELINE_FILE).open("wb") as out:
            _IntScalarsAsInts(out, protocol=5).dump(self.pipeline)

    @classmethod
    def load_payload(
        cls,
        directory: Path,
        *,
        preprocessor: Preprocessor,
        classes: list[Label],
        multilabel: bool = False,
    ) -> "SklearnTrainedModel":
        if (directory / PIPELINE_FILE).is_file():
            with (directory / PIPELINE_FILE).open("rb") as payload:
                pipeline = pickle.load(payload)  # the bundle's sha256 was checked first
        else:
            pipeline = joblib.load(directory / _JOBLIB_PIPELINE_FILE)
        _check_fitted_classes(pipeline, classes, multilabel=multilabel)
        return cls(
            preprocessor=preprocessor, classes=classes, pipeline=pipeline, multilabel=multilabel
        )

    def versions(self) -> dict[str, str]:
        return {"scikit-learn": sklearn.__version__, "numpy": np.__version__}
