"""Settings that depend on each other are refused together, with why."""

import pytest
from pydantic import ValidationError

from app.core.settings import Settings


def test_a_replica_is_taken_for_stopped_only_after_two_missed_heartbeats() -> None:
    with pytest.raises(ValidationError, match="REPLICA_STALE_SECONDS must be at least two"):
        Settings(replica_heartbeat_seconds=10, replica_stale_seconds=15)
    settings = Settings(replica_heartbeat_seconds=0.5, replica_stale_seconds=2)
    assert (settings.replica_heartbeat_seconds, settings.replica_stale_seconds) == (0.5, 2)
    defaults = Settings()
    assert (defaults.replica_heartbeat_seconds, defaults.replica_stale_seconds) == (10, 60)
