"""The prediction log's writer on a real registry (SQLite and PostgreSQL): what is queued
is written at shutdown without waiting out the writer's interval, rows keep every field,
and a batch the database refuses is dropped and counted while the writer goes on; while
the database cannot be reached (PostgreSQL behind a relay, cut), the rows are held and
written once it answers."""

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from app.core.metrics import REGISTRY
from app.ml.bundle import Predictions
from app.registry.prediction_log import SqlPredictionLog
from app.registry.sql import SqlRegistry
from app.registry.tables import PredictionRow
from app.services.prediction_log import LoggedPredictions, PredictionLog
from testkit.relay import postgres_behind_relay


def _log(registry: SqlRegistry, interval_s: float, queue_size: int = 100) -> PredictionLog:
    return PredictionLog(
        store=SqlPredictionLog(registry.engine),
        enabled=True,
        keep_texts=True,
        retention_days=0,
        queue_size=queue_size,
        batch_size=7,
        interval_s=interval_s,
    )


def _item(ids: list[str], segments: str | list[str] = "north") -> LoggedPredictions:
    n = len(ids)
    return LoggedPredictions(
        model_id="m1",
        version=3,
        reference="toxic@production",
        segments=segments,
        texts=[f"text {i}" for i in ids],
        ids=ids,
        answers=Predictions(
            labels=["spam"] * n,
            confidences=[0.75] * n,
            probabilities=[[0.25, 0.75]] * n,
            known_token_share=[1.0] * n,
        ),
        classes=["ham", "spam"],
        latency_ms=2.5,
        at=datetime(2026, 12, 1, 12, 30, tzinfo=UTC),
    )


def _rows(registry: SqlRegistry) -> list[PredictionRow]:
    with registry.engine.connect() as conn:
        query = select(PredictionRow).order_by(PredictionRow.id)
        return list(conn.execute(query).all())  # type: ignore[arg-type]


def test_shutdown_writes_what_is_queued_at_once(registry: SqlRegistry) -> None:
    log = _log(registry, interval_s=60)  # the writer would otherwise sleep for a minute
    log.start()
    ids = [f"{i:032x}" for i in range(20)]  # more than a batch: several statements
    log.record(_item(ids[:15]))
    log.record(_item(ids[15:], segments=["a", "b", "c", "d", "e"]))
    started = time.monotonic()
    log.stop()
    assert time.monotonic() - started < 10
    rows = _rows(registry)
    assert [r.id for r in rows] == ids
    first, last = rows[0], rows[-1]
    assert (first.model_id, first.model_version, first.reference) == ("m1", 3, "toxic@production")
    assert (first.segment, last.segment) == ("north", "e")
    assert (first.label, first.confidence, first.latency_ms) == ("spam", 0.75, 2.5)
    assert first.probabilities == {"ham": 0.25, "spam": 0.75}
    assert first.text == "text 00000000000000000000000000000000"
    assert first.created_at == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)  # aware, either store


def _dropped(reason: str) -> float:
    value = REGISTRY.get_sample_value("textclf_prediction_log_dropped_total", {"reason": reason})
    return value or 0.0


def _failed() -> float:
    return _dropped("write_failed")


def _wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_refused_batch_is_dropped_and_counted(registry: SqlRegistry) -> None:
    failed_before = _failed()
    log = _log(registry, interval_s=0.01)
    log.start()
    try:
        log.record(_item(["dup", "dup"]))  # the same id twice: the database refuses
        _wait_for(lambda: _failed() - failed_before == 2)
        log.record(_item(["fine"]))  # and the writer goes on
        _wait_for(lambda: bool(_rows(registry)))
    finally:
        log.stop()
    assert _failed() - failed_before == 2
    assert [r.id for r in _rows(registry)] == ["fine"]


def test_flush_writes_what_is_queued_now_while_the_writer_sleeps(registry: SqlRegistry) -> None:
    log = _log(registry, interval_s=60)
    log.start()
    try:
        log.record(_item(["a", "b"]))
        assert _rows(registry) == []  # the writer sleeps for a minute
        log.flush()
        assert [row.id for row in _rows(registry)] == ["a", "b"]
        log.flush()  # nothing queued: nothing written twice
        assert len(_rows(registry)) == 2
    finally:
        log.stop()


def test_an_outage_holds_the_rows_and_writes_them_once_the_database_answers() -> None:
    with postgres_behind_relay() as (url, relay):
        registry = SqlRegistry(url)
        log = _log(registry, interval_s=0.05, queue_size=3)
        failed_before, full_before = _dropped("write_failed"), _dropped("queue_full")
        log.start()
        try:
            log.record(_item(["before"]))
            _wait_for(lambda: len(_rows(registry)) == 1)
            relay.cut()
            log.record(_item([f"held-{i}" for i in range(10)]))  # more than a batch
            _wait_for(lambda: log.held == 10)
            assert log.held == 10  # taken, not written, not dropped
            # held rows stop the writer taking more: the queue keeps 3 requests, the rest
            # is dropped and counted, so an outage's memory stays bounded
            for i in range(5):
                log.record(_item([f"queued-{i}"]))
            # a few wake-ups while the database is still gone: each tries the held rows
            # again, and they count as held throughout, while a try is under way too
            seen: set[int] = set()
            deadline = time.monotonic() + 0.5
            while time.monotonic() < deadline:
                seen.add(log.held)
                time.sleep(0.0005)
            assert seen == {10}
            relay.restore()
            _wait_for(lambda: len(_rows(registry)) == 14, timeout=30)
        finally:
            log.stop()
            relay.restore()
        ids = [r.id for r in _rows(registry)]
        registry.close()
    assert sorted(ids) == sorted(
        ["before", *[f"held-{i}" for i in range(10)], "queued-0", "queued-1", "queued-2"]
    )
    assert _dropped("write_failed") == failed_before  # nothing lost to the outage
    assert _dropped("queue_full") - full_before == 2  # beyond the bound, counted
