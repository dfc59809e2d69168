"""Access control and request limits for the API."""

import hmac

from fastapi import Request
from fastapi.security import HTTPBearer
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import problem_response
from app.core.errors import UnauthorizedError


class BearerToken(HTTPBearer):
    """With API_TOKEN set, every /api/ route needs it as a bearer token.

    The check is the security scheme itself, so OpenAPI documents it (HTTP bearer) and
    each request solves one dependency, not a scheme plus a checker; async, so it costs
    no hop to the threadpool. Without API_TOKEN the header is not even read.
    """

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        settings = request.app.state.services.settings
        if settings.api_token is None:
            return
        credentials = await super().__call__(request)  # None: absent or not "Bearer ..."
        given = credentials.credentials if credentials else ""
        if not _same(given, settings.api_token):
            raise UnauthorizedError(
                "this API needs 'Authorization: Bearer <token>' with the server's API_TOKEN"
                if not given
                else "the bearer token is not valid"
            )


require_token = BearerToken(
    auto_error=False, description="The API_TOKEN the server was started with"
)


def _same(given: str, expected: SecretStr) -> bool:
    # constant time: the answer's timing says nothing about how much of the token matched
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())


class JsonBodyLimitMiddleware:
    """Answer 413 to JSON bodies over the limit, before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit_mb = self.max_bytes // (1024 * 1024)
        response = problem_response(
            413,
            "Payload too large",
            f"the JSON body is larger than the {limit_mb} MB limit; send fewer texts per "
            "request, or a CSV file to predict_csv",
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


def _is_json(scope: Scope) -> bool:
    content_type = dict(scope["headers"]).get(b"content-type", b"")
    return b"json" in content_type.lower()
