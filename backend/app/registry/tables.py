"""ORM rows. They never leave the store: `sql.py` turns them into entities.

The schema changes only through a migration (`migrations/versions/`) made beside any change
here; a test compares the two.
"""

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app.registry.summary_bins import CONFIDENCE_COLUMNS, LATENCY_COLUMNS


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class DatasetRow(Base):
    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[list[Any]] = mapped_column(JSON)
    duplicate_rows: Mapped[int] = mapped_column(Integer)
    file: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ModelRow(Base):
    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_model_name_version"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded: Mapped[bool] = mapped_column(Boolean, default=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    preprocessing: Mapped[dict[str, Any]] = mapped_column(JSON)
    dataset_id: Mapped[str | None] = mapped_column(
        String(64),
        ForeignKey("datasets.id", ondelete="SET NULL", name="fk_models_dataset_id"),
        nullable=True,
    )
    # copied at fit: what the model was trained on, still known after the dataset is gone
    dataset_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    dataset_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    text_column: Mapped[str] = mapped_column(String(300))
    label_column: Mapped[str] = mapped_column(String(300))
    # several 0/1 label columns: a multi-label model (0008_multilabel); null otherwise
    label_columns: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    classes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    history: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    preprocessing_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    label_names: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # decision thresholds in force and their earlier settings (revision 0006)
    thresholds: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    threshold_history: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    train_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    test_size: Mapped[float] = mapped_column(Float)
    random_state: Mapped[int] = mapped_column(Integer)
    # the column giving each row's split, instead of test_size and random_state (0013)
    split_column: Mapped[str | None] = mapped_column(String(300), nullable=True)
    artifact_file: Mapped[str | None] = mapped_column(String(300), nullable=True)
    artifact_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # lineage: no foreign key on the parent, so a version says where it came from after
    # its parent is removed (like dataset_name)
    parent_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    parent_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(16), server_default="fit")
    lineage_datasets: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    # read with the row (one query for all the rows loaded), so every model read has them
    alias_rows: Mapped[list["ModelAliasRow"]] = relationship(
        lazy="selectin", viewonly=True, order_by="ModelAliasRow.alias"
    )

    @property
    def aliases(self) -> list[str]:
        return [row.alias for row in self.alias_rows]


class TaskRow(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), default="fit")
    # SET NULL: a removed model's or deleted dataset's tasks stay in the history
    model_id: Mapped[str | None] = mapped_column(
        String(64),
        ForeignKey("models.id", ondelete="SET NULL", name="fk_tasks_model_id"),
        nullable=True,
        index=True,
    )
    dataset_id: Mapped[str | None] = mapped_column(
        String(64),
        ForeignKey("datasets.id", ondelete="SET NULL", name="fk_tasks_dataset_id"),
        nullable=True,
        index=True,
    )
    # copied at fit: the history still names the model after it is removed
    model_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    model_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # when it will finish at its recent pace, while it runs (0016)
    expected_finish_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # the process that runs it (a pool's pid, a Dask worker's address) and the API replica
    # that queued it and records its end (0014)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    replica: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ReplicaRow(Base):
    """An API replica's heartbeat (revision 0015): a replica that has not beaten for
    REPLICA_STALE_SECONDS has stopped, and another ends the tasks it followed. Both times
    are the database's clock, so no replica's own clock decides another's death."""

    __tablename__ = "replicas"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column()
    last_seen: Mapped[datetime] = mapped_column()


class ModelNameRow(Base):
    """The last version number a model name has given (revision 0018): the next is one
    more, whatever versions were removed since, so a number names one model for good (the
    alias history, the tasks and the prediction log keep numbers of removed versions)."""

    __tablename__ = "model_names"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_version: Mapped[int] = mapped_column(Integer)


class RetrieverNameRow(Base):
    """The last version number a retriever name has given (revision 0018), as
    `ModelNameRow` for models."""

    __tablename__ = "retriever_names"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_version: Mapped[int] = mapped_column(Integer)


class ModelAliasRow(Base):
    """An alias of a model name, pointing at one of its versions. The foreign key (no
    ON DELETE) keeps a version that an alias names from being deleted under it."""

    __tablename__ = "model_aliases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    alias: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("models.id", name="fk_model_aliases_model_id"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AliasChangeRow(Base):
    """The append-only history of aliases: nothing updates or deletes a row. Versions and
    ids are copied, so it still reads after a version is removed."""

    __tablename__ = "model_alias_history"
    __table_args__ = (Index("ix_model_alias_history_alias", "name", "alias", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    alias: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    from_model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    to_model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    caller: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetrieverRow(Base):
    """A retriever (question → best context): its vectors live in Qdrant, not here."""

    __tablename__ = "retrievers"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_retriever_name_version"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded: Mapped[bool] = mapped_column(Boolean, default=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    preprocessing: Mapped[dict[str, Any]] = mapped_column(JSON)
    dataset_id: Mapped[str | None] = mapped_column(
        String(64),
        ForeignKey("datasets.id", ondelete="SET NULL", name="fk_retrievers_dataset_id"),
        nullable=True,
    )
    dataset_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    context_column: Mapped[str] = mapped_column(String(300))
    question_column: Mapped[str] = mapped_column(String(300))
    answer_column: Mapped[str | None] = mapped_column(String(300), nullable=True)
    contexts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    train_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PredictionRow(Base):
    """One prediction served (revision 0009), written in batches by the prediction log.
    No foreign key on the model: the log outlives a removed model, and a write never
    waits on the models table."""

    __tablename__ = "predictions"
    __table_args__ = (
        # the statistics read only this index (revision 0010)
        Index(
            "ix_predictions_model_time_figures",
            "model_id",
            "created_at",
            "segment",
            "label",
            "confidence",
            "latency_ms",
        ),
        Index("ix_predictions_segment_time", "segment", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # what the request named: the id, `name@alias` or `name:version`
    reference: Mapped[str] = mapped_column(String(133))
    segment: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(index=True)
    label: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    # every class's probability by label: {"0": 0.9, "1": 0.1}
    probabilities: Mapped[dict[str, Any]] = mapped_column(JSON)
    latency_ms: Mapped[float] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the share of the text's tokens in the model's vocabulary (revision 0012); null for a
    # model without one, and for rows logged before
    known_token_share: Mapped[float | None] = mapped_column(Float, nullable=True)


class PredictionSummaryRow(Base):
    """The prediction log summed by (model, segment, hour, predicted label) (revision
    0012): counts, confidence and latency histograms (bins in summary_bins.py). The log's
    writer adds each batch in the transaction that inserts it; the statistics read only
    this table."""

    __table__ = Table(
        "prediction_summary",
        Base.metadata,
        Column("model_id", String(64), primary_key=True),
        Column("segment", String(100), primary_key=True),
        Column("hour", UtcDateTime(), primary_key=True),
        Column("label", Text(), primary_key=True),
        Column("count", Integer(), nullable=False),
        Column("confidence_sum", Float(), nullable=False),
        # over the rows with a known_token_share
        Column("known_share_sum", Float(), nullable=False),
        Column("known_share_count", Integer(), nullable=False),
        *(Column(name, Integer(), nullable=False) for name in CONFIDENCE_COLUMNS),
        *(Column(name, Integer(), nullable=False) for name in LATENCY_COLUMNS),
        Index("ix_prediction_summary_hour", "hour"),
    )


class FeedbackRow(Base):
    """A true label given for a text (revision 0011): for a logged prediction (its id) or
    from a CSV of texts. Kept by model name: a name's versions share their feedback, and a
    retrain from feedback uses all of it. No foreign keys, like the prediction log: the
    feedback outlives a removed version and a purged log row."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_name_time", "model_name", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(100))
    # the version the feedback was given against
    model_id: Mapped[str] = mapped_column(String(64))
    # the logged prediction it corrects; null for a CSV text never predicted (or not found)
    prediction_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    # null when the log kept no text (PREDICTION_LOG_TEXTS=false)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    label: Mapped[str] = mapped_column(Text)
    segment: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16))  # "prediction", "text" or "csv"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
