"""The registry-wide lock (work done once however many replicas start) and the cheap
read of the loaded models every replica converges on."""

import threading
import time

from app.registry.sql import SqlRegistry
from shared.schemas import ModelStatus
from testkit.records import model_record


def test_the_lock_lets_one_holder_in_at_a_time(registry: SqlRegistry) -> None:
    """Two registries (two replicas' engines, on PostgreSQL two sessions) take the same
    lock: the second waits until the first lets go; another name does not wait."""
    other = SqlRegistry(registry.engine.url.render_as_string(hide_password=False))
    events: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with registry.exclusive("defaults"):
            events.append("first in")
            holding.set()
            time.sleep(0.5)
            events.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(10)
    with other.exclusive("something else"):
        events.append("other name in")
    with other.exclusive("defaults"):
        events.append("second in")
    thread.join()
    assert events == ["first in", "other name in", "first out", "second in"]
    other.close()


def test_loaded_model_versions_are_the_ready_loaded_ones(registry: SqlRegistry) -> None:
    registry.add_model_version(model_record("on", status=ModelStatus.READY, loaded=True))
    registry.add_model_version(model_record("off", status=ModelStatus.READY, loaded=False))
    registry.add_model_version(model_record("failed", status=ModelStatus.FAILED, loaded=True))
    stored = registry.get_model("on")
    assert stored is not None
    assert registry.loaded_model_versions() == {"on": stored.version}
