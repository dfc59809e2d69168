"""Start-up work over a registry that cannot be reached yet: the default models wait for
PostgreSQL (behind a relay the test cuts) instead of failing for good, and become ready
once it answers; any other error is final at once. A shutdown that ends the work ends it
quietly: not a failure of the work."""

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.registry.sql import SqlRegistry
from app.services.defaults import DEFAULT_MODELS, DefaultModels
from app.services.memory import LoadedModels
from app.services.models import ModelService
from shared.schemas import ModelStatus
from testkit.data import DEMO_CSV
from testkit.relay import Relay, postgres_behind_relay
from testkit.training import training_service


@dataclass
class Defaults:
    work: DefaultModels  # its registry and memory: work.models.registry, .memory
    relay: Relay


def _defaults(registry: SqlRegistry, root: Path, demo_path: Path) -> DefaultModels:
    training = training_service(registry, root)
    models = ModelService(registry=registry, memory=LoadedModels(), models_dir=root / "models")
    return DefaultModels(
        demo_path=demo_path, datasets=training.datasets, training=training, models=models
    )


@pytest.fixture
def behind_relay(tmp_path: Path) -> Iterator[Defaults]:
    """The default models of a registry on a fresh PostgreSQL database reached through a
    relay (started, not yet cut)."""
    with postgres_behind_relay() as (url, relay):
        registry = SqlRegistry(url)
        work = _defaults(registry, tmp_path, DEMO_CSV)
        try:
            yield Defaults(work, relay)
        finally:
            work.stop()
            work.training.stop()
            relay.restore()  # so the registry closes cleanly
            registry.close()


def _until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not {what} after {timeout}s")


def test_the_default_models_wait_for_the_registry_then_become_ready(
    behind_relay: Defaults,
) -> None:
    work, relay = behind_relay.work, behind_relay.relay
    relay.cut()  # the database is gone just as the server starts its start-up work

    work.prepare_in_background()

    _until(lambda: work.attempts >= 2, 30, "tried twice")
    assert not work.ready.is_set()
    assert work.error is None  # not final
    assert work.waiting and "127.0.0.1" in work.waiting, work.waiting  # psycopg's own words

    relay.restore()
    _until(work.ready.is_set, 600, "ready once the registry answers")

    assert work.error is None and work.waiting is None
    models = work.models.registry.list_models()
    assert sorted(m.name for m in models) == sorted(name for name, _, _ in DEFAULT_MODELS)
    assert all(m.status == ModelStatus.READY and m.is_default for m in models)
    assert work.models.memory.ids() == {m.id for m in models}  # loaded


def test_an_error_other_than_the_registry_is_final_at_once(tmp_path: Path) -> None:
    registry = SqlRegistry(f"sqlite:///{tmp_path / 'registry.db'}")
    work = _defaults(registry, tmp_path, tmp_path / "no-such-demo.csv")
    try:
        work.prepare_in_background().join(timeout=60)

        assert work.error and "no-such-demo.csv" in work.error and "missing" in work.error
        assert work.attempts == 1 and work.waiting is None
        assert not work.ready.is_set()
    finally:
        work.training.stop()
        registry.close()


def test_stop_ends_a_wait_for_the_registry(behind_relay: Defaults) -> None:
    work = behind_relay.work
    behind_relay.relay.cut()
    thread = work.prepare_in_background()
    _until(lambda: work.waiting is not None, 30, "waiting")

    work.stop()

    thread.join(timeout=35)  # at most one pause, however long it has grown
    assert not thread.is_alive()
    assert not work.ready.is_set() and work.error is None


def test_a_shutdown_during_the_work_ends_it_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.services.start_up")
    registry = SqlRegistry(f"sqlite:///{tmp_path / 'registry.db'}")
    work = _defaults(registry, tmp_path, DEMO_CSV)
    try:
        thread = work.prepare_in_background()
        _until(registry.list_tasks, 60, "a default model queued")

        work.stop()  # in the order the server stops them
        work.training.stop()

        thread.join(timeout=60)
        assert not thread.is_alive()
    finally:
        work.training.stop()
        registry.close()
    assert not work.ready.is_set() and work.error is None
    ended = [r for r in caplog.records if r.name == "app.services.start_up"]
    assert [r.levelno for r in ended] == [logging.INFO], caplog.text
    assert "the default models: not prepared, the server stopped" in ended[0].getMessage()
