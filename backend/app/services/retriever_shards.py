"""Who serves an embedded retriever shard: a Qdrant Edge shard is opened by one process
only, and that process holds an exclusive `flock` on RETRIEVERS_DIR/.<id>.serving while
it has the shard open (the kernel drops it when the process ends). Another replica that
tries is refused (409): several replicas that all answer need a Qdrant server
(QDRANT_URL)."""

import fcntl
import os
from pathlib import Path

from app.core.errors import ConflictError

SERVING_SUFFIX = ".serving"


class ShardInUseError(ConflictError):
    """Another process holds the embedded shard open (409)."""


class ShardLocks:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._held: dict[str, int] = {}  # retriever id -> the fd of its shard's lock

    def path(self, retriever_id: str) -> Path:
        return self.folder / f".{retriever_id}{SERVING_SUFFIX}"

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
