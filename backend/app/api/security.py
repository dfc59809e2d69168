"""Access control and request-body limits, decided before a route reads a byte of the body.

`RequestGate` is the one check for every request: with API_TOKEN set, an /api/ request
needs exactly one `Authorization: Bearer <token>` header (two are refused, whatever
they hold, so no two parts of a stack can read different ones); then every body, of any
type, chunked or not, has a size limit (uploads MAX_UPLOAD_MB plus the form's framing,
anything else MAX_JSON_MB) and a read timeout, both enforced while the body is read, so
a large or stalled body is never held whole. A refused body is answered 413 or 408 as
problem+json (a stalled one on a connection that is then closed); what the route made
of the failed read (a partial upload file) is cleaned up by the route as the read fails.
"""

import asyncio
import hmac

from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import app_error_response, media_type
from app.core.errors import AppError, PayloadTooLargeError, RequestTimeoutError, UnauthorizedError
from app.core.settings import Settings

PROTECTED_PREFIX = "/api/"
# multipart framing around an uploaded file: boundaries, part headers, small form fields
UPLOAD_ENVELOPE_BYTES = 256 * 1024
_MIB = 1024 * 1024


def authorize(headers: list[tuple[bytes, bytes]], token: SecretStr) -> None:
    """Exactly one `Authorization: Bearer <token>` header with the server's token."""
    given = [value for name, value in headers if name.lower() == b"authorization"]
    if len(given) > 1:
        raise UnauthorizedError("send one Authorization header, not several")
    scheme, _, credentials = (given[0] if given else b"").decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise UnauthorizedError(
            "this API needs 'Authorization: Bearer <token>' with the server's API_TOKEN"
        )
    # constant time: the answer's timing says nothing about how much of the token matched
    expected = token.get_secret_value().encode()
    if not hmac.compare_digest(credentials.strip().encode("latin-1"), expected):
        raise UnauthorizedError("the bearer token is not valid")


def body_limit(content_type: str | None, settings: Settings) -> tuple[int, str]:
    """The most bytes a body may have, and what to say when it has more."""
    if media_type(content_type) == "multipart/form-data":
        return (
            settings.max_upload_bytes + UPLOAD_ENVELOPE_BYTES,
            f"the file is larger than the {settings.max_upload_mb} MiB limit",
        )
    return (
        settings.max_json_mb * _MIB,
        f"the request body is larger than the {settings.max_json_mb} MiB limit; send fewer "
        "texts per request, or a CSV file to predict_csv",
    )


class RequestGate:
    """Authentication, then the body's size limit and read timeout (pure ASGI)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        try:
            if self.settings.api_token is not None and scope["path"].startswith(PROTECTED_PREFIX):
                authorize(headers, self.settings.api_token)
            limit, too_large = body_limit(_header(headers, b"content-type"), self.settings)
            declared = _header(headers, b"content-length") or ""
            if declared.isdigit() and int(declared) > limit:
                raise PayloadTooLargeError(too_large)
        except AppError as exc:
            await _refuse(exc, scope, receive, send)
            return
        await _Body(self.app, limit, too_large, self.settings.body_read_timeout_seconds)(
            scope, receive, send
        )


class _Body:
    """One request: its body counted and timed while the app reads it; when it is refused,
    the app's own answer to the failed read is dropped and the refusal sent instead."""

    def __init__(self, app: ASGIApp, limit: int, too_large: str, timeout: float) -> None:
        self.app, self.limit, self.too_large, self.timeout = app, limit, too_large, timeout
        self.received = 0
        self.complete = False
        self.refused: AppError | None = None
        self.started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def guarded_receive() -> Message:
            if self.refused is not None:
                raise self.refused
            if self.complete:  # the body is read: what follows is a disconnect, untimed
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                self.refused = RequestTimeoutError(
                    f"the request body stalled: nothing arrived for {self.timeout:g} seconds"
                )
                raise self.refused from None
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                self.complete = not message.get("more_body", False)
                if self.received > self.limit:
                    self.refused = PayloadTooLargeError(self.too_large)
                    raise self.refused
            return message

        async def guarded_send(message: Message) -> None:
            if self.refused is None or self.started:
                self.started = self.started or message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if self.refused is None or self.started:
                raise
        if self.refused is not None and not self.started:
            await _refuse(self.refused, scope, receive, send)


async def _refuse(error: AppError, scope: Scope, receive: Receive, send: Send) -> None:
    response = app_error_response(error)
    if isinstance(error, RequestTimeoutError):
        # a client that stopped sending is not waited for again on this connection (an
        # unread body that does arrive is dropped by the server, not held)
        response.headers["Connection"] = "close"
    await response(scope, receive, send)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None
