"""Which API replicas are alive: each beats in the registry (`registry.replicas`), and one
that has not beaten for REPLICA_STALE_SECONDS has stopped.

A task names the replica that queued it, and that replica follows it to its end (its pool
runs the fit, or it holds the Dask future whose end it records). When a replica dies, its
own start-up would end its tasks as interrupted, but under Docker Compose its name (the
container's host name) changes with every `docker compose up -d`, so that start-up never
comes. Any live replica therefore ends the tasks of a replica that stopped beating, as if
it were that replica starting again (`TrainingService.end_orphaned`, the one recovery).

A replica beats once as it starts, before its recovery and before it queues anything, so
a task that names a replica with no heartbeat on record is a stopped one's too: one that
stopped cleanly (its row is removed after its pool stopped) or a release from before
heartbeats. The beats run in a thread of their own, so that no slow work (a model loading,
a task's end waiting for its worker's lock) delays them."""

import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from app.registry.replicas import Heartbeats, SqlReplicas

log = logging.getLogger(__name__)

# A replica that died without a clean stop leaves its row; once it has been silent this
# long, the row is removed (a task of it found later still counts as a stopped replica's:
# no heartbeat on record). Looked for at start and then about once an hour.
FORGET_AFTER_S = 24 * 3600
FORGET_EVERY_S = 3600


def stopped_replicas(
    names: Iterable[str], heartbeats: Heartbeats, stale_s: float
) -> dict[str, datetime | None]:
    """Of `names`, the replicas that have stopped, each with its last beat (None: none
    on record): those that have not beaten for more than `stale_s` seconds."""
    bound = heartbeats.now - timedelta(seconds=stale_s)
    stopped = {}
    for name in names:
        last = heartbeats.last_seen.get(name)
        if last is None or last < bound:
            stopped[name] = last
    return stopped


def why_stopped(name: str, last_seen: datetime | None) -> str:
    """The error a task of a stopped replica ends with."""
    if last_seen is None:
        since = "on record"
    else:  # the database's clock, in its session's zone
        since = f"since {last_seen.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    return f"the replica {name} that ran it stopped (no heartbeat {since}); start it again"


class Heartbeat:
    """This replica's heartbeat (a thread), and what it knows of the others'."""

    def __init__(self, *, store: SqlReplicas, name: str, interval_s: float, stale_s: float) -> None:
        self.store = store
        self.name = name
        self.interval_s = interval_s
        self.stale_s = stale_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Beat now (an error is the caller's: the registry is needed to start), then
        every `interval_s` in the background."""
        self.store.beat(self.name, starting=True)
        self._forget_the_long_gone()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and remove this replica's heartbeat: call it once this replica's
        tasks have ended (its pool stopped), so that none is left to a replica that would
        take it for stopped."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        try:
            self.store.remove(self.name)
        except Exception as exc:  # the row ages instead: others see this replica stopped
            log.warning("replica %s: could not remove its heartbeat: %s", self.name, exc)

    def _run(self) -> None:
        beats_between_forgets = max(1, round(FORGET_EVERY_S / self.interval_s))
        beats = 0
        while not self._stop.wait(self.interval_s):
            try:
                self.store.beat(self.name)
            except Exception as exc:  # a registry that is down for a moment: beat again
                log.warning("replica %s: could not record its heartbeat: %s", self.name, exc)
            beats += 1
            if beats % beats_between_forgets == 0:
                self._forget_the_long_gone()

    def _forget_the_long_gone(self) -> None:
        try:
            forgotten = self.store.forget(max(FORGET_AFTER_S, 10 * self.stale_s))
        except Exception as exc:  # tried again later; the rows are small
            log.warning("replica %s: could not remove old heartbeats: %s", self.name, exc)
            return
        for name in forgotten:
            log.info("the replica %s has not beaten for a day: its heartbeat is removed", name)

    def stopped(self, names: Iterable[str]) -> dict[str, str]:
        """Of the replicas `names` (never this one), those that have stopped, each with
        the error their tasks end with."""
        others = set(names) - {self.name}
        if not others:
            return {}
        found = stopped_replicas(others, self.store.heartbeats(), self.stale_s)
        return {name: why_stopped(name, last) for name, last in found.items()}
