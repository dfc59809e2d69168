"""Training use cases: accept a fit, follow it through the pool, record the outcome."""

import logging
import threading
import time
import uuid
from concurrent.futures import CancelledError, Future
from pathlib import Path
from typing import Any

from pebble import ProcessExpired

from app.core.errors import ConflictError, InvalidInputError, NotFoundError
from app.ml.artifacts import remove_artifact
from app.ml.labels import normalise_labels
from app.ml.training import TrainingError, TrainResult, TrainSpec, check_splittable
from app.registry.base import Registry
from app.registry.entities import ModelRecord, TaskRecord
from app.registry.tables import utcnow
from app.services.datasets import DatasetService
from app.tasks.runner import TrainingRunner
from shared.schemas import FitRequest, ModelStatus, TaskStatus

log = logging.getLogger(__name__)

ACTIVE = (TaskStatus.QUEUED, TaskStatus.RUNNING)
INTERRUPTED = "the server stopped while this task was running; start the fit again"


class TrainingService:
    def __init__(
        self,
        *,
        registry: Registry,
        datasets: DatasetService,
        models_dir: Path,
        workers: int,
    ) -> None:
        self.registry = registry
        self.datasets = datasets
        self.models_dir = models_dir
        self.runner = TrainingRunner(workers, self.handle_event)
        self._stopping = False

    def start(self) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        self.recover_interrupted()
        self.runner.start()

    def stop(self) -> None:
        self._stopping = True
        self.runner.stop()

    # accepting a fit
    def fit(
        self, request: FitRequest, *, is_default: bool = False
    ) -> tuple[TaskRecord, ModelRecord]:
        dataset = self.datasets.get(request.dataset_id)
        self.datasets.require_columns(dataset, request.text_column, request.label_column)
        self._check_labels(request)
        model_id = uuid.uuid4().hex
        model = self.registry.add_model_version(
            ModelRecord(
                id=model_id,
                name=request.name,
                version=0,
                kind=request.kind,
                description=request.description,
                status=ModelStatus.TRAINING,
                is_default=is_default,
                loaded=False,
                params=request.params.to_public(),
                preprocessing=request.preprocessing,
                dataset_id=dataset.id,
                text_column=request.text_column,
                label_column=request.label_column,
                classes=[],
                metrics=None,
                train_seconds=None,
                test_size=request.test_size,
                random_state=request.random_state,
                created_at=utcnow(),
                artifact_file=f"{model_id}.zip",
            )
        )
        task = self.registry.add_task(
            TaskRecord(
                id=uuid.uuid4().hex,
                model_id=model.id,
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
        spec = TrainSpec(
            dataset_path=str(self.datasets.file_path(dataset.id)),
            kind=request.kind,
            params=request.params.to_public(),
            preprocessing=request.preprocessing.model_dump(),
            text_column=request.text_column,
            label_column=request.label_column,
            test_size=request.test_size,
            random_state=request.random_state,
            artifact_path=str(self.models_dir / f"{model.id}.zip"),
            manifest={"model_id": model.id, "name": model.name, "version": model.version},
        )
        self.runner.submit(task.id, spec, self._finished)
        log.info("task %s queued: fit %s v%d (%s)", task.id, model.name, model.version, model.kind)
        return task, model

    def _check_labels(self, request: FitRequest) -> None:
        frame = self.datasets.read_columns(request.dataset_id, request.label_column)
        labels = [v for v in normalise_labels(frame[request.label_column]) if v != ""]
        try:
            check_splittable(labels, request.test_size)
        except TrainingError as exc:
            raise InvalidInputError(f"label column {request.label_column!r}: {exc}") from exc

    # following it
    def handle_event(self, event: tuple[Any, ...]) -> None:
        kind, task_id = event[0], event[1]
        if kind == "started":
            self.registry.update_task(
                task_id,
                only_if=[TaskStatus.QUEUED],
                status=TaskStatus.RUNNING,
                started_at=utcnow(),
                message="starting",
            )
            log.info("task %s running in process %s", task_id, event[2])
        elif kind == "progress":
            self.registry.update_task(
                task_id,
                only_if=[TaskStatus.RUNNING],
                progress=round(event[2], 4),
                message=event[3],
            )

    def _finished(self, task_id: str, future: Future) -> None:
        task = self.registry.get_task(task_id)
        if task is None or task.model_id is None:
            return
        try:
            result: TrainResult = future.result()
        except CancelledError:
            if self._stopping:
                self._fail(task, TaskStatus.FAILED, "interrupted", INTERRUPTED)
            else:
                self._fail(task, TaskStatus.CANCELLED, "cancelled", "training was cancelled")
        except TrainingError as exc:
            self._fail(task, TaskStatus.FAILED, "failed", str(exc))
        except ProcessExpired as exc:
            self._fail(
                task,
                TaskStatus.FAILED,
                "failed",
                f"the training process died (exit code {exc.exitcode}); "
                "it may have run out of memory",
            )
        except Exception as exc:
            log.error("task %s crashed: %s\n%s", task_id, exc, getattr(exc, "traceback", ""))
            self._fail(task, TaskStatus.FAILED, "failed", f"training failed: {exc}")
        else:
            self.registry.update_model(
                task.model_id,
                status=ModelStatus.READY,
                classes=result.classes,
                metrics=result.metrics,
                history=result.history,
                train_seconds=result.train_seconds,
                artifact_sha256=result.artifact_sha256,
                error=None,
            )
            self.registry.update_task(
                task_id,
                only_if=ACTIVE,
                status=TaskStatus.SUCCEEDED,
                progress=1.0,
                message="done",
                finished_at=utcnow(),
            )
            log.info("task %s succeeded in %.1fs", task_id, result.train_seconds)

    def _fail(self, task: TaskRecord, status: TaskStatus, message: str, error: str) -> None:
        assert task.model_id is not None
        model = self.registry.get_model(task.model_id)
        if model is not None:
            if model.artifact_file:
                path = self.models_dir / model.artifact_file
                remove_artifact(path)
                # a terminated worker may have been mid-rename: look once more shortly
                threading.Timer(2.0, remove_artifact, args=(path,)).start()
            self.registry.update_model(model.id, status=ModelStatus.FAILED, error=error)
        self.registry.update_task(
            task.id,
            only_if=ACTIVE,
            status=status,
            message=message,
            error=error,
            finished_at=utcnow(),
        )
        log.warning("task %s %s: %s", task.id, status, error)

    # cancelling, waiting, recovering
    def cancel(self, task_id: str) -> TaskRecord:
        task = self.registry.get_task(task_id)
        if task is None:
            raise NotFoundError(f"task {task_id} not found")
        if task.status.is_finished:
            raise ConflictError(f"task {task_id} has already finished ({task.status})")
        if not self.runner.cancel(task_id):
            # not ours to stop (e.g. it just finished); report what the registry says now
            task = self.registry.get_task(task_id) or task
            if task.status.is_finished:
                raise ConflictError(f"task {task_id} has already finished ({task.status})")
            self._fail(task, TaskStatus.CANCELLED, "cancelled", "training was cancelled")
        return self.registry.get_task(task_id) or task

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
        for task in self.registry.list_tasks(ACTIVE):
            log.warning(
                "task %s was %s when the server stopped; marking it failed", task.id, task.status
            )
            self._fail(task, TaskStatus.FAILED, "interrupted", INTERRUPTED)
        for model in self.registry.list_models():
            if model.status == ModelStatus.TRAINING:
                self.registry.update_model(model.id, status=ModelStatus.FAILED, error=INTERRUPTED)
