"""Scores of an uploaded unlabelled dataset, for its hard examples: a task (kind
`hard_examples_scoring`, progress on the Tasks page) scores every row of a text column with
a model in a server thread and writes the probabilities to `DATASETS_DIR/.scores/` (one
.npz per model, dataset and column, written whole or not at all); the ranking
(`hard_examples.py`) reads them back."""

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from app.core.errors import ConflictError
from app.ml.progress import Pace
from app.registry.base import Registry
from app.registry.entities import DatasetRecord, ModelRecord, TaskRecord
from app.services import task_ends
from app.services.datasets import DatasetService
from app.services.models import ModelService
from app.tasks.progress import progress_fields
from shared.csv_format import read_frames
from shared.schemas import TaskStatus

SCORING_TASK = "hard_examples_scoring"
SCORING_CHUNK = 2_000  # rows scored per step of a dataset (one progress report each)
SCORES_FOLDER = ".scores"


class DatasetScores:
    def __init__(self, *, registry: Registry, models: ModelService, datasets: DatasetService):
        self.registry = registry
        self.models = models
        self.datasets = datasets
        self.scores_dir = datasets.datasets_dir / SCORES_FOLDER
        self._running: dict[Path, str] = {}  # a score file being written -> its task
        self._lock = threading.Lock()

    def start(self, model: ModelRecord, dataset: DatasetRecord, text_column: str) -> TaskRecord:
        """Queue the scoring of every row of the column (a task; 409 while the same model,
        dataset and column are being scored)."""
        path = self.score_file(model.id, dataset.id, text_column)
        task = TaskRecord.new(
            kind=SCORING_TASK,
            running=True,  # in a thread of this server, started at once
            # no model_id: a fit's task owns its model; this one only reads it
            model_name=model.name,
            model_version=model.version,
            dataset_id=dataset.id,
            message=f"scoring {dataset.rows:,} rows of {text_column!r}",
        )
        with self._lock:
            running = self._running.get(path)
            if running is not None:
                raise ConflictError(
                    f"dataset {dataset.id}'s column {text_column!r} is being scored by "
                    f"model {model.id} already (task {running})"
                )
            self._running[path] = task.id
        try:
            task = self.registry.add_task(task)
            threading.Thread(
                target=self._run_scoring,
                args=(task.id, model, dataset.id, text_column, dataset.rows, path),
                name=f"scoring-{task.id[:8]}",
                daemon=True,
            ).start()
        except BaseException:
            with self._lock:
                self._running.pop(path, None)
            raise
        return task

    def read(
        self, model: ModelRecord, dataset_id: str, text_column: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The scored rows' positions, their probabilities and the classes; 409 while the
        scoring runs or before it."""
        path = self.score_file(model.id, dataset_id, text_column)
        with self._lock:
            running = self._running.get(path)
        if running is not None:
            raise ConflictError(
                f"model {model.id} is still scoring dataset {dataset_id}'s column "
                f"{text_column!r} (task {running}); ask again when the task has finished"
            )
        if not path.is_file():
            raise ConflictError(
                f"model {model.id} has not scored dataset {dataset_id}'s column "
                f"{text_column!r} yet; start it with POST "
                f"/api/v1/models/{model.id}/hard_examples/datasets/{dataset_id}"
            )
        with np.load(path, allow_pickle=False) as stored:
            return stored["rows"], stored["proba"], stored["classes"]

    def score_file(self, model_id: str, dataset_id: str, text_column: str) -> Path:
        """Where a model's scores of a dataset's column are kept (the column hashed: any
        name makes a safe file name)."""
        column = hashlib.sha256(text_column.encode()).hexdigest()[:16]
        return self.scores_dir / f"{model_id}.{dataset_id}.{column}.npz"

    def clean_up(self) -> None:
        """At start-up: remove score files whose model or dataset is gone, and any a crash
        left half-written."""
        if not self.scores_dir.is_dir():
            return
        files = list(self.scores_dir.iterdir())
        models = {m.id for m in self.registry.list_models()}
        datasets = {d.id for d in self.registry.list_datasets()}
        # another replica's scoring still running writes `.<file>.<task id>.part`: it stays
        running = {t.id for t in self.registry.list_tasks([TaskStatus.RUNNING])}
        for file in files:
            parts = file.name.split(".")
            whole = len(parts) == 4 and parts[3] == "npz"
            if not whole and file.name.endswith(".part") and parts[-2] in running:
                continue
            if not whole or parts[0] not in models or parts[1] not in datasets:
                file.unlink(missing_ok=True)

    # -- the scoring task ------------------------------------------------------------------
    def _run_scoring(
        self,
        task_id: str,
        model: ModelRecord,
        dataset_id: str,
        text_column: str,
        total: int,
        path: Path,
    ) -> None:
        def score() -> str:
            try:
                done = self._score(task_id, model, dataset_id, text_column, total, path)
            finally:  # before the task ends: whoever sees it ended may score again
                with self._lock:
                    self._running.pop(path, None)
            return f"{done:,} rows scored"

        task_ends.run_to_end(self.registry, task_id, "scoring task", score)

    def _score(
        self,
        task_id: str,
        model: ModelRecord,
        dataset_id: str,
        text_column: str,
        total: int,
        path: Path,
    ) -> int | None:
        """Score the column chunk by chunk (a text that is empty gets no score) and write
        the file; None when the task was cancelled meanwhile (nothing written)."""
        trained = self.models.for_scoring(model.id)
        rows: list[np.ndarray] = []
        probas: list[np.ndarray] = []
        seen = 0
        pace = Pace()
        source = self.datasets.file_path(dataset_id)
        for frame in read_frames(source, [text_column], chunk_rows=SCORING_CHUNK):
            texts = frame[text_column].tolist()
            filled = [i for i, text in enumerate(texts) if text.strip()]
            probas.append(trained.predict_proba([texts[i] for i in filled]).astype(np.float32))
            rows.append(np.asarray(filled, dtype=np.int64) + seen)
            seen += len(texts)
            done = min(seen / max(total, 1), 0.99)
            if (
                self.registry.update_task(
                    task_id,
                    only_if=[TaskStatus.RUNNING],
                    **progress_fields(
                        done, f"{seen:,} of {total:,} rows scored", pace.seconds_left(done)
                    ),
                )
                is None
            ):
                return None  # cancelled
        classes = np.array([str(c) for c in trained.classes])
        proba = np.concatenate(probas) if probas else np.zeros((0, len(classes)), np.float32)
        self.scores_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{task_id}.part")
        with partial.open("wb") as out:
            np.savez(
                out,
                rows=np.concatenate(rows) if rows else np.zeros(0, np.int64),
                proba=proba,
                classes=classes,
            )
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
        return int(proba.shape[0])
