"""Aliases of a model name: set, move, delete, roll back, and their history.

Moving an alias loads its target first (when it is not in memory yet) and only then
switches it, in one transaction: a request that names the alias resolves to the old
version or the new one, both loaded, and never fails for the switch. The version it
leaves stays loaded (unload it yourself when no request can still be on its way)."""

import logging
from datetime import datetime

from app.core.errors import ConflictError, NotFoundError
from app.core.times import as_utc
from app.registry.base import Registry
from app.registry.entities import ModelRecord
from app.services.models import ModelService
from shared.schemas import AliasAction, AliasAt, AliasChange, AliasRead, ModelStatus

log = logging.getLogger(__name__)


class AliasService:
    def __init__(self, *, registry: Registry, models: ModelService) -> None:
        self.registry = registry
        self.models = models

    def of_name(self, name: str) -> list[AliasRead]:
        self._require_name(name)
        return self.registry.list_aliases(name)

    def get(self, name: str, alias: str) -> AliasRead:
        found = self.registry.get_alias(name, alias)
        if found is None:
            self._require_name(name)
            raise NotFoundError(f"model {name!r} has no alias {alias!r}")
        return found

    def set(
        self, name: str, alias: str, *, version: int, reason: str, caller: str | None
    ) -> AliasRead:
        """Point the alias at a ready version of its name, loaded first. Pointing it where
        it points already changes nothing and adds nothing to its history."""
        model_id = self._ready_version(name, version)
        self.models.load(model_id)
        current = self.registry.get_alias(name, alias)
        if current is not None and current.model_id == model_id:
            return current
        change = self.registry.change_alias(
            name, alias, model_id=model_id, action=AliasAction.SET, reason=reason, caller=caller
        )
        _log(change)
        return self.get(name, alias)

    def delete(self, name: str, alias: str, *, reason: str, caller: str | None) -> AliasChange:
        self._require_name(name)
        change = self.registry.change_alias(
            name, alias, model_id=None, action=AliasAction.DELETE, reason=reason, caller=caller
        )
        _log(change)
        return change

    def rollback(self, name: str, alias: str, *, reason: str, caller: str | None) -> AliasRead:
        """Back to the version the alias named before its last change; again, one more
        step back (each rollback undoes one set, move or delete)."""
        self._require_name(name)
        history = self.registry.alias_history(name, alias)
        if not history:  # never set: unknown, as reading it is (a deleted one has history)
            raise NotFoundError(f"model {name!r} has no alias {alias!r}")
        earlier = _earlier_versions(history)
        if not earlier:
            raise ConflictError(
                f"alias {alias!r} of {name!r} has no earlier version to roll back to"
            )
        before, version = earlier[-1]
        try:
            model_id = self._ready(self.models.get(before)).id
        except NotFoundError:
            raise ConflictError(
                f"v{version} of {name!r}, which {alias!r} named before (model {before}), was "
                "removed; set the alias to a version instead"
            ) from None
        self.models.load(model_id)
        change = self.registry.change_alias(
            name,
            alias,
            model_id=model_id,
            action=AliasAction.ROLLBACK,
            reason=reason,
            caller=caller,
            expected_last_change=history[-1].id,
        )
        _log(change)
        return self.get(name, alias)

    def history(self, name: str, alias: str) -> list[AliasChange]:
        """Every change of the alias, oldest first; a 404 for an alias never set (a deleted
        one keeps its history), like reading it."""
        history = self.registry.alias_history(name, alias)
        if not history:
            self._require_name(name)
            raise NotFoundError(f"model {name!r} has no alias {alias!r}")
        return history

    def at(self, name: str, alias: str, at: datetime) -> AliasAt:
        """Which version the alias named at that time (a time without a zone is UTC; one
        with an offset is converted to UTC)."""
        self._require_name(name)
        at = as_utc(at)
        change = self.registry.alias_change_at(name, alias, at)
        return AliasAt(
            name=name,
            alias=alias,
            at=at,
            version=change.to_version if change else None,
            model_id=change.to_model_id if change else None,
        )

    def _ready_version(self, name: str, version: int) -> str:
        model_id = self.registry.model_id_of_version(name, version)
        if model_id is None:
            self._require_name(name)
            raise NotFoundError(f"model {name!r} has no version {version}")
        return self._ready(self.models.get(model_id)).id

    def _ready(self, model: ModelRecord) -> ModelRecord:
        if model.status != ModelStatus.READY:
            raise ConflictError(
                f"{model.name} v{model.version} is {model.status}; an alias names only a "
                "ready version"
            )
        return model

    def _require_name(self, name: str) -> None:
        if not self.registry.has_model_name(name):
            raise NotFoundError(f"no model is named {name!r}")


def _earlier_versions(history: list[AliasChange]) -> list[tuple[str, int | None]]:
    """The models a rollback returns to (id and version), the next one last: every change
    pushes the model it left, every rollback pops one. By id: the version says which it
    was, once its model is removed."""
    stack: list[tuple[str, int | None]] = []
    for change in history:
        if change.action == AliasAction.ROLLBACK:
            if stack:
                stack.pop()
        elif change.from_model_id is not None:
            stack.append((change.from_model_id, change.from_version))
    return stack


def _log(change: AliasChange) -> None:
    log.info(
        "alias %s@%s %s: v%s -> v%s (%s)%s",
        change.name,
        change.alias,
        change.action,
        change.from_version,
        change.to_version,
        change.reason or "no reason given",
        f" by {change.caller}" if change.caller else "",
    )
