from datetime import UTC, datetime, timedelta

from app.registry.feedback import FeedbackEntry, SqlFeedback
from app.registry.prediction_log import TEXTS_PER_QUERY, LoggedPrediction, SqlPredictionLog
from app.registry.sql import SqlRegistry
from testkit.records import model_record

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


def test_get_one_entry(registry: SqlRegistry) -> None:
    store = SqlFeedback(registry.engine)
    store.insert([entry(1, text="t\u00e9xt")])
    found = store.get("f1")
    assert found is not None and found.text == "t\u00e9xt" and found.model_name == "m"
    assert store.get("nope") is None


def test_a_logged_prediction_and_the_newest_of_each_text_by_model_name(
    registry: SqlRegistry,
) -> None:
    for model_id, name in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        registry.add_model_version(model_record(model_id, name=name))
    log = SqlPredictionLog(registry.engine)

    def row(pid: str, model_id: str, text: str | None, minute: int) -> tuple[object, ...]:
        at = T0 + timedelta(minutes=minute)
        return (pid, model_id, 1, model_id, "north", at, "1", 0.9, {"1": 0.9}, 1.0, text, None)

    log.insert(
        [
            row("p1", "a1", "hello", 1),
            row("p2", "a2", "hello", 2),  # newer, by another version of the name
            row("p3", "b1", "hello", 3),  # newest, by another name
            row("p4", "a1", "bye", 1),
            row("p5", "a1", None, 4),  # kept no text
            row("p6", "b1", "only b", 1),
        ]
    )
    found = log.newest_by_text("a", ["hello", "bye", "only b", "never", "hello"])
    assert found == {"hello": "p2", "bye": "p4"}
    assert log.newest_by_text("b", ["hello"]) == {"hello": "p3"}
    assert log.newest_by_text("a", []) == {}
    logged = log.get("p5")
    assert logged == LoggedPrediction(id="p5", model_id="a1", segment="north", text=None)
    assert log.get("nope") is None


def test_many_texts_are_looked_up_in_several_statements(registry: SqlRegistry) -> None:
    registry.add_model_version(model_record("a1", name="a"))
    log = SqlPredictionLog(registry.engine)
    n = TEXTS_PER_QUERY * 2 + 3
    log.insert(
        [
            (f"p{i}", "a1", 1, "a1", "north", T0, "1", 0.9, {"1": 0.9}, 1.0, f"text {i}", None)
            for i in range(n)
        ]
    )
    found = log.newest_by_text("a", [f"text {i}" for i in range(n)])
    assert found == {f"text {i}": f"p{i}" for i in range(n)}


def test_the_newest_label_of_each_text_wins_and_textless_entries_are_left_out(
    registry: SqlRegistry,
) -> None:
    store = SqlFeedback(registry.engine)
    store.insert(
        [
            entry(1, text="b", label="0"),
            entry(2, text="b", label="1"),  # newer: wins
            entry(3, text="a", label="spam"),
            entry(4, text=None, label="0"),  # the log kept no text
            entry(5, name="other", text="a", label="0"),
        ]
    )
    assert store.newest_labels("m") == [("a", "spam"), ("b", "1")]
    assert store.newest_labels("nobody") == []
