"""What the store hands out: the public read schemas plus the fields only the backend sees."""

import uuid

from app.registry.tables import utcnow
from shared.schemas import DatasetRead, ModelRead, TaskRead, TaskStatus


class DatasetRecord(DatasetRead):
    file: str  # name inside DATASETS_DIR, so the folder can move


class ModelRecord(ModelRead):
    artifact_file: str | None = None  # name inside MODELS_DIR, so the folder can move


class TaskRecord(TaskRead):
    @classmethod
    def new(
        cls,
        *,
        message: str,
        kind: str = "fit",  # a classifier's fit, retrain or continuation
        running: bool = False,
        model_id: str | None = None,
        model_name: str | None = None,
        model_version: int | None = None,
        dataset_id: str | None = None,
    ) -> "TaskRecord":
        """A task about to be stored: queued for a worker, or `running` already (work
        that runs in the server's own thread), with a new id and no progress yet."""
        now = utcnow()
        return cls(
            id=uuid.uuid4().hex,
            kind=kind,
            model_id=model_id,
            model_name=model_name,
            model_version=model_version,
            dataset_id=dataset_id,
            status=TaskStatus.RUNNING if running else TaskStatus.QUEUED,
            progress=0.0,
            message=message,
            error=None,
            created_at=now,
            started_at=now if running else None,
            finished_at=None,
        )
