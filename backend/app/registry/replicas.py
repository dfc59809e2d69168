"""The API replicas' heartbeats, in the same database as the rest of the registry (table
`replicas`, revision 0015): each replica beats every REPLICA_HEARTBEAT_SECONDS, and any
replica reads when the others last did.

Every time here is the database's clock (PostgreSQL's `now()`), read in the transaction
that writes or compares it: replicas on hosts whose clocks differ still agree on who has
stopped. A SQLite registry serves one process, whose clock is the only one."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.registry.sql_tasks import rowcount
from app.registry.tables import ReplicaRow, utcnow


@dataclass(frozen=True)
class Heartbeats:
    """What the registry knew of the replicas at `now` (the database's clock): when each
    one started and last beat."""

    now: datetime
    started: dict[str, datetime]
    last_seen: dict[str, datetime]


class SqlReplicas:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def _now(self, s: Session) -> datetime:
        if self._engine.dialect.name == "sqlite":
            return utcnow()
        now = s.scalar(select(func.now()))
        assert now is not None
        return now

    def beat(self, name: str, *, starting: bool = False) -> datetime:
        """Record that the replica `name` is alive now (and, `starting`, that it started
        now); the row is made if it is missing. The time recorded."""
        with self._session() as s:
            now = self._now(s)
            fields = {"last_seen": now, **({"started_at": now} if starting else {})}
            query = update(ReplicaRow).where(ReplicaRow.name == name).values(**fields)
            if rowcount(s.execute(query)):
                return now
        try:
            with self._session() as s:
                s.add(ReplicaRow(name=name, started_at=now, last_seen=now))
        except IntegrityError:  # made meanwhile by another process of the same name
            return self.beat(name, starting=starting)
        return now

    def remove(self, name: str) -> None:
        """The replica stopped cleanly: it has no heartbeat any more."""
        with self._session() as s:
            s.execute(delete(ReplicaRow).where(ReplicaRow.name == name))

    def forget(self, older_than_s: float) -> list[str]:
        """Remove the rows of replicas that have not beaten for more than `older_than_s`
        seconds (replicas that died without a clean stop); their names."""
        with self._session() as s:
            bound = self._now(s) - timedelta(seconds=older_than_s)
            where = ReplicaRow.last_seen < bound
            names = list(s.scalars(select(ReplicaRow.name).where(where)))
            if names:
                s.execute(delete(ReplicaRow).where(where, ReplicaRow.name.in_(names)))
        return names

    def heartbeats(self) -> Heartbeats:
        with self._session() as s:
            now = self._now(s)
            rows = s.execute(select(ReplicaRow.name, ReplicaRow.started_at, ReplicaRow.last_seen))
            started, last_seen = {}, {}
            for name, started_at, seen in rows:
                started[name], last_seen[name] = started_at, seen
        return Heartbeats(now=now, started=started, last_seen=last_seen)
