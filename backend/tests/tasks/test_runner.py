"""The local pool's relay of a fit's events: a start the registry could not take (it was
unreachable) is handed on again before the task's next event, so the task still shows
running, with its progress, once the registry answers."""

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.ml.training import TrainResult, TrainSpec
from app.tasks import ownership
from app.tasks.runner import TrainingRunner
from testkit.samples import labelled_csv
from testkit.servers import free_port
from testkit.training import train_spec


def _refused() -> OperationalError:
    """What the registry raises while PostgreSQL cannot be reached (nothing listens)."""
    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("nothing listens, yet it answered")


def _spec(tmp_path: Path) -> TrainSpec:
    data = tmp_path / "data.csv"
    data.write_bytes(labelled_csv(3000))
    ownership.create(tmp_path / "m.zip")  # as a fit is queued: its worker may write it
    return train_spec(data, tmp_path / "m.zip")


def test_a_start_the_registry_could_not_take_is_handed_on_before_the_next_event(
    tmp_path: Path,
) -> None:
    refused = _refused()
    handed: list[tuple[Any, ...]] = []  # what the handler was given, in order
    recorded: list[str] = []  # what it could record

    def on_event(event: tuple[Any, ...]) -> None:
        handed.append(event)
        if event[0] == "started" and handed.count(event) == 1:
            raise refused  # the registry is gone for the start, back for what follows
        recorded.append(event[0])

    ended = threading.Event()

    def on_done(task_id: str, future: "Future[TrainResult]") -> None:
        future.result()
        ended.set()

    runner = TrainingRunner(1, on_event, idle_seconds=60)
    runner.start()
    try:
        runner.submit("t1", _spec(tmp_path), on_done)
        assert ended.wait(120), "the fit never ended"
    finally:
        runner.stop()

    kinds = [event[0] for event in handed]
    assert kinds[:3] == ["started", "started", "progress"], kinds
    assert handed[0] == handed[1]  # the same start (its pid), handed on again
    assert recorded[0] == "started" and recorded.count("started") == 1
    assert "progress" in recorded[1:]


def test_an_event_whose_handler_fails_otherwise_is_not_handed_on_again(tmp_path: Path) -> None:
    handed: list[str] = []

    def on_event(event: tuple[Any, ...]) -> None:
        handed.append(event[0])
        if event[0] == "started":
            raise ValueError("a bug, not an outage: another try would fail the same way")

    ended = threading.Event()
    runner = TrainingRunner(1, on_event, idle_seconds=60)
    runner.start()
    try:
        runner.submit("t1", _spec(tmp_path), lambda task_id, future: ended.set())
        assert ended.wait(120), "the fit never ended"
    finally:
        runner.stop()

    assert handed.count("started") == 1
    assert "progress" in handed
