"""The one place where errors become RFC 9457 problem+json answers."""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import (
    AppError,
    InvalidFieldsError,
    StorageError,
    UnavailableError,
    is_refused,
    refused_access,
)
from app.registry.retries import first_line, is_unreachable
from shared.schemas import FieldError, ModelKind, Problem
from shared.schemas.strings import readable_message

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
_KIND_TAGS = {str(k) for k in ModelKind}
RETRY_AFTER_S = 5  # what a 503 for a registry that cannot be reached asks a client to wait


def problem_response(
    status: int,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = Problem(title=title, status=status, detail=detail, errors=errors)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, lower case, without parameters."""
    return (content_type or "").partition(";")[0].strip().lower()


def is_json(content_type: str | None) -> bool:
    kind = media_type(content_type)
    return kind == "application/json" or kind.endswith("+json")


def content_type_detail(content_type: str | None, expected: str) -> str:
    """What to say when a body's Content-Type is missing or not the one a route reads."""
    given = f"is {content_type!r}" if content_type else "is missing"
    return f"the request's Content-Type {given}; this route expects {expected}"


def content_type_problem(content_type: str | None, expected: str) -> JSONResponse:
    # 422 like every other unreadable body (415 would be one more status for clients)
    detail = content_type_detail(content_type, expected)
    return problem_response(422, "Invalid request", detail)


def _field_errors(raw: list[dict[str, Any]], body: object = None) -> list[FieldError]:
    errors = []
    for err in raw:
        # drop the union's tag ("params", "logreg", "C" -> "params", "C") and the "body" prefix
        loc = [p for i, p in enumerate(err.get("loc", ())) if not (i > 0 and p in _KIND_TAGS)]
        if loc and loc[0] == "body":
            loc = loc[1:]
        msg = readable_message(err)
        if err.get("type") == "json_invalid" and loc and isinstance(loc[0], int):
            # FastAPI's own parse of a body: its location is the character the parse stopped
            # at, not a field; said like pydantic's "Invalid JSON: …" of the other routes
            reason = (err.get("ctx") or {}).get("error", "not valid JSON")
            msg, loc = f"Invalid JSON: {reason} at {_position(body, loc[0])}", []
        errors.append(FieldError(loc=loc, msg=msg, type=err.get("type", "")))
    if any(e.type == "enum" and e.loc[-1:] == ["kind"] for e in errors):
        # an unknown kind has said it all: the params' "tag found using 'kind' does not
        # match <ModelKind.LOGREG: 'logreg'>, …" would only repeat it, in Python's words
        errors = [e for e in errors if e.type != "union_tag_invalid"]
    return errors


def _position(body: object, at: int) -> str:
    """Where a parser stopped, as line and column (from 1) when the body is known."""
    if not isinstance(body, str):
        return f"character {at}"
    line_start = body.rfind("\n", 0, at) + 1
    return f"line {body.count(chr(10), 0, at) + 1} column {at - line_start + 1}"


def _describe(errors: list[FieldError]) -> str:
    parts = [f"{'.'.join(map(str, e.loc)) or 'body'}: {e.msg}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def app_error_response(exc: AppError) -> JSONResponse:
    if isinstance(exc, InvalidFieldsError):  # as the framework's own validation errors
        errors = _field_errors(exc.errors)
        return problem_response(exc.status, exc.title, _describe(errors), errors)
    return problem_response(exc.status, exc.title, exc.detail, headers=exc.headers)


def unexpected_error_response() -> JSONResponse:
    return problem_response(
        500, "Internal error", "the server failed on this request; the log has details"
    )


def registry_unreachable_response(exc: Exception) -> JSONResponse:
    """The database is down or restarting: the request may succeed shortly (503 and
    Retry-After), where a 500 would say that the server is broken."""
    return problem_response(
        UnavailableError.status,
        UnavailableError.title,
        f"the registry cannot be reached ({first_line(exc)}); try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        if exc.status in (500, 507):  # the server's fault (a failed write, a full disk): why
            log.error(
                "%s on %s %s: %s",
                exc.title,
                request.method,
                request.url.path,
                exc.detail,
                exc_info=exc.__cause__,
            )
        return app_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(list(exc.errors()), exc.body)
        if any(e.loc == [] for e in errors) and not is_json(request.headers.get("content-type")):
            # FastAPI leaves a body it was not told is JSON as bytes: "Input should be a
            # valid dictionary" would hide that only the header is missing or wrong.
            return content_type_problem(request.headers.get("content-type"), "application/json")
        return problem_response(422, "Invalid request", _describe(errors), errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        headers = exc.headers
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such route: {request.method} {request.url.path}"
        elif exc.status_code == 405 and (methods := _methods_of(request)):
            # Starlette's Allow names the methods of the first route of the path only
            allowed = ", ".join(methods)
            detail = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
            headers = {**(exc.headers or {}), "Allow": allowed}
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return problem_response(exc.status_code, title, detail, headers=headers)

    # outermost of the app's own middleware: every exception nothing else took comes here
    app.add_middleware(UnexpectedErrorMiddleware)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _methods_of(request: Request) -> list[str]:
    """The methods some route of the request's path answers."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


class UnexpectedErrorMiddleware:
    """An exception that no handler took becomes a 500 problem+json answer (a registry
    that cannot be reached: a 503 with Retry-After; a write the operating system refused:
    a 500 that asks an operator to check the folders' permissions, naming no path), and
    the connection stays usable.
    (Starlette's own last resort, an `Exception` handler, answers and then re-raises, and
    the server closes a connection whose app raised.) An error after the answer has
    started cannot be answered: that one still ends the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            if is_unreachable(exc):
                log.error(
                    "the registry cannot be reached on %s %s: %s",
                    scope["method"], scope["path"], first_line(exc),
                )  # fmt: skip
                await registry_unreachable_response(exc)(scope, receive, send)
                return
            if is_refused(exc):  # an access no service maps: still the operator's to fix
                log.error(
                    "a refused file access on %s %s: %s", scope["method"], scope["path"], exc,
                    exc_info=exc,
                )  # fmt: skip
                await app_error_response(StorageError(refused_access()))(scope, receive, send)
                return
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await unexpected_error_response()(scope, receive, send)
