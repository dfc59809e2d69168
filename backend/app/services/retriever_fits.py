"""Fitting retrievers: a fit from a QA dataset queued in the training pool (or on Dask),
followed, cancelled, and its end recorded once.

A fit ends once, as for classifiers: whoever moves its task from queued/running (the
job's end, a cancel, the shutdown) wins, and only a winner that ends it without a
retriever stops the worker, waits until it can write no more (`ownership`) and removes
the folder and the vectors.
"""

import logging
import uuid
from collections.abc import Iterable
from concurrent.futures import CancelledError, Future

from app.core.errors import ConflictError, InvalidInputError, NotFoundError, message_of
from app.ml.retrieval.fitting import RetrieverFitResult, RetrieverSpec
from app.ml.retrieval.qa_data import QaColumnNames
from app.registry.base import Registry
from app.registry.entities import TaskRecord
from app.registry.retries import retrying
from app.registry.retrievers import RetrieverRecord, SqlRetrievers
from app.registry.tables import utcnow
from app.services import task_ends
from app.services.datasets import DatasetService
from app.services.retriever_shards import RetrieverStorage
from app.tasks import ownership
from app.tasks.executor import Runner
from app.tasks.retrieval_worker import run_retriever_fit
from shared.schemas import ACTIVE_TASK_STATUSES, TaskStatus
from shared.schemas.retrieval import QaColumns, RetrieverFitRequest, RetrieverStatus

log = logging.getLogger(__name__)
FIT_TASK = "retriever_fit"
INTERRUPTED = "the server stopped while this retriever was training; fit it again"
CANCELLED = "the fit was cancelled"


def column_names(columns: QaColumns) -> QaColumnNames:
    return QaColumnNames(columns.context_column, columns.question_column, columns.answer_column)


def check_columns(datasets: DatasetService, dataset_id: str, columns: QaColumns) -> None:
    """The dataset has the QA columns named (404 for the dataset, 422 for a column)."""
    dataset = datasets.get(dataset_id)
    names = [columns.context_column, columns.question_column]
    if columns.answer_column:
        names.append(columns.answer_column)
    datasets.require_columns(dataset, *names)


class RetrieverFits:
    def __init__(
        self,
        *,
        registry: Registry,
        store: SqlRetrievers,
        datasets: DatasetService,
        runner: Runner,
        storage: RetrieverStorage,
    ) -> None:
        self.registry = registry
        self.store = store
        self.datasets = datasets
        self.runner = runner
        self.storage = storage
        self._fitting: dict[str, str] = {}  # task id -> retriever id, while it may run

    def fit(
        self, request: RetrieverFitRequest, *, is_default: bool = False
    ) -> tuple[TaskRecord, RetrieverRecord]:
        dataset = self.datasets.get(request.dataset_id)
        check_columns(self.datasets, request.dataset_id, request)
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
        ownership.create(self.storage.path(retriever_id))  # before the task: a cancel finds it
        task = self.registry.add_task(
            TaskRecord.new(
                kind=FIT_TASK,
                model_name=record.name,
                model_version=record.version,
                dataset_id=dataset.id,
                message="waiting for a free worker",
            )
        )
        spec = RetrieverSpec(
            dataset_path=str(self.datasets.datasets_dir / dataset.file),
            kind=record.kind,
            params=record.params,
            preprocessing=record.preprocessing,
            columns=column_names(request),
            folder=str(self.storage.path(retriever_id)),
            qdrant_url=self.storage.qdrant_url,
            qdrant_api_key=self.storage.qdrant_api_key,
        )

        def finished(task_id: str, future: "Future[RetrieverFitResult]") -> None:
            self._finished(task_id, retriever_id, future)

        self._fitting[task.id] = retriever_id
        try:
            self.runner.submit_call(task.id, run_retriever_fit, (task.id, spec), finished)
        except Exception as exc:
            self._end(
                task.id,
                retriever_id,
                TaskStatus.FAILED,
                f"the fit could not start: {message_of(exc)}",
            )
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
            self._end(task_id, retriever_id, TaskStatus.FAILED, message_of(exc))
            return
        # Ready before the task says succeeded, so whoever sees the task done finds the
        # retriever ready. Only while it is still training: a cancel that ended it first
        # has already written its status; one that ends the task after this line writes
        # its own status over this one (the task's winner always writes last).
        retrying(
            lambda: self.store.update(
                retriever_id,
                only_if_status=RetrieverStatus.TRAINING.value,
                status=RetrieverStatus.READY.value,
                contexts=result.contexts,
                report=result.report,
                train_seconds=result.train_seconds,
                error=None,
            ),
            what=f"recording retriever {retriever_id}",
            until=self.registry.stopping,
        )
        won = task_ends.succeed(self.registry, task_id, "done", from_statuses=ACTIVE_TASK_STATUSES)
        if won:
            self._fitting.pop(task_id, None)
            ownership.release(self.storage.path(retriever_id))
            log.info(
                "task %s: retriever %s fitted in %.1fs", task_id, retriever_id, result.train_seconds
            )

    def _end(self, task_id: str, retriever_id: str, status: TaskStatus, error: str) -> bool:
        """End an active fit without a retriever (failed or cancelled), if no one else has
        ended it: stop its worker if it still runs, wait until it can write no more, then
        remove its folder and vectors. False when someone else had ended it."""
        won = task_ends.end_without_result(
            self.registry,
            task_id,
            status,
            from_statuses=ACTIVE_TASK_STATUSES,
            message=str(status),
            error=error,
        )
        if won:
            self._fitting.pop(task_id, None)
            # at once, not after the wait below (up to a minute for a dead worker's lock):
            # whoever sees the task ended finds the retriever ended too. A success racing
            # this one writes `ready` only while `training`, so this write stays the last.
            cancelled = status == TaskStatus.CANCELLED
            ended = RetrieverStatus.CANCELLED if cancelled else RetrieverStatus.FAILED
            self.store.update(retriever_id, status=ended.value, error=error)
            self.runner.cancel(task_id)  # terminates its worker; its done callback then loses
            ownership.revoke(self.storage.path(retriever_id))  # waits until it can write no more
            self.storage.drop(retriever_id)
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
        if task.status not in ACTIVE_TASK_STATUSES:
            return None
        for record in self.store.list():
            if record.status == RetrieverStatus.TRAINING and (record.name, record.version) == (
                task.model_name,
                task.model_version,
            ):
                return record.id
        return None

    def wait(self, task_id: str, timeout: float = 600.0) -> TaskRecord:
        """Block until the fit's task has finished and its outcome is recorded."""
        return task_ends.wait_until_finished(self.registry, task_id, timeout=timeout, poll_s=0.05)

    def recover(self, ended: Iterable[TaskRecord] | None = None) -> list[str]:
        """After the training service's recovery (`TrainingService.end_orphaned`): a
        retriever still training whose fit no active task runs has failed, and its folder
        and vectors go once no worker can write them. At start-up (`ended` None), every
        such retriever (the fits this replica left were ended); later, only those whose
        fit is among the tasks `ended` (those of a replica that stopped), as a retriever is
        stored a moment before its task. One that another replica is fitting is left to
        it. The ids of the retrievers failed."""
        active = self.registry.list_tasks(ACTIVE_TASK_STATUSES)
        fitting = {(t.model_name, t.model_version) for t in active if t.kind == FIT_TASK}
        errors = None
        if ended is not None:
            errors = {
                (t.model_name, t.model_version): t.error or INTERRUPTED
                for t in ended
                if t.kind == FIT_TASK
            }
        failed = []
        for record in self.store.list():
            key = (record.name, record.version)
            if record.status != RetrieverStatus.TRAINING or key in fitting:
                continue
            if errors is not None and key not in errors:
                continue
            error = INTERRUPTED if errors is None else errors[key]
            self.store.update(record.id, status=RetrieverStatus.FAILED.value, error=error)
            ownership.revoke(self.storage.path(record.id))  # a stopped replica's worker may
            self.storage.drop(record.id)  # still be ending (a Dask one: within its poll)
            log.warning("retriever %s failed: %s", record.id, error)
            failed.append(record.id)
        return failed
