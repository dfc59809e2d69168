"""The API's request and response bodies, importable from one place."""

from shared.schemas.datasets import ColumnInfo, DatasetRead
from shared.schemas.enums import ModelKind, ModelStatus, TaskStatus
from shared.schemas.errors import FieldError, Problem
from shared.schemas.models import (
    FitAccepted,
    FitRequest,
    Metrics,
    ModelIdRequest,
    ModelRead,
    PreprocessingReport,
    RemoveAllResponse,
)
from shared.schemas.params import (
    KerasBilstmParams,
    KerasCnnParams,
    LinearSvcParams,
    LogregParams,
    ModelParams,
    NaiveBayesParams,
    default_params,
)
from shared.schemas.predictions import (
    Label,
    Prediction,
    PredictRequest,
    PredictResponse,
    ScoreResult,
    ScoresRequest,
    ScoresResponse,
)
from shared.schemas.preprocessing import PreprocessingConfig
from shared.schemas.tasks import TaskRead, TasksCleared

__all__ = [
    "ColumnInfo",
    "DatasetRead",
    "FieldError",
    "FitAccepted",
    "FitRequest",
    "KerasBilstmParams",
    "KerasCnnParams",
    "Label",
    "LinearSvcParams",
    "LogregParams",
    "Metrics",
    "ModelIdRequest",
    "ModelKind",
    "ModelParams",
    "ModelRead",
    "ModelStatus",
    "NaiveBayesParams",
    "PredictRequest",
    "PredictResponse",
    "Prediction",
    "PreprocessingConfig",
    "PreprocessingReport",
    "Problem",
    "RemoveAllResponse",
    "ScoreResult",
    "ScoresRequest",
    "ScoresResponse",
    "TaskRead",
    "TaskStatus",
    "TasksCleared",
    "default_params",
]
