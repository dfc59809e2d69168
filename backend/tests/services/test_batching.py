"""The micro-batcher's behaviour (not its speed): answers, errors, splitting, waiting."""

import asyncio
import logging
import threading
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from app.ml.bundle import Predictions, TrainedModel
from app.ml.preprocessing import Preprocessor
from app.services.batching import PROCESS_MAX_TEXTS, Answers, PredictBatcher
from app.services.predict_process import PredictProcess


class EchoModel(TrainedModel):
    """Label = the text's length, confidence = 1 / (1 + length); records every call."""

    flavor = "test"

    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__(preprocessor=Preprocessor(), classes=[0, 1])
        self.calls: list[list[str]] = []
        self.entered: list[list[str]] = []  # recorded before the gate
        self.fail_on = fail_on
        self.gate = threading.Event()
        self.gate.set()

    def predict(self, texts: Sequence[object]) -> Answers:
        self.entered.append([str(t) for t in texts])
        self.gate.wait(5)
        batch = [str(t) for t in texts]
        self.calls.append(batch)
        if self.fail_on is not None and self.fail_on in batch:
            raise ValueError(f"cannot predict {self.fail_on!r}")
        return expected(batch)

    def _proba(self, cleaned_texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def save_payload(self, directory: object) -> None:
        raise NotImplementedError

    @classmethod
    def load_payload(cls, directory: object, **kwargs: object) -> "EchoModel":
        raise NotImplementedError


def expected(texts: list[str]) -> Answers:
    return Predictions(
        labels=[len(t) for t in texts],
        confidences=[1 / (1 + len(t)) for t in texts],
        probabilities=[[len(t) / 100, 1 - len(t) / 100] for t in texts],
        known_token_share=[(len(t) % 7) / 7 for t in texts],
    )


async def predict_all(
    batcher: PredictBatcher, model: TrainedModel, requests: list[list[str]], key: str = "m"
) -> list[Answers | BaseException]:
    jobs = [batcher.predict(key, model, texts) for texts in requests]
    return await asyncio.gather(*jobs, return_exceptions=True)


def run_blocked(batcher: PredictBatcher, model: EchoModel, requests: list[list[str]]) -> list:
    """Submit one request, hold the model until the others are queued, then let it go: the
    others must then share batches."""

    async def scenario() -> list:
        model.gate.clear()
        first = asyncio.ensure_future(batcher.predict("m", model, ["warm-up"]))
        await asyncio.sleep(0.05)  # the first batch is now blocked inside the model
        rest = asyncio.ensure_future(predict_all(batcher, model, requests))
        await asyncio.sleep(0.05)  # every other request is queued behind it
        model.gate.set()
        await first
        return await rest

    return asyncio.run(scenario())


@pytest.fixture
def batcher() -> Iterator[PredictBatcher]:
    batcher = PredictBatcher(process=PredictProcess(), max_batch=8, max_wait_s=0.0)
    yield batcher
    batcher.close()


def test_concurrent_requests_get_their_own_answers_in_order(batcher: PredictBatcher) -> None:
    model = EchoModel()
    requests = [[f"r{i}-" + "x" * j for j in range(i % 3 + 1)] for i in range(20)]
    results = run_blocked(batcher, model, requests)
    assert results == [expected(texts) for texts in requests]
    assert len(model.calls) < 1 + len(requests)  # they were batched
    assert all(len(call) <= 8 for call in model.calls)


def test_a_big_request_is_never_split(batcher: PredictBatcher) -> None:
    model = EchoModel()
    big = [f"big {i}" for i in range(20)]
    requests = [["a", "bb"], big, ["ccc"], ["dddd"] * 7]
    results = run_blocked(batcher, model, requests)
    assert results == [expected(texts) for texts in requests]
    assert big in model.calls  # in one call of its own, whole and in order
    for call in model.calls:
        assert call == big or len(call) <= 8


def test_an_error_reaches_every_caller_of_the_failing_batch() -> None:
    batcher = PredictBatcher(process=PredictProcess(), max_batch=64, max_wait_s=0.0)
    model = EchoModel(fail_on="boom")
    results = asyncio.run(predict_all(batcher, model, [["boom"]] * 5))
    assert all(isinstance(r, ValueError) and "boom" in str(r) for r in results)


def test_one_bad_request_does_not_fail_the_others(
    batcher: PredictBatcher, caplog: pytest.LogCaptureFixture
) -> None:
    model = EchoModel(fail_on="boom")
    requests = [["fine"], ["also", "fine"], ["boom"], ["still fine"]]
    with caplog.at_level(logging.WARNING, logger="app.services.batching"):
        results = run_blocked(batcher, model, requests)
    assert "cannot predict 'boom'" in caplog.text  # the fallback is logged with its reason
    assert results[0] == expected(["fine"])
    assert results[1] == expected(["also", "fine"])
    assert isinstance(results[2], ValueError)
    assert results[3] == expected(["still fine"])


def test_models_are_never_mixed_in_one_batch(batcher: PredictBatcher) -> None:
    old, new = EchoModel(), EchoModel()

    async def scenario() -> list:
        # the same id, but the model was reloaded in between: two different objects
        return await asyncio.gather(
            batcher.predict("m", old, ["one"]),
            batcher.predict("m", new, ["two"]),
            batcher.predict("m", old, ["three"]),
        )

    assert asyncio.run(scenario()) == [expected(["one"]), expected(["two"]), expected(["three"])]
    assert all(len(call) == 1 for call in new.calls)
    assert ["two"] not in old.calls


def test_a_lone_request_waits_for_company_up_to_max_wait() -> None:
    batcher = PredictBatcher(process=PredictProcess(), max_batch=8, max_wait_s=0.5)
    model = EchoModel()

    async def scenario() -> list:
        first = asyncio.ensure_future(batcher.predict("m", model, ["a"]))
        await asyncio.sleep(0.02)
        second = asyncio.ensure_future(batcher.predict("m", model, ["b"]))
        return [await first, await second]

    assert asyncio.run(scenario()) == [expected(["a"]), expected(["b"])]
    assert model.calls == [["a", "b"]]


def test_a_full_batch_does_not_wait() -> None:
    batcher = PredictBatcher(process=PredictProcess(), max_batch=2, max_wait_s=30.0)
    model = EchoModel()

    async def scenario() -> list:
        return await asyncio.wait_for(predict_all(batcher, model, [["a"], ["b"]]), timeout=5)

    assert asyncio.run(scenario()) == [expected(["a"]), expected(["b"])]


def test_a_cancelled_caller_does_not_disturb_the_others() -> None:
    # one batch in flight at a time, so "gone" queues
    batcher = PredictBatcher(process=PredictProcess(), max_batch=8, max_wait_s=0.0, max_in_flight=1)
    model = EchoModel()

    async def scenario() -> list:
        model.gate.clear()
        first = asyncio.ensure_future(batcher.predict("m", model, ["first"]))
        await asyncio.sleep(0.05)
        gone = asyncio.ensure_future(batcher.predict("m", model, ["gone"]))
        kept = asyncio.ensure_future(batcher.predict("m", model, ["kept"]))
        await asyncio.sleep(0.01)
        gone.cancel()
        model.gate.set()
        return [await first, await kept]

    assert asyncio.run(scenario()) == [expected(["first"]), expected(["kept"])]
    assert ["gone"] not in model.calls and ["kept"] in model.calls


def test_batches_of_one_model_pipeline_up_to_max_in_flight() -> None:
    batcher = PredictBatcher(process=PredictProcess(), max_batch=8, max_wait_s=0.0, max_in_flight=2)
    model = EchoModel()

    async def scenario() -> list:
        model.gate.clear()
        first = asyncio.ensure_future(batcher.predict("m", model, ["first"]))
        await asyncio.sleep(0.05)
        second = asyncio.ensure_future(batcher.predict("m", model, ["second"]))
        await asyncio.sleep(0.05)
        third = asyncio.ensure_future(batcher.predict("m", model, ["third"]))
        await asyncio.sleep(0.05)
        running = list(model.entered)  # while the first batch is still blocked
        model.gate.set()
        return [running, await first, await second, await third]

    running, *answers = asyncio.run(scenario())
    assert running == [["first"], ["second"]]  # two in flight, the third waits for a slot
    assert answers == [expected(["first"]), expected(["second"]), expected(["third"])]
    assert batcher._lanes == {}
    batcher.close()


def test_lanes_are_dropped_when_idle(batcher: PredictBatcher) -> None:
    asyncio.run(predict_all(batcher, EchoModel(), [["a"], ["b"]]))
    assert batcher._lanes == {}


class SklearnLike(EchoModel):
    flavor = "sklearn"


class RecordingProcess:
    """Stands in for the prediction process: answers like the model, records the batches."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    async def predict(self, model: TrainedModel, texts: Sequence[str]) -> Answers:
        self.batches.append(list(texts))
        return model.predict(texts)


def test_scikit_learn_batches_go_to_the_process_huge_requests_stay() -> None:
    process = RecordingProcess()
    batcher = PredictBatcher(max_batch=4, max_wait_s=0.0, process=process)  # type: ignore[arg-type]
    small, big = ["a", "bb"], [f"t{i}" for i in range(9)]
    huge = [f"h{i}" for i in range(PROCESS_MAX_TEXTS + 1)]
    model, other = SklearnLike(), EchoModel()
    results = asyncio.run(predict_all(batcher, model, [small, big, huge]))
    assert results == [expected(small), expected(big), expected(huge)]
    assert process.batches == [small, big]  # a batch of its own, in the process
    assert huge in model.calls  # in the batcher's thread
    asyncio.run(predict_all(batcher, other, [small]))
    assert process.batches == [small, big]  # not scikit-learn: never sent to the process
