"""A model's decision thresholds over HTTP: read them, change them without retraining."""

from fastapi import APIRouter

from app.api.caller import CallerDep
from app.api.deps import ModelRefId, ServicesDep
from shared.schemas.thresholds import ThresholdsRead, ThresholdsUpdate

router = APIRouter(prefix="/api/v1/models", tags=["models"])


@router.get("/{model_id}/thresholds", response_model=ThresholdsRead)
def read_thresholds(model_id: ModelRefId, services: ServicesDep) -> ThresholdsRead:
    return services.thresholds.read(model_id)


@router.put("/{model_id}/thresholds", response_model=ThresholdsRead)
def update_thresholds(
    model_id: ModelRefId, update: ThresholdsUpdate, services: ServicesDep, caller: CallerDep
) -> ThresholdsRead:
    """Choose the threshold again on the model's held-out split by an objective, or set it
    by hand, as the next version of the model's name (lineage source `thresholds`, its own
    bundle, its metrics at the new thresholds); the model named is not changed. The new
    version is loaded when its parent is; `move_alias` points that alias at it."""
    return services.thresholds.update(model_id, update, caller=caller)
