"""The registry interface. Services depend on this, not on SQL."""

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from app.registry.entities import DatasetRecord, ModelRecord, TaskRecord
from shared.schemas import TaskStatus


class Registry(ABC):
    # datasets
    @abstractmethod
    def add_dataset(self, dataset: DatasetRecord) -> DatasetRecord: ...
    @abstractmethod
    def get_dataset(self, dataset_id: str) -> DatasetRecord | None: ...
    @abstractmethod
    def find_dataset_by_sha256(self, sha256: str) -> DatasetRecord | None: ...
    @abstractmethod
    def list_datasets(self) -> list[DatasetRecord]: ...
    @abstractmethod
    def delete_dataset(self, dataset_id: str) -> None: ...

    # models
    @abstractmethod
    def add_model_version(self, model: ModelRecord) -> ModelRecord:
        """Store the model as the next version of its name (the given version is ignored)."""

    @abstractmethod
    def get_model(self, model_id: str) -> ModelRecord | None: ...
    @abstractmethod
    def list_models(self) -> list[ModelRecord]: ...
    @abstractmethod
    def update_model(self, model_id: str, **fields: Any) -> ModelRecord: ...
    @abstractmethod
    def delete_model(self, model_id: str) -> None: ...

    # tasks
    @abstractmethod
    def add_task(self, task: TaskRecord) -> TaskRecord: ...
    @abstractmethod
    def get_task(self, task_id: str) -> TaskRecord | None: ...
    @abstractmethod
    def list_tasks(self, statuses: Iterable[TaskStatus] | None = None) -> list[TaskRecord]: ...
    @abstractmethod
    def update_task(
        self, task_id: str, *, only_if: Iterable[TaskStatus] | None = None, **fields: Any
    ) -> TaskRecord | None:
        """Update a task; with `only_if`, only while its status is one of those (else None)."""

    # health
    @abstractmethod
    def ping(self) -> None:
        """Raise if the store cannot be reached."""

    @abstractmethod
    def close(self) -> None: ...
