"""Typed errors raised by services; `app.api.problems` maps them to problem+json."""

import errno


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


def storage_error(exc: OSError, action: str) -> AppError:
    """The typed error for a failed disk operation: a full disk or quota is 507, anything
    else 500. The detail names neither paths nor the server's layout."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return InsufficientStorageError(f"{action}: the server is out of disk space")
    return StorageError(f"{action}: {exc.strerror or type(exc).__name__}")
