"""Aliases of a model name: /api/v1/aliases/{name}/{alias}. A request for a model takes
`name@alias` wherever it takes a model id."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.api.caller import CallerDep
from app.api.deps import ServicesDep
from shared.schemas import AliasAt, AliasChange, AliasRead, AliasRollback, AliasSet
from shared.schemas.aliases import REASON_MAX
from shared.schemas.strings import ALIAS_PATTERN, MODEL_NAME_MAX, NAME_PATTERN, NO_NUL

router = APIRouter(prefix="/api/v1/aliases", tags=["aliases"])
ModelName = Annotated[
    str, Path(pattern=NAME_PATTERN, max_length=MODEL_NAME_MAX, description="A model's name")
]
Alias = Annotated[
    str, Path(pattern=ALIAS_PATTERN, description="An alias of the name, as `production`")
]


@router.get("/{name}", response_model=list[AliasRead])
def list_aliases(name: ModelName, services: ServicesDep) -> list[AliasRead]:
    return services.aliases.of_name(name)


@router.get("/{name}/{alias}", response_model=AliasRead | AliasAt)
def get_alias(
    name: ModelName,
    alias: Alias,
    services: ServicesDep,
    at: Annotated[
        datetime | None,
        Query(description="A time (ISO 8601): which version the alias named then"),
    ] = None,
) -> AliasRead | AliasAt:
    if at is not None:
        return services.aliases.at(name, alias, at)
    return services.aliases.get(name, alias)


@router.put("/{name}/{alias}", response_model=AliasRead)
def set_alias(
    name: ModelName, alias: Alias, body: AliasSet, services: ServicesDep, caller: CallerDep
) -> AliasRead:
    """Create the alias or move it to another version: the version is loaded first, then
    the alias switches in one transaction."""
    return services.aliases.set(
        name, alias, version=body.version, reason=body.reason, caller=caller
    )


@router.delete("/{name}/{alias}", status_code=204, response_class=Response)
def delete_alias(
    name: ModelName,
    alias: Alias,
    services: ServicesDep,
    caller: CallerDep,
    reason: Annotated[str, Query(max_length=REASON_MAX, pattern=NO_NUL)] = "",
) -> Response:
    services.aliases.delete(name, alias, reason=reason, caller=caller)
    return Response(status_code=204)


@router.post("/{name}/{alias}/rollback", response_model=AliasRead)
def rollback_alias(
    name: ModelName, alias: Alias, body: AliasRollback, services: ServicesDep, caller: CallerDep
) -> AliasRead:
    """Back to the version the alias named before its last change; again, one step more."""
    return services.aliases.rollback(name, alias, reason=body.reason, caller=caller)


@router.get("/{name}/{alias}/history", response_model=list[AliasChange])
def alias_history(name: ModelName, alias: Alias, services: ServicesDep) -> list[AliasChange]:
    """Every change of the alias, oldest first (append-only)."""
    return services.aliases.history(name, alias)
