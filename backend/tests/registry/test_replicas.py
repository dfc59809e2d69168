"""The replicas' heartbeats in the registry, on SQLite and PostgreSQL: a beat makes or
refreshes a replica's row on the database's clock, a clean stop removes it, and the
row of a replica silent for a day is forgotten."""

import time

from app.registry.replicas import SqlReplicas
from app.registry.sql import SqlRegistry
from testkit.replicas import age_heartbeat


def test_a_beat_makes_the_row_then_refreshes_it(registry: SqlRegistry) -> None:
    store = SqlReplicas(registry.engine)
    first = store.beat("api-1", starting=True)
    time.sleep(0.01)
    later = store.beat("api-1")
    seen = store.heartbeats()
    assert later > first
    assert seen.started == {"api-1": first}  # a beat keeps the start
    assert seen.last_seen == {"api-1": later}
    assert seen.now >= later and seen.now.tzinfo is not None


def test_a_start_again_under_the_same_name_restarts_the_row(registry: SqlRegistry) -> None:
    store = SqlReplicas(registry.engine)
    store.beat("api-1", starting=True)
    time.sleep(0.01)
    again = store.beat("api-1", starting=True)
    assert store.heartbeats().started == {"api-1": again}


def test_a_clean_stop_removes_the_row_and_a_late_beat_makes_it_again(
    registry: SqlRegistry,
) -> None:
    store = SqlReplicas(registry.engine)
    store.beat("api-1", starting=True)
    store.beat("api-2", starting=True)
    store.remove("api-1")
    assert set(store.heartbeats().last_seen) == {"api-2"}
    # a replica taken for stopped that was only late: its next beat records it again
    beat = store.beat("api-1")
    assert store.heartbeats().last_seen["api-1"] == beat


def test_the_rows_of_replicas_long_silent_are_forgotten(registry: SqlRegistry) -> None:
    store = SqlReplicas(registry.engine)
    for name in ("alive", "late", "long-gone"):
        store.beat(name, starting=True)
    age_heartbeat(registry.engine, "late", 3_000)
    age_heartbeat(registry.engine, "long-gone", 90_000)
    assert store.forget(older_than_s=86_400) == ["long-gone"]
    assert set(store.heartbeats().last_seen) == {"alive", "late"}
    assert store.forget(older_than_s=86_400) == []
