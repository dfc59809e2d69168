"""How a Dask task follows its child's events (`dask_job._follow`), with the registry's
PostgreSQL behind a relay the test cuts: a start the registry could not take is written
before the next progress, so the task shows running once the database answers. The
events are the test's own, put in the queue a child would write to, one at a time."""

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.registry.entities import TaskRecord
from app.registry.sql import SqlRegistry
from app.registry.tables import utcnow
from app.tasks import dask_job
from shared.schemas import TaskStatus
from testkit.relay import postgres_behind_relay


def _until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not {what} after {timeout}s"
        time.sleep(0.05)


def test_a_start_lost_to_an_outage_is_written_before_the_next_progress(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=dask_job.__name__)
    context = multiprocessing.get_context("forkserver")
    events: Any = context.Queue()
    child = context.Process(target=time.sleep, args=(60,), daemon=True)  # stands for the fit
    child.start()
    with postgres_behind_relay() as (url, relay):
        registry = SqlRegistry(url)
        task = registry.add_task(TaskRecord.new(message="queued"))
        outcome: list[Any] = []
        follower = threading.Thread(
            target=lambda: outcome.append(
                dask_job._follow(task.id, child, events, registry, "dask tcp://test:1")
            ),
            daemon=True,
        )
        try:
            follower.start()
            relay.cut()
            events.put(("started", task.id, child.pid))
            _until(lambda: "its start was not recorded" in caplog.text, "the start tried")
            relay.restore()
            events.put(("progress", task.id, 0.5, "halfway", 30.0))
            _until(
                lambda: registry.get_task(task.id).progress == 0.5,  # type: ignore[union-attr]
                "the progress recorded",
            )
            events.put(("result", "the fit's result"))
            follower.join(timeout=30)

            recorded = registry.get_task(task.id)
            assert recorded is not None and recorded.status == TaskStatus.RUNNING
            assert recorded.worker == "dask tcp://test:1" and recorded.message == "halfway"
            # the pace's estimate, from when the report arrived: about 30 s ahead
            assert recorded.expected_finish_at is not None
            ahead = (recorded.expected_finish_at - utcnow()).total_seconds()
            assert 15 < ahead <= 30, ahead
            assert outcome == ["the fit's result"]
        finally:
            relay.restore()
            registry.close()
            child.kill()
