"""Aliases of a model name (`production`, `staging`, ...): each points at one version of
that name; every change is kept in an append-only history."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.strings import INT32_MAX, NO_NUL

REASON_MAX = 500


class AliasAction(StrEnum):
    SET = "set"  # the alias did not exist
    MOVE = "move"  # it pointed at another version
    DELETE = "delete"
    ROLLBACK = "rollback"  # back to the version it held before


class AliasSet(BaseModel):
    """PUT /aliases/{name}/{alias}: point the alias at a version of its name."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=INT32_MAX)
    reason: str = Field("", max_length=REASON_MAX, pattern=NO_NUL)


class AliasRollback(BaseModel):
    """POST /aliases/{name}/{alias}/rollback: back one step, with the reason why."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=REASON_MAX, pattern=NO_NUL)


class AliasRead(BaseModel):
    name: str
    alias: str
    model_id: str
    version: int
    updated_at: datetime


class AliasChange(BaseModel):
    """One entry of an alias's history. A version of None: the alias did not exist (before
    its first set, after a delete)."""

    id: int
    name: str
    alias: str
    action: AliasAction
    from_version: int | None
    to_version: int | None
    from_model_id: str | None
    to_model_id: str | None
    reason: str
    caller: str | None  # who made the change, when a token identifies them
    created_at: datetime


class AliasAt(BaseModel):
    """Which version the alias named at a time (None: it named none then)."""

    name: str
    alias: str
    at: datetime
    version: int | None
    model_id: str | None
