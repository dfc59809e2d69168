"""The prediction summary on real registries (SQLite and PostgreSQL): the statistics read
from it against a direct computation over the raw rows (counts, class mix, mean confidence
exact; the share under a threshold exact at bin edges; latency percentiles within the
histogram's bound), the writer's upsert across batches, revision 0012's backfill of rows
logged before it, and retention."""

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from sqlalchemy import Engine, insert, select

from app.core.db import make_engine
from app.registry.prediction_log import COLUMNS, SqlPredictionLog, summarize
from app.registry.prediction_statistics import SqlPredictionStatistics
from app.registry.schema import alembic_config
from app.registry.sql import SqlRegistry
from app.registry.summary_bins import (
    COARSE_CONFIDENCE_GROUPS,
    CONFIDENCE_COLUMNS,
    LATENCY_EDGES,
    LATENCY_RELATIVE_ERROR,
    confidence_bin,
    latency_bin,
    share_is_exact,
    share_under,
)
from app.registry.tables import PredictionRow, PredictionSummaryRow
from app.services.statistics import StatisticsService
from shared.schemas.statistics import StatisticsPeriod
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.records import model_record

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
LABELS = ("ham", "spam", "eggs")
SEGMENTS = ("north", "south")
# confidences on bin edges (as floats, what a threshold of 0.57 is) and off them
EDGES = (0.3, 0.57, 0.6, 0.29, 0.99, 1.0, 0.0, 0.01)


def random_rows(count: int, seed: int = 3) -> list[tuple[Any, ...]]:
    """Rows over 3 days for models m1 and m2, confidences often exactly on a bin edge,
    latencies log-normal (and a few under 0.01 ms)."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        label = rng.choice(LABELS)
        confidence = rng.choice(EDGES) if i % 3 == 0 else rng.uniform(0, 1)
        latency = rng.lognormvariate(2, 1) if i % 50 else 0.005
        rows.append(
            (
                f"p{i}",
                rng.choice(("m1", "m1", "m2")),
                1,
                "m",
                rng.choice(SEGMENTS),
                START + timedelta(seconds=rng.uniform(0, 3 * 86400)),
                label,
                confidence,
                {label: confidence},
                latency,
                None,
                None if i % 4 == 0 else rng.uniform(0.2, 1.0),
            )
        )
    return rows


def service_over(registry: SqlRegistry, rows: list[tuple[Any, ...]]) -> StatisticsService:
    registry.add_model_version(model_record("m1", name="m"))
    registry.add_model_version(model_record("m2", name="m"))
    store = SqlPredictionLog(registry.engine)
    for first in range(0, len(rows), 97):  # batches that share hours
        store.insert(rows[first : first + 97])
    return StatisticsService(registry=registry, store=SqlPredictionStatistics(registry.engine))


def percentile_cont(values: list[float], p: int) -> float:
    return float(np.percentile(values, p, method="linear"))


@pytest.mark.parametrize("period", list(StatisticsPeriod))
def test_the_statistics_match_the_raw_rows(registry: SqlRegistry, period: StatisticsPeriod) -> None:
    rows = random_rows(1500)
    service = service_over(registry, rows)
    for segment in (None, "north"):
        for threshold in (0.3, 0.57, 0.6, 1.0):
            stats = service.statistics(
                "m",
                period=period,
                start=START,
                end=START + timedelta(days=3),
                segment=segment,
                confidence_below=threshold,
            )
            raw: dict[datetime, list[tuple[Any, ...]]] = {}
            for row in rows:
                if segment is None or row[4] == segment:
                    raw.setdefault(bucket_of(row[5], period), []).append(row)
            assert [b.start for b in stats.buckets] == sorted(raw)
            for b in stats.buckets:
                mine = raw[b.start]
                assert b.count == len(mine)
                mix: dict[str, int] = {}
                for row in mine:
                    mix[row[6]] = mix.get(row[6], 0) + 1
                assert b.class_mix == mix
                assert b.mean_confidence == pytest.approx(sum(r[7] for r in mine) / len(mine))
                # exact at bin edges: the same count as `confidence < threshold`
                under = sum(1 for r in mine if r[7] < threshold)
                assert b.low_confidence_share * len(mine) == pytest.approx(under, abs=1e-9)
                assert b.low_confidence_exact
                known = [r[11] for r in mine if r[11] is not None]
                assert b.known_token_share == pytest.approx(sum(known) / len(known))
                latencies = [r[9] for r in mine]
                for p, got in ((50, b.latency_p50_ms), (95, b.latency_p95_ms)):
                    want = max(percentile_cont(latencies, p), LATENCY_EDGES[0])
                    assert got == pytest.approx(want, rel=LATENCY_RELATIVE_ERROR)


def bucket_of(at: datetime, period: StatisticsPeriod) -> datetime:
    hour = at.replace(minute=0, second=0, microsecond=0)
    if period is StatisticsPeriod.HOUR:
        return hour
    day = hour.replace(hour=0)
    return day if period is StatisticsPeriod.DAY else day - timedelta(days=day.weekday())


def test_a_threshold_between_edges_is_counted_in_proportion() -> None:
    histogram = [0] * 101
    histogram[57] = 10  # ten confidences in [0.57, 0.58)
    histogram[10] = 10
    assert share_under(histogram, 20, 0.575) == pytest.approx(15 / 20)
    assert share_under(histogram, 20, 0.57) == 0.5
    assert share_under(histogram, 20, 0.58) == 1.0
    assert share_under(histogram, 0, 0.5) == 0.0
    assert not share_is_exact(0.575)
    assert share_is_exact(0.57) and share_is_exact(0.0) and share_is_exact(1.0)


def test_the_bins_are_exact_at_their_edges() -> None:
    for k in range(101):
        assert confidence_bin(k / 100) == k
        assert confidence_bin(np.nextafter(k / 100, 0)) == max(k - 1, 0)
    assert confidence_bin(1.0) == 100
    # drift's bins of 0.1: every column once, in order
    assert [n for group in COARSE_CONFIDENCE_GROUPS for n in group] == CONFIDENCE_COLUMNS
    assert len(COARSE_CONFIDENCE_GROUPS) == 10 and len(COARSE_CONFIDENCE_GROUPS[-1]) == 11
    assert latency_bin(0.0) == 0
    assert latency_bin(LATENCY_EDGES[0]) == 1
    assert latency_bin(LATENCY_EDGES[-1]) == len(LATENCY_EDGES)
    assert latency_bin(10**9) == len(LATENCY_EDGES)


def summary(engine: Engine) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The summary table as {(model, segment, hour, label): its figures}."""
    table = PredictionSummaryRow.__table__
    with engine.connect() as conn:
        found = {}
        for row in conn.execute(select(table)).mappings():
            figures = dict(row)
            key = tuple(figures.pop(name) for name in ("model_id", "segment", "hour", "label"))
            found[key] = figures
        return found


def expected(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The rows summed at once, in Python."""
    found = {}
    for figures in summarize(rows):
        key = tuple(figures.pop(name) for name in ("model_id", "segment", "hour", "label"))
        found[key] = figures
    return found


def assert_same(got: dict[Any, dict[str, Any]], want: dict[Any, dict[str, Any]]) -> None:
    assert got.keys() == want.keys()
    for key, figures in want.items():
        for name, value in figures.items():
            assert got[key][name] == pytest.approx(value), (key, name)


def test_the_writer_adds_each_batch_to_the_hours_it_has(registry: SqlRegistry) -> None:
    rows = random_rows(600, seed=5)
    store = SqlPredictionLog(registry.engine)
    for first in range(0, len(rows), 50):
        store.insert(rows[first : first + 50])
    got = summary(registry.engine)
    assert_same(got, expected(rows))
    assert sum(f["count"] for f in got.values()) == 600
    # a further batch in hours already there adds to them, rows not replaced
    again = [(f"q{i}", *row[1:]) for i, row in enumerate(rows[:10])]
    store.insert(again)
    assert_same(summary(registry.engine), expected(rows + again))


def test_retention_deletes_whole_hours_of_log_and_summary(registry: SqlRegistry) -> None:
    rows = random_rows(300, seed=7)
    store = SqlPredictionLog(registry.engine)
    store.insert(rows)
    cutoff = START + timedelta(days=1, hours=5, minutes=40)
    hour = START + timedelta(days=1, hours=5)
    kept = [row for row in rows if row[5] >= hour]
    assert store.delete_before(cutoff) == len(rows) - len(kept)
    with registry.engine.connect() as conn:
        left = set(conn.scalars(select(PredictionRow.id)))
    assert left == {row[0] for row in kept}
    assert_same(summary(registry.engine), expected(kept))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_postgres_database() as url:
        yield url


def test_the_migration_backfills_the_summary(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0011_feedback")
        rows = random_rows(800, seed=11)
        before = COLUMNS[:-1]  # revision 0011's log has no known-token share
        log = PredictionRow.__table__
        with engine.begin() as conn:
            conn.execute(insert(log), [dict(zip(before, row[:-1], strict=True)) for row in rows])
            command.upgrade(alembic_config(conn), "head")
        unknown = [(*row[:-1], None) for row in rows]
        assert_same(summary(engine), expected(unknown))
        with engine.connect() as conn:
            shares = set(conn.scalars(select(PredictionRow.known_token_share)))
        assert shares == {None}
    finally:
        engine.dispose()
