"""The prediction log: every prediction served, recorded off the request path.

A request only appends one item (its texts, answers and ids, as they are) to a bounded
queue, without waiting; one writer thread wakes every interval, takes what is queued,
turns it into rows and writes them in batches, one executemany per batch. A slow or
locked database therefore never holds up a prediction: the queue fills, and what does not
fit is dropped from the log and counted (`textclf_prediction_log_dropped_total` in
/metrics). The same thread deletes rows older than the retention at start-up and then
every hour. At shutdown it writes what is queued.

While the database cannot be reached (`registry.retries.is_unreachable`), the rows the
writer could not write are held and tried again at every wake-up, and nothing more is
taken from the queue meanwhile: requests keep queueing up to the bound, so an outage
loses nothing until the queue is full, and memory stays bounded by twice the queue.
A batch the database refuses for any other reason is dropped and counted, as before.

The queue is a deque, not a queue.Queue: a Queue's put wakes the waiting writer for every
request, and each wake-up hands the GIL over from the event loop. Under load at c=32
that cost half of /predict's throughput; a writer that sleeps for the interval and then
drains the deque costs one wake-up per interval.
"""

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core.metrics import PREDICTION_LOG_DROPPED, PREDICTION_LOG_WRITTEN
from app.ml.bundle import Predictions
from app.ml.labels import Label
from app.registry.prediction_log import SqlPredictionLog
from app.registry.retries import first_line, is_unreachable

log = logging.getLogger(__name__)

RETENTION_EVERY_S = 3600.0
STOP_TIMEOUT_S = 30.0


@dataclass(slots=True)  # made on the request path: a frozen dataclass is slower to make
class LoggedPredictions:
    """The predictions of one request (or one predict_csv chunk), as they were answered.
    `segments` is one segment for every text, or one per text."""

    model_id: str
    version: int | None
    reference: str
    segments: str | Sequence[str]
    texts: Sequence[str]
    ids: Sequence[str]
    answers: Predictions
    classes: Sequence[Label]
    latency_ms: float
    at: datetime

    def __len__(self) -> int:
        return len(self.ids)


class PredictionLog:
    def __init__(
        self,
        *,
        store: SqlPredictionLog,
        enabled: bool,
        keep_texts: bool,
        retention_days: int,
        queue_size: int,
        batch_size: int,
        interval_s: float,
    ) -> None:
        self.store = store
        self.enabled = enabled
        self.keep_texts = keep_texts
        self.retention_days = retention_days
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.queue_size = queue_size
        # appended by requests, taken by the writer: a deque's append and popleft are
        # atomic (no lock); the bound is checked before an append
        self._queue: deque[LoggedPredictions] = deque()
        self._stopping = threading.Event()
        # held while a batch is taken and written: a flush waits for the writer's batch
        self._writing = threading.Lock()
        self._thread: threading.Thread | None = None
        # rows taken but not written because the database could not be reached: written
        # first at the next wake-up, before anything more is taken from the queue
        self._held: list[tuple[Any, ...]] = []

    @property
    def held(self) -> int:
        """Logged predictions waiting for the database to answer again."""
        return len(self._held)

    @staticmethod
    def new_ids(count: int) -> list[str]:
        """Random 128-bit ids in hex (like uuid4().hex, in a fifth of its time)."""
        return [os.urandom(16).hex() for _ in range(count)]

    def record(self, predictions: LoggedPredictions) -> None:
        """Queue the predictions for writing; never waits (a full queue drops them)."""
        if len(self._queue) >= self.queue_size:
            PREDICTION_LOG_DROPPED.labels("queue_full").inc(len(predictions))
        else:
            self._queue.append(predictions)

    def flush(self) -> None:
        """Write what is queued now, in the caller's thread, after any batch the writer is
        writing: once it returns, every prediction recorded before the call is in the table
        (or was dropped and counted). For feedback on a prediction just answered."""
        if not self.enabled:
            return
        with self._writing:
            self._write(self._take_unless_held())

    def start(self) -> None:
        if not self.enabled or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what is queued, then end the writer."""
        if self._thread is None:
            return
        self._stopping.set()  # wakes the writer, which writes what is queued and ends
        self._thread.join(STOP_TIMEOUT_S)
        if self._thread.is_alive():
            log.warning("the prediction log's writer did not finish in %ss", STOP_TIMEOUT_S)
        self._thread = None

    def _run(self) -> None:
        next_retention = time.monotonic()
        while True:
            if self.retention_days and time.monotonic() >= next_retention:
                self._delete_old()
                next_retention = time.monotonic() + RETENTION_EVERY_S
            stopping = self._stopping.wait(self.interval_s)
            with self._writing:
                self._write(self._take_unless_held())
                if stopping:
                    # what came while the last batch was written
                    self._write(self._take_unless_held())
                    self._drop_held()
                    return

    def _take(self) -> list[LoggedPredictions]:
        """Everything queued now."""
        items: list[LoggedPredictions] = []
        while True:
            try:
                items.append(self._queue.popleft())
            except IndexError:
                return items

    def _take_unless_held(self) -> list[LoggedPredictions]:
        """Everything queued now; nothing while rows are held (the queue keeps them)."""
        return [] if self._held else self._take()

    def _write(self, items: list[LoggedPredictions]) -> None:
        # the held rows stay counted as held until the database has taken them
        held = self._held
        rows = held + [row for item in items for row in self._rows(item)]
        if not rows:
            return
        for start in range(0, len(rows), self.batch_size):
            part = rows[start : start + self.batch_size]
            try:
                self.store.insert(part)
            except Exception as exc:
                if is_unreachable(exc):  # held, and tried again at the next wake-up
                    self._held = rows[start:]
                    if not held:
                        log.warning(
                            "the registry cannot be reached (%s): %d logged predictions "
                            "held until it answers",
                            first_line(exc),
                            len(self._held),
                        )
                    return
                # the log must not stop: this batch is lost, counted
                log.warning(
                    "%d logged predictions could not be written (%s: %s); dropped",
                    len(part),
                    type(exc).__name__,
                    exc,
                )
                PREDICTION_LOG_DROPPED.labels("write_failed").inc(len(part))
            else:
                PREDICTION_LOG_WRITTEN.inc(len(part))
        self._held = []
        if held:
            log.info("the registry answers again: %d held logged predictions written", len(held))

    def _drop_held(self) -> None:
        """At shutdown: what the database never took is lost, and counted."""
        if self._held:
            log.warning(
                "%d logged predictions held for the registry are dropped at shutdown",
                len(self._held),
            )
            PREDICTION_LOG_DROPPED.labels("write_failed").inc(len(self._held))
            self._held = []

    def _rows(self, item: LoggedPredictions) -> list[tuple[Any, ...]]:
        """The item's rows, as the store takes them (tuples in its COLUMNS' order)."""
        answers = item.answers
        classes = [str(c) for c in item.classes]
        segments = [item.segments] * len(item) if isinstance(item.segments, str) else item.segments
        texts: Sequence[str | None] = item.texts if self.keep_texts else [None] * len(item)
        return [
            (
                prediction_id,
                item.model_id,
                item.version,
                item.reference,
                segment,
                item.at,
                str(label),
                float(confidence),
                dict(zip(classes, map(float, proba), strict=True)),
                item.latency_ms,
                text,
                None if known is None else float(known),
            )
            for prediction_id, segment, text, label, confidence, proba, known in zip(
                item.ids,
                segments,
                texts,
                answers.labels,
                answers.confidences,
                answers.probabilities,
                answers.known_token_share,
                strict=True,
            )
        ]

    def _delete_old(self) -> None:
        cutoff = datetime.now(UTC) - timedelta(days=self.retention_days)
        try:
            deleted = self.store.delete_before(cutoff)
        except Exception as exc:
            log.warning("old logged predictions could not be deleted (%s: %s)", type(exc), exc)
            return
        if deleted:
            log.info("deleted %d logged predictions older than %s", deleted, cutoff)
