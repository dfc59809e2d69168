"""The models held in memory for serving, keyed by model id."""

import threading

from app.ml.bundle import TrainedModel


class LoadedModels:
    def __init__(self) -> None:
        self._models: dict[str, TrainedModel] = {}
        self._versions: dict[str, int] = {}  # so an answer names its version, no lookup
        self._lock = threading.Lock()

    def get(self, model_id: str) -> TrainedModel | None:
        with self._lock:
            return self._models.get(model_id)

    def put(self, model_id: str, model: TrainedModel, *, version: int | None = None) -> None:
        with self._lock:
            self._models[model_id] = model
            if version is not None:
                self._versions[model_id] = version

    def version(self, model_id: str) -> int | None:
        with self._lock:
            return self._versions.get(model_id)

    def drop(self, model_id: str) -> None:
        with self._lock:
            self._models.pop(model_id, None)
            self._versions.pop(model_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._models)
