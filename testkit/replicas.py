"""API replicas for tests: real `python -m app` processes over one registry and one shared
MODELS_DIR / DATASETS_DIR / RETRIEVERS_DIR, and a wait for what they converge on."""

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select, update

from app.registry.tables import ReplicaRow
from testkit.servers import BackendServer


def replica_server(
    root: Path, shared: Path, url: str, name: str, env: dict[str, str] | None = None
) -> BackendServer:
    """A replica named `name` (its X-Replica header) with its own logs under root/name."""
    return BackendServer(
        root=root / name,
        database_url=url,
        env={
            "REPLICA_NAME": name,
            "MODELS_DIR": str(shared / "models"),
            "DATASETS_DIR": str(shared / "datasets"),
            "RETRIEVERS_DIR": str(shared / "retrievers"),
            **(env or {}),
        },
    )


def age_heartbeat(engine: Engine, name: str, seconds: float) -> None:
    """Make the replica `name`'s last heartbeat `seconds` older, as if it had stopped
    beating that long ago (no wait, however busy the machine)."""
    with engine.begin() as conn:
        where = ReplicaRow.name == name
        last_seen = conn.execute(select(ReplicaRow.last_seen).where(where)).scalar_one()
        older = last_seen - timedelta(seconds=seconds)
        conn.execute(update(ReplicaRow).where(where).values(last_seen=older))


def within(seconds: float, condition: Callable[[], bool]) -> float | None:
    """How long the condition took to hold, or None if it did not within `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def assert_gone_soon(path: Path, timeout: float = 10.0) -> None:
    """The replica records a task's end first, then releases its lock (or, for a task
    that ended without a model or retriever, removes its files once no process can write
    them): an answer that says `succeeded` or `failed` may come a moment before that."""
    gone = within(timeout, lambda: not path.exists())
    assert gone is not None, f"{path.name} is still there {timeout:.0f} s on"
