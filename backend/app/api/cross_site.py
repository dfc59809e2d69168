"""Refuse state-changing requests that a web page on another site sends (CSRF).

Without API_TOKEN the API is open to whoever can reach it, and a page the user visits can
make the browser POST a multipart upload to a local instance: a "simple" request, sent
without a CORS preflight, so CORS alone does not stop it (the page cannot read the answer,
but the upload is done). Browsers say who sends such a request: `Origin` on every
cross-origin POST, PUT, PATCH or DELETE, and `Sec-Fetch-Site`. Programs (curl, the web
UI's server-side httpx) send neither and pass.

The rule: such a request passes when its `Origin` is one of CORS_ORIGINS, or the
server's own origin on a loopback host (the `/docs` page of a local server); any other
`Origin` (`null` included), and `Sec-Fetch-Site: cross-site`, get 403. The own-origin case
stays on loopback names so that DNS rebinding (a hostile name that resolves to 127.0.0.1,
making the page "same-origin") is refused too.
"""

import ipaddress
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.problems import problem_response

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def _origin_key(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def _host_of(netloc: str) -> str:
    """The host of `host[:port]` or `[v6]:port`, lower-cased, without brackets."""
    netloc = netloc.lower()
    if netloc.startswith("["):
        return netloc[1 : netloc.find("]")] if "]" in netloc else netloc
    return netloc.rpartition(":")[0] if ":" in netloc else netloc


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CrossSiteGuardMiddleware:
    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.any_origin = "*" in allowed_origins
        self.allowed = frozenset(_origin_key(o) for o in allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in STATE_CHANGING:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        origin = headers.get(b"origin")
        fetch_site = headers.get(b"sec-fetch-site", b"").lower()
        if origin is not None:
            refused = not self._allowed(origin.decode("latin-1"), headers.get(b"host", b""))
        else:
            refused = fetch_site == b"cross-site"
        if not refused:
            await self.app(scope, receive, send)
            return
        shown = origin.decode("latin-1")[:200] if origin is not None else "another site"
        response = problem_response(
            403,
            "Forbidden",
            f"a web page from {shown!r} may not change this API ({scope['method']} refused); "
            "start the server with that origin in CORS_ORIGINS to allow it",
        )
        await response(scope, receive, send)

    def _allowed(self, origin: str, host: bytes) -> bool:
        key = _origin_key(origin)
        if self.any_origin or key in self.allowed:
            return True
        parts = urlsplit(key)
        own = host.decode("latin-1").lower()
        return (
            parts.scheme in ("http", "https")
            and bool(own)
            and parts.netloc == own
            and _is_loopback(_host_of(own))
        )
