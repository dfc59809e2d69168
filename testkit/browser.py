"""Debian's Chromium for browser tests, driven by Playwright (never a downloaded browser),
and the steps those tests take through the Streamlit app's pages."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

needs_chromium = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"{CHROMIUM} is not installed (scripts/install-system-deps.sh installs it as root)",
)


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


PLOTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .every(chart => chart.querySelector('.main-svg'))"""


def idle(page: Any) -> None:
    """Wait until Streamlit has finished running the script and plotly has drawn."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
    page.wait_for_function(PLOTS_DRAWN)


def open_app(page: Any, url: str, heading: str = "Upload data") -> None:
    """Open the app at `url` and wait until its first run has drawn the page's `heading`.
    A navigation click made before that can be lost: Streamlit then finishes the first
    run and stays on its page (seen under load, about one try in a dozen)."""
    page.goto(url)
    page.get_by_role("heading", name=heading, exact=True).wait_for()
    idle(page)


def go(page: Any, title: str, heading: str | None = None) -> None:
    """Open the page the sidebar's navigation calls `title` and wait until its script has
    drawn its heading (`heading`, by default the title) and finished."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    page.get_by_role("heading", name=heading or title, exact=True).wait_for()
    idle(page)


@contextmanager
def explained(page: Any, screenshots: Path, name: str) -> Iterator[None]:
    """On a failure inside, what the page showed: its address and the main area's text
    printed (pytest shows it beside the failure, in CI's log too) and a screenshot,
    `screenshots`/failure-`name`.png."""
    try:
        yield
    except Exception:
        print(f"the page at {page.url} showed:")
        print(page.locator('[data-testid="stMain"]').inner_text(timeout=5000)[:3000])
        screenshots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshots / f"failure-{name}.png"), full_page=True)
        raise


def choose(page: Any, label: str, option: str) -> None:
    """Pick the first option containing `option` in the select box labelled `label`."""
    page.locator('[data-testid="stSelectbox"]', has_text=label).locator("input").click()
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()
    idle(page)
