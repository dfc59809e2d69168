"""The SQL registry (SQLAlchemy 2): SQLite by default, PostgreSQL by URL."""

import random
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import make_engine
from app.core.errors import ConflictError, NotFoundError
from app.registry.base import Registry
from app.registry.entities import DatasetRecord, ModelRecord, TaskRecord
from app.registry.locks import database_lock
from app.registry.schema import upgrade_schema
from app.registry.sql_aliases import SqlAliases
from app.registry.sql_tasks import SqlTasks, rowcount
from app.registry.tables import DatasetRow, ModelNameRow, ModelRow, TaskRow
from shared.schemas import (
    ACTIVE_TASK_STATUSES,
    MetricsSummary,
    ModelStatus,
    ModelSummary,
)

_VERSION_RETRIES = 20
_SUMMARY_METRICS = tuple(MetricsSummary.model_fields)
# the plain columns a list item shows (its metrics are picked out of the JSON, below)
_SUMMARY_FIELDS = tuple(
    name for name in ModelSummary.model_fields if name not in ("metrics", "n_classes", "aliases")
)


class SqlRegistry(SqlAliases, SqlTasks, Registry):
    def __init__(self, url: str, *, replica: str | None = None) -> None:
        """`replica`: the API replica this process is; every task it adds names it
        (`tasks.replica`), so that a replica's start-up recovery ends only its own. A
        database that cannot be reached raises at once (`retries.wait_for_database` waits
        for one at start-up)."""
        self.replica = replica
        self.stopping = threading.Event()
        self.engine = make_engine(url)
        upgrade_schema(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._version_lock = threading.Lock()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # datasets
    def add_dataset(self, dataset: DatasetRecord) -> tuple[DatasetRecord, bool]:
        try:
            with self._session() as s:
                s.add(
                    DatasetRow(
                        **dataset.model_dump(mode="json", exclude={"created_at"}),
                        created_at=dataset.created_at,
                    )
                )
        except IntegrityError:
            # the unique sha256 decides a race between uploads of the same bytes
            existing = self.find_dataset_by_sha256(dataset.sha256)
            if existing is None:
                raise
            return existing, False
        return dataset, True

    def get_dataset(self, dataset_id: str) -> DatasetRecord | None:
        with self._session() as s:
            row = s.get(DatasetRow, dataset_id)
            return _dataset(row) if row else None

    def find_dataset_by_sha256(self, sha256: str) -> DatasetRecord | None:
        with self._session() as s:
            row = s.scalar(select(DatasetRow).where(DatasetRow.sha256 == sha256))
            return _dataset(row) if row else None

    def list_datasets(self, *, limit: int | None = None, offset: int = 0) -> list[DatasetRecord]:
        with self._session() as s:
            order = (DatasetRow.created_at.desc(), DatasetRow.id)  # the id: a stable page order
            query = select(DatasetRow).order_by(*order).limit(limit).offset(offset)
            return [_dataset(r) for r in s.scalars(query)]

    def count_datasets(self) -> int:
        return self._count(DatasetRow)

    def delete_dataset(self, dataset_id: str, *, force: bool = False) -> None:
        # One conditional DELETE under the dataset's row lock (PostgreSQL: FOR UPDATE waits
        # for a fit that holds it FOR SHARE, and the DELETE, a later statement, then sees the
        # fit's task; SQLite runs one writer at a time), so a fit and a deletion never both win.
        with self._session() as s:
            s.execute(select(DatasetRow.id).where(DatasetRow.id == dataset_id).with_for_update())
            in_use = select(TaskRow.id).where(
                TaskRow.dataset_id == dataset_id,
                TaskRow.status.in_([str(x) for x in ACTIVE_TASK_STATUSES]),
            )
            if not force and not s.scalar(select(in_use.exists())):
                trained = _trained_on(s, dataset_id)
                if trained:
                    raise ConflictError(
                        f"dataset {dataset_id} was used to train {trained} "
                        f"model{'s' if trained != 1 else ''}; delete it with force=true to "
                        "go on (the models keep its name and sha256)"
                    )
            deleted = rowcount(
                s.execute(delete(DatasetRow).where(DatasetRow.id == dataset_id, ~in_use.exists()))
            )
            if not deleted:
                if s.get(DatasetRow, dataset_id) is None:
                    raise NotFoundError(f"dataset {dataset_id} not found")
                user = s.execute(
                    select(TaskRow.id, TaskRow.kind, TaskRow.status)
                    .where(
                        TaskRow.dataset_id == dataset_id,
                        TaskRow.status.in_([str(x) for x in ACTIVE_TASK_STATUSES]),
                    )
                    .limit(1)
                ).first()
                what = f"a {user.status} {user.kind} task ({user.id})" if user else "a running task"
                raise ConflictError(
                    f"dataset {dataset_id} is used by {what}; delete it when the task has ended"
                )

    # models
    def add_model_version(self, model: ModelRecord) -> ModelRecord:
        # Fits of one name at once race for a version. In this process a lock orders them;
        # between processes (several servers on one database) the unique key decides and
        # the loser tries again.
        for attempt in range(_VERSION_RETRIES):
            try:
                with self._version_lock, self._session() as s:
                    model = _next_version(s, model)
                    s.add(ModelRow(**_model_fields(model)))
                return model
            except IntegrityError:
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise RuntimeError(f"could not allocate a version for model {model.name!r}")

    def add_training(self, model: ModelRecord, task: TaskRecord) -> tuple[ModelRecord, TaskRecord]:
        # The model and its task are stored together only while their dataset exists, held
        # FOR SHARE (PostgreSQL) until they are committed: a deletion waits, then sees the
        # task and refuses; a deletion that came first leaves nothing to share, nor any row.
        dataset_id = task.dataset_id or ""
        for attempt in range(_VERSION_RETRIES):
            try:
                with self._version_lock, self._session() as s:
                    held = s.scalar(
                        select(DatasetRow.id)
                        .where(DatasetRow.id == dataset_id)
                        .with_for_update(read=True)
                    )
                    if held is None:
                        raise NotFoundError(f"dataset {dataset_id} not found")
                    model = _next_version(s, model)
                    s.add(ModelRow(**_model_fields(model)))
                    s.flush()
                    task = self._stamped(task).model_copy(update={"model_version": model.version})
                    s.add(TaskRow(**task.model_dump()))
                return model, task
            except IntegrityError:
                # SQLite: the dataset went between the check and the insert (its foreign
                # key fails); else the version was taken by another process: try again.
                if self.get_dataset(dataset_id) is None:
                    raise NotFoundError(f"dataset {dataset_id} not found") from None
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise RuntimeError(f"could not allocate a version for model {model.name!r}")

    def get_model(self, model_id: str) -> ModelRecord | None:
        with self._session() as s:
            row = s.get(ModelRow, model_id)
            return _model(row) if row else None

    def list_models(self) -> list[ModelRecord]:
        with self._session() as s:
            rows = s.scalars(select(ModelRow).order_by(ModelRow.name, ModelRow.version.desc()))
            return [_model(r) for r in rows]

    def list_model_summaries(self, *, limit: int, offset: int) -> list[ModelSummary]:
        # The database picks the few figures out of the JSON columns: reading a model's
        # whole metrics (a 1,000-class confusion matrix is 2 MB of JSON) costs a list
        # 0.4 s per model, for nothing it shows.
        scores = [ModelRow.metrics[name].label(f"metrics.{name}") for name in _SUMMARY_METRICS]
        query = (
            select(
                *(getattr(ModelRow, name) for name in _SUMMARY_FIELDS),
                func.json_array_length(ModelRow.classes).label("n_classes"),
                *scores,
            )
            .order_by(ModelRow.name, ModelRow.version.desc())
            .limit(limit)
            .offset(offset)
        )
        with self._session() as s:
            summaries = [_summary(row._mapping) for row in s.execute(query)]
        aliases = self.aliases_by_model(m.id for m in summaries)
        return [m.model_copy(update={"aliases": aliases.get(m.id, [])}) for m in summaries]

    def count_models(self) -> int:
        return self._count(ModelRow)

    def loaded_model_versions(self) -> dict[str, int]:
        query = select(ModelRow.id, ModelRow.version).where(
            ModelRow.loaded.is_(True), ModelRow.status == ModelStatus.READY.value
        )
        with self.engine.connect() as conn:  # a plain read: no ORM objects, no transaction kept
            return {row.id: row.version for row in conn.execute(query)}

    def update_model(self, model_id: str, **fields: Any) -> ModelRecord:
        with self._session() as s:
            row = s.get(ModelRow, model_id)
            if row is None:
                raise NotFoundError(f"model {model_id} not found")
            for key, value in fields.items():
                setattr(row, key, value)
            s.flush()
            return _model(row)

    def delete_model(self, model_id: str) -> None:
        try:
            with self._session() as s:
                row = s.get(ModelRow, model_id)
                if row:
                    s.delete(row)
        except IntegrityError:  # an alias came to name it after the service checked
            raise ConflictError(f"model {model_id} is named by an alias; move it first") from None

    def _count(self, table: type[DatasetRow | ModelRow]) -> int:
        with self._session() as s:
            return s.scalar(select(func.count()).select_from(table)) or 0

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        return database_lock(self.engine, name)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()


def _next_version(s: Session, model: ModelRecord) -> ModelRecord:
    """The model as the next version of its name. A name's versions share one kind, and are
    all single-label or all multi-label (their feedback, thresholds and comparisons assume
    one shape of answer): a name another kind or shape uses is a ConflictError."""
    latest = s.execute(
        select(ModelRow.version, ModelRow.kind, ModelRow.label_columns)
        .where(ModelRow.name == model.name)
        .order_by(ModelRow.version.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.kind != str(model.kind):
        raise ConflictError(
            f"the name {model.name!r} belongs to {latest.kind} models (its latest version is "
            f"{latest.version}); a name's versions share one kind, so choose another name "
            f"for this {model.kind} model"
        )
    if latest is not None and bool(latest.label_columns) != bool(model.label_columns):
        shape, other = ("multi-label", "single-label")[:: 1 if latest.label_columns else -1]
        raise ConflictError(
            f"the name {model.name!r} belongs to {shape} models (its latest version is "
            f"{latest.version}); a name's versions are all single-label or all multi-label, "
            f"so choose another name for this {other} model"
        )
    # never a number given before, though its version is removed: the name's counter
    given = s.get(ModelNameRow, model.name)
    version = max(given.last_version if given else 0, latest.version if latest else 0) + 1
    if given is None:  # two first versions at once: one insert fails, and its fit retries
        s.add(ModelNameRow(name=model.name, last_version=version))
    else:
        given.last_version = version
    return model.model_copy(update={"version": version})


def _dataset(row: DatasetRow) -> DatasetRecord:
    return DatasetRecord.model_validate(row, from_attributes=True)


def _summary(row: Any) -> ModelSummary:
    fields = {name: row[name] for name in _SUMMARY_FIELDS}
    scores = {name: row[f"metrics.{name}"] for name in _SUMMARY_METRICS}
    metrics = MetricsSummary.model_validate(scores) if scores["accuracy"] is not None else None
    return ModelSummary.model_validate(
        {**fields, "n_classes": row["n_classes"] or 0, "metrics": metrics}
    )


def _model(row: ModelRow) -> ModelRecord:
    return ModelRecord.model_validate(row, from_attributes=True)


def _model_fields(model: ModelRecord) -> dict[str, Any]:
    data = model.model_dump(mode="json", exclude={"created_at", "aliases"})
    data["created_at"] = model.created_at
    return data


def _trained_on(s: Session, dataset_id: str) -> int:
    """How many versions were trained on the dataset: fitted on it (`dataset_id`) or
    through their lineage (a retrain on both, a version continued from one fitted on it);
    not one whose fit failed or was cancelled (it trained nothing)."""
    used = or_(
        ModelRow.dataset_id == dataset_id,
        # a prefilter; the lineage's ids are compared below
        cast(ModelRow.lineage_datasets, String).contains(dataset_id, autoescape=True),
    )
    untrained = [str(ModelStatus.FAILED), str(ModelStatus.CANCELLED)]
    rows = s.execute(
        select(ModelRow.dataset_id, ModelRow.lineage_datasets).where(
            used, ModelRow.status.notin_(untrained)
        )
    )
    return sum(
        1
        for fitted_on, lineage in rows
        if fitted_on == dataset_id
        or any(isinstance(d, dict) and d.get("id") == dataset_id for d in lineage or [])
    )
