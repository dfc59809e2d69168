"""A retriever's files beside the registry: where they live (`RetrieverStorage`), who
serves its embedded shard, and their removal.

Who serves an embedded retriever shard: a Qdrant Edge shard is opened by one process
only, and that process holds an exclusive `flock` on RETRIEVERS_DIR/.<id>.serving while
it has the shard open (the kernel drops it when the process ends). Another replica that
tries is refused (409): several replicas that all answer need a Qdrant server
(QDRANT_URL)."""

import fcntl
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import ConflictError
from app.ml.retrieval.fitting import location_of

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
