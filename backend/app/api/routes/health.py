"""Probes: `/healthz` (alive), `/readyz` (registry and default models ready), `/metrics`."""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.deps import ServicesDep
from app.core.errors import UnavailableError
from app.core.metrics import LOADED_MODELS, REGISTRY, TASKS
from app.registry.retries import first_line
from shared.schemas import TaskStatus

router = APIRouter(tags=["health"])


# HEAD too: load balancers and uptime checks often probe with it
@router.api_route("/healthz", methods=["GET", "HEAD"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.api_route("/readyz", methods=["GET", "HEAD"])
def readyz(services: ServicesDep) -> dict[str, str]:
    try:
        services.registry.ping()
    except Exception as exc:
        raise UnavailableError(f"the registry cannot be reached: {first_line(exc)}") from exc
    if services.defaults.error:
        raise UnavailableError(f"the default models failed: {services.defaults.error}")
    if services.defaults.waiting and not services.defaults.ready.is_set():
        raise UnavailableError(
            f"the default models are waiting (attempt "
            f"{services.defaults.attempts}): {services.defaults.waiting}"
        )
    if not services.defaults.ready.is_set():
        raise UnavailableError("the default models are still being prepared")
    return {"status": "ready"}


@router.get("/metrics", response_class=Response)
def metrics(services: ServicesDep) -> Response:
    counts = services.registry.count_tasks_by_status()
    for status in TaskStatus:
        TASKS.labels(str(status)).set(counts.get(status, 0))
    LOADED_MODELS.set(len(services.memory))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
