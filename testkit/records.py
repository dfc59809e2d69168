"""Registry records with test defaults, for tests that talk to a store directly."""

import uuid
from typing import Any

from app.registry.entities import DatasetRecord, ModelRecord, TaskRecord
from app.registry.retrievers import RetrieverRecord
from app.registry.tables import utcnow
from shared.schemas import ModelStatus, PreprocessingConfig, TaskStatus
from shared.schemas.retrieval import RetrieverStatus


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


def dataset_record(**fields: Any) -> DatasetRecord:
    """A one-row dataset with a new id (its file named after it); `fields` override."""
    dataset_id = fields.pop("id", uuid.uuid4().hex)
    values: dict[str, Any] = {
        "id": dataset_id,
        "name": "d",
        "filename": "d.csv",
        "size_bytes": 1,
        "sha256": "0" * 64,
        "rows": 1,
        "columns": [],
        "duplicate_rows": 0,
        "created_at": utcnow(),
        "file": f"{dataset_id}.csv",
    }
    return DatasetRecord(**(values | fields))


def retriever_record(retriever_id: str, name: str, **fields: Any) -> RetrieverRecord:
    """A TF-IDF retriever, `training`, with no dataset; `fields` override."""
    values: dict[str, Any] = {
        "id": retriever_id,
        "name": name,
        "version": 0,
        "kind": "tfidf",
        "status": RetrieverStatus.TRAINING,
        "is_default": False,
        "loaded": False,
        "params": {},
        "preprocessing": {},
        "dataset_id": None,
        "dataset_name": None,
        "context_column": "context",
        "question_column": "question",
        "answer_column": None,
        "created_at": utcnow(),
    }
    return RetrieverRecord(**(values | fields))
