"""What the store hands out: the public read schemas plus the fields only the backend sees."""

from shared.schemas import DatasetRead, ModelRead, TaskRead


class DatasetRecord(DatasetRead):
    path: str


class ModelRecord(ModelRead):
    artifact_path: str | None = None


class TaskRecord(TaskRead):
    dataset_id: str | None = None
