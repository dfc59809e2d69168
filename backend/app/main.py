"""The FastAPI application: start-up and shutdown, routers, error handlers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.middleware import RequestLogMiddleware
from app.api.problems import install_problem_handlers
from app.api.routes import datasets, health, models, tasks
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

    app = FastAPI(title="Text classification API", version="1.0.0", lifespan=lifespan)
    app.add_middleware(RequestLogMiddleware)
    install_problem_handlers(app)
    for module in (health, datasets, models, tasks):
        app.include_router(module.router)
    return app
