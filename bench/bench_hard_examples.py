"""Hard examples from the prediction log: GET /models/{ref}/hard_examples's work (the SQL
filter, feedback exclusion and text dedup, then the scoring in Python) over 100,000
logged predictions of one model, on SQLite (and PostgreSQL with --database-url).

A fresh registry (the migrations, indexes included) gets `--rows` synthetic predictions
of one model with three classes, written through the log's own store, over the last 30
days, a third of them repeating an earlier text, and `--feedback` feedback rows (half
for a prediction, half for a text). Then the service's `from_log` (least confidence, 50
examples, no filter: every row is a candidate) is timed `--runs` times on one connection
after a first call not counted: wall time, and this process's CPU time (which a busy
machine does not inflate; it includes SQLite's work, not PostgreSQL's). The service
ranks at most SCAN_ROWS (10,000) newest candidates per call, so the time does not grow
with the log beyond that.

    .venv/bin/python bench/bench_hard_examples.py
    .venv/bin/python bench/bench_hard_examples.py --database-url postgresql+psycopg://...

Prints a markdown table and writes bench/results/hard_examples.json. Target: the median
at most 500 ms.
"""

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import table, write_results

from app.registry.feedback import FeedbackEntry, SqlFeedback
from app.registry.hard_examples import SqlHardExamples
from app.registry.prediction_log import SqlPredictionLog
from app.registry.sql import SqlRegistry
from app.services.datasets import DatasetService
from app.services.hard_examples import SCAN_ROWS, HardExampleService
from app.services.memory import LoadedModels
from app.services.models import ModelService
from shared.schemas.hard_examples import HardExampleStrategy
from testkit.records import model_record

TARGET_MS = 500.0
BATCH = 10_000
LABELS = ("ham", "spam", "eggs")


def fill(registry: SqlRegistry, rows: int, feedback: int, now: datetime) -> float:
    registry.add_model_version(model_record("model-0", name="bench", version=1))
    store = SqlPredictionLog(registry.engine)
    rng = random.Random(7)
    started = time.perf_counter()
    texts: list[str] = []
    ids: list[str] = []
    for first in range(0, rows, BATCH):
        batch = []
        for _ in range(first, min(first + BATCH, rows)):
            weights = [rng.random() for _ in LABELS]
            total = sum(weights)
            p = {label: w / total for label, w in zip(LABELS, weights, strict=True)}
            label = max(p, key=lambda k: p[k])
            text = (
                rng.choice(texts)
                if texts and rng.random() < 0.33
                else f"text {len(texts)} " + "word " * rng.randint(3, 30)
            )
            texts.append(text)
            ids.append(os.urandom(16).hex())
            at = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
            batch.append(
                (ids[-1], "model-0", 1, "bench", "default", at, label, p[label], p, 2.0, text, None)
            )
        store.insert(batch)
    SqlFeedback(registry.engine).insert(
        [
            FeedbackEntry(
                id=uuid.uuid4().hex,
                model_name="bench",
                model_id="model-0",
                prediction_id=ids[i] if i % 2 else None,
                text=texts[i],
                label="ham",
                segment="default",
                source="prediction" if i % 2 else "csv",
                created_at=now,
            )
            for i in rng.sample(range(rows), feedback)
        ]
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--feedback", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="an empty database to fill")
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'registry.db'}"
        registry = SqlRegistry(url)
        fill_s = fill(registry, args.rows, args.feedback, now)
        print(f"{args.rows:,} rows and {args.feedback:,} feedback written in {fill_s:.1f} s")
        service = HardExampleService(
            registry=registry,
            models=ModelService(registry=registry, memory=LoadedModels(), models_dir=Path(folder)),
            datasets=DatasetService(registry=registry, datasets_dir=Path(folder)),
            store=SqlHardExamples(registry.engine),
        )

        def timed() -> tuple[float, int, float]:
            started, cpu = time.perf_counter(), time.process_time()
            _, ranked = service.from_log(
                "model-0", strategy=HardExampleStrategy.LEAST_CONFIDENCE, limit=50
            )
            wall_ms = (time.perf_counter() - started) * 1000
            return wall_ms, ranked, (time.process_time() - cpu) * 1000

        timed()
        runs = [timed() for _ in range(args.runs)]
        registry.close()
    ms = [r[0] for r in runs]
    cpu_ms = [r[2] for r in runs]
    results: dict[str, Any] = {
        "database": "postgresql" if args.database_url else "sqlite",
        "rows": args.rows,
        "feedback": args.feedback,
        "scan_rows": SCAN_ROWS,
        "ranked": runs[0][1],
        "fill_s": fill_s,
        "warm_ms": ms,
        "warm_median_ms": statistics.median(ms),
        # this process's CPU time (SQLite's work included, PostgreSQL's not): the figure
        # that a busy machine does not inflate
        "cpu_ms": cpu_ms,
        "cpu_median_ms": statistics.median(cpu_ms),
        "load_avg": os.getloadavg()[0],
        "target_ms": TARGET_MS,
    }
    print(
        table(
            [
                "database",
                "rows logged",
                "ranked (after dedup)",
                "median ms",
                "CPU median ms",
                "load",
                "target",
            ],
            [
                [
                    results["database"],
                    f"{args.rows:,}",
                    f"{runs[0][1]:,}",
                    results["warm_median_ms"],
                    results["cpu_median_ms"],
                    results["load_avg"],
                    f"<= {TARGET_MS:.0f} ms",
                ]
            ],
        )
    )
    print(f"results: {write_results('hard_examples', results)}")


if __name__ == "__main__":
    main()
