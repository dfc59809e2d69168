"""Retrievers: fit one from a QA dataset in the training pool, follow it, load it, remove it.

A retriever's folder (RETRIEVERS_DIR/<id>) holds its encoder and, embedded, its Qdrant
Edge shard; with QDRANT_URL its vectors are the server's collection `retriever_<id>`.
The worker writes the shard and closes it; afterwards one API process at a time opens it
(`retriever_shards.py`). `retrievers.loaded` is what the replicas follow: a query opens a
retriever marked loaded on demand, and the replica sync lets go of one no longer loaded.

A fit ends once, as for classifiers: whoever moves its task from queued/running (the
job's end, a cancel, the shutdown) wins, and only a winner that ends it without a
retriever stops the worker, waits until it can write no more (`ownership`) and removes
the folder and the vectors.
"""

import logging
import threading
import time
import uuid
from concurrent.futures import CancelledError, Future
from pathlib import Path

from app.core.errors import AppError, ConflictError, InvalidInputError, NotFoundError
from app.ml.retrieval.fitting import RetrieverFitResult, RetrieverSpec, location_of
from app.ml.retrieval.index import LoadedRetriever
from app.ml.retrieval.qa_data import QaColumnNames
from app.registry.base import Registry
from app.registry.entities import TaskRecord
from app.registry.retrievers import RetrieverRecord, SqlRetrievers
from app.registry.tables import utcnow
from app.services.datasets import DatasetService
from app.services.retriever_shards import ShardInUseError, ShardLocks
from app.tasks import ownership
from app.tasks.executor import Runner
from app.tasks.retrieval_worker import run_retriever_fit
from shared.schemas import TaskStatus
from shared.schemas.retrieval import QaColumns, RetrieverFitRequest, RetrieverStatus

log = logging.getLogger(__name__)
ACTIVE = (TaskStatus.QUEUED, TaskStatus.RUNNING)
FIT_TASK = "retriever_fit"
INTERRUPTED = "the server stopped while this retriever was training; fit it again"
CANCELLED = "the fit was cancelled"


def column_names(columns: QaColumns) -> QaColumnNames:
    return QaColumnNames(columns.context_column, columns.question_column, columns.answer_column)


class RetrieverService:
    def __init__(
        self,
        *,
        registry: Registry,
        store: SqlRetrievers,
        datasets: DatasetService,
        runner: Runner,
        folder: Path,
        qdrant_url: str | None,
        qdrant_api_key: str | None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.datasets = datasets
        self.runner = runner
        self.folder = folder
        self.qdrant_url = qdrant_url
        self.qdrant_api_key = qdrant_api_key
        self._loaded: dict[str, LoadedRetriever] = {}
        self._lock = threading.Lock()  # loads and removals one at a time
        self._fitting: dict[str, str] = {}  # task id -> retriever id, while it may run
        self._shards = ShardLocks(folder)  # embedded shards this process serves
        # when this process last opened or let go of a retriever (time.monotonic()), so
        # that the replica sync never undoes a change made here after the state it read
        self.changed_at: dict[str, float] = {}

    # fitting
    def check_columns(self, dataset_id: str, columns: QaColumns) -> None:
        dataset = self.datasets.get(dataset_id)
        names = [columns.context_column, columns.question_column]
        if columns.answer_column:
            names.append(columns.answer_column)
        self.datasets.require_columns(dataset, *names)

    def fit(
        self, request: RetrieverFitRequest, *, is_default: bool = False
    ) -> tuple[TaskRecord, RetrieverRecord]:
        dataset = self.datasets.get(request.dataset_id)
        self.check_columns(request.dataset_id, request)
        if request.params.word_ngram_range[0] > request.params.word_ngram_range[1] or (
            request.params.char_ngram_range[0] > request.params.char_ngram_range[1]
        ):
            raise InvalidInputError("an n-gram range must be (low, high) with low <= high")
        retriever_id = uuid.uuid4().hex
        record = self.store.add_version(
            RetrieverRecord(
                id=retriever_id,
                name=request.name,
                version=0,
                kind=request.kind,
                description=request.description,
                status=RetrieverStatus.TRAINING,
                is_default=is_default,
                loaded=False,
                params=request.params.model_dump(mode="json"),
                preprocessing=request.preprocessing.model_dump(mode="json"),
                dataset_id=dataset.id,
                dataset_name=dataset.name,
                context_column=request.context_column,
                question_column=request.question_column,
                answer_column=request.answer_column,
                created_at=utcnow(),
            )
        )
        ownership.create(self.folder / retriever_id)  # before the task: a cancel finds it
        task = self.registry.add_task(
            TaskRecord(
                id=uuid.uuid4().hex,
                kind=FIT_TASK,
                model_id=None,
                model_name=record.name,
                model_version=record.version,
                dataset_id=dataset.id,
                status=TaskStatus.QUEUED,
                progress=0.0,
                message="waiting for a free worker",
                error=None,
                created_at=utcnow(),
                started_at=None,
                finished_at=None,
            )
        )
        spec = RetrieverSpec(
            dataset_path=str(self.datasets.datasets_dir / dataset.file),
            kind=record.kind,
            params=record.params,
            preprocessing=record.preprocessing,
            columns=column_names(request),
            folder=str(self.folder / retriever_id),
            qdrant_url=self.qdrant_url,
            qdrant_api_key=self.qdrant_api_key,
        )

        def finished(task_id: str, future: "Future[RetrieverFitResult]") -> None:
            self._finished(task_id, retriever_id, future)

        self._fitting[task.id] = retriever_id
        try:
            self.runner.submit_call(task.id, run_retriever_fit, (task.id, spec), finished)
        except Exception as exc:
            self._end(task.id, retriever_id, TaskStatus.FAILED, f"the fit could not start: {exc}")
            raise
        log.info(
            "task %s queued: retriever %s v%d (%s)",
            task.id,
            record.name,
            record.version,
            record.kind,
        )
        return task, record

    def _finished(
        self, task_id: str, retriever_id: str, future: "Future[RetrieverFitResult]"
    ) -> None:
        try:
            result = future.result()
        except CancelledError:  # whoever cancelled it has ended it; the shutdown has not
            self._end(task_id, retriever_id, TaskStatus.FAILED, INTERRUPTED)
            return
        except Exception as exc:
            self._end(task_id, retriever_id, TaskStatus.FAILED, f"the fit failed: {exc}")
            return
        # Ready before the task says succeeded, so whoever sees the task done finds the
        # retriever ready. Only while it is still training: a cancel that ended it first
        # has already written its status; one that ends the task after this line writes
        # its own status over this one (the task's winner always writes last).
        self.store.update(
            retriever_id,
            only_if_status=RetrieverStatus.TRAINING.value,
            status=RetrieverStatus.READY.value,
            contexts=result.contexts,
            report=result.report,
            train_seconds=result.train_seconds,
            error=None,
        )
        won = self.registry.finish_task(
            task_id,
            from_statuses=ACTIVE,
            status=TaskStatus.SUCCEEDED,
            task_fields={"progress": 1.0, "message": "done", "finished_at": utcnow()},
        )
        if won:
            self._fitting.pop(task_id, None)
            ownership.release(self.folder / retriever_id)
            log.info(
                "task %s: retriever %s fitted in %.1fs", task_id, retriever_id, result.train_seconds
            )

    def _end(self, task_id: str, retriever_id: str, status: TaskStatus, error: str) -> bool:
        """End an active fit without a retriever (failed or cancelled), if no one else has
        ended it: stop its worker if it still runs, wait until it can write no more, then
        remove its folder and vectors. False when someone else had ended it."""
        won = self.registry.finish_task(
            task_id,
            from_statuses=ACTIVE,
            status=status,
            task_fields={"message": str(status), "error": error, "finished_at": utcnow()},
        )
        if won:
            self._fitting.pop(task_id, None)
            self.runner.cancel(task_id)  # terminates its worker; its done callback then loses
            ownership.revoke(self.folder / retriever_id)  # waits until it can write no more
            cancelled = status == TaskStatus.CANCELLED
            ended = RetrieverStatus.CANCELLED if cancelled else RetrieverStatus.FAILED
            self.store.update(retriever_id, status=ended.value, error=error)
            self._drop_files(retriever_id)
            log.warning("task %s %s: %s", task_id, status, error)
        return won

    def cancel(self, task_id: str) -> TaskRecord:
        """Cancel a queued or running fit: the task and the retriever end `cancelled`, and
        nothing it wrote stays."""
        task = self.registry.get_task(task_id)
        if task is None:
            raise NotFoundError(f"task {task_id} not found")
        retriever_id = self._fitting.get(task_id) or self._fitted_by(task)
        if retriever_id is None or not self._end(
            task_id, retriever_id, TaskStatus.CANCELLED, CANCELLED
        ):
            task = self.registry.get_task(task_id) or task
            raise ConflictError(f"task {task_id} has already finished ({task.status})")
        return self.registry.get_task(task_id) or task

    def _fitted_by(self, task: TaskRecord) -> str | None:
        """The retriever a fit queued by another replica is fitting (its name and version):
        a cancel may reach any replica; the one whose pool runs it stops the worker."""
        if task.status not in ACTIVE:
            return None
        for record in self.store.list():
            if record.status == RetrieverStatus.TRAINING and (record.name, record.version) == (
                task.model_name,
                task.model_version,
            ):
                return record.id
        return None

    def wait(self, task_id: str, timeout: float = 600.0) -> TaskRecord:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.registry.get_task(task_id)
            if task is None or task.status.is_finished:
                return task  # type: ignore[return-value]
            time.sleep(0.05)
        raise TimeoutError(f"task {task_id} did not finish in {timeout:.0f}s")

    # reading, loading, removing
    def get(self, retriever_id: str) -> RetrieverRecord:
        record = self.store.get(retriever_id)
        if record is None:
            raise NotFoundError(f"retriever {retriever_id} not found")
        return record

    def all(self) -> list[RetrieverRecord]:
        return self.store.list()

    def load(self, retriever_id: str) -> RetrieverRecord:
        record = self.get(retriever_id)
        if record.status != RetrieverStatus.READY:
            raise ConflictError(f"retriever {retriever_id} is {record.status}, not ready")
        self.bring_in(record)
        self.store.update(retriever_id, loaded=True)
        # again after the write: a sync that read the registry before it must not close it
        self.changed_at[retriever_id] = time.monotonic()
        return self.get(retriever_id)

    def bring_in(self, record: RetrieverRecord, *, why: str = "loaded") -> LoadedRetriever:
        """The retriever open in this process, opened now unless it is already: the one
        way in (the load route, start-up, a query that finds it loaded elsewhere), one
        opening at a time. With embedded storage that another replica holds open:
        `ShardInUseError` (409 naming QDRANT_URL)."""
        with self._lock:
            loaded = self._loaded.get(record.id)
            if loaded is None:
                loaded = self._loaded[record.id] = self._open(record.id)
                self.changed_at[record.id] = time.monotonic()
                log.info("retriever %s (%s v%d) %s", record.id, record.name, record.version, why)
            return loaded

    def let_go(self, retriever_id: str) -> bool:
        """Close the retriever in this process and release its shard (the registry is the
        caller's). False when this process did not hold it."""
        with self._lock:
            loaded = self._loaded.pop(retriever_id, None)
            if loaded is not None:
                try:
                    loaded.close()
                except Exception as exc:  # closed all the same: nothing here uses it again
                    log.error("retriever %s did not close cleanly: %s", retriever_id, exc)
            self._shards.release(retriever_id)
            self.changed_at[retriever_id] = time.monotonic()
        return loaded is not None

    def held(self) -> set[str]:
        """The retrievers open in this process."""
        with self._lock:
            return set(self._loaded)

    def _open(self, retriever_id: str) -> LoadedRetriever:
        if self.qdrant_url is None:
            self._shards.claim(retriever_id)
        try:
            return LoadedRetriever(
                self.folder / retriever_id, qdrant_url=self.qdrant_url, api_key=self.qdrant_api_key
            )
        except Exception as exc:
            self._shards.release(retriever_id)
            raise ConflictError(f"retriever {retriever_id} cannot be opened: {exc}") from exc

    def unload(self, retriever_id: str) -> RetrieverRecord:
        self.get(retriever_id)
        self.let_go(retriever_id)
        self.store.update(retriever_id, loaded=False)
        return self.get(retriever_id)

    def in_memory(self, retriever_id: str) -> LoadedRetriever:
        """A loaded retriever, for a query. One that the registry says is loaded but this
        replica does not hold (loaded by another replica, or by this one before another
        let go of it) is opened now rather than refused; with embedded storage that
        another replica holds open, the answer is 409 naming QDRANT_URL."""
        loaded = self._loaded.get(retriever_id)
        if loaded is not None:
            return loaded
        record = self.get(retriever_id)
        if record.loaded and record.status == RetrieverStatus.READY:
            return self.bring_in(record, why="opened on demand (loaded in the registry)")
        raise ConflictError(
            f"retriever {record.id} ({record.name} v{record.version}) is not loaded; "
            f"load it first with POST /api/v1/retrievers/{record.id}/load"
        )

    def remove(self, retriever_id: str) -> None:
        record = self.get(retriever_id)
        if record.is_default:
            raise ConflictError(
                f"retriever {retriever_id} ({record.name}) is the default and stays"
            )
        if record.status == RetrieverStatus.TRAINING:
            raise ConflictError(f"retriever {retriever_id} is still training")
        self.unload(retriever_id)
        self.store.delete(retriever_id)
        self._drop_files(retriever_id)
        log.info("retriever %s (%s v%d) removed", retriever_id, record.name, record.version)

    def remove_all(self) -> tuple[list[str], list[str]]:
        removed, kept = [], []
        for record in self.store.list():
            if record.is_default or record.status == RetrieverStatus.TRAINING:
                kept.append(record.id)
                continue
            self.remove(record.id)
            removed.append(record.id)
        return removed, kept

    def _drop_files(self, retriever_id: str) -> None:
        folder = self.folder / retriever_id
        self._shards.path(retriever_id).unlink(missing_ok=True)
        try:
            location_of(folder, self.qdrant_url, self.qdrant_api_key).drop()
        except Exception as exc:  # a server that is down: the collection stays, say so
            log.error("the vectors of retriever %s could not be dropped: %s", retriever_id, exc)
        if folder.exists():
            import shutil

            shutil.rmtree(folder, ignore_errors=True)

    # start and stop
    def start(self) -> None:
        """After the training service's recovery: a retriever still training whose fit
        no active task runs (the fits this replica left were ended) has failed; one that
        another replica is fitting is left to it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fitting = {
            (t.model_name, t.model_version)
            for t in self.registry.list_tasks(ACTIVE)
            if t.kind == FIT_TASK
        }
        for record in self.store.list():
            if (
                record.status == RetrieverStatus.TRAINING
                and (record.name, record.version) not in fitting
            ):
                self.store.update(record.id, status=RetrieverStatus.FAILED.value, error=INTERRUPTED)
                ownership.release(self.folder / record.id)  # no fit runs at start-up
                self._drop_files(record.id)
            elif record.loaded:
                try:
                    self.bring_in(record, why="loaded again")
                except ShardInUseError as exc:  # another replica serves it: still loaded
                    log.error("retriever %s is not served by this replica: %s", record.id, exc)
                except AppError as exc:
                    log.error("retriever %s could not be loaded again: %s", record.id, exc)
                    self.store.update(record.id, loaded=False)

    def stop(self) -> None:
        with self._lock:
            loaded, self._loaded = list(self._loaded.values()), {}
            for retriever in loaded:
                retriever.close()
            self._shards.release_all()
