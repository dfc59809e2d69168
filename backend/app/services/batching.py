"""Micro-batching: concurrent predict requests for one model share one predict call.

Each call to a scikit-learn pipeline has a fixed cost (input checks, sparse matrix set-up)
that dwarfs the per-text work for one short text, so a server that predicts one request
at a time spends most of its CPU on overhead. Here requests for the same model queue in
a lane; one batch per lane runs at a time, in the prediction process for scikit-learn models
(`predict_process.py`) or a worker thread for the others, so the event loop keeps
reading requests while it runs, and those requests form the next batch. A lone
request waits at most `max_wait_s` for company (nothing when it is 0); under load the
batches fill while the previous ones run, without any timer. Up to `max_in_flight`
batches of a lane run at once: while the prediction process works on one, the next is
already waiting in its socket, so neither the child nor the event loop sits idle waiting
for the other.

A request is never split: a batch takes whole requests while they fit in `max_batch`
texts, and a request larger than that runs as a batch of its own. Answers are cut out of
the batch's result by each request's offset, so everyone gets their own texts' answers in
their order. When a batch of several requests fails, each request runs again alone, so an
error reaches only the request that causes it.
"""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from app.ml.bundle import TrainedModel
from app.services.predict_process import Answers, PredictProcess

log = logging.getLogger(__name__)

# A request with more texts than this predicts in a thread, not in the one prediction
# process, where it would hold up every model's micro-batches (512 texts: ~40 ms).
PROCESS_MAX_TEXTS = 512


@dataclass
class _Job:
    model: TrainedModel
    texts: Sequence[str]
    future: "asyncio.Future[Answers]"
    arrived: float = field(default_factory=time.monotonic)


@dataclass
class _Lane:
    """The queue of one model's waiting requests and whether a drain task serves it."""

    pending: deque[_Job] = field(default_factory=deque)
    texts: int = 0
    full: asyncio.Event = field(default_factory=asyncio.Event)
    task: "asyncio.Task[None] | None" = None
    running: int = 0  # batches in flight
    slot_free: asyncio.Event = field(default_factory=asyncio.Event)


class PredictBatcher:
    def __init__(
        self,
        *,
        process: PredictProcess,
        max_batch: int,
        max_wait_s: float,
        max_in_flight: int = 2,
        threads: int = 2,
    ) -> None:
        self.process = process  # where scikit-learn batches run
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.max_in_flight = max_in_flight
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="predict")
        self._lanes: dict[str, _Lane] = {}
        self._batches: set[asyncio.Task[None]] = set()  # strong references while they run

    def start(self) -> None:
        self.process.start()

    async def predict(self, key: str, model: TrainedModel, texts: Sequence[str]) -> Answers:
        """Predictions for `texts`, predicted together with concurrent requests
        for the same `key` (the model id) and model object."""
        job = _Job(model, texts, asyncio.get_running_loop().create_future())
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        lane.pending.append(job)
        lane.texts += len(texts)
        if lane.texts >= self.max_batch:
            lane.full.set()
        if lane.task is None:
            lane.task = asyncio.create_task(self._drain(key, lane))
        return await job.future

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.process.close()

    async def _drain(self, key: str, lane: _Lane) -> None:
        try:
            while lane.pending:
                while lane.running >= self.max_in_flight:
                    lane.slot_free.clear()
                    await lane.slot_free.wait()
                await self._gather(lane)
                batch = self._take(lane)
                if batch:
                    lane.running += 1
                    task = asyncio.create_task(self._run_in_lane(key, lane, batch))
                    self._batches.add(task)
                    task.add_done_callback(self._batches.discard)
        finally:
            lane.task = None
            self._forget_if_idle(key, lane)

    async def _run_in_lane(self, key: str, lane: _Lane, batch: list[_Job]) -> None:
        try:
            await self._run(batch)
        finally:
            lane.running -= 1
            lane.slot_free.set()
            self._forget_if_idle(key, lane)

    def _forget_if_idle(self, key: str, lane: _Lane) -> None:
        idle = lane.task is None and not lane.pending and lane.running == 0
        if idle and self._lanes.get(key) is lane:
            del self._lanes[key]

    async def _gather(self, lane: _Lane) -> None:
        """Give requests already on their way a chance to join the batch."""
        wait = lane.pending[0].arrived + self.max_wait_s - time.monotonic()
        if wait <= 0 or lane.texts >= self.max_batch:
            await asyncio.sleep(0)  # one loop turn: requests read meanwhile queue up
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(lane.full.wait(), wait)

    def _take(self, lane: _Lane) -> list[_Job]:
        batch: list[_Job] = []
        size = 0
        while lane.pending:
            job = lane.pending[0]
            if job.future.done():  # the caller went away (cancelled)
                lane.pending.popleft()
                lane.texts -= len(job.texts)
                continue
            fits = size + len(job.texts) <= self.max_batch
            if batch and (not fits or job.model is not batch[0].model):
                break
            lane.pending.popleft()
            lane.texts -= len(job.texts)
            batch.append(job)
            size += len(job.texts)
        if lane.texts < self.max_batch:
            lane.full.clear()
        return batch

    async def _run(self, batch: list[_Job]) -> None:
        texts = batch[0].texts if len(batch) == 1 else [t for j in batch for t in j.texts]
        try:
            answers = await self._predict(batch[0].model, texts)
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0], exc)
                return
            log.warning(
                "a batch of %d requests failed (%s: %s); each runs again alone",
                len(batch),
                type(exc).__name__,
                exc,
            )
            for job in batch:  # find the culprit: the others still get answers
                await self._run([job])
            return
        start = 0
        for job in batch:
            end = start + len(job.texts)
            _settle(job, answers.part(start, end))
            start = end

    async def _predict(self, model: TrainedModel, texts: Sequence[str]) -> Answers:
        if model.flavor == "sklearn" and len(texts) <= PROCESS_MAX_TEXTS:
            return await self.process.predict(model, texts)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, model.predict, texts)


def _settle(job: _Job, outcome: Answers | Exception) -> None:
    if job.future.done():
        return
    if isinstance(outcome, Exception):
        job.future.set_exception(outcome)
    else:
        job.future.set_result(outcome)
