"""Page speed in a real browser: click-to-answer of one prediction on the Predict page.

A real backend (with its default models, trained on the demo data at start-up) and the
real frontend (`python -m ui`) run on loopback; Debian's Chromium, driven by Playwright,
opens the Predict page, writes a text and clicks Predict, again and again. The time is
from the click until the answer for that very text is on screen: each text has its own
share of words the model knows (1 of 1, 1 of 2, 1 of 3, ...), and the page prints that
share under the answer, so no earlier answer is mistaken for the new one.

    .venv/bin/python bench/bench_pages.py [--clicks 15] [--screenshots DIR]

Prints a markdown table and writes bench/results/pages.json. Target (issue 14): the
answer on screen <= 0.5 s after the click. With --screenshots, also saves the Predict,
Compare and Models pages as PNG files there.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "backend"), str(REPO / "bench")]

from common import machine, table, write_results  # noqa: E402
from playwright import sync_api  # noqa: E402

from testkit.browser import launch  # noqa: E402
from testkit.servers import BackendServer, free_port, serving, wait_for  # noqa: E402

TARGET_S = 0.5
KNOWN_WORD = "idiot"  # in the default models' vocabulary
UNKNOWN_WORD = "zqxjv"  # in nobody's
TIMEOUT_MS = 60_000


def text_for(i: int) -> tuple[str, str]:
    """The i-th text (0-based) and the caption its answer shows: 1 known word of i + 1."""
    words = [KNOWN_WORD] + [f"{UNKNOWN_WORD}{k}" for k in range(i)]
    return " ".join(words), f"{1 / (i + 1):.0%} of its words are known"


def idle(page: Any) -> None:
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")


def predict_clicks(page: Any, base_url: str, clicks: int) -> list[float]:
    page.goto(f"{base_url}/predict")
    idle(page)
    box = page.get_by_label("Text to classify")
    button = page.get_by_role("button", name="Predict", exact=True)
    seconds = []
    for i in range(clicks + 1):  # the first click warms the caches: not counted
        text, caption = text_for(i % 12)
        box.fill(text)
        started = time.perf_counter()
        button.click()
        page.get_by_text(re.compile("^" + re.escape(caption))).wait_for(timeout=TIMEOUT_MS)
        if i:
            seconds.append(time.perf_counter() - started)
        idle(page)
    return seconds


def screenshots(page: Any, base_url: str, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    page.get_by_label("Text to classify").fill("Привет, как дела у тебя сегодня?")
    page.get_by_role("button", name="Predict", exact=True).click()
    page.get_by_text(re.compile(r"^\d+% of its words are known")).wait_for(timeout=TIMEOUT_MS)
    idle(page)
    saved.append(folder / "predict.png")
    page.screenshot(path=str(saved[-1]), full_page=True)
    page.goto(f"{base_url}/models")
    idle(page)
    page.get_by_role("button", name="Show them").click()
    page.get_by_text("held-out texts are misclassified").wait_for(timeout=TIMEOUT_MS)
    idle(page)
    page.wait_for_timeout(1500)  # plotly draws lazily
    saved.append(folder / "models.png")
    page.screenshot(path=str(saved[-1]), full_page=True)
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=15)
    parser.add_argument("--screenshots", type=Path)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="textclf-bench-pages-"))
    with serving(BackendServer(root=root / "backend")) as backend:
        port = free_port()
        env = {
            **os.environ,
            "BACKEND_URL": backend.base_url,
            "FRONTEND_PORT": str(port),
            "LOGS_DIR": str(root / "frontend-logs"),
        }
        with (root / "frontend.out").open("wb") as out:
            frontend = subprocess.Popen(
                [sys.executable, "-m", "ui"], cwd=REPO, env=env, stdout=out, stderr=out
            )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_for(f"{base_url}/_stcore/health", 120, frontend)
            with sync_api.sync_playwright() as playwright:
                browser = launch(playwright)
                page = browser.new_page(viewport={"width": 1440, "height": 1800})
                try:
                    seconds = predict_clicks(page, base_url, args.clicks)
                except Exception:
                    page.screenshot(path=str(root / "failed.png"), full_page=True)
                    print(f"failed: see {root / 'failed.png'}", file=sys.stderr)
                    raise
                shots = screenshots(page, base_url, args.screenshots) if args.screenshots else []
                browser.close()
        finally:
            frontend.terminate()
            frontend.wait(timeout=20)
    median, worst = statistics.median(seconds), max(seconds)
    print(
        table(
            ["measure", "clicks", "median s", "p90 s", "max s", f"target <= {TARGET_S} s"],
            [
                [
                    "Predict: click to answer",
                    len(seconds),
                    f"{median:.3f}",
                    f"{sorted(seconds)[int(0.9 * (len(seconds) - 1))]:.3f}",
                    f"{worst:.3f}",
                    "met" if median <= TARGET_S else "missed",
                ]
            ],
        )
    )
    path = write_results(
        "pages", {"machine": machine(), "predict_click_to_answer_s": seconds, "target_s": TARGET_S}
    )
    print(f"\nwrote {path}")
    for shot in shots:
        print(f"screenshot: {shot}")


if __name__ == "__main__":
    main()
