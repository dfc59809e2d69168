"""Work a server does once at start-up, in the background (the default models, the default
retriever): ready once it has run to its end.

A registry or a Dask scheduler that cannot be reached yet is waited for, not taken as a
failure: a database or a scheduler that starts after the API, or a container name that
does not resolve for a moment, would otherwise leave `/readyz` failed until a restart
(compose's `service_healthy` order is not kept everywhere: podman without systemd runs
no health checks). The work is retried with a growing pause, and `waiting` says why; any
other error is final (`error`).
"""

import logging
import threading
from abc import ABC, abstractmethod

from app.core.errors import SchedulerUnreachableError
from app.registry.retries import LONGEST_PAUSE_S, first_line, is_unreachable

log = logging.getLogger(__name__)

FIRST_PAUSE_S = 1.0


def waiting_reason(exc: Exception) -> str | None:
    """What an error that may go away by itself says (the registry or the scheduler not
    up yet); None for any other error, which is final."""
    if isinstance(exc, SchedulerUnreachableError):
        return str(exc)  # names the scheduler
    if is_unreachable(exc):
        return f"the registry cannot be reached: {first_line(exc)}"
    return None


class StartUpWork(ABC):
    """Subclasses name themselves and implement `prepare`, which must be safe to run again
    after a registry error (what it queued before is reused, not queued twice) and must
    check that the scheduler takes jobs before it queues any (`Runner.check_reachable`)."""

    name: str  # what the work prepares, as logs and /readyz say it: "the default models"

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.error: str | None = None  # final: the work stopped
        self.waiting: str | None = None  # the registry or scheduler error it is waiting out
        self.attempts = 0
        self._stopping = threading.Event()

    @abstractmethod
    def prepare(self) -> None: ...

    def prepare_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name=self.name.replace(" ", "-"), daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Ends a wait for the registry or the scheduler (at shutdown)."""
        self._stopping.set()

    def _run(self) -> None:
        pause = FIRST_PAUSE_S
        while not self._stopping.is_set():
            self.attempts += 1
            try:
                self.prepare()
            except Exception as exc:
                if self._stopping.is_set():  # ended by the shutdown: not the work's failure
                    log.info("%s: not prepared, the server stopped (%s)", self.name, exc)
                    return
                self.waiting = waiting_reason(exc)
                if self.waiting is None:
                    self.error = str(exc)
                    log.exception("%s could not be prepared", self.name)
                    return
                log.warning(
                    "%s: waiting (attempt %d, next in %.0f s): %s",
                    self.name, self.attempts, pause, self.waiting,
                )  # fmt: skip
                self._stopping.wait(pause)
                pause = min(pause * 2, LONGEST_PAUSE_S)
                continue
            self.waiting = None
            self.ready.set()
            log.info("%s ready", self.name)
            return
