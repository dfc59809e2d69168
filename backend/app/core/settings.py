"""All configuration, read once from the environment (and an optional .env file)."""

import os
import socket
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[3]


def usable_cores() -> int:
    """The cores this process may run on (a container's cpuset, not the whole host's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def total_memory_mb() -> int:
    """The memory this process may use, in MiB: its cgroup's limit when it has one (a
    container), else the machine's."""
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    for limit_file in (
        Path("/sys/fs/cgroup/memory.max"),
        Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
    ):
        try:
            text = limit_file.read_text().strip()
        except OSError:
            continue
        if text.isdigit():  # "max", or a number above the machine's: no limit of its own
            physical = min(physical, int(text))
            break
    return physical // (1024 * 1024)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        f"sqlite:///{REPO_ROOT / 'data' / 'registry.db'}",
        description="SQLAlchemy URL of the registry: sqlite:///path or postgresql+psycopg://…",
    )
    db_start_timeout: float = Field(
        30.0,
        ge=0.0,
        description="Seconds a server starting waits for a database it cannot reach (not up "
        "yet), logging where it waits, before it exits with the reason (0: no wait).",
    )
    models_dir: Path = REPO_ROOT / "models"
    datasets_dir: Path = REPO_ROOT / "data" / "datasets"
    logs_dir: Path = REPO_ROOT / "logs"
    backend_host: str = "127.0.0.1"
    backend_port: int = Field(8000, ge=1, le=65535)
    max_upload_mb: int = Field(100, ge=1)
    max_predict_texts: int = Field(10_000, ge=1)
    training_workers: int = Field(default_factory=usable_cores, ge=1)
    training_idle_seconds: float = Field(
        60.0,
        ge=0.0,
        description="Training workers are started by a fit and stopped after this many "
        "seconds without one (they hold memory while they exist).",
    )
    training_memory_limit_mb: int = Field(
        default_factory=lambda: total_memory_mb() // 2,
        ge=64,
        description="Resident memory one fit (its worker process and their children) may "
        "use; a fit that goes over it fails. Default: half of the memory there is.",
    )
    demo_data_path: Path = REPO_ROOT / "demo_data_sample.csv"
    default_models: bool = Field(True, description="Train/load the default models at start-up.")
    retrievers_dir: Path = Field(
        REPO_ROOT / "data" / "retrievers",
        description="Retrievers' encoders and, embedded, their Qdrant Edge shards.",
    )
    qdrant_url: str | None = Field(
        None,
        description="A Qdrant server for the retrievers' vectors (e.g. http://qdrant:6333); "
        "unset: embedded Qdrant Edge shards under RETRIEVERS_DIR (one server process only).",
    )
    qdrant_api_key: SecretStr | None = Field(None, description="The Qdrant server's API key.")
    qa_demo_data_path: Path = REPO_ROOT / "demo_data" / "qa_demo.csv"
    log_level: str = "INFO"
    predict_chunk_rows: int = Field(5_000, ge=100, description="Rows per predict_csv chunk.")
    predict_max_batch: int = Field(
        8, ge=1, le=100_000, description="Texts per batch at most (a larger request runs alone)."
    )
    predict_max_wait_ms: float = Field(
        0.0, ge=0.0, le=1000.0, description="How long a lone request waits for others to join."
    )
    predict_max_in_flight: int = Field(
        3, ge=1, le=16, description="Batches of one model predicting at once (a pipeline)."
    )

    # the prediction log (every prediction served, written off the request path)
    prediction_log: bool = Field(True, description="Record every prediction served.")
    prediction_log_texts: bool = Field(
        True, description="Keep each prediction's text in the log (off: the text is not stored)."
    )
    prediction_log_retention_days: int = Field(
        90, ge=0, description="Logged predictions older than this are deleted (0: kept forever)."
    )
    prediction_log_queue: int = Field(
        10_000,
        ge=1,
        description="Requests (or predict_csv chunks) waiting to be written at most; when the "
        "queue is full their predictions are dropped from the log and counted.",
    )
    prediction_log_batch: int = Field(
        1_000, ge=1, description="Logged predictions written in one statement at most."
    )
    prediction_log_interval_ms: float = Field(
        200.0,
        gt=0.0,
        le=60_000.0,
        description="How often the writer wakes to write what is queued.",
    )
    drift_psi_threshold: float = Field(
        0.2,
        gt=0.0,
        description="Drift is flagged when a population stability index (class mix or "
        "confidence) is over this (GET /models/{ref}/drift; a query parameter overrides).",
    )
    drift_unknown_token_threshold: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Drift is flagged when the share of tokens unknown to the model's "
        "vocabulary is over its held-out split's share by more than this.",
    )
    drift_min_predictions: int = Field(
        30,
        ge=1,
        description="A drift bucket (a segment's hour, day or week) with fewer predictions "
        "raises no flag: its figures are shown, but 2 predictions say nothing of a mix.",
    )

    # scale-out: several API replicas over one registry, and where background work runs
    task_executor: Literal["local", "dask"] = Field(
        "local",
        description="Where fits and large batch scoring run: 'local' (this process's pool) "
        "or 'dask' (the workers of the Dask scheduler at DASK_SCHEDULER_ADDRESS).",
    )
    dask_scheduler_address: str | None = Field(
        None, description="The Dask scheduler, e.g. tcp://dask-scheduler:8786 (TASK_EXECUTOR=dask)."
    )
    dask_batch_min_rows: int = Field(
        20_000,
        ge=1,
        description="With TASK_EXECUTOR=dask, a predict_csv / predict_scores of at least this "
        "many rows is scored on the Dask workers in chunks; a smaller one here.",
    )
    replica_name: str | None = Field(
        None,
        description="This API replica's name, in the X-Replica response header and on the "
        "tasks it queues. Default: host name and port.",
    )
    replica_sync_interval_ms: float = Field(
        500.0,
        gt=0.0,
        le=60_000.0,
        description="How often a replica compares its loaded models with the registry's "
        "(the set every replica converges on), lets go of the retrievers no longer "
        "loaded there, and looks for the tasks of replicas that stopped.",
    )
    replica_heartbeat_seconds: float = Field(
        10.0,
        gt=0.0,
        le=3600.0,
        description="How often a replica over a shared registry (PostgreSQL) records in it "
        "that it is alive.",
    )
    replica_stale_seconds: float = Field(
        60.0,
        gt=0.0,
        description="A replica that has recorded no heartbeat for this long has stopped: "
        "another ends the tasks it queued (failed) and their models. At least two "
        "heartbeats (REPLICA_HEARTBEAT_SECONDS).",
    )

    # access and limits
    api_token: SecretStr | None = Field(
        None, description="When set, every /api/ route needs 'Authorization: Bearer <token>'."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser."
    )
    max_json_mb: int = Field(
        20, ge=1, description="Largest request body other than an upload (any type), in MiB."
    )
    body_read_timeout_seconds: float = Field(
        30.0,
        gt=0.0,
        description="A request body that sends nothing for this long is answered 408.",
    )
    max_dataset_columns: int = Field(
        1_000,
        ge=1,
        description="Columns a CSV may have (uploads and predict_csv); a wider file is a 422.",
    )
    max_classes: int = Field(
        1_000,
        ge=2,
        description="Classes a label column may have at fit; more is a 422 (every class adds "
        "a row and a column to the confusion matrix).",
    )
    csv_formula_protection: bool = Field(
        True, description="Prefix result-CSV cells that a spreadsheet would run as formulas."
    )

    @field_validator(
        "models_dir",
        "datasets_dir",
        "logs_dir",
        "demo_data_path",
        "retrievers_dir",
        "qa_demo_data_path",
    )
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value if value.is_absolute() else (REPO_ROOT / value).resolve()

    @field_validator("database_url")
    @classmethod
    def _sqlite_relative_to_repo(cls, value: str) -> str:
        prefix = "sqlite:///"
        if value.startswith(prefix) and not value.startswith(prefix + "/"):
            path = value.removeprefix(prefix)
            if path and path != ":memory:":
                return prefix + str((REPO_ROOT / path).resolve())
        return value

    @field_validator("api_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _dask_needs_a_scheduler(self) -> "Settings":
        if self.task_executor == "dask" and not self.dask_scheduler_address:
            raise ValueError("TASK_EXECUTOR=dask needs DASK_SCHEDULER_ADDRESS (tcp://host:8786)")
        return self

    @model_validator(mode="after")
    def _stale_after_missed_heartbeats(self) -> "Settings":
        if self.replica_stale_seconds < 2 * self.replica_heartbeat_seconds:
            raise ValueError(
                "REPLICA_STALE_SECONDS must be at least two heartbeats "
                f"(2 x REPLICA_HEARTBEAT_SECONDS = {2 * self.replica_heartbeat_seconds:g} s): "
                "a replica whose one heartbeat is late must not be taken for stopped"
            )
        return self

    @property
    def replica(self) -> str:
        """This replica's name (REPLICA_NAME, else host name and port)."""
        return self.replica_name or f"{socket.gethostname()}:{self.backend_port}"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


@lru_cache
def get_settings() -> Settings:
    return Settings()
