"""EDA tab switches in headless Chromium: from the click on a tab (or on the n-gram
control) until the page is idle again and the tab's charts are drawn.

A real backend (no default models) stores the dataset, `python -m ui` serves the app, and
Playwright drives Debian's Chromium. The 20k toxic sample is used when SHARED_DATA_DIR
has it, else the demo CSV.

    .venv/bin/python bench/bench_eda_tabs.py

Prints a markdown table and writes bench/results/eda_tabs.json. Target: <= 0.5 s a switch.
"""

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "backend"), str(REPO / "frontend"), str(REPO / "bench")]

from common import write_results  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from testkit.api import upload_csv  # noqa: E402
from testkit.browser import launch  # noqa: E402
from testkit.data import DEMO_CSV, toxic_sample  # noqa: E402
from testkit.servers import BackendServer, serving, serving_frontend  # noqa: E402

TARGET_S = 0.5
ROUNDS = 3
TABS = ["Lengths", "Tokens & n-grams", "Stop words", "Parts of speech", "Word clouds", "t-SNE"]
VISIBLE_PLOTS_DRAWN = """() => [...document.querySelectorAll('[role="tabpanel"]')]
    .filter(p => !p.hidden && p.offsetParent !== null)
    .every(p => [...p.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .every(c => c.querySelector('.main-svg')))"""


def dataset_file() -> Path:
    return toxic_sample() or DEMO_CSV


def idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(50)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
    page.wait_for_function(VISIBLE_PLOTS_DRAWN)


def timed(page, action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    idle(page)
    return time.perf_counter() - started


def main() -> None:
    import httpx

    path = dataset_file()
    with tempfile.TemporaryDirectory() as root:
        server = BackendServer(root=Path(root) / "backend", env={"DEFAULT_MODELS": "false"})
        with serving(server), httpx.Client(base_url=server.base_url, timeout=120) as client:
            dataset = upload_csv(client, path, path.name).json()
            with serving_frontend(server.base_url, Path(root) / "frontend") as url:
                results = measure(url, dataset["id"])
    rows = {name: max(times) for name, times in results.items()}
    print(f"dataset: {path.name}\n\n| switch | worst of {ROUNDS} (s) | target |\n|---|---|---|")
    for name, worst in rows.items():
        print(f"| {name} | {worst:.2f} | {'ok' if worst <= TARGET_S else 'SLOW'} (≤ {TARGET_S}) |")
    write_results("eda_tabs", {"dataset": path.name, "seconds": results})


def measure(url: str, dataset_id: str) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        page.set_default_timeout(300_000)
        page.goto(f"{url}/eda?dataset={dataset_id}&text=comment_text&label=toxic")
        page.get_by_role("tab", name=TABS[0]).wait_for()
        # the page load is not a switch: let its first run finish (the status widget can
        # show up after the first idle check passed) before timing the first click
        idle(page)
        page.wait_for_timeout(2000)
        idle(page)
        for _ in range(ROUNDS):
            for name in TABS:
                tab = page.get_by_role("tab", name=name)
                results.setdefault(f"tab: {name}", []).append(timed(page, tab.click))
            page.get_by_role("tab", name="Tokens & n-grams").click()
            idle(page)
            control = page.locator('[data-testid="stButtonGroup"]').first
            for option in ("bigrams", "words"):
                button = control.get_by_text(option, exact=True)
                results.setdefault(f"n-grams: {option}", []).append(timed(page, button.click))
        browser.close()
    return results


if __name__ == "__main__":
    main()
