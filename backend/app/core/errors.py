"""Typed errors raised by services; `app.api.problems` maps them to problem+json. And the
one error that stops the server at start-up with a reason an operator can act on."""

import errno
from collections.abc import Mapping, Sequence
from typing import Any

# the folders a server writes, as an answer names them: by their setting, never by path
MODELS_FOLDER = "models folder (MODELS_DIR)"
DATASETS_FOLDER = "datasets folder (DATASETS_DIR)"
# the server may not write there: its user lacks the permission, or the file system is
# mounted read-only. Not the user's fault, nor a disk that is full: an operator's to fix.
_REFUSED = (errno.EACCES, errno.EPERM, errno.EROFS)


class StartUpError(RuntimeError):
    """The server cannot start, for a reason its message says in full (a database that
    never answered, a registry that a newer release upgraded, another server on the same
    SQLite file): logged as that one line, without a traceback (`core.logging`)."""


class AppError(Exception):
    status: int = 500
    title: str = "Internal error"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnauthorizedError(AppError):
    status = 401
    title = "Unauthorized"
    headers = {"WWW-Authenticate": "Bearer"}  # noqa: RUF012


class NotFoundError(AppError):
    status = 404
    title = "Not found"


class ConflictError(AppError):
    status = 409
    title = "Conflict"


class InvalidInputError(AppError):
    status = 422
    title = "Invalid input"


class InvalidFieldsError(InvalidInputError):
    """Fields of a request that fail their schema, found only by a service (a retrain's
    params are those of its parent's kind): answered as the framework's own validation
    errors are, `Invalid request` with `errors`. `errors`: pydantic's, each `loc` under
    `at` (the field they belong to)."""

    title = "Invalid request"

    def __init__(self, errors: Sequence[Mapping[str, Any]], at: tuple[str, ...] = ()) -> None:
        self.errors = [{**e, "loc": (*at, *e.get("loc", ()))} for e in errors]
        super().__init__("; ".join(str(e.get("msg", "")) for e in self.errors))


class PayloadTooLargeError(AppError):
    status = 413
    title = "Payload too large"


class RequestTimeoutError(AppError):
    status = 408
    title = "Request timeout"


class UnavailableError(AppError):
    status = 503
    title = "Service unavailable"


class SchedulerUnreachableError(UnavailableError):
    """No connection to the Dask scheduler: it is down, or not up yet. Start-up work waits
    it out (`services.start_up`); a request gets it as its 503."""


class InsufficientStorageError(AppError):
    status = 507
    title = "Insufficient storage"


class StorageError(AppError):
    status = 500
    title = "Storage error"


def storage_error(
    exc: OSError, action: str, folder: str | None = None, *, reading: bool = False
) -> AppError:
    """The typed error for a failed disk operation: a full disk or quota is 507, anything
    else 500. A write (or, `reading`, a read) refused in `folder` (permissions, a read-only
    mount) says that an operator must look at that folder. The detail names no paths (the
    log has them)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return InsufficientStorageError(f"{action}: the server is out of disk space")
    if exc.errno in _REFUSED:
        refused = unreadable(folder) if reading and folder else unwritable(folder)
        return StorageError(f"{action}: {refused}")
    return StorageError(f"{action}: {exc.strerror or type(exc).__name__}")


def unreadable(folder: str) -> str:
    """What to say when the server may not read a file in `folder`."""
    return f"the server cannot read a file in its {folder}; an operator must check its permissions"


def refused_access() -> str:
    """What to say of a refused read or write that no service names the folder of."""
    return (
        "the server was refused access to one of its files; an operator must check its "
        "folders' permissions (and that none is mounted read-only where it writes)"
    )


def unwritable(folder: str | None) -> str:
    """What to say when the server may not write in `folder` (None: a folder unknown)."""
    where = f"its {folder}" if folder else "one of its folders"
    return (
        f"the server cannot write to {where}; an operator must check its permissions "
        "(and that it is not mounted read-only)"
    )


def is_refused(exc: BaseException) -> bool:
    """An access the operating system refused: permissions, or (for a write) a read-only
    file system."""
    return isinstance(exc, OSError) and exc.errno in _REFUSED


def message_of(exc: BaseException) -> str:
    """An error's message for a task's end, or its type's name when it has none (a bare
    `EOFError()` from a broken pipe)."""
    return str(exc) or type(exc).__name__
