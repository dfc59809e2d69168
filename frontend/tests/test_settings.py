"""Settings from the environment, the `python -m ui` command line, and the log files."""

import logging
from pathlib import Path

import pytest

from ui import __main__ as launcher
from ui.api_client import ApiClient
from ui.logging import HANDLER_NAME, configure_logging
from ui.settings import FrontendSettings, get_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BACKEND_URL", "API_TOKEN", "FRONTEND_PORT", "LOGS_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = FrontendSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.backend_url == "http://127.0.0.1:8000"
    assert settings.frontend_port == 8501
    assert settings.api_token is None
    assert settings.logs_dir.name == "logs" and settings.logs_dir.is_absolute()


def test_environment_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_URL", "http://api.internal:9000/")
    monkeypatch.setenv("API_TOKEN", "s3cret")
    monkeypatch.setenv("FRONTEND_PORT", "8600")
    monkeypatch.setenv("REQUEST_TIMEOUT_S", "12.5")
    settings = FrontendSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.backend_url == "http://api.internal:9000"
    assert "s3cret" not in repr(settings)
    client = ApiClient.from_settings(settings)
    assert client._http.headers["Authorization"] == "Bearer s3cret"
    assert client._timeout.read == 12.5


def test_the_launcher_runs_streamlit_headless_on_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTEND_PORT", "8765")
    monkeypatch.setenv("FRONTEND_HOST", "0.0.0.0")
    get_settings.cache_clear()
    try:
        args = launcher.command()
    finally:
        get_settings.cache_clear()
    joined = " ".join(args)
    assert args[1:4] == ["-m", "streamlit", "run"]
    assert Path(args[4]).name == "streamlit_app.py" and Path(args[4]).is_file()
    assert "--server.port 8765" in joined and "--server.address 0.0.0.0" in joined
    assert "--server.headless true" in joined
    assert "--browser.gatherUsageStats false" in joined


def test_logs_rotate_under_logs_dir_frontend(tmp_path: Path) -> None:
    log = logging.getLogger("ui")
    saved = list(log.handlers)
    for handler in saved:
        log.removeHandler(handler)
    try:
        configure_logging(tmp_path)
        configure_logging(tmp_path)  # idempotent
        handlers = [h for h in log.handlers if h.get_name() == HANDLER_NAME]
        assert len(handlers) == 1
        assert handlers[0].maxBytes == 10 * 1024 * 1024  # type: ignore[attr-defined]
        assert handlers[0].backupCount == 4  # type: ignore[attr-defined]
        logging.getLogger("ui.api_client").info("hello")
        assert "hello" in (tmp_path / "frontend" / "frontend.log").read_text()
    finally:
        for handler in list(log.handlers):
            log.removeHandler(handler)
            handler.close()
        for handler in saved:
            log.addHandler(handler)
