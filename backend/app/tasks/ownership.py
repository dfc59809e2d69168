"""Who may write a model's bundle, so that a cancelled fit never leaves a file behind.

When the server queues a fit it creates `.<model id>.lock` beside the bundle's path. The
worker that runs the fit opens that file (it never creates it) and holds an exclusive
`flock` on it while it trains and writes the bundle (to a temp name, then renamed). The
kernel drops the lock when the worker's job returns or when the process dies, e.g. when
pebble terminates it on cancel, even half-way through the rename.

The one caller that wins a task's end as cancelled or failed calls `discard`: it takes
the same lock, which waits until no worker is writing any more, unlinks the lock file
and removes the bundle and any staging leftovers. A worker that reaches the lock only
after that (pebble may have handed the job to a worker just before the cancel) finds the
file gone, or, if it opened it first, unlinked once it holds the lock, and writes
nothing. So after `discard` returns nothing can write the bundle again, whatever the
timing. The winner of `succeeded` calls `release`: its worker has returned, the bundle
is complete and stays. A crash leaves lock files and staging folders; the start-up sweep
removes them (no fit runs at start-up).

A retriever's fit works the same way on its folder (RETRIEVERS_DIR/<id>, the lock
`.<id>.lock` beside it): the service that wins its end as cancelled or failed calls
`revoke`, then removes the folder and its vectors.
"""

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.ml.artifacts import remove_artifact

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"


def lock_path(artifact: Path) -> Path:
    return artifact.parent / f".{artifact.stem}{LOCK_SUFFIX}"


def create(artifact: Path) -> None:
    """Before the fit is queued: the lock file its worker will hold."""
    lock_path(artifact).touch()


@contextmanager
def writing_rights(artifact: Path) -> Iterator[bool]:
    """In the worker: hold the lock for the job's duration; False if the task has ended
    already (the lock file is gone), so the job must write nothing."""
    try:
        fd = os.open(lock_path(artifact), os.O_RDWR)
    except FileNotFoundError:
        yield False
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield os.fstat(fd).st_nlink > 0  # unlinked while we waited: discarded
    finally:
        os.close(fd)


def release(artifact: Path) -> None:
    """The fit succeeded: its worker is done with the bundle, which stays."""
    lock_path(artifact).unlink(missing_ok=True)


def discard(artifact: Path, *, timeout: float = 60.0) -> None:
    """The task ended without a model: once no worker can write the bundle any more,
    remove it and its leftovers."""
    revoke(artifact, timeout=timeout)
    remove_artifact(artifact)


def revoke(artifact: Path, *, timeout: float = 60.0) -> None:
    """Return once no worker can write `artifact` (a bundle, or a retriever's folder) any
    more: wait for the lock, then unlink it. The caller removes what was written."""
    path = lock_path(artifact)
    try:
        fd: int | None = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        fd = None  # never queued with a lock (or already discarded): nothing can write
    try:
        if fd is not None and not _lock(fd, timeout):
            log.error(
                "a worker still held %s after %.0fs; removing the files now, and anything it "
                "writes later is removed at the next start",
                path.name,
                timeout,
            )
        path.unlink(missing_ok=True)
    finally:
        if fd is not None:
            os.close(fd)


def _lock(fd: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
