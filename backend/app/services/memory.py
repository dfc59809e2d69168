"""The models held in memory for serving, keyed by model id, with the decision thresholds
each one predicts with ({label: threshold}; none: the most probable class wins)."""

import threading
from dataclasses import dataclass

from app.ml.bundle import TrainedModel


@dataclass(frozen=True)
class Serving:
    """A loaded model with the version and thresholds it answers with, read together: an
    answer never mixes one model with another moment's thresholds (an unload, a reload or
    a threshold change while it is computed)."""

    model: TrainedModel
    version: int | None
    cutoffs: dict[str, float] | None
    # the script its training texts were written in, as `tokenizer: auto` detected it
    # ("zh", "ru", "other"; None when not detected): a text in another one is warned about
    language: str | None = None


class LoadedModels:
    def __init__(self) -> None:
        self._models: dict[str, TrainedModel] = {}
        self._versions: dict[str, int] = {}  # so an answer names its version, no lookup
        self._cutoffs: dict[str, dict[str, float]] = {}
        self._languages: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, model_id: str) -> TrainedModel | None:
        with self._lock:
            return self._models.get(model_id)

    def serving(self, model_id: str) -> Serving | None:
        with self._lock:
            model = self._models.get(model_id)
            if model is None:
                return None
            return Serving(
                model,
                self._versions.get(model_id),
                self._cutoffs.get(model_id),
                self._languages.get(model_id),
            )

    def put(
        self,
        model_id: str,
        model: TrainedModel,
        cutoffs: dict[str, float] | None = None,
        *,
        version: int | None = None,
        language: str | None = None,
    ) -> None:
        with self._lock:
            self._models[model_id] = model
            self._set_cutoffs(model_id, cutoffs)
            if version is not None:
                self._versions[model_id] = version
            if language is not None:
                self._languages[model_id] = language

    def version(self, model_id: str) -> int | None:
        with self._lock:
            return self._versions.get(model_id)

    def drop(self, model_id: str) -> None:
        with self._lock:
            self._models.pop(model_id, None)
            self._versions.pop(model_id, None)
            self._cutoffs.pop(model_id, None)
            self._languages.pop(model_id, None)

    def cutoffs(self, model_id: str) -> dict[str, float] | None:
        with self._lock:
            return self._cutoffs.get(model_id)

    def set_cutoffs(self, model_id: str, cutoffs: dict[str, float] | None) -> None:
        """New thresholds for a model in memory (nothing when it is not loaded)."""
        with self._lock:
            if model_id in self._models:
                self._set_cutoffs(model_id, cutoffs)

    def _set_cutoffs(self, model_id: str, cutoffs: dict[str, float] | None) -> None:
        if cutoffs:
            self._cutoffs[model_id] = dict(cutoffs)
        else:
            self._cutoffs.pop(model_id, None)

    def ids(self) -> set[str]:
        with self._lock:
            return set(self._models)

    def __len__(self) -> int:
        with self._lock:
            return len(self._models)
