"""Training use cases: accept a fit, follow it through the pool, record the outcome.

A task ends once: whoever moves it from queued/running to succeeded, failed or cancelled
(the job's end, a cancel, the shutdown, the start-up recovery) does so in one conditional
transaction with its model's state, and only that winner touches the model's file.
"""

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pebble import ProcessExpired

from app.core.errors import ConflictError, NotFoundError
from app.ml.training import TrainingError, TrainResult, TrainSpec
from app.registry.base import Registry
from app.registry.entities import DatasetRecord, ModelRecord, TaskRecord
from app.registry.tables import utcnow
from app.services.datasets import DatasetService
from app.services.multilabel_checks import check_label_columns
from app.services.training_specs import check_fit_labels, fit_record, manifest_of, require_installed
from app.tasks import ownership
from app.tasks.executor import Runner
from app.tasks.memory import MemoryWatch
from app.tasks.runner import TrainingRunner
from shared.schemas import FitRequest, ModelStatus, TaskStatus

log = logging.getLogger(__name__)

ACTIVE = (TaskStatus.QUEUED, TaskStatus.RUNNING)
INTERRUPTED = "the server stopped while this task was running; start the fit again"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """What a judge adds to a trained version before its task ends: keys merged into its
    metrics, the task's message, and what to do once the version is ready (its answer
    replaces the message), e.g. move an alias to it."""

    metrics: dict[str, Any] = field(default_factory=dict)
    message: str = "done"
    then: Callable[[], str] | None = None


# the trained bundle's path and the job's result in, the outcome out (in the pool's
# callback thread, before the task ends)
Judge = Callable[[Path, TrainResult], Outcome]


class TrainingService:
    def __init__(
        self,
        *,
        registry: Registry,
        datasets: DatasetService,
        models_dir: Path,
        workers: int,
        idle_seconds: float,
        max_classes: int | None = None,
        memory_limit_mb: int | None = None,
        replica: str | None = None,
        runner: Runner | None = None,
    ) -> None:
        """`runner` runs the jobs elsewhere (a `DaskRunner`); by default the local pools."""
        self.registry = registry
        # whose interrupted tasks the start-up recovery ends: this replica's (every task
        # names the replica that queued it: the registry stamps it); None: every task (a
        # registry only one process uses, SQLite)
        self.replica = replica
        self.max_classes = max_classes
        self.memory_limit_mb = memory_limit_mb
        self.memory = (
            MemoryWatch(memory_limit_mb * MIB, self._over_memory_limit)
            if memory_limit_mb is not None
            else None
        )
        self.datasets = datasets
        self.models_dir = models_dir
        self.runner: Runner = runner or TrainingRunner(
            workers, self.handle_event, idle_seconds=idle_seconds
        )
        self._judges: dict[str, Judge] = {}

    def start(self) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        self.recover_interrupted()
        self.runner.start()
        if self.memory is not None:
            self.memory.start()

    def stop(self) -> None:
        if self.memory is not None:
            self.memory.stop()
        self.runner.stop()  # running tasks end as failed ("interrupted") in _finished

    # accepting a fit
    def fit(
        self, request: FitRequest, *, is_default: bool = False
    ) -> tuple[TaskRecord, ModelRecord]:
        require_installed(request.kind)
        dataset = self.datasets.get(request.dataset_id)
        self.datasets.require_columns(
            dataset, request.text_column, *(request.label_columns or [request.label_column])
        )
        if request.label_columns:
            check_label_columns(self.datasets, request)
        else:
            check_fit_labels(self.datasets, request, self.max_classes)
        model_id = uuid.uuid4().hex
        record = fit_record(request, model_id, dataset, is_default=is_default)

        def spec(model: ModelRecord, artifact: Path) -> TrainSpec:
            return TrainSpec(
                dataset_path=str(self.datasets.datasets_dir / dataset.file),
                kind=request.kind,
                params=request.params.to_public(),
                preprocessing=request.preprocessing.model_dump(),
                text_column=request.text_column,
                label_column=request.label_column,
                test_size=request.test_size,
                random_state=request.random_state,
                artifact_path=str(artifact),
                manifest=manifest_of(model),
                threshold_objective=request.threshold.model_dump(mode="json"),
                label_columns=request.label_columns,
            )

        return self.queue(record, dataset, spec)

    def queue(
        self,
        record: ModelRecord,
        dataset: DatasetRecord,
        make_spec: Callable[[ModelRecord, Path], TrainSpec],
        judge: "Judge | None" = None,
    ) -> tuple[TaskRecord, ModelRecord]:
        """Store `record` as the next version of its name with a queued task on `dataset`,
        and submit the job `make_spec` describes (a fit, a retrain, a continuation). A
        `judge` looks at the trained bundle before the task ends (see `Outcome`)."""
        artifact = self.models_dir / f"{record.id}.zip"
        ownership.create(artifact)  # before the task exists, so a cancel always finds it
        try:  # the dataset is checked again where the rows are stored, with them
            model, task = self.registry.add_training(
                record,
                TaskRecord(
                    id=uuid.uuid4().hex,
                    model_id=record.id,
                    model_name=record.name,
                    dataset_id=dataset.id,
                    status=TaskStatus.QUEUED,
                    progress=0.0,
                    message="waiting for a free worker",
                    error=None,
                    created_at=utcnow(),
                    started_at=None,
                    finished_at=None,
                ),
            )
        except Exception:
            ownership.release(artifact)
            raise
        if judge is not None:
            self._judges[task.id] = judge
        try:
            self.runner.submit(task.id, make_spec(model, artifact), self._finished)
        except Exception as exc:
            self._end(task.id, TaskStatus.FAILED, "failed", f"training could not start: {exc}")
            raise
        log.info(
            "task %s queued: %s %s v%d (%s)",
            task.id,
            model.source,
            model.name,
            model.version,
            model.kind,
        )
        return task, model

    # following it
    def handle_event(self, event: tuple[Any, ...]) -> None:
        kind, task_id = event[0], event[1]
        if kind == "started":
            started = self.registry.update_task(
                task_id,
                only_if=[TaskStatus.QUEUED],
                status=TaskStatus.RUNNING,
                started_at=utcnow(),
                message="starting",
                worker=f"local pid {event[2]}",
            )
            if started is None:  # ended before this event was read: still say where it ran
                self.registry.update_task(task_id, worker=f"local pid {event[2]}")
            log.info("task %s running in process %s", task_id, event[2])
            if self.memory is not None and started is not None:  # not ended meanwhile
                self.memory.track(task_id, event[2])
        elif kind == "progress":
            self.registry.update_task(
                task_id,
                only_if=[TaskStatus.RUNNING],
                progress=round(event[2], 4),
                message=event[3],
            )

    def _finished(self, task_id: str, future: "Future[TrainResult]") -> None:
        """pebble's done callback: end the task as its job ended, unless someone (a
        cancel, the shutdown) ended it first; then this does nothing at all."""
        if self.memory is not None:
            self.memory.forget(task_id)
        try:
            result: TrainResult = future.result()
        except CancelledError:  # whoever cancelled it has ended it; the shutdown has not
            self._end(task_id, TaskStatus.FAILED, "interrupted", INTERRUPTED)
        except TrainingError as exc:
            self._end(task_id, TaskStatus.FAILED, "failed", str(exc))
        except ProcessExpired as exc:
            self._end(
                task_id,
                TaskStatus.FAILED,
                "failed",
                f"the training process died (exit code {exc.exitcode}); "
                "it may have run out of memory",
            )
        except Exception as exc:
            log.error("task %s crashed: %s\n%s", task_id, exc, getattr(exc, "traceback", ""))
            self._end(task_id, TaskStatus.FAILED, "failed", f"training failed: {exc}")
        else:
            self._succeed(task_id, result)

    def _succeed(self, task_id: str, result: TrainResult) -> None:
        outcome = self._judged(task_id, result)
        won = self.registry.finish_task(
            task_id,
            from_statuses=ACTIVE,
            status=TaskStatus.SUCCEEDED,
            task_fields={"progress": 1.0, "message": outcome.message, "finished_at": utcnow()},
            model_fields={
                "status": ModelStatus.READY,
                "classes": result.classes,
                "metrics": {**result.metrics, **outcome.metrics},
                "history": result.history,
                "train_seconds": result.train_seconds,
                "artifact_sha256": result.artifact_sha256,
                "preprocessing_report": result.preprocessing_report,
                # as the fit resolved them (`tokenizer: auto`): what retraining and
                # re-splitting the held-out rows must use
                "preprocessing": result.preprocessing,
                "params": result.params,
                "thresholds": result.thresholds,
                "error": None,
            },
        )
        if not won:  # cancelled meanwhile: the canceller removes the file, not us
            log.info("task %s finished training after it had ended; its model is dropped", task_id)
            return
        artifact = self._artifact(task_id)
        if artifact is not None:
            ownership.release(artifact)
        log.info("task %s succeeded in %.1fs", task_id, result.train_seconds)
        if outcome.then is not None:
            try:
                message = outcome.then()
            except Exception as exc:
                log.exception("task %s: what follows its success failed", task_id)
                message = f"{outcome.message}; then failed: {exc}"
            self.registry.update_task(task_id, message=message)

    def _judged(self, task_id: str, result: TrainResult) -> "Outcome":
        judge = self._judges.pop(task_id, None)
        artifact = self._artifact(task_id)
        if judge is None or artifact is None:
            return Outcome()
        try:
            return judge(artifact, result)
        except Exception as exc:
            log.exception("task %s: judging the trained version failed", task_id)
            return Outcome(message=f"done; judging it failed: {exc}")

    def _end(self, task_id: str, status: TaskStatus, message: str, error: str) -> bool:
        """End an active task without a model, if no one else has ended it: the task and
        its model change in one transaction, and only the winner stops the job (if it still
        runs) and removes the model's file, once its worker can write no more (see
        `ownership`). False when someone else had ended it: then nothing is touched."""
        artifact = self._artifact(task_id)
        won = self.registry.finish_task(
            task_id,
            from_statuses=ACTIVE,
            status=status,
            task_fields={"message": message, "error": error, "finished_at": utcnow()},
            model_fields={
                "status": ModelStatus.CANCELLED
                if status == TaskStatus.CANCELLED
                else ModelStatus.FAILED,
                "error": error,
            },
        )
        if won:
            if self.memory is not None:
                self.memory.forget(task_id)
            self.runner.cancel(task_id)  # terminates its worker; its done callback then loses
            if artifact is not None:
                ownership.discard(artifact)  # waits until that worker can write no more
            log.warning("task %s %s: %s", task_id, status, error)
        return won

    def _over_memory_limit(self, task_id: str, used_bytes: int) -> None:
        """The memory watch's call: the fit's processes hold more than the limit. Ending
        the task terminates its worker (the pool starts another) and removes its file."""
        self._end(
            task_id,
            TaskStatus.FAILED,
            "failed",
            f"training used more than {self.memory_limit_mb:,} MB of memory "
            f"({used_bytes / MIB:,.0f} MB when it was stopped), the limit set by "
            "TRAINING_MEMORY_LIMIT_MB; lower max_features or the n-gram range (Keras: "
            "max_tokens, sequence_length or batch_size), or raise the limit",
        )

    def _artifact(self, task_id: str) -> Path | None:
        task = self.registry.get_task(task_id)
        model = self.registry.get_model(task.model_id) if task and task.model_id else None
        if model is None or not model.artifact_file:
            return None
        return self.models_dir / model.artifact_file

    # cancelling, waiting, recovering
    def cancel(self, task_id: str) -> TaskRecord:
        task = self.registry.get_task(task_id)
        if task is None:
            raise NotFoundError(f"task {task_id} not found")
        if not self._end(task_id, TaskStatus.CANCELLED, "cancelled", "training was cancelled"):
            task = self.registry.get_task(task_id) or task
            raise ConflictError(f"task {task_id} has already finished ({task.status})")
        return self.registry.get_task(task_id) or task

    def stop_ended_elsewhere(self) -> list[str]:
        """Stop the jobs of this replica's pool whose task has ended in the registry (a
        cancel that reached another replica: it won the task's end, and waits for the
        worker's file lock, which terminating the worker releases). Nothing is asked of
        the registry while the pool runs nothing."""
        stopped = []
        for task_id in self.runner.task_ids():
            task = self.registry.get_task(task_id)
            if task is not None and task.status not in ACTIVE and self.runner.cancel(task_id):
                if self.memory is not None:
                    self.memory.forget(task_id)
                log.warning("task %s ended elsewhere (%s); its job stopped", task_id, task.status)
                stopped.append(task_id)
        return stopped

    def wait(self, task_id: str, timeout: float = 3600.0) -> TaskRecord:
        """Block until the task has finished and its outcome is recorded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.registry.get_task(task_id)
            if task is None or task.status.is_finished:
                return task  # type: ignore[return-value]
            time.sleep(0.1)
        raise TimeoutError(f"task {task_id} did not finish in {timeout:.0f}s")

    def recover_interrupted(self) -> None:
        """At start-up, before any fit: the tasks this replica left queued or running (or
        a task from before tasks named their replica) have failed, and so has a model
        still training that no active task trains. Another replica's tasks are its own:
        they run on, and its own start-up recovers them if it dies."""
        for task in self.registry.list_tasks(ACTIVE):
            if self.replica is not None and task.replica not in (None, self.replica):
                continue
            log.warning(
                "task %s was %s when the server stopped; marking it failed", task.id, task.status
            )
            self._end(task.id, TaskStatus.FAILED, "interrupted", INTERRUPTED)
        training = {t.model_id for t in self.registry.list_tasks(ACTIVE)}
        for model in self.registry.list_models():
            if model.status == ModelStatus.TRAINING and model.id not in training:
                self.registry.update_model(model.id, status=ModelStatus.FAILED, error=INTERRUPTED)
