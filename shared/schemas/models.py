"""Models over the API: the fit request, its answer, the model as read and as listed, its
metrics."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.schemas.enums import ModelKind, ModelSource, ModelStatus
from shared.schemas.feedback import FeedbackComparison
from shared.schemas.labels import Label
from shared.schemas.language import LanguageChoice
from shared.schemas.lineage import LineageDataset
from shared.schemas.metrics import ClassMetrics
from shared.schemas.params import ModelParams
from shared.schemas.preprocessing import PreprocessingConfig
from shared.schemas.strings import (
    COLUMN_NAME_MAX,
    INT32_MAX,
    MODEL_NAME_MAX,
    NAME_PATTERN,
    NO_NUL,
    ColumnName,
    IdText,
    ModelRef,
)
from shared.schemas.thresholds import DecisionThresholds, ThresholdObjective

DisplayName = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]


class FitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MODEL_NAME_MAX, pattern=NAME_PATTERN)
    description: str = Field("", max_length=2000, pattern=NO_NUL)
    kind: ModelKind
    params: ModelParams
    preprocessing: PreprocessingConfig = Field(default_factory=PreprocessingConfig)
    dataset_id: IdText
    text_column: ColumnName = "comment_text"
    label_column: ColumnName = "toxic"
    # several 0/1 label columns: a multi-label model, one probability per label (label_column
    # is then the first of them)
    label_columns: list[ColumnName] | None = Field(
        None,
        min_length=2,
        max_length=100,
        description="Several 0/1 label columns for a multi-label model; label_column is "
        "then their first (leave it out; another column is a 422).",
    )
    test_size: float = Field(0.2, ge=0.05, le=0.5)
    random_state: int = Field(42, ge=0, le=INT32_MAX)  # an INTEGER column
    # display names of label values ({"0": "clean", "1": "toxic"}), for people reading
    # predictions; the model still predicts the values themselves
    label_names: dict[Annotated[str, Field(max_length=COLUMN_NAME_MAX)], DisplayName] = Field(
        default_factory=dict, max_length=1000
    )
    # how a binary model's decision threshold is chosen on the held-out split
    threshold: ThresholdObjective = Field(default_factory=ThresholdObjective)

    @model_validator(mode="before")
    @classmethod
    def _tag_params_with_kind(cls, data: Any) -> Any:
        """`params` is flat and optional; the union needs the kind inside it. A `params.kind`
        may repeat the kind but never contradict it (it would be silently overwritten)."""
        if isinstance(data, dict) and "kind" in data:
            params = data.get("params")
            if params is None:
                params = {}
            if isinstance(params, dict):
                inner = params.get("kind")
                if inner is not None and str(inner) != str(data["kind"]):
                    raise ValueError(
                        f"params.kind {inner!r} contradicts kind {str(data['kind'])!r}; "
                        "leave params.kind out or make it the same"
                    )
                data = {**data, "params": {**params, "kind": data["kind"]}}
        return data

    @model_validator(mode="after")
    def _multilabel_columns(self) -> "FitRequest":
        if self.label_columns is not None:
            given = "label_column" in self.model_fields_set
            if given and self.label_column != self.label_columns[0]:
                raise ValueError(
                    f"label_column {self.label_column!r} contradicts label_columns: a "
                    "multi-label model's label_column is the first of label_columns "
                    f"({self.label_columns[0]!r}); leave label_column out"
                )
            if len(set(self.label_columns)) != len(self.label_columns):
                raise ValueError("label_columns must name different columns")
            if self.text_column in self.label_columns:
                raise ValueError("the text column cannot be a label column")
            self.label_column = self.label_columns[0]
        return self


class FitAccepted(BaseModel):
    task_id: str
    model_id: str


class ModelIdRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: ModelRef  # an id, name@alias or name:version


class RocCurve(BaseModel):
    fpr: list[float]
    tpr: list[float]


# cross_fitted: the thresholds were chosen by an objective on the held-out rows, and each
# row is decided at the cut chosen on the other half of them (as on unseen rows; the stored
# threshold is the one chosen on all of them). partly_cross_fitted: so for some labels, in
# sample for others (threshold_figures_note says which). in_sample: decided at the threshold
# chosen on these same rows (optimistic), when no label could be cross-fitted. fixed:
# nothing was chosen on these rows (thresholds given by hand; a multiclass model's most
# probable class)
ThresholdFigures = Literal["cross_fitted", "partly_cross_fitted", "in_sample", "fixed"]


class Metrics(BaseModel):
    accuracy: float
    precision: float
    recall: float
    f1: float
    roc_auc: float | None = None
    confusion_matrix: list[list[int]] = Field(default_factory=list)
    roc_curve: RocCurve | None = None
    positive_label: Label | None = None
    n_train: int = 0
    n_test: int = 0
    # per class: precision, recall, F1, support; one-vs-rest ROC when multiclass
    per_class: list[ClassMetrics] = Field(default_factory=list)
    # a version retrained from feedback: how it compares with its parent
    comparison: FeedbackComparison | None = None
    # the decision threshold each label was decided at ({label: threshold}; a binary model:
    # its positive class's); null: the most probable class (multiclass, or a binary model
    # whose metrics were stored before they followed its threshold: 0.5)
    decision_thresholds: dict[str, float] | None = None
    # what the figures that depend on the thresholds are (accuracy, precision, recall, F1,
    # confusion matrix, per class; not the ROC ones): see ThresholdFigures. null: stored
    # before this field (in sample when a threshold was chosen)
    threshold_figures: ThresholdFigures | None = None
    # the labels whose figures are in sample although their threshold was chosen, and why
    threshold_figures_note: str | None = None


class PreprocessingReport(BaseModel):
    """What the fit's preprocessing removed from the dataset before the split."""

    rows_read: int
    unlabelled_dropped: int  # rows whose label was empty
    empty_dropped: int  # texts empty after cleaning (drop_empty)
    duplicates_dropped: int  # repeated texts after cleaning (drop_duplicates)
    rows_left: int  # split into n_train and n_test
    # what `tokenizer: auto` detected and chose (null when the tokenizer was given)
    language: LanguageChoice | None = None
    # a continued version: the mean share of the new training texts' words (or n-grams)
    # that the parent knew; its vocabulary stays as its first fit made it (null otherwise)
    known_token_share: float | None = None
    # a continued version: how many of the new data's held-out rows were texts its parent
    # (or a version before it) had trained on; they went to its training part, as they
    # cannot test it (null: not continued, or its parent's bundle keeps no record of them)
    held_out_seen_by_parent: int | None = None


class MetricsSummary(BaseModel):
    """The scores of Metrics, without what grows with the classes or the test split
    (confusion matrix, ROC curve, anything per class): what a list of models shows."""

    accuracy: float
    precision: float
    recall: float
    f1: float
    roc_auc: float | None = None
    positive_label: Label | None = None
    n_train: int = 0
    n_test: int = 0


class _ModelFields(BaseModel):
    """What a model's read and its list item share: nothing that grows with its classes."""

    id: str
    name: str
    version: int
    kind: ModelKind
    description: str
    status: ModelStatus
    is_default: bool
    loaded: bool
    params: dict[str, Any]
    preprocessing: PreprocessingConfig
    dataset_id: str | None  # null once the dataset is deleted
    dataset_name: str | None = None  # the dataset's name and sha256 at fit, kept after that
    dataset_sha256: str | None = None
    text_column: str
    label_column: str
    label_columns: list[str] | None = None  # a multi-label model's label columns
    preprocessing_report: PreprocessingReport | None = None  # null until trained
    train_seconds: float | None
    test_size: float
    random_state: int
    # the dataset's column that gives each row's split (`train` / `test`) instead of
    # test_size and random_state: a version retrained from feedback
    split_column: str | None = None
    artifact_sha256: str | None = None
    error: str | None = None
    created_at: datetime
    aliases: list[str] = Field(default_factory=list)  # of its name, pointing at this version
    # lineage: the version it was made from (null: a fresh fit), how, and on which datasets
    parent_id: str | None = None
    parent_version: int | None = None
    source: ModelSource = ModelSource.FIT
    lineage_datasets: list[LineageDataset] = Field(default_factory=list)

    @field_validator("source", mode="before")
    @classmethod
    def _no_source_is_fit(cls, value: Any) -> Any:
        return ModelSource.FIT if value is None else value

    @field_validator("lineage_datasets", mode="before")
    @classmethod
    def _no_datasets_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    def trained_on(self, dataset_id: str) -> bool:
        """Whether this version learnt from the dataset: fitted on it, or through its
        lineage (a retrain on both, a continuation); not a fit that failed or was
        cancelled (it learnt nothing). The rule the API applies before a dataset is
        deleted."""
        if self.status in (ModelStatus.FAILED, ModelStatus.CANCELLED):
            return False
        return self.dataset_id == dataset_id or any(
            d.id == dataset_id for d in self.lineage_datasets
        )


class ModelRead(_ModelFields):
    """One model, whole: GET /models/{id} and the answers of load and unload."""

    classes: list[Label]
    metrics: Metrics | None
    history: dict[str, list[float]] | None = None
    label_names: dict[str, str] = Field(default_factory=dict)  # label value -> display name
    # the decision thresholds in force (null: the most probable class wins) and the ones
    # before them, oldest first
    thresholds: DecisionThresholds | None = None
    threshold_history: list[DecisionThresholds] = Field(default_factory=list)

    @field_validator("threshold_history", mode="before")
    @classmethod
    def _no_history_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value  # models from before revision 0006

    @field_validator("label_names", mode="before")
    @classmethod
    def _no_names_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value  # models from before revision 0003


class ModelSummary(_ModelFields):
    """A model in GET /models: light, whatever its number of classes. Its classes, full
    metrics and training history are on GET /models/{id}."""

    n_classes: int
    metrics: MetricsSummary | None


class RemoveAllResponse(BaseModel):
    removed: list[str]
