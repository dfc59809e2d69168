"""Page speed in a real browser: click-to-answer of one prediction on the Predict page.

A real backend (with its default models, trained on the demo data at start-up) and the
real frontend (`python -m ui`) run on loopback; Debian's Chromium, driven by Playwright,
opens the Predict page, writes a text and clicks Predict, again and again. The time is
from the click until the answer for that very text is on screen: the Confidence each
text gets is asked of the API first, and no two texts in a row get the same, so no
earlier answer is mistaken for the new one.

    .venv/bin/python bench/bench_pages.py [--clicks 15] [--screenshots DIR]
    .venv/bin/python bench/bench_pages.py --frontend-checkout /work/main   # a baseline

Prints a markdown table and writes bench/results/pages.json. Target (issue 14): the
answer on screen <= 0.5 s after the click. With --screenshots, also saves the Predict,
Models and Compare pages as PNG files there.
"""

import argparse
import csv
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "backend"), str(REPO / "bench")]

import httpx  # noqa: E402
from common import table, write_results  # noqa: E402
from playwright import sync_api  # noqa: E402

from testkit.browser import choose, go, idle, launch  # noqa: E402
from testkit.data import DEMO_CSV  # noqa: E402
from testkit.servers import BackendServer, serving, serving_frontend  # noqa: E402

TARGET_S = 0.5
CANDIDATES = 60  # demo texts to pick the clicked texts from
TIMEOUT_MS = 60_000


def texts_to_tell_apart(base_url: str, count: int) -> list[tuple[str, str]]:
    """`count` texts, each with the Confidence the page will show for it (asked of the API
    first), no two in a row alike: the click's own answer is known when it shows."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        models = client.get("/api/v1/models/").json()
        model_id = next(m["id"] for m in models if m["loaded"])  # the picker's first
        with DEMO_CSV.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))[:CANDIDATES]
        candidates = [row["comment_text"][:300] for row in rows]
        body = {"model_id": model_id, "texts": candidates}
        answers = client.post("/api/v1/models/predict", json=body).json()["predictions"]
    shown = [f"{a['confidence']:.1%}" for a in answers]
    if len(set(shown)) < 2:
        raise SystemExit("the demo texts all get one confidence: nothing tells answers apart")
    out: list[tuple[str, str]] = []
    i = 0
    while len(out) < count:
        text, value = candidates[i % len(candidates)], shown[i % len(candidates)]
        if not out or out[-1][1] != value:
            out.append((text, value))
        i += 1
    return out


def predict_clicks(page: Any, base_url: str, texts: list[tuple[str, str]]) -> list[float]:
    page.goto(f"{base_url}/predict")
    idle(page)
    print("Predict page open; clicking", file=sys.stderr)
    box = page.get_by_label("Text to classify")
    button = page.get_by_role("button", name="Predict", exact=True)
    value = page.locator('[data-testid="stMetricValue"]')
    seconds = []
    for i, (text, confidence) in enumerate(texts):  # the first click warms up: not counted
        box.fill(text)
        started = time.perf_counter()
        button.click()
        value.filter(has_text=re.compile("^" + re.escape(confidence) + "$")).wait_for(
            timeout=TIMEOUT_MS
        )
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
    # Compare on the demo dataset (the default models were trained on it): held-out split
    # by default, then every row (no model marked best)
    page.goto(f"{base_url}/upload")
    idle(page)
    page.locator('[data-testid="stRadio"] label', has_text="Pick a stored dataset").click()
    idle(page)
    choose(page, "Stored datasets", "demo_data_sample.csv")
    go(page, "Compare (ROC)", heading="Compare models by ROC")
    for name, source in (
        ("compare-held-out", None),
        ("compare-every-row", "Every row of this dataset"),
    ):
        if source:
            page.locator('[data-testid="stRadio"] label', has_text=source).click()
            idle(page)
        page.get_by_role("button", name="Compare", exact=True).click()
        page.get_by_text("Per class").wait_for(timeout=TIMEOUT_MS)
        idle(page)
        page.wait_for_timeout(1500)  # plotly draws lazily
        saved.append(folder / f"{name}.png")
        page.screenshot(path=str(saved[-1]), full_page=True)
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=15)
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument(
        "--frontend-checkout",
        type=Path,
        default=REPO,
        help="run the frontend of another checkout (its .venv), e.g. to measure main",
    )
    args = parser.parse_args()
    checkout = args.frontend_checkout.resolve()
    root = Path(tempfile.mkdtemp(prefix="textclf-bench-pages-"))
    with serving(BackendServer(root=root / "backend")) as backend:
        python = str(checkout / ".venv" / "bin" / "python")
        with serving_frontend(
            backend.base_url, root / "frontend", python=python, cwd=checkout
        ) as base_url:
            print(f"frontend up at {base_url}; starting Chromium", file=sys.stderr)
            with sync_api.sync_playwright() as playwright:
                browser = launch(playwright)
                page = browser.new_page(viewport={"width": 1440, "height": 1800})
                try:
                    texts = texts_to_tell_apart(backend.base_url, args.clicks + 1)
                    seconds = predict_clicks(page, base_url, texts)
                    print(f"click to answer, s: {[round(x, 3) for x in seconds]}", file=sys.stderr)
                except Exception:
                    page.screenshot(path=str(root / "failed.png"), full_page=True)
                    print(f"failed: see {root / 'failed.png'}", file=sys.stderr)
                    raise
                shots = screenshots(page, base_url, args.screenshots) if args.screenshots else []
                browser.close()
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
    print(f"frontend: {checkout}")
    path = write_results(
        "pages",
        {
            "frontend_checkout": str(checkout),
            "predict_click_to_answer_s": seconds,
            "target_s": TARGET_S,
        },
    )
    print(f"\nwrote {path}")
    for shot in shots:
        print(f"screenshot: {shot}")


if __name__ == "__main__":
    main()
