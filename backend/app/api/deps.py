"""Typed dependencies, so route signatures read like prose."""

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from app.core.settings import Settings
from app.services.context import Services
from shared.schemas.strings import ID_PATTERN, NAME_PATTERN, REF_PATTERN, SEGMENT_MAX


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_app_settings(services: ServicesDep) -> Settings:
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
DatasetId = Annotated[str, Path(pattern=ID_PATTERN, description="A dataset's id")]
ModelRef = Annotated[
    str,
    Path(pattern=REF_PATTERN, description="A model's id, or `name@alias`, or `name:version`"),
]


def resolved_model_id(model_id: ModelRef, services: ServicesDep) -> str:
    """The id of the model a path names by id, `name@alias` or `name:version` (404 when a
    reference names none), for the routes whose services take an id."""
    return services.models.resolve_id(model_id)


# a path's model, named by id or reference, as its id
ModelRefId = Annotated[str, Depends(resolved_model_id)]
FeedbackId = Annotated[str, Path(pattern=ID_PATTERN, description="A feedback entry's id")]
TaskId = Annotated[str, Path(pattern=ID_PATTERN, description="A task's id")]
# the prediction log's segment a query is about (statistics, drift, hard examples)
SegmentQuery = Annotated[
    str | None, Query(min_length=1, max_length=SEGMENT_MAX, pattern=NAME_PATTERN)
]
