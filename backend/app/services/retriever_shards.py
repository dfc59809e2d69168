"""A retriever's files beside the registry: where they live (`RetrieverStorage`), who
serves its embedded shard, their removal, and the start-up sweep of what no record owns.

Who serves an embedded retriever shard: a Qdrant Edge shard is opened by one process
only, and that process holds an exclusive `flock` on RETRIEVERS_DIR/.<id>.serving while
it has the shard open (the kernel drops it when the process ends). Another replica that
tries is refused (409): several replicas that all answer need a Qdrant server
(QDRANT_URL)."""

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import ConflictError
from app.ml.retrieval.fitting import location_of
from app.services.sweeps import GRACE_S, ORPHANED, set_aside, younger_than
from app.tasks.ownership import LOCK_SUFFIX

log = logging.getLogger(__name__)

SERVING_SUFFIX = ".serving"


def serving_path(folder: Path, retriever_id: str) -> Path:
    return folder / f".{retriever_id}{SERVING_SUFFIX}"


@dataclass(frozen=True)
class RetrieverStorage:
    """Where retrievers live: a folder each under `folder` (RETRIEVERS_DIR), and their
    vectors in an embedded Qdrant Edge shard there, or on the Qdrant server at
    `qdrant_url` when one is set."""

    folder: Path
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None

    @property
    def embedded(self) -> bool:
        return self.qdrant_url is None

    def path(self, retriever_id: str) -> Path:
        return self.folder / retriever_id

    def drop(self, retriever_id: str) -> None:
        """Remove a retriever's folder, its vectors (the shard, or the server's
        collection) and its serving lock file."""
        serving_path(self.folder, retriever_id).unlink(missing_ok=True)
        try:
            location_of(self.path(retriever_id), self.qdrant_url, self.qdrant_api_key).drop()
        except Exception as exc:  # a server that is down: the collection stays, say so
            log.error("the vectors of retriever %s could not be dropped: %s", retriever_id, exc)
        shutil.rmtree(self.path(retriever_id), ignore_errors=True)

    def sweep(self, known: Callable[[], set[str]], *, grace_s: float = GRACE_S) -> None:
        """The start-up sweep of RETRIEVERS_DIR, like MODELS_DIR's (`sweeps`): a folder no
        retriever record knows is set aside in `orphaned/` (the registry that knows it may
        be another one), a lock or serving file of none is removed; what is younger than
        `grace_s` stays (a fit being queued creates its lock file a moment before its
        record, on a folder other replicas share). `known`: the ids the registry holds,
        read after the folder is listed, so a newer entry is young."""
        if not self.folder.is_dir():
            return
        entries = [e for e in self.folder.iterdir() if e.name != ORPHANED]
        ids = known()
        now = time.time()
        for entry in entries:
            retriever_id = entry.name.lstrip(".").split(".", 1)[0]
            if retriever_id in ids or younger_than(entry, grace_s, now):
                continue
            if not entry.name.startswith("."):
                if entry.is_dir():
                    set_aside(entry, "the registry has no retriever of it")
            elif entry.name.endswith((LOCK_SUFFIX, SERVING_SUFFIX)) and entry.is_file():
                log.warning("removing %s, which no retriever owns", entry)
                entry.unlink(missing_ok=True)


class ShardInUseError(ConflictError):
    """Another process holds the embedded shard open (409)."""


class ShardLocks:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._held: dict[str, int] = {}  # retriever id -> the fd of its shard's lock

    def path(self, retriever_id: str) -> Path:
        return serving_path(self.folder, retriever_id)

    def claim(self, retriever_id: str) -> None:
        if retriever_id in self._held:
            return
        fd = os.open(self.path(retriever_id), os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ShardInUseError(
                f"retriever {retriever_id}'s embedded shard is open in another backend "
                "process (another API replica); an embedded shard serves one process, so "
                "several replicas need a Qdrant server: set QDRANT_URL"
            ) from None
        self._held[retriever_id] = fd

    def release(self, retriever_id: str) -> None:
        fd = self._held.pop(retriever_id, None)
        if fd is not None:
            os.close(fd)  # the lock file stays: unlinking it would race another's claim

    def release_all(self) -> None:
        for retriever_id in list(self._held):
            self.release(retriever_id)
