"""The fast lane for POST /api/v1/models/predict: the happy path without the framework.

/predict is the hot path of a serving tool: one short text per request, thousands a
second. FastAPI's routing, dependency solving and exception layers cost about 0.3 ms of
the event loop's time per request on a 2-core box, more than the model itself once
requests are micro-batched; at concurrency 32 that overhead, not the model, capped
throughput. This middleware answers the ordinary case itself, with the same schema
(`PredictRequest`), the same service call and the same JSON answer as the route in
`routes/models.py`, which stays the documented operation.

Requests the framework must judge go the long way, with the body replayed, so the route
and the problem handlers answer them exactly as before: a missing or wrong token,
another content type, a browser's request (CORS), a body that does not validate. Errors
from the service (an unknown or unloaded model, too many texts, a prediction that fails
or times out) are answered here by the same functions the problem handlers use
(`problems.py`), so they stay one mapping and a failed prediction never runs twice.
"""

import logging

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import app_error_response, unexpected_error_response
from app.api.routes import models
from app.api.security import token_matches
from app.core.errors import AppError
from app.core.metrics import PREDICTIONS
from shared.schemas import PredictRequest

log = logging.getLogger(__name__)
PATH = "/api/v1/models/predict"


class FastPredictMiddleware:
    def __init__(self, app: ASGIApp, state_app: object) -> None:
        self.app = app
        self.state_app = state_app  # the FastAPI app: its state holds the services
        self.route = next(r for r in models.router.routes if getattr(r, "path", "") == PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._takes(scope):
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive)
        if not complete:  # the client went away
            return
        if not await self._answer(scope, body, receive, send):
            await self.app(scope, _replay(body, receive), send)

    def _takes(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            return False
        services = getattr(self.state_app.state, "services", None)  # type: ignore[attr-defined]
        if services is None or not services.settings.predict_fast_path:
            return False
        headers = dict(scope["headers"])
        if b"origin" in headers or b"json" not in headers.get(b"content-type", b""):
            return False
        return token_matches(services.settings, headers.get(b"authorization"))

    async def _answer(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> bool:
        """Predict and answer; False (nothing sent) when the long way must answer."""
        try:
            request = PredictRequest.model_validate_json(body)
        except ValidationError:
            return False
        scope["route"] = self.route  # the request log's route label
        services = self.state_app.state.services  # type: ignore[attr-defined]
        try:
            response = await services.predictions.predict_async(request.model_id, request.texts)
        except AppError as exc:
            await app_error_response(exc)(scope, receive, send)
            return True
        except Exception:
            log.exception("unhandled error on POST %s", PATH)
            await unexpected_error_response()(scope, receive, send)
            return True
        PREDICTIONS.labels(request.model_id).inc(len(request.texts))
        payload = response.model_dump_json().encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
        return True


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body already read, then whatever comes next."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
