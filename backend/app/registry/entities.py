"""What the store hands out: the public read schemas plus the fields only the backend sees."""

from shared.schemas import DatasetRead, ModelRead, TaskRead


class DatasetRecord(DatasetRead):
    file: str  # name inside DATASETS_DIR, so the folder can move


class ModelRecord(ModelRead):
    artifact_file: str | None = None  # name inside MODELS_DIR, so the folder can move


class TaskRecord(TaskRead):
    pass
