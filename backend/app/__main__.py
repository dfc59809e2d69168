"""`python -m app`: serve the API with uvicorn on BACKEND_HOST:BACKEND_PORT."""

import signal
from types import FrameType

import uvicorn

from app.core.settings import get_settings


def main() -> None:
    settings = get_settings()
    # A SIGTERM (`docker stop`, systemd, `make run`'s Ctrl-C) ends the process as an exit
    # with status 143, not by the signal: once its graceful shutdown is done, uvicorn
    # raises the signal again under the handler it found here. An exit runs the
    # interpreter's clean-up, multiprocessing's among it; death by the signal skipped it,
    # and the resource tracker then warned that the training runner's semaphores leaked.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.backend_host,
        port=settings.backend_port,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    main()
