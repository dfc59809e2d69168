"""A model's statistics from the prediction log on real registries (SQLite and
PostgreSQL), rows written through the log's own store at chosen times: every figure of
every bucket against values worked out by hand, for a name (all versions), an alias, an
id and a `name:version`, by hour, day and week, with a segment, and the errors."""

from datetime import UTC, datetime
from typing import Any

import pytest

from app.core.errors import InvalidInputError, NotFoundError
from app.registry.feedback import FeedbackEntry, SqlFeedback
from app.registry.prediction_log import SqlPredictionLog
from app.registry.prediction_statistics import SqlPredictionStatistics
from app.registry.sql import SqlRegistry
from app.registry.summary_bins import LATENCY_RELATIVE_ERROR
from app.services.statistics import StatisticsService
from shared.schemas import AliasAction
from shared.schemas.statistics import BucketStatistics, StatisticsPeriod
from testkit.records import model_record

DAY = StatisticsPeriod.DAY
START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 10, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


# (time, model id, segment, label, confidence, latency ms); 2026-11-02 is a Monday
ROWS = [
    (at(2, 10, 15), "toxic-1", "north", "spam", 0.9, 10.0),
    (at(2, 10, 45), "toxic-1", "north", "ham", 0.5, 20.0),
    (at(2, 11, 5), "toxic-2", "south", "spam", 0.55, 30.0),
    (at(2, 23, 59, 59), "toxic-2", "north", "spam", 0.8, 40.0),
    (at(3), "toxic-2", "north", "ham", 0.7, 100.0),
    (at(3, 12), "toxic-2", "south", "ham", 0.3, 50.0),
    (at(8, 23), "toxic-2", "south", "ham", 0.6, 60.0),  # Sunday: the week of the 2nd
    (at(9, 8), "toxic-1", "north", "spam", 0.95, 5.0),
    (at(10), "toxic-1", "north", "spam", 0.1, 1.0),  # at END: outside [START, END)
    (at(1, 12, month=10), "toxic-1", "north", "spam", 0.1, 1.0),  # before START
    (at(2, 10, 30), "other", "north", "spam", 0.1, 1000.0),  # another model
]


def bucket(
    start: datetime,
    mix: dict[str, int],
    mean: float,
    low: float,
    p50: float,
    p95: float,
) -> dict[str, Any]:
    return {
        "start": start,
        "count": sum(mix.values()),
        "class_mix": mix,
        "mean_confidence": pytest.approx(mean),
        "low_confidence_share": pytest.approx(low),
        # from the latency histogram: within its bound of percentile_cont's value
        "latency_p50_ms": pytest.approx(p50, rel=LATENCY_RELATIVE_ERROR),
        "latency_p95_ms": pytest.approx(p95, rel=LATENCY_RELATIVE_ERROR),
        "low_confidence_exact": True,
        "known_token_share": None,
        "feedback_count": 0,
        "accuracy": None,
        "macro_f1": None,
    }


def figures(buckets: list[BucketStatistics]) -> list[dict[str, Any]]:
    return [b.model_dump() for b in buckets]


@pytest.fixture
def service(registry: SqlRegistry) -> StatisticsService:
    for model_id, name in (("toxic-1", "toxic"), ("toxic-2", "toxic"), ("other", "other")):
        registry.add_model_version(model_record(model_id, name=name))
    registry.change_alias(
        "toxic",
        "production",
        model_id="toxic-2",
        action=AliasAction.SET,
        reason="",
        caller=None,
    )
    rows = [
        (f"p{i}", model, None, model, segment, time, label, conf, {label: conf}, latency, "t", None)
        for i, (time, model, segment, label, conf, latency) in enumerate(ROWS)
    ]
    SqlPredictionLog(registry.engine).insert(rows)
    return StatisticsService(registry=registry, store=SqlPredictionStatistics(registry.engine))


def test_a_name_covers_all_its_versions_by_day(service: StatisticsService) -> None:
    stats = service.statistics("toxic", period=DAY, start=START, end=END)
    assert stats.model_ids == ["toxic-1", "toxic-2"]
    # the 2nd: 0.9 0.5 0.55 0.8 -> mean 2.75/4, two under 0.6; latencies 10 20 30 40:
    # p50 at position 1.5 -> 25, p95 at 2.85 -> 30 + 0.85 * 10
    assert figures(stats.buckets) == [
        bucket(at(2), {"spam": 3, "ham": 1}, 2.75 / 4, 0.5, 25, 38.5),
        bucket(at(3), {"ham": 2}, 0.5, 0.5, 75, 97.5),
        bucket(at(8), {"ham": 1}, 0.6, 0.0, 60, 60),  # 0.6 is not under 0.6
        bucket(at(9), {"spam": 1}, 0.95, 0.0, 5, 5),
    ]


def test_weeks_start_on_monday(service: StatisticsService) -> None:
    stats = service.statistics("toxic", period=StatisticsPeriod.WEEK, start=START, end=END)
    # latencies 10 20 30 40 50 60 100: p50 at 3 -> 40, p95 at 5.7 -> 60 + 0.7 * 40
    assert figures(stats.buckets) == [
        bucket(at(2), {"spam": 3, "ham": 4}, 4.35 / 7, 3 / 7, 40, 88),
        bucket(at(9), {"spam": 1}, 0.95, 0.0, 5, 5),
    ]


def test_an_id_is_that_version_by_hour(service: StatisticsService) -> None:
    stats = service.statistics(
        "toxic-1", period=StatisticsPeriod.HOUR, start=START, end=END, confidence_below=0.92
    )
    assert stats.model_ids == ["toxic-1"]
    assert figures(stats.buckets) == [
        bucket(at(2, 10), {"spam": 1, "ham": 1}, 0.7, 1.0, 15, 19.5),
        bucket(at(9, 8), {"spam": 1}, 0.95, 0.0, 5, 5),
    ]
    by_version = service.statistics("toxic:1", period=StatisticsPeriod.HOUR, start=START, end=END)
    assert by_version.model_ids == ["toxic-1"]
    assert [b.count for b in by_version.buckets] == [2, 1]


def test_an_alias_is_the_version_it_names(service: StatisticsService) -> None:
    stats = service.statistics("toxic@production", period=DAY, start=START, end=END)
    assert stats.model_ids == ["toxic-2"]
    assert figures(stats.buckets) == [
        bucket(at(2), {"spam": 2}, 0.675, 0.5, 35, 39.5),
        bucket(at(3), {"ham": 2}, 0.5, 0.5, 75, 97.5),
        bucket(at(8), {"ham": 1}, 0.6, 0.0, 60, 60),
    ]


def test_a_segment_filters_the_rows(service: StatisticsService) -> None:
    stats = service.statistics("toxic", period=DAY, start=START, end=END, segment="north")
    # the 2nd: 0.9/10 ham 0.5/20 0.8/40 -> p95 at 1.9 -> 20 + 0.9 * 20
    assert figures(stats.buckets) == [
        bucket(at(2), {"spam": 2, "ham": 1}, 2.2 / 3, 1 / 3, 20, 38),
        bucket(at(3), {"ham": 1}, 0.7, 0.0, 100, 100),
        bucket(at(9), {"spam": 1}, 0.95, 0.0, 5, 5),
    ]
    assert service.statistics("toxic", segment="nowhere", start=START, end=END).buckets == []


def test_the_default_range_is_the_last_30_days(service: StatisticsService) -> None:
    stats = service.statistics("toxic-1", now=at(20))
    assert (stats.start, stats.end) == (at(21, month=10), at(20))
    # the row of October 1st is older; the one at November 10th is in
    assert [(b.start, b.count) for b in stats.buckets] == [(at(2), 2), (at(9), 1), (at(10), 1)]


def test_an_empty_range_has_no_buckets(service: StatisticsService) -> None:
    stats = service.statistics("toxic", start=at(1, month=12), end=at(2, month=12))
    assert stats.buckets == []


def test_errors(service: StatisticsService) -> None:
    with pytest.raises(InvalidInputError, match="before end"):
        service.statistics("toxic", start=END, end=START)
    with pytest.raises(InvalidInputError):
        service.statistics("toxic", start=END, end=END)
    for unknown in ("nobody", "toxic@staging", "toxic:3"):
        with pytest.raises(NotFoundError):
            service.statistics(unknown)


def feedback(registry: SqlRegistry, pairs: list[tuple[str, str]]) -> None:
    """True labels for logged predictions: (prediction id, label)."""
    SqlFeedback(registry.engine).insert(
        [
            FeedbackEntry(
                id=f"f{i}",
                model_name="toxic",
                model_id=ROW_MODELS[prediction_id],
                prediction_id=prediction_id,
                text=None,
                label=label,
                segment="north",
                source="prediction",
                created_at=at(20),
            )
            for i, (prediction_id, label) in enumerate(pairs)
        ]
    )


ROW_MODELS = {f"p{i}": row[1] for i, row in enumerate(ROWS)}


def test_accuracy_and_macro_f1_from_feedback(
    service: StatisticsService, registry: SqlRegistry
) -> None:
    # p0 spam->spam, p1 ham->spam, p2 spam->ham, p3 spam->spam (the 2nd); p4 ham->ham (3rd)
    feedback(registry, [("p0", "spam"), ("p1", "spam"), ("p2", "ham"), ("p3", "spam")])
    feedback_on_p4 = FeedbackEntry(
        id="f-p4",
        model_name="toxic",
        model_id="toxic-2",
        prediction_id="p4",
        text=None,
        label="ham",
        segment="north",
        source="prediction",
        created_at=at(20),
    )
    other = FeedbackEntry(  # another model's prediction: not counted for toxic
        id="f-other",
        model_name="other",
        model_id="other",
        prediction_id="p10",
        text="t",
        label="ham",
        segment="north",
        source="prediction",
        created_at=at(20),
    )
    csv_text = FeedbackEntry(  # no logged prediction: not in any bucket
        id="f-csv",
        model_name="toxic",
        model_id="toxic-1",
        prediction_id=None,
        text="t",
        label="ham",
        segment="north",
        source="csv",
        created_at=at(2, 10, 20),
    )
    SqlFeedback(registry.engine).insert([feedback_on_p4, other, csv_text])
    stats = service.statistics("toxic", period=DAY, start=START, end=END)
    got = [(b.start, b.feedback_count, b.accuracy, b.macro_f1) for b in stats.buckets]
    # the 2nd: accuracy 2/4; spam F1 = 2*2 / (2*2 + 1 + 1) = 2/3, ham F1 = 0 -> 1/3
    assert got == [
        (at(2), 4, 0.5, pytest.approx(1 / 3)),
        (at(3), 1, 1.0, 1.0),
        (at(8), 0, None, None),
        (at(9), 0, None, None),
    ]
    north = service.statistics("toxic", period=DAY, start=START, end=END, segment="north")
    # p0, p1, p3: accuracy 2/3; spam F1 = 4 / (4 + 0 + 1) = 0.8, ham F1 = 0 -> 0.4
    assert (north.buckets[0].feedback_count, north.buckets[0].accuracy) == (3, pytest.approx(2 / 3))
    assert north.buckets[0].macro_f1 == pytest.approx(0.4)
    one = service.statistics("toxic-1", period=DAY, start=START, end=END)
    assert [(b.feedback_count, b.accuracy) for b in one.buckets] == [(2, 0.5), (0, None)]


def test_a_prediction_corrected_twice_counts_once_with_its_newest_label(
    service: StatisticsService, registry: SqlRegistry
) -> None:
    feedback(registry, [("p0", "ham")])  # p0 predicted spam: wrong, says the first...
    corrected = FeedbackEntry(
        id="f-again",
        model_name="toxic",
        model_id=ROW_MODELS["p0"],
        prediction_id="p0",
        text=None,
        label="spam",  # ...and right, says the newer one
        segment="north",
        source="prediction",
        created_at=at(21),
    )
    SqlFeedback(registry.engine).insert([corrected])
    stats = service.statistics("toxic", period=DAY, start=START, end=END)
    assert (stats.buckets[0].feedback_count, stats.buckets[0].accuracy) == (1, 1.0)
