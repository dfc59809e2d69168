"""Explanations of predictions, off the event loop: the server's copy of the model explains
each text for the label it was given (linear kinds in a few milliseconds a text)."""

import asyncio

from app.ml.bundle import TrainedModel
from app.ml.explanations import explain
from app.ml.labels import Label
from shared.schemas import Explanation


def explain_all(
    model: TrainedModel, texts: list[str], labels: list[Label], top: int
) -> list[Explanation]:
    return [explain(model, text, label, top) for text, label in zip(texts, labels, strict=True)]


async def explain_in_thread(
    model: TrainedModel, texts: list[str], labels: list[Label], top: int
) -> list[Explanation]:
    return await asyncio.to_thread(explain_all, model, texts, labels, top)
