"""`python -m app`: wait for the registry's database, then serve the API with uvicorn on
BACKEND_HOST:BACKEND_PORT."""

import logging
import signal
from types import FrameType

import uvicorn

from app.core.db import make_engine
from app.core.errors import StartUpError
from app.core.logging import START_FAILED, configure_logging
from app.core.settings import Settings, get_settings
from app.registry.retries import wait_for_database

log = logging.getLogger("app")

# uvicorn's exit status for an application that could not start
STARTUP_FAILURE = 3


def main() -> None:
    settings = get_settings()
    # A SIGTERM (`docker stop`, systemd, `make run`'s Ctrl-C) ends the process as an exit
    # with status 143, not by the signal: once its graceful shutdown is done, uvicorn
    # raises the signal again under the handler it found here. An exit runs the
    # interpreter's clean-up, multiprocessing's among it; death by the signal skipped it,
    # and the resource tracker then warned that the training runner's semaphores leaked.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    # Ctrl-C raises KeyboardInterrupt during the wait below even when this process was
    # started with SIGINT ignored (a shell's background job): Python then installs no
    # handler of its own, and uvicorn's comes only later
    signal.signal(signal.SIGINT, signal.default_int_handler)
    configure_logging(settings.logs_dir, settings.log_level)
    try:
        _wait_for_database(settings)
    except (KeyboardInterrupt, SystemExit) as stop:  # a stop during the wait, not a failure
        log.info("stopped while waiting for the database")
        code = stop.code if isinstance(stop, SystemExit) else 128 + signal.SIGINT
        raise SystemExit(code) from None
    except StartUpError as exc:
        log.error(START_FAILED, exc)
        raise SystemExit(STARTUP_FAILURE) from None
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.backend_host,
        port=settings.backend_port,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


def _wait_for_database(settings: Settings) -> None:
    """Here, before uvicorn starts: while it starts the application, uvicorn only notes a
    SIGTERM or a Ctrl-C, so a stop would wait for the whole wait (DB_START_TIMEOUT). Any
    error but an unreachable database (a URL that names no installed driver, say)
    is left to the application's start-up, which meets it again and reports it."""
    try:
        engine = make_engine(settings.database_url)
        try:
            wait_for_database(engine, timeout_s=settings.db_start_timeout)
        finally:
            engine.dispose()
    except StartUpError:
        raise
    except Exception:
        return


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    main()
