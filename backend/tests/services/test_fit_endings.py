"""The end of a fit while the registry cannot be reached: PostgreSQL, behind a relay the
test cuts, is gone when the fit's bundle is written; the end is tried again and recorded
once the database answers, instead of leaving the task running for good. And a job that
fails with an error without a message says at least the error's type."""

import time
from concurrent.futures import Future
from pathlib import Path

import pytest

from app.registry.entities import ModelRecord, TaskRecord
from app.registry.sql import SqlRegistry
from app.services.training import TrainingService
from shared.schemas import FitRequest, ModelStatus, TaskStatus
from testkit.relay import postgres_behind_relay
from testkit.samples import labelled_csv
from testkit.training import ingest_csv, training_service


def test_a_fit_that_ends_while_the_registry_is_gone_succeeds_once_it_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with postgres_behind_relay() as (url, relay):
        registry = SqlRegistry(url)
        training = training_service(registry, tmp_path, workers=1)
        try:
            task, model = _queued_fit(training, "cut")
            relay.cut()  # the worker needs no registry; its start, progress and end do
            bundle = training.models_dir / f"{model.id}.zip"
            deadline = time.monotonic() + 120
            while not bundle.exists():
                assert time.monotonic() < deadline, "the fit never wrote its bundle"
                time.sleep(0.05)
            time.sleep(3)  # the worker has returned: its end is tried meanwhile
            relay.restore()

            ended = training.wait(task.id, timeout=120)

            assert ended.status == TaskStatus.SUCCEEDED, ended
            recorded = registry.get_model(model.id)
            assert recorded is not None and recorded.status == ModelStatus.READY
            assert bundle.is_file()
            tries = [r for r in caplog.records if r.name == "app.registry.retries"]
            assert tries and "cannot be reached" in tries[0].getMessage()
            # its start and progress were lost, one line each, with no traceback (the
            # runner's other records, its pool's start at INFO, are not about that)
            runner = [r for r in caplog.records if r.name == "app.tasks.runner"]
            assert any("was not recorded" in r.getMessage() for r in runner), runner
            assert not [r for r in runner if r.exc_info is not None], runner
        finally:
            training.stop()
            relay.restore()
            registry.close()


def test_a_job_error_without_a_message_is_named_by_its_type(tmp_path: Path) -> None:
    registry = SqlRegistry(f"sqlite:///{tmp_path / 'registry.db'}")
    training = training_service(registry, tmp_path, workers=1)
    try:
        task, model = _queued_fit(training, "bare")
        failed: Future = Future()
        failed.set_exception(EOFError())  # as a worker's broken pipe ends a job: no message

        training.endings.finished(task.id, failed)  # it ends first; the real end finds it ended

        ended = registry.get_task(task.id)
        assert ended is not None and ended.status == TaskStatus.FAILED
        assert ended.error == "training failed: EOFError"
        recorded = registry.get_model(model.id)
        assert recorded is not None and recorded.error == "training failed: EOFError"
    finally:
        training.stop()
        registry.close()


def _queued_fit(training: TrainingService, name: str) -> tuple[TaskRecord, ModelRecord]:
    """A logreg fit of `name` on 200 labelled rows, queued."""
    dataset_id = ingest_csv(training.datasets, labelled_csv(200, seed=3), "rows")
    request = FitRequest.model_validate({"name": name, "kind": "logreg", "dataset_id": dataset_id})
    return training.fit(request)
