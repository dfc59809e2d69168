"""The whole app: navigation, and what a user sees when the backend is down."""

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.navigation import PAGES
from ui.state import Selection

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"


def test_the_entry_point_opens_on_upload(frontend_settings: None) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Upload data"
    assert "No dataset selected yet." in [c.value for c in at.sidebar.caption]


@pytest.mark.parametrize("key", [spec.key for spec in PAGES])
def test_a_backend_that_is_down_is_an_error_message_not_a_traceback(
    page: Callable[[str], AppTest], backend_down: str, key: str
) -> None:
    at = page(key)
    at.session_state["selection"] = Selection("0" * 32, "gone", "comment_text", "toxic")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert f"cannot reach the backend at {backend_down}" in errors, key


def test_the_error_boundary_catches_what_a_page_did_not(
    page: Callable[[str], AppTest], backend_down: str
) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["selection"] = Selection("0" * 32, "gone", "comment_text", "toxic")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "cannot reach the backend" in at.error[0].value
