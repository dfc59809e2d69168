"""EDA speed on the 20k toxic-comments sample: the first page run, a run from cache, t-SNE.

A real backend (without default models) stores the CSV; the EDA page then runs in
Streamlit's AppTest as a user's visits would: once in a fresh process (Python imports
included: paid once per server process), then on the 20k rows with every cache cold in a
process that has rendered the page before (the first visit to a new dataset), then again
from the caches. The computations are also timed one by one, outside Streamlit.

    .venv/bin/python bench/bench_eda.py
    SHARED_DATA_DIR=/path/to/data .venv/bin/python bench/bench_eda.py

Prints a markdown table and writes bench/results/eda.json. Targets: first run <= 10 s,
cached run <= 1 s, t-SNE of 3,000 rows <= 30 s.
"""

import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "backend"), str(REPO / "frontend")]

DATASET = "toxic_sample_20k.csv"
TEXT, LABEL = "comment_text", "toxic"
TSNE_ROWS = 3000
RESULTS = REPO / "bench" / "results" / "eda.json"
FIRST, CACHED, FRESH = "first run (no t-SNE)", "cached run", "fresh process, demo data"
TARGETS = {FIRST: 10.0, CACHED: 1.0, "t-SNE": 30.0}
EDA_SCRIPT = """
import streamlit as st
from ui.state import Selection
st.session_state["selection"] = Selection({id!r}, "toxic 20k", {text!r}, {label!r})
from ui.pages.eda import render
render()
"""


def data_path() -> Path:
    return Path(os.environ.get("SHARED_DATA_DIR", REPO.parent / "shared" / "data")) / DATASET


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def page_runs(warm_up_id: str, dataset_id: str) -> dict[str, float]:
    """The EDA page in fresh sessions: on small data in a fresh process, then on the 20k
    rows with cold caches, then from the caches."""
    from streamlit.testing.v1 import AppTest

    out = {}
    for name, target in ((FRESH, warm_up_id), (FIRST, dataset_id), (CACHED, dataset_id)):
        script = EDA_SCRIPT.format(id=target, text=TEXT, label=LABEL)
        at = AppTest.from_string(script, default_timeout=300)
        seconds, _ = timed(at.run)
        if at.exception:
            raise RuntimeError(f"the EDA page failed: {at.exception[0].value}")
        out[name] = seconds
    return out


def computations(path: Path) -> dict[str, float]:
    """Each computation alone, on the CSV read from disk (no HTTP, no cache)."""
    import pandas as pd

    from ui.analysis import pos, text_stats, tsne, wordclouds

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    texts, labels = frame[TEXT], frame[LABEL]
    out: dict[str, float] = {}
    out["lengths"], _ = timed(lambda: text_stats.text_lengths(texts, labels))
    out["tokenize"], table = timed(lambda: text_stats.tokenize(texts, labels))
    out["n-grams, all six tables"], _ = timed(
        lambda: [
            text_stats.top_ngrams(table, n, include_stop_words=stop)
            for n in (1, 2, 3)
            for stop in (True, False)
        ]
    )
    out["stop words"], _ = timed(lambda: text_stats.top_stop_words(table))
    out["parts of speech (2,000 texts)"], _ = timed(lambda: pos.pos_counts(texts, labels))
    out["word clouds"], _ = timed(
        lambda: [
            wordclouds.word_cloud(text_stats.word_frequencies(table, c)) for c in table.classes
        ]
    )
    out["t-SNE"], _ = timed(lambda: tsne.tsne_points(texts, labels, max_rows=TSNE_ROWS))
    return out


def main() -> int:
    path = data_path()
    if not path.is_file():
        print(f"{path} is missing: nothing to benchmark (set SHARED_DATA_DIR).")
        return 0
    from testkit.servers import BackendServer
    from ui.api_client import ApiClient
    from ui.settings import get_settings

    with tempfile.TemporaryDirectory(prefix="bench-eda-") as root:
        server = BackendServer(root=Path(root), env={"DEFAULT_MODELS": "false"}).start()
        try:
            client = ApiClient(server.base_url, long_request_timeout_s=300)
            dataset = client.upload_dataset(DATASET, path.read_bytes())
            demo = client.upload_dataset("demo.csv", (REPO / "demo_data_sample.csv").read_bytes())
            os.environ["BACKEND_URL"] = server.base_url
            get_settings.cache_clear()
            pages = page_runs(demo.id, dataset.id)
        finally:
            server.stop()
    parts = computations(path)
    fresh = pages.pop(FRESH)
    results = {**pages, "t-SNE": parts.pop("t-SNE")}
    report(results, parts, fresh, dataset.rows)
    return 0


def report(results: dict[str, float], parts: dict[str, float], fresh: float, rows: int) -> None:
    print(f"\nEDA on {DATASET} ({rows:,} rows), {platform.node()}, {os.cpu_count()} cores\n")
    print("| measure | seconds | target | ok |")
    print("|---|---:|---:|:---:|")
    for name, seconds in results.items():
        target = TARGETS[name]
        label = f"{name} ({TSNE_ROWS:,} rows)" if name == "t-SNE" else name
        print(
            f"| {label} | {seconds:.2f} | ≤ {target:g} | {'yes' if seconds <= target else 'NO'} |"
        )
    print(f"| (the page on the demo data in a fresh process: imports included) | {fresh:.2f} | | |")
    print("\n| computation alone (no cache, no HTTP) | seconds |")
    print("|---|---:|")
    for name, seconds in parts.items():
        print(f"| {name} | {seconds:.2f} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "dataset": DATASET,
                "rows": rows,
                "cpu_count": os.cpu_count(),
                "python": platform.python_version(),
                "seconds": {k: round(v, 3) for k, v in results.items()},
                "fresh_process_demo_page_seconds": round(fresh, 3),
                "targets": TARGETS,
                "computations": {k: round(v, 3) for k, v in parts.items()},
            },
            indent=2,
        )
    )
    print(f"\nwritten to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    sys.exit(main())
