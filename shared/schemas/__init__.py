"""The API's request and response bodies, importable from one place."""

from shared.schemas.aliases import (
    AliasAction,
    AliasAt,
    AliasChange,
    AliasRead,
    AliasRollback,
    AliasSet,
)
from shared.schemas.datasets import ColumnInfo, DatasetRead
from shared.schemas.enums import (
    ACTIVE_TASK_STATUSES,
    ModelKind,
    ModelSource,
    ModelStatus,
    TaskStatus,
)
from shared.schemas.errors import FieldError, Problem
from shared.schemas.evaluation import Misclassified, ModelErrors
from shared.schemas.explanations import Explanation, TermWeight
from shared.schemas.feedback import (
    FeedbackComparison,
    FeedbackCreate,
    FeedbackImported,
    FeedbackRead,
    FeedbackRetrainRequest,
)
from shared.schemas.lineage import IncrementalRequest, LineageDataset, RetrainRequest
from shared.schemas.metrics import ClassMetrics
from shared.schemas.models import (
    FitAccepted,
    FitRequest,
    Metrics,
    MetricsSummary,
    ModelIdRequest,
    ModelRead,
    ModelSummary,
    PreprocessingReport,
    RemoveAllResponse,
)
from shared.schemas.pages import PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, TOTAL_COUNT_HEADER
from shared.schemas.params import (
    KerasBilstmParams,
    KerasCnnParams,
    LinearSvcParams,
    LogregParams,
    ModelParams,
    NaiveBayesParams,
    SgdParams,
    default_params,
)
from shared.schemas.predictions import (
    ClassProbability,
    Label,
    Prediction,
    PredictRequest,
    PredictResponse,
    ScoreResult,
    ScoresRequest,
    ScoresResponse,
)
from shared.schemas.preprocessing import PreprocessingConfig
from shared.schemas.tasks import INTERRUPTED_BY_RESTART, TaskRead, TasksCleared

__all__ = [
    "ACTIVE_TASK_STATUSES",
    "INTERRUPTED_BY_RESTART",
    "PAGE_LIMIT_DEFAULT",
    "PAGE_LIMIT_MAX",
    "TOTAL_COUNT_HEADER",
    "AliasAction",
    "AliasAt",
    "AliasChange",
    "AliasRead",
    "AliasRollback",
    "AliasSet",
    "ClassMetrics",
    "ClassProbability",
    "ColumnInfo",
    "DatasetRead",
    "Explanation",
    "FeedbackComparison",
    "FeedbackCreate",
    "FeedbackImported",
    "FeedbackRead",
    "FeedbackRetrainRequest",
    "FieldError",
    "FitAccepted",
    "FitRequest",
    "IncrementalRequest",
    "KerasBilstmParams",
    "KerasCnnParams",
    "Label",
    "LineageDataset",
    "LinearSvcParams",
    "LogregParams",
    "Metrics",
    "MetricsSummary",
    "Misclassified",
    "ModelErrors",
    "ModelIdRequest",
    "ModelKind",
    "ModelParams",
    "ModelRead",
    "ModelSource",
    "ModelStatus",
    "ModelSummary",
    "NaiveBayesParams",
    "PredictRequest",
    "PredictResponse",
    "Prediction",
    "PreprocessingConfig",
    "PreprocessingReport",
    "Problem",
    "RemoveAllResponse",
    "RetrainRequest",
    "ScoreResult",
    "ScoresRequest",
    "ScoresResponse",
    "SgdParams",
    "TaskRead",
    "TaskStatus",
    "TasksCleared",
    "TermWeight",
    "default_params",
]
