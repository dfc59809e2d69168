"""`python -m ui`: serve the Streamlit app headless on FRONTEND_HOST:FRONTEND_PORT.

The process becomes Streamlit (exec), so signals from a supervisor reach it directly.
"""

import os
import sys
from pathlib import Path

from ui.settings import get_settings

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"


def command() -> list[str]:
    settings = get_settings()
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        settings.frontend_host,
        "--server.port",
        str(settings.frontend_port),
        "--server.headless",
        "true",
        "--server.maxUploadSize",
        str(settings.max_upload_mb),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "minimal",
    ]


def main() -> None:
    args = command()
    os.execv(args[0], args)


if __name__ == "__main__":
    main()
