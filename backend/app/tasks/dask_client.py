"""The one connection of this process to the Dask scheduler (TASK_EXECUTOR=dask).

Fits, retriever fits and large batch scoring submit their work through it. It is made on
first use, not at start-up, so a replica whose scheduler is down still serves predictions;
work submitted then gets a 503 that says which scheduler could not be reached.
"""

import logging
import threading

from distributed import Client

from app.core.errors import SchedulerUnreachableError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10
_clients: dict[str, Client] = {}
_lock = threading.Lock()


def dask_client(address: str) -> Client:
    """The client of the scheduler at `address`, connected once per process."""
    with _lock:
        client = _clients.get(address)
        if client is not None and client.status in ("running", "connecting"):
            return client
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise SchedulerUnreachableError(
                f"the Dask scheduler at {address} cannot be reached ({exc}); "
                "start it, or set TASK_EXECUTOR=local"
            ) from exc
        log.info("connected to the Dask scheduler at %s", address)
        _clients[address] = client
        return client


def close_all() -> None:
    """At shutdown: close the connections (the work already submitted goes on)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        try:
            client.close(timeout=5)
        except Exception:  # the scheduler may be gone already
            log.debug("closing a Dask client failed", exc_info=True)
