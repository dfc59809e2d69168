"""The retrievers' records, in the same database as the rest of the registry."""

import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.registry.tables import RetrieverNameRow, RetrieverRow
from shared.schemas.retrieval import RetrieverRead, RetrieverStatus

_VERSION_RETRIES = 20


class RetrieverRecord(RetrieverRead):
    pass


class SqlRetrievers:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._version_lock = threading.Lock()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def add_version(self, record: RetrieverRecord) -> RetrieverRecord:
        """Store the retriever as the next version of its name (the given one is ignored)."""
        for attempt in range(_VERSION_RETRIES):
            try:
                with self._version_lock, self._session() as s:
                    latest = s.scalar(
                        select(func.max(RetrieverRow.version)).where(
                            RetrieverRow.name == record.name
                        )
                    )
                    # never a number given before, though its version is removed
                    given = s.get(RetrieverNameRow, record.name)
                    version = max(given.last_version if given else 0, latest or 0) + 1
                    if given is None:  # two first versions at once: one insert retries
                        s.add(RetrieverNameRow(name=record.name, last_version=version))
                    else:
                        given.last_version = version
                    record = record.model_copy(update={"version": version})
                    data = record.model_dump(mode="json", exclude={"created_at"})
                    s.add(RetrieverRow(**data, created_at=record.created_at))
                return record
            except IntegrityError:
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise RuntimeError(f"could not allocate a version for retriever {record.name!r}")

    def get(self, retriever_id: str) -> RetrieverRecord | None:
        with self._session() as s:
            row = s.get(RetrieverRow, retriever_id)
            return _record(row) if row else None

    def list(self) -> list[RetrieverRecord]:
        with self._session() as s:
            query = select(RetrieverRow).order_by(RetrieverRow.name, RetrieverRow.version.desc())
            return [_record(r) for r in s.scalars(query)]

    def loaded_ids(self) -> set[str]:
        """The ready retrievers marked loaded: the set a replica may hold (one cheap query,
        asked every REPLICA_SYNC_INTERVAL_MS)."""
        query = select(RetrieverRow.id).where(
            RetrieverRow.loaded.is_(True), RetrieverRow.status == RetrieverStatus.READY.value
        )
        with self._engine.connect() as conn:  # a plain read: no ORM objects, no transaction kept
            return {row.id for row in conn.execute(query)}

    def update(
        self, retriever_id: str, *, only_if_status: str | None = None, **fields: Any
    ) -> bool:
        """Update a retriever (only while its status is `only_if_status`, when given)."""
        with self._session() as s:
            query = update(RetrieverRow).where(RetrieverRow.id == retriever_id)
            if only_if_status is not None:
                query = query.where(RetrieverRow.status == only_if_status)
            return bool(s.execute(query.values(**fields)).rowcount)  # type: ignore[attr-defined]

    def delete(self, retriever_id: str) -> bool:
        with self._session() as s:
            result = s.execute(delete(RetrieverRow).where(RetrieverRow.id == retriever_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]


def _record(row: RetrieverRow) -> RetrieverRecord:
    return RetrieverRecord.model_validate(row, from_attributes=True)
