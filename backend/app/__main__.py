"""`python -m app`: serve the API with uvicorn on BACKEND_HOST:BACKEND_PORT."""

import uvicorn

from app.core.settings import get_settings


def main() -> None:
    settings = get_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.backend_host,
        port=settings.backend_port,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
