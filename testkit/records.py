"""Registry records with test defaults, for tests that talk to a store directly."""

from typing import Any

from app.registry.entities import ModelRecord, TaskRecord
from app.registry.tables import utcnow
from shared.schemas import ModelStatus, PreprocessingConfig, TaskStatus


def model_record(model_id: str, **fields: Any) -> ModelRecord:
    """A logreg model named after its id, `training`, with no dataset; `fields` override."""
    values: dict[str, Any] = {
        "id": model_id,
        "name": model_id,
        "version": 0,
        "kind": "logreg",
        "description": "",
        "status": ModelStatus.TRAINING,
        "is_default": False,
        "loaded": False,
        "params": {},
        "preprocessing": PreprocessingConfig(),
        "dataset_id": None,
        "text_column": "t",
        "label_column": "l",
        "classes": [],
        "metrics": None,
        "train_seconds": None,
        "test_size": 0.2,
        "random_state": 1,
        "created_at": utcnow(),
    }
    return ModelRecord(**(values | fields))


def task_record(task_id: str, **fields: Any) -> TaskRecord:
    """A queued fit task with no model or dataset; `fields` override."""
    values: dict[str, Any] = {
        "id": task_id,
        "model_id": None,
        "dataset_id": None,
        "status": TaskStatus.QUEUED,
        "progress": 0.0,
        "message": "",
        "error": None,
        "created_at": utcnow(),
        "started_at": None,
        "finished_at": None,
    }
    return TaskRecord(**(values | fields))
