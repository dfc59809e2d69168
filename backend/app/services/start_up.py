"""Work a server does once at start-up, in the background (the default models, the default
retriever): ready once it has run to its end.

A registry that cannot be reached yet is waited for, not taken as a failure: a database
that starts after the API, or a container name that does not resolve for a moment, would
otherwise leave `/readyz` failed until a restart. The work is retried with a growing
pause, and `waiting` says why; any other error is final (`error`).
"""

import logging
import threading
from abc import ABC, abstractmethod

from app.registry.retries import LONGEST_PAUSE_S, first_line, is_unreachable

log = logging.getLogger(__name__)

FIRST_PAUSE_S = 1.0


class StartUpWork(ABC):
    """Subclasses name themselves and implement `prepare`, which must be safe to run again
    after a registry error (what it queued before is reused, not queued twice)."""

    name: str  # what the work prepares, as logs and /readyz say it: "the default models"

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.error: str | None = None  # final: the work stopped
        self.waiting: str | None = None  # the registry error it is waiting out, if any
        self.attempts = 0
        self._stopping = threading.Event()

    @abstractmethod
    def prepare(self) -> None: ...

    def prepare_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name=self.name.replace(" ", "-"), daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Ends a wait for the registry (at shutdown)."""
        self._stopping.set()

    def _run(self) -> None:
        pause = FIRST_PAUSE_S
        while not self._stopping.is_set():
            self.attempts += 1
            try:
                self.prepare()
            except Exception as exc:
                if not is_unreachable(exc):
                    self.error = str(exc)
                    log.exception("%s could not be prepared", self.name)
                    return
                self.waiting = first_line(exc)
                log.warning(
                    "%s: waiting for the registry (attempt %d, next in %.0f s): %s",
                    self.name, self.attempts, pause, self.waiting,
                )  # fmt: skip
                self._stopping.wait(pause)
                pause = min(pause * 2, LONGEST_PAUSE_S)
                continue
            self.waiting = None
            self.ready.set()
            log.info("%s ready", self.name)
            return
