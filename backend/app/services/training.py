"""Training use cases: accept a fit, follow it through the pool, cancel it, recover the
fits a stopped server left (this replica before a restart, or another replica that stopped
beating: `heartbeats`); how a fit ends (once, with its model's file) is `fit_endings`.
"""

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.errors import MODELS_FOLDER, ConflictError, NotFoundError, message_of, storage_error
from app.ml.training import TrainSpec
from app.registry.base import Registry
from app.registry.entities import DatasetRecord, ModelRecord, TaskRecord
from app.registry.tables import utcnow
from app.services import task_ends
from app.services.datasets import DatasetService
from app.services.fit_endings import INTERRUPTED, FitEndings, Judge
from app.services.heartbeats import Heartbeat
from app.services.multilabel_checks import check_label_columns
from app.services.training_specs import check_fit_labels, fit_record, manifest_of, require_installed
from app.tasks import ownership
from app.tasks.executor import Runner
from app.tasks.progress import progress_fields
from app.tasks.runner import TrainingRunner
from shared.schemas import (
    ACTIVE_TASK_STATUSES,
    INTERRUPTED_BY_RESTART,
    FitRequest,
    ModelStatus,
    TaskStatus,
)

log = logging.getLogger(__name__)


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
        heartbeat: Heartbeat | None = None,
        runner: Runner | None = None,
    ) -> None:
        """`runner` runs the jobs elsewhere (a `DaskRunner`); by default the local pools."""
        self.registry = registry
        # whose interrupted tasks the start-up recovery ends: this replica's (every task
        # names the replica that queued it: the registry stamps it); None: every task (a
        # registry only one process uses, SQLite)
        self.replica = replica
        # the replicas' heartbeats (a shared registry): the tasks of one that stopped are
        # ended here too, at start-up and whenever `end_orphaned` is called
        self.heartbeat = heartbeat
        self.max_classes = max_classes
        self.datasets = datasets
        self.models_dir = models_dir
        self.runner: Runner = runner or TrainingRunner(
            workers, self.handle_event, idle_seconds=idle_seconds
        )
        self.endings = FitEndings(
            registry=registry,
            models_dir=models_dir,
            datasets_dir=datasets.datasets_dir,
            runner=self.runner,
            memory_limit_mb=memory_limit_mb,
        )
        self.memory = self.endings.memory  # started and stopped here, tracked as fits start

    def start(self) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        self.recover_interrupted()
        self.runner.start()
        if self.memory is not None:
            self.memory.start()

    def stop(self) -> None:
        if self.memory is not None:
            self.memory.stop()
        self.runner.stop()  # running tasks end as failed ("interrupted") in endings.finished

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
        judge: Judge | None = None,
    ) -> tuple[TaskRecord, ModelRecord]:
        """Store `record` as the next version of its name with a queued task on `dataset`,
        and submit the job `make_spec` describes (a fit, a retrain, a continuation). A
        `judge` looks at the trained bundle before the task ends (`fit_endings.Outcome`)."""
        artifact = self.models_dir / f"{record.id}.zip"
        try:  # before the task exists, so a cancel always finds it
            ownership.create(artifact)
        except OSError as exc:
            raise storage_error(exc, "the fit could not be queued", MODELS_FOLDER) from exc
        try:  # the dataset is checked again where the rows are stored, with them
            model, task = self.registry.add_training(
                record,
                TaskRecord.new(
                    model_id=record.id,
                    model_name=record.name,
                    dataset_id=dataset.id,
                    message="waiting for a free worker",
                ),
            )
        except Exception:
            ownership.release(artifact)
            raise
        if judge is not None:
            self.endings.add_judge(task.id, judge)
        try:
            self.runner.submit(task.id, make_spec(model, artifact), self.endings.finished)
        except Exception as exc:
            self.endings.end(
                task.id, TaskStatus.FAILED, "failed", f"training could not start: {message_of(exc)}"
            )
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
            # watched first, so that a registry that cannot take the start (the fit runs
            # on) does not leave the fit outside the memory limit
            if self.memory is not None:
                self.memory.track(task_id, event[2])
            started = self.registry.update_task(
                task_id,
                only_if=[TaskStatus.QUEUED],
                status=TaskStatus.RUNNING,
                started_at=utcnow(),
                message="starting",
                worker=f"local pid {event[2]}",
            )
            if started is None:  # ended before this event was read: still say where it ran
                if self.memory is not None:
                    self.memory.forget(task_id)
                self.registry.update_task(task_id, worker=f"local pid {event[2]}")
            log.info("task %s running in process %s", task_id, event[2])
        elif kind == "progress":
            self.registry.update_task(
                task_id,
                only_if=[TaskStatus.RUNNING],
                **progress_fields(*event[2:]),
            )

    # cancelling, waiting, recovering
    def cancel(self, task_id: str) -> TaskRecord:
        task = self.registry.get_task(task_id)
        if task is None:
            raise NotFoundError(f"task {task_id} not found")
        if not self.endings.end(
            task_id, TaskStatus.CANCELLED, "cancelled", "training was cancelled"
        ):
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
            if (
                task is not None
                and task.status not in ACTIVE_TASK_STATUSES
                and self.runner.cancel(task_id)
            ):
                if self.memory is not None:
                    self.memory.forget(task_id)
                log.warning("task %s ended elsewhere (%s); its job stopped", task_id, task.status)
                stopped.append(task_id)
        return stopped

    def wait(self, task_id: str, timeout: float = 3600.0) -> TaskRecord:
        """Block until the task has finished and its outcome is recorded."""
        return task_ends.wait_until_finished(self.registry, task_id, timeout=timeout, poll_s=0.1)

    def recover_interrupted(self) -> None:
        """At start-up, before any fit: the tasks no live replica follows have failed
        (`end_orphaned`), and so has a model still training that no active task trains."""
        self.end_orphaned(at_start_up=True)
        training = {t.model_id for t in self.registry.list_tasks(ACTIVE_TASK_STATUSES)}
        for model in self.registry.list_models():
            if model.status == ModelStatus.TRAINING and model.id not in training:
                self.registry.update_model(model.id, status=ModelStatus.FAILED, error=INTERRUPTED)

    def end_orphaned(self, *, at_start_up: bool = False) -> list[TaskRecord]:
        """End as failed, with their models, the queued or running tasks that the replica
        which queued them no longer follows. At start-up, this replica's own (it left them
        when it stopped) and those from before tasks named their replica; at any time,
        those of another replica that has stopped beating (`heartbeat`), with why. A live
        replica's tasks are its own. Returns the tasks ended here, as ended (a task that
        another caller ended first, e.g. another replica taking over too, is not)."""
        if not at_start_up and self.heartbeat is None:
            return []
        tasks = self.registry.list_tasks(ACTIVE_TASK_STATUSES)
        stopped: dict[str, str] = {}
        if self.heartbeat is not None:
            stopped = self.heartbeat.stopped({t.replica for t in tasks if t.replica is not None})
        ended = []
        for task in tasks:
            error = self._orphaned_because(task, stopped, at_start_up=at_start_up)
            if error is None:
                continue
            log.warning("task %s was %s; marking it failed: %s", task.id, task.status, error)
            # at start-up, its own message: when its replica stopped is not known (the
            # end's moment is this start's), see INTERRUPTED_BY_RESTART
            message = INTERRUPTED_BY_RESTART if at_start_up else "interrupted"
            if self.endings.end(task.id, TaskStatus.FAILED, message, error):
                ended.append(task.model_copy(update={"status": TaskStatus.FAILED, "error": error}))
        return ended

    def _orphaned_because(
        self, task: TaskRecord, stopped: dict[str, str], *, at_start_up: bool
    ) -> str | None:
        """Why no replica follows the task any more; None while one does."""
        if self.replica is None or task.replica in (None, self.replica):
            # this replica's own (its previous run's), or from before tasks named theirs
            return INTERRUPTED if at_start_up else None
        return stopped.get(task.replica)
