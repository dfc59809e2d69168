"""Which replicas have stopped: the staleness rule on the registry's heartbeats, and this
replica's heartbeat (a thread that beats, a clean stop that removes it)."""

from datetime import UTC, datetime, timedelta, timezone

from app.registry.replicas import Heartbeats, SqlReplicas
from app.registry.sql import SqlRegistry
from app.services.heartbeats import Heartbeat, stopped_replicas, why_stopped
from testkit.replicas import age_heartbeat, within

NOW = datetime(2026, 12, 5, 12, 0, 0, tzinfo=UTC)


def seen(**ages_s: float) -> Heartbeats:
    last_seen = {name: NOW - timedelta(seconds=age) for name, age in ages_s.items()}
    return Heartbeats(now=NOW, started=dict(last_seen), last_seen=last_seen)


def test_a_replica_is_stopped_once_its_last_beat_is_older_than_the_bound() -> None:
    heartbeats = seen(fresh=1, late=59.9, stale=60.1, long_gone=3600)
    found = stopped_replicas(["fresh", "late", "stale", "long_gone"], heartbeats, stale_s=60)
    assert found == {
        "stale": NOW - timedelta(seconds=60.1),
        "long_gone": NOW - timedelta(seconds=3600),
    }


def test_a_replica_with_no_heartbeat_on_record_is_stopped() -> None:
    """It stopped cleanly (its row removed), or it ran a release from before heartbeats."""
    assert stopped_replicas(["unknown"], seen(other=0), stale_s=60) == {"unknown": None}


def test_the_error_names_the_replica_and_its_last_beat() -> None:
    assert why_stopped("api-1:8000", NOW) == (
        "the replica api-1:8000 that ran it stopped (no heartbeat since 2026-12-05 12:00:00 "
        "UTC); start it again"
    )
    assert "(no heartbeat on record)" in why_stopped("api-1:8000", None)


def test_a_heartbeat_beats_until_it_stops_and_then_is_gone(registry: SqlRegistry) -> None:
    store = SqlReplicas(registry.engine)
    heartbeat = Heartbeat(store=store, name="me", interval_s=0.05, stale_s=0.5)
    heartbeat.start()
    try:
        first = store.heartbeats().last_seen["me"]  # beaten at start, before the thread
        assert within(10, lambda: store.heartbeats().last_seen["me"] > first) is not None
    finally:
        heartbeat.stop()
    assert "me" not in store.heartbeats().last_seen


def test_a_heartbeat_never_finds_its_own_replica_stopped(registry: SqlRegistry) -> None:
    store = SqlReplicas(registry.engine)
    store.beat("gone", starting=True)
    store.beat("alive", starting=True)
    age_heartbeat(registry.engine, "gone", 61)
    heartbeat = Heartbeat(store=store, name="me", interval_s=10, stale_s=60)
    # "me" has not started (no row): still not stopped, for itself
    stopped = heartbeat.stopped(["me", "alive", "gone", "never"])
    assert set(stopped) == {"gone", "never"}
    assert stopped["gone"].startswith("the replica gone that ran it stopped (no heartbeat since")


def test_the_last_beat_is_said_in_utc_whatever_the_databases_zone() -> None:
    berlin = NOW.astimezone(timezone(timedelta(hours=1)))
    assert "since 2026-12-05 12:00:00 UTC" in why_stopped("api-1", berlin)


def test_a_starting_heartbeat_forgets_replicas_silent_for_a_day(registry: SqlRegistry) -> None:
    store = SqlReplicas(registry.engine)
    store.beat("died-last-week", starting=True)
    store.beat("stopped-a-minute-ago", starting=True)
    age_heartbeat(registry.engine, "died-last-week", 7 * 86_400)
    age_heartbeat(registry.engine, "stopped-a-minute-ago", 61)
    heartbeat = Heartbeat(store=store, name="me", interval_s=10, stale_s=60)
    heartbeat.start()
    try:
        assert set(store.heartbeats().last_seen) == {"me", "stopped-a-minute-ago"}
        # a task of the forgotten replica still counts as a stopped replica's
        assert "(no heartbeat on record)" in heartbeat.stopped(["died-last-week"])["died-last-week"]
    finally:
        heartbeat.stop()
