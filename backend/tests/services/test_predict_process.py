"""The prediction child process: same answers as in the server, errors, death, fallbacks."""

import asyncio
import gc
import logging
import operator
import time
from collections.abc import Awaitable, Callable

import pytest
from sklearn.exceptions import NotFittedError

from app.core.errors import UnavailableError
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
        holdout_texts=QUERIES[:2],
        params=LogregParams(min_df=1, C=c),
        preprocessor=Preprocessor(),
        progress=lambda fraction, message: None,
        random_state=0,
    )
    assert isinstance(output.model, SklearnTrainedModel)
    return output.model


class SleepyModel(SklearnTrainedModel):
    """Hangs (in whichever process predicts) on the text "sleep"."""

    def predict(self, texts):  # type: ignore[no-untyped-def]
        if "sleep" in texts:
            time.sleep(60)
        return super().predict(texts)


STALLS: list[float] = []


async def longest_stall() -> None:
    """Record how late the event loop wakes a 10 ms sleeper, until cancelled."""
    STALLS.clear()
    while True:
        before = time.monotonic()
        await asyncio.sleep(0.01)
        STALLS.append(time.monotonic() - before - 0.01)


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time limit"
        await asyncio.sleep(0.02)


def with_process(scenario: Callable[[PredictProcess], Awaitable[None]]) -> None:
    """Run `scenario` on an event loop, with a started child closed afterwards."""

    async def main() -> None:
        process = PredictProcess()
        process.start()
        try:
            await scenario(process)
        finally:
            process.close()

    asyncio.run(main())


def test_answers_are_the_models_own() -> None:
    async def scenario(process: PredictProcess) -> None:
        model = trained()
        assert await process.predict(model, QUERIES) == model.predict(QUERIES)
        assert await process.predict(model, QUERIES[:1]) == model.predict(QUERIES[:1])
        assert process._tokens.get(model)  # it ran in the child

    with_process(scenario)


def test_each_model_object_is_its_own() -> None:
    async def scenario(process: PredictProcess) -> None:
        strong, weak = trained(c=100.0), trained(c=0.01)
        assert strong.predict(QUERIES) != weak.predict(QUERIES)
        for _ in range(2):
            assert await process.predict(strong, QUERIES) == strong.predict(QUERIES)
            assert await process.predict(weak, QUERIES) == weak.predict(QUERIES)

    with_process(scenario)


def test_a_dropped_model_is_forgotten() -> None:
    async def scenario(process: PredictProcess) -> None:
        model = trained()
        await process.predict(model, QUERIES)
        assert model in process._tokens
        del model
        gc.collect()
        assert process._dropped  # sent with the next call
        other = trained()
        assert await process.predict(other, QUERIES) == other.predict(QUERIES)
        assert not process._dropped

    with_process(scenario)


def test_concurrent_callers_get_their_own_answers_in_order() -> None:
    async def scenario(process: PredictProcess) -> None:
        strong, weak = trained(c=100.0), trained(c=0.01)
        jobs = [(strong if i % 2 else weak, QUERIES[i % 5 :] + QUERIES[: i % 5]) for i in range(40)]
        answers = await asyncio.gather(*(process.predict(m, t) for m, t in jobs))
        assert answers == [model.predict(texts) for model, texts in jobs]

    with_process(scenario)


def test_errors_reach_the_caller() -> None:
    async def scenario(process: PredictProcess) -> None:
        unfitted = SklearnTrainedModel(
            preprocessor=Preprocessor(), classes=[0, 1], pipeline=build_pipeline(LogregParams(), 0)
        )
        with pytest.raises(NotFittedError):
            await process.predict(unfitted, QUERIES)
        model = trained()
        assert await process.predict(model, QUERIES) == model.predict(QUERIES)  # it lives on

    with_process(scenario)


def test_a_dead_child_is_replaced_without_failing_requests(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario(process: PredictProcess) -> None:
        model = trained()
        assert await process.predict(model, QUERIES) == model.predict(QUERIES)
        first = process._process
        assert first is not None
        first.kill()
        first.join(5)
        in_flight = [process.predict(model, QUERIES[i:]) for i in range(3)]
        answers = await asyncio.gather(*in_flight)  # ran in the server's threads
        assert answers == [model.predict(QUERIES[i:]) for i in range(3)]
        assert await process.predict(model, QUERIES) == model.predict(QUERIES)  # a new child
        assert process._process is not None and process._process.pid != first.pid
        assert process._tokens.get(model)

    with caplog.at_level(logging.WARNING, logger="app.services.predict_process"):
        with_process(scenario)
    assert "restarting the prediction process: the prediction process is gone" in caplog.text


def test_a_model_that_cannot_be_pickled_runs_here(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(process: PredictProcess) -> None:
        model = trained()
        model.unpicklable = lambda: None  # type: ignore[attr-defined]
        assert await process.predict(model, QUERIES) == model.predict(QUERIES)
        assert process._tokens.get(model) == 0  # _LOCAL

    with caplog.at_level(logging.WARNING, logger="app.services.predict_process"):
        with_process(scenario)
    assert "cannot be pickled" in caplog.text  # the fallback, with its reason


class FailsToUnpickle:
    """Pickles fine; unpickling it divides by zero (in the child, where it is unpickled)."""

    def __reduce__(self) -> tuple:
        return operator.truediv, (1, 0)


def test_a_model_the_child_cannot_load_runs_here(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(process: PredictProcess) -> None:
        model = trained()
        model.poison = FailsToUnpickle()  # type: ignore[attr-defined]
        for _ in range(3):
            assert await process.predict(model, QUERIES) == model.predict(QUERIES)
        assert process._tokens.get(model) == 0  # asked once, then it stays here
        other = trained()
        assert await process.predict(other, QUERIES) == other.predict(QUERIES)
        assert process._tokens.get(other)  # the child still serves the others

    with caplog.at_level(logging.WARNING, logger="app.services.predict_process"):
        with_process(scenario)
    fallbacks = [r for r in caplog.records if "cannot be unpickled" in r.getMessage()]
    assert len(fallbacks) == 1 and "ZeroDivisionError" in fallbacks[0].getMessage()


def test_close_ends_the_child() -> None:
    async def scenario(process: PredictProcess) -> None:
        model = trained()
        await process.predict(model, QUERIES)
        child = process._process
        assert child is not None
        process.close()
        assert not child.is_alive() and child.exitcode == 0  # it saw EOF and returned

    with_process(scenario)


def test_a_hung_child_is_stopped_and_the_others_still_answered() -> None:
    async def scenario(process: PredictProcess) -> None:
        base = trained()
        model = SleepyModel(
            preprocessor=base.preprocessor, classes=base.classes, pipeline=base.pipeline
        )
        assert await process.predict(model, QUERIES) == base.predict(QUERIES)
        hung_child = process._process
        assert hung_child is not None and process._tokens.get(model)  # it runs in the child
        process.call_timeout_s = 1.0  # after the first call, which waited for the child to start
        started = time.monotonic()
        stalls = asyncio.ensure_future(longest_stall())
        hung = asyncio.ensure_future(process.predict(model, ["sleep"]))
        behind = asyncio.ensure_future(process.predict(model, QUERIES[:2]))  # queued after it
        with pytest.raises(UnavailableError, match="longer than 1 s"):
            await hung
        assert await behind == base.predict(QUERIES[:2])  # answered in a server thread
        assert time.monotonic() - started < 10
        await wait_until(lambda: not hung_child.is_alive())
        stalls.cancel()
        assert max(STALLS) < 0.5  # the restart never held up the event loop
        process.call_timeout_s = 60.0  # the next call waits for a new child to start
        assert await process.predict(model, QUERIES) == base.predict(QUERIES)  # a new child
        assert process._process is not None and process._process.pid != hung_child.pid

    with_process(scenario)
