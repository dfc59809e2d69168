"""The part of the registry interface that keeps aliases and their history."""

from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime

from shared.schemas import AliasAction, AliasChange, AliasRead


class AliasStore(ABC):
    @abstractmethod
    def get_alias(self, name: str, alias: str) -> AliasRead | None: ...
    @abstractmethod
    def list_aliases(self, name: str) -> list[AliasRead]:
        """The aliases of a name, by alias."""

    @abstractmethod
    def aliases_by_model(self, model_ids: Iterable[str]) -> dict[str, list[str]]:
        """The aliases naming each of these models (models without any are left out)."""

    @abstractmethod
    def has_model_name(self, name: str) -> bool:
        """Whether any version of a model has this name."""

    @abstractmethod
    def model_id_of_version(self, name: str, version: int) -> str | None: ...
    @abstractmethod
    def alias_history(self, name: str, alias: str) -> list[AliasChange]:
        """Every change of the alias, oldest first."""

    @abstractmethod
    def alias_change_at(self, name: str, alias: str, at: datetime) -> AliasChange | None:
        """The alias's last change at or before `at` (None: it had none then)."""

    @abstractmethod
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
        """Point the alias at `model_id` (a version of `name`), or delete it (None), and
        append the change to its history, in one transaction. With `expected_last_change`,
        only while that is still the alias's last change (ConflictError otherwise); a
        delete of an alias that does not exist is a NotFoundError."""
