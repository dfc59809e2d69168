"""Statistics of the prediction log: GET /models/{ref}/statistics's query over 1,000,000
logged predictions on SQLite.

A fresh SQLite registry (the migrations, indexes included) gets `--rows` synthetic
predictions, written through the log's own store (SqlPredictionLog.insert, in batches,
which also fills the prediction summary the statistics read), spread evenly over
`--models` models and the last `--days` days in time order, in 5 segments and 3 labels, and
`--feedback` feedback rows on some of them (accuracy and macro-F1). Then the statistics
of the first model over the last 30 days by day, through the service (the SQL the
endpoint runs), are timed `--runs` times cold (a new engine, so a new connection and an
empty SQLite page cache; the OS file cache stays warm) and warm (one connection, a first
query not counted). The default (1 model, 30 days) is the
worst case: every row is in the query.

    .venv/bin/python bench/bench_statistics.py
    .venv/bin/python bench/bench_statistics.py --models 4 --days 90
    .venv/bin/python bench/bench_statistics.py --feedback 0

Prints a markdown table and writes bench/results/statistics.json. Target: the median at
most 200 ms.
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import table, write_results

from app.registry.feedback import FeedbackEntry, SqlFeedback
from app.registry.prediction_log import SqlPredictionLog
from app.registry.prediction_statistics import SqlPredictionStatistics
from app.registry.sql import SqlRegistry
from app.services.statistics import StatisticsService
from shared.schemas.statistics import StatisticsPeriod
from testkit.records import model_record

TARGET_MS = 200.0
BATCH = 10_000
LABELS = ("ham", "spam", "eggs")
SEGMENTS = ("default", "north", "south", "east", "west")


def fill(
    registry: SqlRegistry, rows: int, models: int, days: int, feedback: int, now: datetime
) -> float:
    """Write the synthetic rows and feedback; the seconds the rows took."""
    for m in range(models):
        registry.add_model_version(model_record(f"model-{m}", name=f"model-{m}"))
    store = SqlPredictionLog(registry.engine)
    rng = random.Random(7)
    span_s = days * 86400
    chosen: list[tuple[Any, ...]] = []
    started = time.perf_counter()
    for first in range(0, rows, BATCH):
        batch = []
        for i in range(first, min(first + BATCH, rows)):
            confidence = rng.uniform(0.34, 1.0)
            label = LABELS[rng.randrange(3)]
            batch.append(
                (
                    os.urandom(16).hex(),
                    f"model-{i % models}",
                    1,
                    f"model-{i % models}",
                    SEGMENTS[i % len(SEGMENTS)],
                    # oldest first, as the log writes them: a batch covers a few hours
                    now - timedelta(seconds=span_s * (rows - i - rng.random()) / rows),
                    label,
                    confidence,
                    {label: confidence},
                    rng.lognormvariate(2, 0.5),
                    None,
                    rng.uniform(0.5, 1.0),
                )
            )
        store.insert(batch)
        chosen.extend(batch[: feedback * len(batch) // rows])
    took = time.perf_counter() - started
    SqlFeedback(registry.engine).insert(
        [
            FeedbackEntry(
                id=os.urandom(16).hex(),
                model_name=row[1],
                model_id=row[1],
                prediction_id=row[0],
                text=None,
                label=LABELS[rng.randrange(3)],
                segment=row[4],
                source="prediction",
                created_at=now,
            )
            for row in chosen
        ]
    )
    return took


def timed(service: StatisticsService, now: datetime) -> tuple[float, int]:
    started = time.perf_counter()
    stats = service.statistics("model-0", period=StatisticsPeriod.DAY, now=now)
    return (time.perf_counter() - started) * 1000, sum(b.count for b in stats.buckets)


def service_on(url: str) -> tuple[SqlRegistry, StatisticsService]:
    registry = SqlRegistry(url)
    store = SqlPredictionStatistics(registry.engine)
    return registry, StatisticsService(registry=registry, store=store)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--models", type=int, default=1)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--feedback", type=int, default=10_000, help="feedback rows")
    parser.add_argument(
        "--database",
        type=Path,
        help="keep the registry in this SQLite file, and reuse it when it exists (no fill: "
        "its rows end where that run's clock was, so a later query holds fewer)",
    )
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        path = args.database or Path(folder) / "registry.db"
        url = f"sqlite:///{path}"
        fill_s = None
        if not path.exists():
            registry, _ = service_on(url)
            fill_s = fill(registry, args.rows, args.models, args.days, args.feedback, now)
            registry.close()
            print(f"{args.rows:,} rows written in {fill_s:.1f} s")
        cold: list[float] = []
        counted = 0
        for _ in range(args.runs):
            registry, service = service_on(url)
            ms, counted = timed(service, now)
            cold.append(ms)
            registry.close()
        registry, service = service_on(url)
        timed(service, now)
        warm = [timed(service, now)[0] for _ in range(args.runs)]
        registry.close()
    results: dict[str, Any] = {
        "rows": args.rows,
        "models": args.models,
        "days": args.days,
        "feedback": args.feedback,
        "rows_in_query": counted,
        "fill_s": fill_s,
        "cold_ms": cold,
        "warm_ms": warm,
        "cold_median_ms": statistics.median(cold),
        "warm_median_ms": statistics.median(warm),
        "target_ms": TARGET_MS,
    }
    print(
        table(
            [
                "rows logged",
                "feedback",
                "rows in the query",
                "cold median ms",
                "warm median ms",
                "target",
            ],
            [
                [
                    f"{args.rows:,}",
                    f"{args.feedback:,}",
                    f"{counted:,}",
                    results["cold_median_ms"],
                    results["warm_median_ms"],
                    f"<= {TARGET_MS:.0f} ms",
                ]
            ],
        )
    )
    print(f"results: {write_results('statistics', results)}")


if __name__ == "__main__":
    main()
