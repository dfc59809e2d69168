"""Aliases in SQL: the current ones in `model_aliases`, every change appended to
`model_alias_history` in the same transaction."""

import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.errors import ConflictError, NotFoundError
from app.registry.alias_store import AliasStore
from app.registry.tables import AliasChangeRow, ModelAliasRow, ModelRow, utcnow
from shared.schemas import AliasAction, AliasChange, AliasRead

# one alias change at a time in this process (PostgreSQL's row lock orders processes)
_ALIAS_LOCK = threading.Lock()


class SqlAliases(AliasStore):
    def _session(self) -> AbstractContextManager[Session]:
        raise NotImplementedError  # SqlRegistry's

    def get_alias(self, name: str, alias: str) -> AliasRead | None:
        with self._session() as s:
            found = list(_alias_reads(s, name, alias))
            return found[0] if found else None

    def list_aliases(self, name: str) -> list[AliasRead]:
        with self._session() as s:
            return list(_alias_reads(s, name))

    def aliases_by_model(self, model_ids: Iterable[str]) -> dict[str, list[str]]:
        ids = list(model_ids)
        if not ids:
            return {}
        query = (
            select(ModelAliasRow.model_id, ModelAliasRow.alias)
            .where(ModelAliasRow.model_id.in_(ids))
            .order_by(ModelAliasRow.alias)
        )
        found: dict[str, list[str]] = {}
        with self._session() as s:
            for model_id, alias in s.execute(query):
                found.setdefault(model_id, []).append(alias)
        return found

    def has_model_name(self, name: str) -> bool:
        with self._session() as s:
            return s.scalar(select(ModelRow.id).where(ModelRow.name == name).limit(1)) is not None

    def model_id_of_version(self, name: str, version: int) -> str | None:
        with self._session() as s:
            return s.scalar(
                select(ModelRow.id).where(ModelRow.name == name, ModelRow.version == version)
            )

    def alias_history(self, name: str, alias: str) -> list[AliasChange]:
        query = (
            select(AliasChangeRow)
            .where(AliasChangeRow.name == name, AliasChangeRow.alias == alias)
            .order_by(AliasChangeRow.created_at, AliasChangeRow.id)
        )
        with self._session() as s:
            return [_change(row) for row in s.scalars(query)]

    def alias_change_at(self, name: str, alias: str, at: datetime) -> AliasChange | None:
        query = (
            select(AliasChangeRow)
            .where(
                AliasChangeRow.name == name,
                AliasChangeRow.alias == alias,
                AliasChangeRow.created_at <= at,
            )
            .order_by(AliasChangeRow.created_at.desc(), AliasChangeRow.id.desc())
            .limit(1)
        )
        with self._session() as s:
            row = s.scalar(query)
            return _change(row) if row else None

    def change_alias(
        self,
        name: str,
        alias: str,
        *,
        model_id: str | None,
        action: AliasAction,
        reason: str,
        caller: str | None,
        expected_last_change: int | None = None,
    ) -> AliasChange:
        try:
            with _ALIAS_LOCK, self._session() as s:
                return _change_in(
                    s,
                    name,
                    alias,
                    model_id=model_id,
                    action=action,
                    reason=reason,
                    caller=caller,
                    expected_last_change=expected_last_change,
                )
        except IntegrityError:
            # another server created the alias, or removed the version, at the same time
            raise ConflictError(
                f"alias {alias!r} of {name!r} changed at the same time; try again"
            ) from None


def _change_in(
    s: Session,
    name: str,
    alias: str,
    *,
    model_id: str | None,
    action: AliasAction,
    reason: str,
    caller: str | None,
    expected_last_change: int | None,
) -> AliasChange:
    current = s.scalar(
        select(ModelAliasRow)
        .where(ModelAliasRow.name == name, ModelAliasRow.alias == alias)
        .with_for_update()
    )
    if expected_last_change is not None:
        last = s.scalar(
            select(AliasChangeRow.id)
            .where(AliasChangeRow.name == name, AliasChangeRow.alias == alias)
            .order_by(AliasChangeRow.created_at.desc(), AliasChangeRow.id.desc())
            .limit(1)
        )
        if last != expected_last_change:
            raise ConflictError(f"alias {alias!r} of {name!r} changed meanwhile; try again")
    from_id = current.model_id if current else None
    now = utcnow()
    if model_id is None:
        if current is None:
            raise NotFoundError(f"model {name!r} has no alias {alias!r}")
        s.execute(
            delete(ModelAliasRow).where(ModelAliasRow.name == name, ModelAliasRow.alias == alias)
        )
    elif current is None:
        s.add(ModelAliasRow(name=name, alias=alias, model_id=model_id, updated_at=now))
    else:
        current.model_id = model_id
        current.updated_at = now
    if action in (AliasAction.SET, AliasAction.MOVE):
        action = AliasAction.MOVE if current is not None else AliasAction.SET
    row = AliasChangeRow(
        name=name,
        alias=alias,
        action=str(action),
        from_version=_version(s, from_id),
        to_version=_version(s, model_id),
        from_model_id=from_id,
        to_model_id=model_id,
        reason=reason,
        caller=caller,
        created_at=now,
    )
    s.add(row)
    s.flush()
    return _change(row)


def _version(s: Session, model_id: str | None) -> int | None:
    if model_id is None:
        return None
    return s.scalar(select(ModelRow.version).where(ModelRow.id == model_id))


def _alias_reads(s: Session, name: str, alias: str | None = None) -> Iterator[AliasRead]:
    query = (
        select(ModelAliasRow, ModelRow.version)
        .join(ModelRow, ModelRow.id == ModelAliasRow.model_id)
        .where(ModelAliasRow.name == name)
        .order_by(ModelAliasRow.alias)
    )
    if alias is not None:
        query = query.where(ModelAliasRow.alias == alias)
    for row, version in s.execute(query):
        yield AliasRead(
            name=row.name,
            alias=row.alias,
            model_id=row.model_id,
            version=version,
            updated_at=row.updated_at,
        )


def _change(row: Any) -> AliasChange:
    return AliasChange.model_validate(row, from_attributes=True)
