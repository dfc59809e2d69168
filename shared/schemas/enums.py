"""The fixed vocabularies: model kinds, model states and task states."""

from enum import StrEnum


class ModelKind(StrEnum):
    LOGREG = "logreg"
    LINEAR_SVC = "linear_svc"
    NAIVE_BAYES = "naive_bayes"
    KERAS_CNN = "keras_cnn"
    KERAS_BILSTM = "keras_bilstm"
    SGD = "sgd"  # hashing + TF-IDF + SGDClassifier: continues with partial_fit

    @property
    def is_keras(self) -> bool:
        return self.value.startswith("keras_")


class ModelSource(StrEnum):
    """How a version came to be (its lineage)."""

    FIT = "fit"
    RETRAIN = "retrain"
    INCREMENTAL = "incremental"
    FEEDBACK = "feedback"
    IMPORT = "import"
    THRESHOLDS = "thresholds"  # its parent with other decision thresholds, not retrained


class ModelStatus(StrEnum):
    TRAINING = "training"
    READY = "ready"
    FAILED = "failed"
    CANCELLED = "cancelled"  # its fit was cancelled before it ended


class TaskStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_finished(self) -> bool:
        return self in (TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED)


# a task that has not ended yet: waiting for a worker, or running on one
ACTIVE_TASK_STATUSES = (TaskStatus.QUEUED, TaskStatus.RUNNING)
