"""/docs renders with no network beyond the server: in headless Chromium, every
request to anything but loopback fails, as it would on a machine without internet."""

from urllib.parse import urlsplit

import httpx
import pytest

from testkit.api import assert_problem
from testkit.browser import launch, needs_chromium
from testkit.servers import REPO_ROOT, BackendServer

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

pytestmark = [pytest.mark.browser, needs_chromium]
sync_api = pytest.importorskip("playwright.sync_api")


def _open_offline(url: str, selector: str, screenshot: str) -> tuple[int, list[str]]:
    """Open the page with non-loopback requests failed; (how many `selector` match, the
    blocked URLs)."""
    blocked: list[str] = []

    def only_loopback(route: object) -> None:
        request_url = route.request.url  # type: ignore[attr-defined]
        if urlsplit(request_url).hostname in LOOPBACK:
            route.continue_()  # type: ignore[attr-defined]
        else:
            blocked.append(request_url)
            route.abort("internetdisconnected")  # type: ignore[attr-defined]

    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.route("**/*", only_loopback)
            page.goto(url)
            page.wait_for_selector(selector, timeout=30_000)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / screenshot), full_page=False)
            return page.locator(selector).count(), blocked
        finally:
            browser.close()


def test_swagger_ui_renders_the_operations_offline(sqlite_server: BackendServer) -> None:
    count, blocked = _open_offline(f"{sqlite_server.base_url}/docs", ".opblock", "docs.png")
    assert count >= 10, count  # every route of the API is an operation block
    assert blocked == [], blocked  # nothing was even asked of a CDN


def test_there_is_no_redoc_page(sqlite_server: BackendServer) -> None:
    # its page fetches a logo from a CDN; /docs is the one documentation page
    with httpx.Client(base_url=sqlite_server.base_url) as client:
        assert_problem(client.get("/redoc"), 404)
        assets = client.get("/docs/static/swagger-ui-bundle.js")
        assert assets.status_code == 200 and len(assets.content) > 100_000
