"""Convergence of the loaded models: the registry's `models.loaded` is the desired state,
and every API replica serves that set.

A thread per replica reads, every REPLICA_SYNC_INTERVAL_MS, the ids and versions of the
ready models marked loaded (one SELECT) and compares them with this process's memory:
it loads what is missing (through `ModelService.bring_in`, the same path as a load by the
route, so a model loaded here predicts exactly as one loaded there) and lets go of what
is no longer loaded, or was removed. A load, unload or removal on another replica takes
effect here within one interval (plus the time to read the bundle).

A change this process made itself after the state was read, or is still making, is never
undone by that state (`ModelService.changes`, a `ChangeTimes`). A model that fails to
load is logged once and tried again only after its record changes (another version, or
loaded again).

The same thread lets go of the retrievers this replica holds open that are no longer
loaded and ready in the registry (unloaded or removed on another replica), closing them
and, with embedded storage, releasing their shard's lock for whichever replica loads them
next. It opens none: a retriever marked loaded is opened where a query asks for it
(`RetrieverService.in_memory`), since an embedded shard serves one process and every
replica opening it would fight over it. Its own newer change is kept as for models
(`RetrieverService.changes`).

It also stops this replica's fits whose task another replica has ended (a cancel that
reached it): `TrainingService.stop_ended_elsewhere`; and ends the tasks of the replicas
that stopped beating (`heartbeats`), with their models and retrievers: `end_orphaned`.
Of two replicas that find the same stopped one, each task's end has one winner."""

import logging
import threading
import time

from app.core.errors import AppError
from app.registry.entities import TaskRecord
from app.services.models import ModelService
from app.services.retrievers import RetrieverService
from app.services.training import TrainingService

log = logging.getLogger(__name__)


class ReplicaSync:
    def __init__(
        self,
        *,
        models: ModelService,
        interval_s: float,
        training: TrainingService | None = None,
        retrievers: RetrieverService | None = None,
    ) -> None:
        self.models = models
        self.training = training
        self.retrievers = retrievers
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failed: dict[str, int] = {}  # id -> version that failed to load (logged once)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="replica-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
                self.let_go_retrievers()
                if self.training is not None:
                    self.training.stop_ended_elsewhere()
                    self.end_orphaned()
            except Exception as exc:  # a registry that is down for a moment: try again
                log.warning("replica sync: could not compare with the registry: %s", exc)

    def tick(self) -> tuple[list[str], list[str]]:
        """One comparison: (ids loaded, ids let go)."""
        read_at = time.monotonic()
        wanted = self.models.registry.loaded_model_versions()
        held = self.models.memory.ids()
        untouched = self.models.changes.untouched_since
        loaded = [i for i in wanted if i not in held and untouched(i, read_at)]
        dropped = [i for i in held if i not in wanted and untouched(i, read_at)]
        for model_id in dropped:
            self.models.let_go(model_id)
            log.info("model %s let go: it is no longer loaded in the registry", model_id)
        done = []
        for model_id in loaded:
            if self._failed.get(model_id) == wanted[model_id]:
                continue
            if self._bring_in(model_id):
                done.append(model_id)
        for model_id in list(self._failed):
            if model_id not in wanted:
                del self._failed[model_id]
        return done, dropped

    def let_go_retrievers(self) -> list[str]:
        """Close the retrievers held here that the registry no longer has loaded and ready;
        their ids."""
        if self.retrievers is None:
            return []
        read_at = time.monotonic()
        wanted = self.retrievers.store.loaded_ids()
        untouched = self.retrievers.changes.untouched_since
        held = self.retrievers.held()
        dropped = [i for i in held if i not in wanted and untouched(i, read_at)]
        for retriever_id in dropped:
            self.retrievers.let_go(retriever_id)
            log.info("retriever %s let go: it is no longer loaded in the registry", retriever_id)
        return dropped

    def end_orphaned(self) -> list[TaskRecord]:
        """End the tasks of the replicas that stopped, as this replica's start-up ends its
        own (`TrainingService.end_orphaned`, then the retrievers they were fitting)."""
        if self.training is None:
            return []
        ended = self.training.end_orphaned()
        if ended and self.retrievers is not None:
            self.retrievers.fits.recover(ended)
        return ended

    def _bring_in(self, model_id: str) -> bool:
        record = self.models.registry.get_model(model_id)
        if record is None or not record.loaded:
            return False  # removed or unloaded meanwhile
        try:
            self.models.bring_in(record, why="loaded: the registry says it is loaded")
        except AppError as exc:
            self._failed[model_id] = record.version
            log.error("model %s could not be loaded on this replica: %s", model_id, exc)
            return False
        return True
