"""Debian's Chromium for browser tests, driven by Playwright (never a downloaded browser),
and the steps those tests take through the Streamlit app's pages."""

import os
import re
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


def go(page: Any, title: str) -> None:
    """Open the page the sidebar's navigation calls `title`."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    idle(page)


def choose(page: Any, label: str, option: str) -> None:
    """Pick the first option containing `option` in the select box labelled `label`."""
    page.locator('[data-testid="stSelectbox"]', has_text=label).locator("input").click()
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()
    idle(page)
