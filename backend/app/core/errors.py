"""Typed errors raised by services; `app.api.problems` maps them to problem+json."""


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


class UnavailableError(AppError):
    status = 503
    title = "Service unavailable"
