"""The registry interface. Services depend on this, not on SQL."""

import threading
from abc import abstractmethod
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from app.registry.alias_store import AliasStore
from app.registry.entities import DatasetRecord, ModelRecord, TaskRecord
from shared.schemas import ModelSummary, TaskStatus


class Registry(AliasStore):  # aliases: alias_store.py
    # set once the process stops: the ends that wait for a database that cannot be reached
    # (`retries.retrying`) give up, and the next start's recovery ends their tasks
    stopping: threading.Event

    # datasets
    @abstractmethod
    def add_dataset(self, dataset: DatasetRecord) -> tuple[DatasetRecord, bool]:
        """Store the dataset: (it, True); or, when one with the same sha256 is stored
        already (a concurrent upload of the same bytes won), (that one, False)."""

    @abstractmethod
    def get_dataset(self, dataset_id: str) -> DatasetRecord | None: ...
    @abstractmethod
    def find_dataset_by_sha256(self, sha256: str) -> DatasetRecord | None: ...
    @abstractmethod
    def list_datasets(self, *, limit: int | None = None, offset: int = 0) -> list[DatasetRecord]:
        """Newest first; `limit` and `offset` take one page of them (all by default)."""

    @abstractmethod
    def count_datasets(self) -> int: ...
    @abstractmethod
    def delete_dataset(self, dataset_id: str, *, force: bool = False) -> None:
        """Delete a dataset unless a queued or running task uses it (ConflictError), in one
        transaction that no concurrent `add_training` can slip into; NotFoundError if absent.
        Without `force`, a dataset that models were trained on is a ConflictError too."""

    # models
    @abstractmethod
    def add_model_version(self, model: ModelRecord) -> ModelRecord:
        """Store the model as the next version of its name (the given version is ignored)."""

    @abstractmethod
    def add_training(self, model: ModelRecord, task: TaskRecord) -> tuple[ModelRecord, TaskRecord]:
        """Store a new model version and its task in one transaction, only while the task's
        dataset exists (NotFoundError otherwise, and nothing is stored)."""

    @abstractmethod
    def get_model(self, model_id: str) -> ModelRecord | None: ...
    @abstractmethod
    def list_models(self) -> list[ModelRecord]: ...
    @abstractmethod
    def list_model_summaries(self, *, limit: int, offset: int) -> list[ModelSummary]:
        """One page of the models as listed, by name and newest version first, read
        without their heavy parts (classes, full metrics, history) at all."""

    @abstractmethod
    def count_models(self) -> int: ...
    @abstractmethod
    def loaded_model_versions(self) -> dict[str, int]:
        """The ready models marked loaded, {id: version}: the set every replica serves
        (one cheap query, asked every REPLICA_SYNC_INTERVAL_MS)."""

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
    def list_tasks(
        self,
        statuses: Iterable[TaskStatus] | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[TaskRecord]:
        """Newest first; `limit` and `offset` take one page of them."""

    @abstractmethod
    def count_tasks(self) -> int: ...
    @abstractmethod
    def update_task(
        self, task_id: str, *, only_if: Iterable[TaskStatus] | None = None, **fields: Any
    ) -> TaskRecord | None:
        """Update a task; with `only_if`, only while its status is one of those (else None)."""

    @abstractmethod
    def finish_task(
        self,
        task_id: str,
        *,
        from_statuses: Iterable[TaskStatus],
        status: TaskStatus,
        task_fields: dict[str, Any] | None = None,
        model_fields: dict[str, Any] | None = None,
    ) -> bool:
        """Move a task to `status` only while its status is one of `from_statuses`, and then
        (and only then) update its model with `model_fields`, in one transaction.

        True for the one caller that made the change (the winner), False for every other:
        of two callers racing to end a task exactly one wins, and the task's and its
        model's states never contradict each other."""

    @abstractmethod
    def delete_finished_tasks(self) -> int:
        """Delete every succeeded, failed or cancelled task; how many there were."""

    @abstractmethod
    def count_tasks_by_status(self) -> dict[TaskStatus, int]:
        """How many tasks are in each status (statuses without tasks are left out)."""

    # across processes
    @abstractmethod
    def exclusive(self, name: str) -> AbstractContextManager[None]:
        """A lock called `name` that every process sharing the registry respects (work to
        do once, e.g. the default models' first fit, however many replicas start)."""

    # health
    @abstractmethod
    def ping(self) -> None:
        """Raise if the store cannot be reached."""

    @abstractmethod
    def close(self) -> None: ...
