"""Retrievers: read, load, query-ready in memory, remove; their fits are `retriever_fits`.

A retriever's folder (RETRIEVERS_DIR/<id>) holds its encoder and, embedded, its Qdrant
Edge shard; with QDRANT_URL its vectors are the server's collection `retriever_<id>`.
The worker writes the shard and closes it; afterwards one API process at a time opens it
(`retriever_shards.py`). `retrievers.loaded` is what the replicas follow: a query opens a
retriever marked loaded on demand, and the replica sync lets go of one no longer loaded.
"""

import logging
import threading

from app.core.errors import AppError, ConflictError, NotFoundError
from app.ml.retrieval.index import LoadedRetriever
from app.registry.base import Registry
from app.registry.retrievers import RetrieverRecord, SqlRetrievers
from app.services.change_times import ChangeTimes
from app.services.datasets import DatasetService
from app.services.retriever_fits import RetrieverFits, check_columns
from app.services.retriever_shards import RetrieverStorage, ShardInUseError, ShardLocks
from app.tasks.executor import Runner
from shared.schemas.retrieval import QaColumns, RetrieverStatus

log = logging.getLogger(__name__)


class RetrieverService:
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
        self.storage = storage
        self.fits = RetrieverFits(
            registry=registry,
            store=store,
            datasets=datasets,
            runner=runner,
            storage=storage,
        )
        self._loaded: dict[str, LoadedRetriever] = {}
        self._lock = threading.Lock()  # loads and removals one at a time
        self._shards = ShardLocks(storage.folder)  # embedded shards this process serves
        # what the replica sync must not undo: loads and unloads made here after its read
        self.changes = ChangeTimes()

    def check_columns(self, dataset_id: str, columns: QaColumns) -> None:
        check_columns(self.datasets, dataset_id, columns)

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
        with self.changes.changing(retriever_id):
            self.bring_in(record)
            self.store.update(retriever_id, loaded=True)
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
                self.changes.touch(record.id)
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
            self.changes.touch(retriever_id)
        return loaded is not None

    def held(self) -> set[str]:
        """The retrievers open in this process."""
        with self._lock:
            return set(self._loaded)

    def _open(self, retriever_id: str) -> LoadedRetriever:
        if self.storage.embedded:
            self._shards.claim(retriever_id)
        try:
            return LoadedRetriever(
                self.storage.path(retriever_id),
                qdrant_url=self.storage.qdrant_url,
                api_key=self.storage.qdrant_api_key,
            )
        except Exception as exc:
            self._shards.release(retriever_id)
            raise ConflictError(f"retriever {retriever_id} cannot be opened: {exc}") from exc

    def unload(self, retriever_id: str) -> RetrieverRecord:
        self.get(retriever_id)
        with self.changes.changing(retriever_id):
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
        with self.changes.changing(retriever_id):
            self.unload(retriever_id)
            self.store.delete(retriever_id)
        self.storage.drop(retriever_id)
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

    # start and stop
    def start(self) -> None:
        """After the training service's recovery: the fits' leftovers ended, the folder
        swept of what no retriever owns, then the retrievers marked loaded opened again."""
        self.storage.folder.mkdir(parents=True, exist_ok=True)
        self.fits.recover()
        self.storage.sweep(lambda: {record.id for record in self.store.list()})
        for record in self.store.list():
            if record.loaded:
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
