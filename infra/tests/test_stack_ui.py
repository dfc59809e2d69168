"""The Streamlit UI through nginx in Debian's headless Chromium: the page renders, its
WebSocket (/_stcore/stream, upgraded by nginx) carries the app, and a widget answers; a
stop while a tab still holds that WebSocket is prompt."""

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.browser import launch, needs_chromium
from testkit.servers import REPO_ROOT
from testkit.stack import FRONTEND_ENTRY, Stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "stack"
TIMEOUT_MS = 60_000
MAIN_TEXT = "document.querySelector('[data-testid=\"stMain\"]')?.innerText ?? ''"

pytestmark = [
    pytest.mark.stack,
    pytest.mark.browser,
    pytest.mark.skipif(not FRONTEND_ENTRY.is_file(), reason="frontend/streamlit_app.py not yet"),
    needs_chromium,
]


class StreamWatch:
    """Counts the frames on the page's Streamlit WebSocket(s)."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.received = 0
        self.closed = False

    def attach(self, socket) -> None:  # playwright WebSocket
        if "/_stcore/stream" not in socket.url:
            return
        self.urls.append(socket.url)
        socket.on("framereceived", self._received)
        socket.on("close", self._closed)

    def _received(self, _payload: object) -> None:
        self.received += 1

    def _closed(self, _socket: object) -> None:
        self.closed = True


@pytest.fixture
def page(stack: Stack) -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        try:
            yield page
        finally:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "ui.png"), full_page=True)
            browser.close()


def _interact(page) -> str:
    """Drive one widget: a second navigation entry (its page must open), else the first
    button. Returns what it did."""
    links = page.locator('[data-testid="stSidebarNavLink"]')
    if links.count() >= 2:
        label, href = links.nth(1).inner_text(), links.nth(1).get_attribute("href") or ""
        links.nth(1).click()
        page.wait_for_url(f"**/{href.rstrip('/').rsplit('/', 1)[-1]}")
        return f"opened the page {label!r}"
    buttons = page.locator('[data-testid="stButton"] button')
    if buttons.count():
        buttons.first.click()
        return "clicked a button"
    pytest.skip("the UI shows neither a navigation link nor a button to drive")


def _wait_for_frames(page, watch: StreamWatch, above: int) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while watch.received <= above and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # lets playwright deliver the socket's events


def test_the_ui_renders_and_answers_over_its_websocket(stack: Stack, page) -> None:
    watch = StreamWatch()
    page.on("websocket", watch.attach)
    page.goto(f"{stack.url}/", wait_until="domcontentloaded")
    page.wait_for_function(f"({MAIN_TEXT}).trim().length > 0")
    page.wait_for_load_state("networkidle")

    assert watch.urls, "no WebSocket to /_stcore/stream was opened"
    assert watch.urls[0].startswith(f"ws://127.0.0.1:{stack.port}/"), watch.urls
    assert watch.received > 0 and not watch.closed
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")
    before_frames = watch.received

    action = _interact(page)
    _wait_for_frames(page, watch, before_frames)
    assert watch.received > before_frames, f"{action}: no answer on the WebSocket"
    page.wait_for_load_state("networkidle")
    assert not watch.closed, f"{action}: the WebSocket closed"
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")


def test_the_proxy_serves_streamlits_health(stack: Stack) -> None:
    assert httpx.get(f"{stack.url}/_stcore/health").text == "ok"


def test_a_stop_while_a_tab_holds_the_websocket_is_prompt(tmp_path: Path) -> None:
    """`make stack`'s Ctrl-C stops nginx gracefully; a tab's WebSocket, which lives as
    long as the tab, holds that stop only for nginx's worker_shutdown_timeout."""
    sync_api = pytest.importorskip("playwright.sync_api")
    own = Stack.isolated(tmp_path / "stack", env={"DEFAULT_MODELS": "false"})
    with own, sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            watch = StreamWatch()
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("websocket", watch.attach)
            page.goto(f"{own.url}/", wait_until="domcontentloaded")
            page.wait_for_function(f"({MAIN_TEXT}).trim().length > 0")
            assert watch.urls and not watch.closed
            proxy = own.processes["nginx"]
            started = time.monotonic()
            proxy.send_signal(signal.SIGQUIT)  # as Stack.stop does
            proxy.wait(timeout=60)
            took = time.monotonic() - started
        finally:
            browser.close()
    assert took < 15, f"nginx took {took:.0f} s to stop"
