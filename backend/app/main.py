"""The FastAPI application: start-up and shutdown, routers, error handlers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from app.api.cross_site import CrossSiteGuardMiddleware
from app.api.middleware import ReplicaHeaderMiddleware, RequestLogMiddleware
from app.api.openapi import install_openapi
from app.api.problems import install_problem_handlers
from app.api.routes import (
    aliases,
    datasets,
    feedback,
    hard_examples,
    health,
    models,
    retrievers,
    statistics,
    tasks,
    thresholds,
    versions,
)
from app.api.security import RequestGate
from app.core.logging import configure_logging
from app.core.settings import Settings, get_settings
from app.services.context import Services


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.logs_dir, settings.log_level)
        services = Services.build(settings)
        services.start()
        app.state.services = services
        yield
        services.stop()

    # Metrics are Prometheus' (/metrics); FastAPI's native OpenTelemetry would otherwise
    # ask the global providers on every request whether anyone listens.
    # /docs from the package's own copy of Swagger UI (FastAPI's page loads it from a CDN:
    # blank without internet), under /docs/, which the proxy already sends here. No /redoc:
    # its page still fetches a logo from a CDN, and one documentation page is enough.
    app = FastAPIOffline(
        static_url="/docs/static",
        redoc_url=None,
        title="Text classification API",
        version="1.0.0",
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.add_middleware(RequestGate, settings=settings)  # auth and body limits, before a route
    if settings.cors_origins:  # closed unless origins are named
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    # before CORS, body limits and auth: a cross-site write is refused unread
    app.add_middleware(CrossSiteGuardMiddleware, allowed_origins=settings.cors_origins)
    app.add_middleware(RequestLogMiddleware)
    install_problem_handlers(app)
    app.add_middleware(ReplicaHeaderMiddleware, replica=settings.replica)  # outermost
    install_openapi(app)
    app.include_router(health.router)
    # models first: /predict is the hot path
    for module in (
        models,
        versions,
        thresholds,
        datasets,
        tasks,
        aliases,
        retrievers,
        statistics,
        feedback,
        hard_examples,
    ):
        app.include_router(module.router)
    return app
