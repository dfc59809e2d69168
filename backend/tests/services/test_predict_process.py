"""The prediction child process: same answers as in the server, errors, death, fallbacks."""

import gc
from collections.abc import Iterator

import pytest
from sklearn.exceptions import NotFittedError

from app.ml.preprocessing import Preprocessor
from app.ml.sklearn_models import SklearnTrainedModel, build_pipeline, fit_sklearn
from app.services.predict_process import PredictProcess
from shared.schemas import LogregParams

TEXTS = ["you idiot", "thanks a lot", "stupid troll", "great edit", "moron", "nice work"] * 3
LABELS = [1, 0, 1, 0, 1, 0] * 3
QUERIES = ["what an idiot", "thank you", "", "Nice WORK, troll", "x" * 5000]


def trained(c: float = 4.0) -> SklearnTrainedModel:
    output = fit_sklearn(
        texts=TEXTS,
        labels=LABELS,
        params=LogregParams(min_df=1, C=c),
        preprocessor=Preprocessor(),
        progress=lambda fraction, message: None,
        random_state=0,
    )
    assert isinstance(output.model, SklearnTrainedModel)
    return output.model


@pytest.fixture(scope="module")
def process() -> Iterator[PredictProcess]:
    process = PredictProcess()
    process.start()
    yield process
    process.close()


def test_answers_are_the_models_own(process: PredictProcess) -> None:
    model = trained()
    assert process.predict(model, QUERIES) == model.predict(QUERIES)
    assert process.predict(model, QUERIES[:1]) == model.predict(QUERIES[:1])


def test_each_model_object_is_its_own(process: PredictProcess) -> None:
    strong, weak = trained(c=100.0), trained(c=0.01)
    assert strong.predict(QUERIES) != weak.predict(QUERIES)
    for _ in range(2):
        assert process.predict(strong, QUERIES) == strong.predict(QUERIES)
        assert process.predict(weak, QUERIES) == weak.predict(QUERIES)


def test_a_dropped_model_is_forgotten(process: PredictProcess) -> None:
    model = trained()
    process.predict(model, QUERIES)
    assert len(process._tokens) >= 1
    del model
    gc.collect()
    assert process._dropped  # sent with the next call
    other = trained()
    assert process.predict(other, QUERIES) == other.predict(QUERIES)
    assert not process._dropped


def test_errors_reach_the_caller(process: PredictProcess) -> None:
    unfitted = SklearnTrainedModel(
        preprocessor=Preprocessor(), classes=[0, 1], pipeline=build_pipeline(LogregParams(), 0)
    )
    with pytest.raises(NotFittedError):
        process.predict(unfitted, QUERIES)
    model = trained()
    assert process.predict(model, QUERIES) == model.predict(QUERIES)  # the child lives on


def test_a_dead_child_is_replaced_without_failing_requests() -> None:
    process = PredictProcess()
    try:
        model = trained()
        assert process.predict(model, QUERIES) == model.predict(QUERIES)
        first = process._process
        assert first is not None
        first.kill()
        first.join(5)
        assert process.predict(model, QUERIES) == model.predict(QUERIES)  # ran in this thread
        assert process.predict(model, QUERIES) == model.predict(QUERIES)  # a new child
        assert process._process is not None and process._process.pid != first.pid
    finally:
        process.close()


def test_a_model_that_cannot_be_pickled_runs_here(process: PredictProcess) -> None:
    model = trained()
    model.unpicklable = lambda: None  # type: ignore[attr-defined]
    assert process.predict(model, QUERIES) == model.predict(QUERIES)
