"""The model registry's use cases: list, load into memory, unload, remove."""

import logging
import shutil
import threading
import time
from pathlib import Path

from app.core.errors import ConflictError
from app.ml.artifacts import ArtifactError, bundle_of_derived, load_bundle, remove_artifact
from app.ml.bundle import TrainedModel
from app.registry.base import Registry
from app.registry.entities import ModelRecord
from app.services.change_times import ChangeTimes
from app.services.memory import LoadedModels, Serving
from app.services.references import resolve_model_id, unknown_id
from app.services.sweeps import GRACE_S, left_to_the_sweep, set_aside, younger_than
from app.services.training_specs import require_installed
from app.tasks import ownership
from shared.schemas import ACTIVE_TASK_STATUSES, ModelStatus, ModelSummary

log = logging.getLogger(__name__)


def cutoffs_of(model: ModelRecord) -> dict[str, float] | None:
    """The model's thresholds in force, as {label: threshold}."""
    if model.thresholds is None:
        return None
    return {str(t.label): t.threshold for t in model.thresholds.thresholds}


class ModelService:
    def __init__(self, *, registry: Registry, memory: LoadedModels, models_dir: Path) -> None:
        self.registry = registry
        self.memory = memory
        self.models_dir = models_dir
        self._loading: dict[str, threading.Lock] = {}  # one load per model at a time
        self._guard = threading.Lock()
        # what the replica sync must not undo: loads and unloads made here after its read
        self.changes = ChangeTimes()

    def resolve_id(self, ref: str) -> str:
        """The id of the model that an id, `name@alias` or `name:version` names."""
        return resolve_model_id(self.registry, ref)

    def get(self, ref: str) -> ModelRecord:
        """The model an id or a reference names (404 when none)."""
        model_id = self.resolve_id(ref)
        model = self.registry.get_model(model_id)
        if model is None:
            raise unknown_id(self.registry, model_id)
        return model

    def all(self) -> list[ModelRecord]:
        return self.registry.list_models()

    def page(self, *, limit: int, offset: int) -> tuple[list[ModelSummary], int]:
        """One page of the models as listed, by name and newest version first, and how
        many there are in all."""
        models = self.registry.list_model_summaries(limit=limit, offset=offset)
        return models, self.registry.count_models()

    def read_bundle(self, model: ModelRecord) -> TrainedModel:
        """The model's bundle from disk, after checking its sha256. A file that is missing,
        changed or cannot be loaded (damaged, or stored damaged) is a 409 naming the model."""
        if model.status != ModelStatus.READY or not model.artifact_file:
            raise ConflictError(
                f"model {model.id} is {model.status}, not trained yet"
                + (f": {model.error}" if model.error else "")
            )
        require_installed(model.kind)
        try:
            return load_bundle(
                self.models_dir / model.artifact_file, expected_sha256=model.artifact_sha256 or ""
            )
        except ArtifactError as exc:
            raise ConflictError(
                f"model {model.id} ({model.name} v{model.version}) cannot be loaded: {exc}"
            ) from exc

    def load(self, ref: str) -> ModelRecord:
        model = self.get(ref)
        with self.changes.changing(model.id):
            self.bring_in(model)
            return self.registry.update_model(model.id, loaded=True)

    def bring_in(self, model: ModelRecord, *, why: str = "loaded") -> TrainedModel:
        """The model in this process's memory, read from its bundle unless it is there
        already: one read per model however many threads ask at once (a route, the
        replica sync, a prediction that finds it loaded elsewhere). Every way in puts the
        same bundle with the same thresholds and version, so it predicts the same."""
        with self._guard:
            lock = self._loading.setdefault(model.id, threading.Lock())
        with lock:
            trained = self.memory.get(model.id)
            if trained is None:
                trained = self.read_bundle(model)
                report = model.preprocessing_report
                detected = report.language.detected if report and report.language else None
                self.memory.put(
                    model.id,
                    trained,
                    cutoffs_of(model),
                    version=model.version,
                    language=detected,
                )
                self.changes.touch(model.id)
                log.info("model %s (%s v%d) %s", model.id, model.name, model.version, why)
            return trained

    def let_go(self, model_id: str) -> None:
        """Drop the model from this process's memory (the registry is the caller's)."""
        self.memory.drop(model_id)
        self.changes.touch(model_id)
        with self._guard:
            self._loading.pop(model_id, None)

    def unload(self, ref: str) -> ModelRecord:
        model = self.get(ref)
        with self.changes.changing(model.id):
            self.let_go(model.id)
            return self.registry.update_model(model.id, loaded=False)

    def in_memory(self, model_id: str) -> TrainedModel:
        """A loaded model, for prediction. One that the registry says is loaded but this
        replica has not loaded yet (another replica loaded it, or moved an alias to it, a
        moment ago) is loaded now rather than refused."""
        model = self.memory.get(model_id)
        if model is None:
            record = self.get(model_id)
            if record.loaded and record.status == ModelStatus.READY:
                return self.bring_in(record, why="loaded on demand (loaded by another replica)")
            if record.status != ModelStatus.READY:
                raise ConflictError(
                    f"model {record.id} ({record.name} v{record.version}) is {record.status}, "
                    "not trained yet: it cannot predict"
                    + (f" ({record.error})" if record.error else "")
                )
            raise ConflictError(
                f"model {record.id} ({record.name} v{record.version}) is not loaded; "
                "load it first with POST /api/v1/models/load"
            )
        return model

    def serving(self, model_id: str) -> Serving:
        """The loaded model with its version and thresholds, read at one moment (see
        in_memory)."""
        self.in_memory(model_id)
        serving = self.memory.serving(model_id)
        if serving is None:  # unloaded between the two reads
            raise ConflictError(
                f"model {model_id} was unloaded while the request was being answered; "
                "load it again with POST /api/v1/models/load"
            )
        return serving

    def for_scoring(self, model_id: str) -> TrainedModel:
        """The loaded model, or the bundle read for this one use."""
        return self.memory.get(model_id) or self.read_bundle(self.get(model_id))

    def remove(self, model_id: str) -> None:
        model = self.get(model_id)
        if model.is_default:
            raise ConflictError(f"model {model_id} ({model.name}) is a default model and stays")
        if model.aliases:
            named = ", ".join(f"{model.name}@{alias}" for alias in model.aliases)
            those = "that alias" if len(model.aliases) == 1 else "those aliases"
            raise ConflictError(
                f"model {model_id} ({model.name} v{model.version}) is in use as {named}; "
                f"move or delete {those} first"
            )
        active = self.registry.list_tasks(ACTIVE_TASK_STATUSES)
        if any(t.model_id == model_id for t in active):
            raise ConflictError(f"model {model_id} is still training; cancel its task first")
        with self.changes.changing(model_id):
            self.let_go(model_id)
            self.registry.delete_model(model_id)
        if model.artifact_file:
            path = self.models_dir / model.artifact_file
            with left_to_the_sweep(path, f"model {model_id}"):
                remove_artifact(path)
        log.info("model %s (%s v%d) removed", model_id, model.name, model.version)

    def remove_all(self) -> list[str]:
        removed = []
        for model in self.registry.list_models():
            if model.is_default or model.aliases or model.status == ModelStatus.TRAINING:
                continue
            self.remove(model.id)
            removed.append(model.id)
        return removed

    def reload_loaded(self) -> None:
        """After a restart, load again what was loaded before."""
        for model in self.registry.list_models():
            if not model.loaded:
                continue
            try:
                self.bring_in(model, why="loaded again")
            except ConflictError as exc:
                log.error("model %s could not be loaded again: %s", model.id, exc)
                self.registry.update_model(model.id, loaded=False)

    def clean_up(self, *, grace_s: float = GRACE_S) -> None:
        """The start-up sweep, after this replica's interrupted fits have failed: a model
        file exists only for a READY model, and a READY model without its file has failed.
        Files a crash left behind (a worker killed mid-write, a server killed mid-fit) go
        here, never on a timer.

        Several replicas share MODELS_DIR, so what belongs to a fit still in progress is
        kept: the files (bundle, lock file, staging folder) of a model still TRAINING in
        the registry (after this replica's recovery, only another replica's fits are), and
        a file of a model the registry does not know yet if it is younger than `grace_s`
        (a fit being queued creates its lock file a moment before its record). An older
        bundle of a model the registry does not know at all is set aside, not deleted
        (`sweeps.set_aside`)."""
        self.models_dir.mkdir(parents=True, exist_ok=True)
        files = list(self.models_dir.iterdir())  # before the records: a newer file is young
        owned = set()
        training = set()
        models = self.registry.list_models()
        known = {model.id for model in models}
        for model in models:
            if model.status == ModelStatus.TRAINING:
                training.add(model.id)
            if model.status != ModelStatus.READY or not model.artifact_file:
                continue
            if (self.models_dir / model.artifact_file).is_file():
                owned.add(model.artifact_file)
                continue
            log.error("model %s is ready but its file is missing; marking it failed", model.id)
            self.registry.update_model(
                model.id, status=ModelStatus.FAILED, loaded=False, error="its model file is missing"
            )
        now = time.time()
        for file in files:
            model_id = _model_id_of(file.name)
            if model_id in training or (model_id not in known and younger_than(file, grace_s, now)):
                continue
            if file.name.startswith("."):
                if file.is_dir() or file.name.endswith(ownership.LOCK_SUFFIX):
                    log.warning("removing %s, left by a fit that did not finish", file)
                    shutil.rmtree(file, ignore_errors=True) if file.is_dir() else file.unlink()
            elif (file.suffix == ".zip" and file.name not in owned) or (
                (bundle := bundle_of_derived(file.name)) and bundle not in owned
            ):
                if model_id not in known:  # maybe another registry's: kept, out of the way
                    set_aside(file, "the registry has no model of it")
                else:
                    log.warning("removing %s, which no ready model owns", file)
                    file.unlink()


def _model_id_of(name: str) -> str:
    """The model id a file in MODELS_DIR belongs to: `<id>.zip`, `<id>.zip.<derived>`,
    `.<id>.lock`, `.<id>.<staging>`."""
    return name.lstrip(".").split(".", 1)[0]
