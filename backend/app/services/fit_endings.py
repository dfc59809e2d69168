"""The end of a classifier fit: its job's result or failure, a judge's outcome, a cancel,
the memory limit, all recorded once.

A task ends once: whoever moves it from queued/running to succeeded, failed or cancelled
(the job's end, a cancel, the shutdown, the start-up recovery) does so in one conditional
transaction with its model's state, and only that winner touches the model's file.
Accepting, following and cancelling a fit is `training.TrainingService`.
"""

import logging
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pebble import ProcessExpired

from app.core.errors import (
    DATASETS_FOLDER,
    MODELS_FOLDER,
    is_refused,
    message_of,
    storage_error,
)
from app.ml.training import TrainResult
from app.ml.training_data import TrainingError
from app.registry.base import Registry
from app.registry.retries import retrying
from app.services import task_ends
from app.tasks import ownership
from app.tasks.executor import Runner
from app.tasks.memory import MemoryWatch
from shared.schemas import ACTIVE_TASK_STATUSES, ModelStatus, TaskStatus

log = logging.getLogger(__name__)

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


class FitEndings:
    def __init__(
        self,
        *,
        registry: Registry,
        models_dir: Path,
        datasets_dir: Path,
        runner: Runner,
        memory_limit_mb: int | None = None,
    ) -> None:
        """`memory_limit_mb`: a watch over the running fits' memory ends a fit over it."""
        self.registry = registry
        self.models_dir = models_dir
        self.datasets_dir = datasets_dir
        self.runner = runner
        self.memory_limit_mb = memory_limit_mb
        self.memory = (
            MemoryWatch(memory_limit_mb * MIB, self._over_memory_limit)
            if memory_limit_mb is not None
            else None
        )
        self._judges: dict[str, Judge] = {}

    def add_judge(self, task_id: str, judge: Judge) -> None:
        """Have `judge` look at the task's trained bundle before the task succeeds."""
        self._judges[task_id] = judge

    def finished(self, task_id: str, future: "Future[TrainResult]") -> None:
        """pebble's done callback: end the task as its job ended, unless someone (a
        cancel, the shutdown) ended it first; then this does nothing at all."""
        if self.memory is not None:
            self.memory.forget(task_id)
        try:
            result: TrainResult = future.result()
        except CancelledError:  # whoever cancelled it has ended it; the shutdown has not
            self.end(task_id, TaskStatus.FAILED, "interrupted", INTERRUPTED)
        except TrainingError as exc:
            self.end(task_id, TaskStatus.FAILED, "failed", str(exc))
        except ProcessExpired as exc:
            self.end(
                task_id,
                TaskStatus.FAILED,
                "failed",
                f"the training process died (exit code {exc.exitcode}); "
                "it may have run out of memory",
            )
        except Exception as exc:
            if isinstance(exc, OSError) and (folder := self._data_folder_of(exc)):
                # the operator's to fix: no traceback, no path (the log has it)
                log.error("task %s failed on a file of its %s: %s", task_id, folder, exc)
                error = self._folder_error(exc, folder)
            else:
                log.error("task %s crashed: %s\n%s", task_id, exc, getattr(exc, "traceback", ""))
                error = f"training failed: {message_of(exc)}"
            self.end(task_id, TaskStatus.FAILED, "failed", error)
        else:
            self._succeed(task_id, result)

    def _succeed(self, task_id: str, result: TrainResult) -> None:
        outcome = self._judged(task_id, result)
        won = task_ends.succeed(
            self.registry,
            task_id,
            outcome.message,
            from_statuses=ACTIVE_TASK_STATUSES,
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

    def _judged(self, task_id: str, result: TrainResult) -> Outcome:
        judge = self._judges.pop(task_id, None)
        artifact = self._artifact(task_id)
        if judge is None or artifact is None:
            return Outcome()
        try:
            return judge(artifact, result)
        except Exception as exc:
            log.exception("task %s: judging the trained version failed", task_id)
            return Outcome(message=f"done; judging it failed: {exc}")

    def end(self, task_id: str, status: TaskStatus, message: str, error: str) -> bool:
        """End an active task without a model, if no one else has ended it: the task and
        its model change in one transaction, and only the winner stops the job (if it still
        runs) and removes the model's file, once its worker can write no more (see
        `ownership`). False when someone else had ended it: then nothing is touched."""
        artifact = self._artifact(task_id)
        won = task_ends.end_without_result(
            self.registry,
            task_id,
            status,
            from_statuses=ACTIVE_TASK_STATUSES,
            message=message,
            error=error,
            model_fields={
                "status": ModelStatus.CANCELLED
                if status == TaskStatus.CANCELLED
                else ModelStatus.FAILED,
                "error": error,
            },
        )
        if won:
            self._judges.pop(task_id, None)  # no model to judge
            if self.memory is not None:
                self.memory.forget(task_id)
            self.runner.cancel(task_id)  # terminates its worker; its done callback then loses
            if artifact is not None:
                try:
                    ownership.discard(artifact)  # waits until that worker can write no more
                except OSError as exc:  # a folder it may not write: the task has ended
                    log.warning(
                        "task %s: its model's files could not be removed (%s); the next "
                        "start-up removes them",
                        task_id, exc,
                    )  # fmt: skip
            log.warning("task %s %s: %s", task_id, status, error)
        return won

    def _over_memory_limit(self, task_id: str, used_bytes: int) -> None:
        """The memory watch's call: the fit's processes hold more than the limit. Ending
        the task terminates its worker (the pool starts another) and removes its file."""
        self.end(
            task_id,
            TaskStatus.FAILED,
            "failed",
            f"training used more than {self.memory_limit_mb:,} MB of memory "
            f"({used_bytes / MIB:,.0f} MB when it was stopped), the limit set by "
            "TRAINING_MEMORY_LIMIT_MB; lower max_features or the n-gram range (Keras: "
            "max_tokens, sequence_length or batch_size), or raise the limit",
        )

    def _data_folder_of(self, exc: OSError) -> str | None:
        """The data folder (by its setting) of the file an OS error names: MODELS_DIR (the
        bundle, its staging folder or lock; a parent's bundle) or DATASETS_DIR (the rows);
        None for a file elsewhere, or none."""
        filename = exc.filename
        if not isinstance(filename, str | Path):
            return None
        for folder, name in (
            (self.models_dir, MODELS_FOLDER),
            (self.datasets_dir, DATASETS_FOLDER),
        ):
            if Path(filename).is_relative_to(folder):
                return name
        return None

    @staticmethod
    def _folder_error(exc: OSError, folder: str) -> str:
        """What the task says of an OS error in a data folder, for the user: the folder by
        its setting, never the path (the log has it). A refusal is worded as every storage
        error is (a fit reads the datasets and writes in the models folder)."""
        if is_refused(exc):
            reading = folder == DATASETS_FOLDER
            return storage_error(exc, "training failed", folder, reading=reading).detail
        reason = (exc.strerror or type(exc).__name__).lower()
        return f"training failed: {reason} in its {folder} (the server's log names the file)"

    def _artifact(self, task_id: str) -> Path | None:
        stopping = self.registry.stopping
        task = retrying(
            lambda: self.registry.get_task(task_id), what=f"reading task {task_id}", until=stopping
        )
        if task is None or not task.model_id:
            return None
        model_id = task.model_id
        model = retrying(
            lambda: self.registry.get_model(model_id), what=f"reading {model_id}", until=stopping
        )
        if model is None or not model.artifact_file:
            return None
        return self.models_dir / model.artifact_file
