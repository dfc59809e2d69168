"""Which code trains and loads each model kind. Keras modules are imported only when a
Keras kind is trained or loaded, so scikit-learn work never pays for TensorFlow, and an
install without TensorFlow (the lean image: `--build-arg KERAS=false`) serves every other
kind; `missing_library` names what a kind lacks there."""

import importlib
import importlib.util
from typing import Any, Protocol

from app.ml.bundle import TrainedModel
from app.ml.labels import Label
from app.ml.multilabel import MultiLabels
from app.ml.preprocessing import Preprocessor
from app.ml.progress import FitOutput, ProgressFn
from shared.schemas import ModelKind


class Trainer(Protocol):
    def __call__(
        self,
        *,
        texts: list[str],
        labels: list[Label] | MultiLabels,
        holdout_texts: list[str],
        params: Any,
        preprocessor: Preprocessor,
        progress: ProgressFn,
        random_state: int,
    ) -> FitOutput:
        """Fit on the (cleaned) texts and labels; score the (cleaned) held-out texts."""


# kind -> (module, trainer function); flavour -> (module, TrainedModel class)
_TRAINERS: dict[ModelKind, tuple[str, str]] = {
    ModelKind.LOGREG: ("app.ml.sklearn_models", "fit_sklearn"),
    ModelKind.LINEAR_SVC: ("app.ml.sklearn_models", "fit_sklearn"),
    ModelKind.NAIVE_BAYES: ("app.ml.sklearn_models", "fit_sklearn"),
    ModelKind.KERAS_CNN: ("app.ml.keras_models", "fit_keras"),
    ModelKind.KERAS_BILSTM: ("app.ml.keras_models", "fit_keras"),
    ModelKind.SGD: ("app.ml.sgd_model", "fit_sgd"),
}
_FLAVORS: dict[str, tuple[str, str]] = {
    "sklearn": ("app.ml.sklearn_models", "SklearnTrainedModel"),
    "keras": ("app.ml.keras_models", "KerasTrainedModel"),
}

# module -> the library it needs that an install may leave out
_OPTIONAL: dict[str, str] = {"app.ml.keras_models": "tensorflow"}


def trainer_for(kind: ModelKind | str) -> Trainer:
    module, name = _TRAINERS[ModelKind(kind)]
    return getattr(importlib.import_module(module), name)


def flavor_class(flavor: str) -> type[TrainedModel]:
    if flavor not in _FLAVORS:
        raise ValueError(f"unknown model flavour {flavor!r}")
    module, name = _FLAVORS[flavor]
    return getattr(importlib.import_module(module), name)


def uses_tensorflow(kind: ModelKind | str) -> bool:
    """Whether training this kind imports TensorFlow (which leaves threads and memory in
    the process that ran it)."""
    return _OPTIONAL.get(_TRAINERS[ModelKind(kind)][0]) == "tensorflow"


def missing_library(kind: ModelKind | str) -> str | None:
    """The library that training or loading this kind needs and this install lacks."""
    library = _OPTIONAL.get(_TRAINERS[ModelKind(kind)][0])
    if library is None or importlib.util.find_spec(library) is not None:
        return None
    return library
