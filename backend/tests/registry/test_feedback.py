from datetime import UTC, datetime, timedelta

from app.registry.feedback import FeedbackEntry, SqlFeedback
from app.registry.sql import SqlRegistry

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def entry(n: int, name: str = "m", **fields: object) -> FeedbackEntry:
    values: dict[str, object] = {
        "id": f"f{n}",
        "model_name": name,
        "model_id": f"{name}-1",
        "prediction_id": f"p{n}",
        "text": f"text {n}",
        "label": "1",
        "segment": "default",
        "source": "prediction",
        "created_at": T0 + timedelta(minutes=n),
    }
    return FeedbackEntry(**{**values, **fields})  # type: ignore[arg-type]


def test_feedback_is_listed_by_name_newest_first_and_deleted_one_by_one(
    registry: SqlRegistry,
) -> None:
    store = SqlFeedback(registry.engine)
    store.insert([entry(1), entry(2, text=None), entry(3, name="other"), entry(4, source="csv")])
    listed = store.list("m", limit=10)
    assert [e.id for e in listed] == ["f4", "f2", "f1"]
    assert listed[1].text is None and listed[0].source == "csv"
    assert listed[2].created_at == T0 + timedelta(minutes=1)  # aware, on both databases
    assert [e.id for e in store.list("m", limit=1, offset=1)] == ["f2"]
    assert store.count("m") == 3 and store.count("other") == 1
    assert store.delete("f2") and not store.delete("f2")
    assert [e.id for e in store.list("m", limit=10)] == ["f4", "f1"]
    store.insert([])  # nothing to write is no statement
