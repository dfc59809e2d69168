"""The prediction log's writer, in an app on a real uvicorn in this process with a tiny
queue, text storage off and a retention of one day: rows older than the retention go at
start-up, no text is stored, and a locked database never holds up a prediction: what does
not fit in the queue is dropped and counted in /metrics, the rest is written once the
database is free."""

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.core.settings import Settings
from app.registry.prediction_log import SqlPredictionLog
from app.registry.sql import SqlRegistry
from app.registry.tables import PredictionRow
from testkit.api import fit, upload_csv, wait_task
from testkit.samples import labelled_csv
from testkit.servers import serving_in_process

QUEUE = 2
REQUESTS = 30


def _row(row_id: str, age: timedelta) -> tuple[object, ...]:
    """A row as the store takes it (its COLUMNS' order)."""
    at = datetime.now(UTC) - age
    return (row_id, "m", 1, "m", "default", at, "0", 0.9, {"0": 0.9, "1": 0.1}, 1.0, "seeded", 1.0)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    root = Path(tmp_path_factory.mktemp("prediction-log"))
    database = root / "registry.db"
    seeded = SqlRegistry(f"sqlite:///{database}")  # the schema, then rows of two ages
    SqlPredictionLog(seeded.engine).insert(
        [_row("old", timedelta(days=3)), _row("recent", timedelta(hours=1))]
    )
    seeded.close()
    settings = Settings(
        database_url=f"sqlite:///{database}",
        models_dir=root / "models",
        datasets_dir=root / "datasets",
        logs_dir=root / "logs",
        default_models=False,
        training_workers=1,
        prediction_log_texts=False,
        prediction_log_retention_days=1,
        prediction_log_queue=QUEUE,
        prediction_log_interval_ms=20,
    )
    with (
        serving_in_process(settings) as (base_url, app),
        httpx.Client(base_url=base_url, timeout=120) as client,
    ):
        dataset = upload_csv(client, labelled_csv(200, seed=3), "log.csv").json()
        accepted = fit(client, dataset["id"], name="logged", params={"min_df": 1})
        assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
        loaded = client.post("/api/v1/models/load", json={"model_id": accepted["model_id"]})
        assert loaded.status_code == 200, loaded.text
        store = app.state.services.predictions.log.store
        yield {"client": client, "model_id": accepted["model_id"], "db": database, "store": store}


def _ids(store: SqlPredictionLog, ids: list[str]) -> set[str]:
    with store.engine.connect() as conn:
        query = select(PredictionRow.id).where(PredictionRow.id.in_(ids))
        return set(conn.scalars(query))


def _dropped(client: httpx.Client) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith('textclf_prediction_log_dropped_total{reason="queue_full"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _predict(client: httpx.Client, model_id: str, text: str) -> str:
    response = client.post("/api/v1/models/predict", json={"model_id": model_id, "texts": [text]})
    assert response.status_code == 200, response.text
    return response.json()["predictions"][0]["prediction_id"]


def test_rows_older_than_the_retention_are_deleted(served: dict) -> None:
    deadline = time.monotonic() + 20
    while _ids(served["store"], ["old"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ids(served["store"], ["old", "recent"]) == {"recent"}


def test_text_storage_off_stores_no_text(served: dict) -> None:
    prediction_id = _predict(served["client"], served["model_id"], "a text kept to itself")
    deadline = time.monotonic() + 20
    while not _ids(served["store"], [prediction_id]) and time.monotonic() < deadline:
        time.sleep(0.1)
    with served["store"].engine.connect() as conn:
        row = conn.execute(select(PredictionRow).where(PredictionRow.id == prediction_id)).one()
    assert row.text is None and row.label in ("0", "1")


def test_a_locked_database_drops_and_counts_but_never_blocks(served: dict) -> None:
    client, model_id = served["client"], served["model_id"]
    dropped_before = _dropped(client)
    lock = sqlite3.connect(served["db"], isolation_level=None, timeout=30)
    lock.execute("BEGIN IMMEDIATE")  # the writer's next insert waits for this lock
    try:
        ids = []
        for i in range(REQUESTS):
            started = time.monotonic()
            ids.append(_predict(client, model_id, f"text number {i}"))
            assert time.monotonic() - started < 5  # a prediction never waits for the log
        dropped = _dropped(client) - dropped_before
        # the writer holds a few items, the queue QUEUE more: the rest is dropped
        assert REQUESTS - QUEUE - 5 <= dropped < REQUESTS
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    deadline = time.monotonic() + 30
    while len(_ids(served["store"], ids)) < REQUESTS - dropped and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_ids(served["store"], ids)) == REQUESTS - dropped
    with served["store"].engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(PredictionRow)) >= REQUESTS - dropped
