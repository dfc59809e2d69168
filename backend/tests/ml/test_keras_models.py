"""Keras kinds end to end on tiny synthetic data: training, progress, history, bundles.

TensorFlow is imported inside fixtures, not at collection, so `-m "not keras"` stays fast.
"""

import io
import pickle
import statistics
import time
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pytest

from app.ml.artifacts import load_bundle, save_bundle
from app.ml.preprocessing import Preprocessor
from app.ml.progress import FitOutput
from app.ml.training import TrainSpec, train_model
from shared.schemas.params import parse_params

pytestmark = pytest.mark.keras

TINY = {
    "epochs": 1,
    "batch_size": 32,
    "max_tokens": 1000,
    "sequence_length": 32,
    "embedding_dim": 8,
}
WORDS = {
    "toxic": ["idiot", "stupid", "moron", "loser", "dumb"],
    "clean": ["thanks", "article", "source", "edit", "page"],
    "food": ["bread", "cheese", "apple", "soup", "rice"],
}
FILLER = ["the", "a", "this", "is", "and", "of", "you", "it"]


def synthetic(classes: list[str], n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    labels = [classes[i % len(classes)] for i in range(n)]
    texts = [
        " ".join(rng.choice(WORDS[label] * 2 + FILLER, size=int(rng.integers(4, 12))))
        for label in labels
    ]
    return texts, labels


def fit(kind: str, texts: list[str], labels: list[Any], **extra: Any) -> tuple[FitOutput, list]:
    from app.ml.keras_models import fit_keras

    calls: list[tuple[float, str]] = []
    output = fit_keras(
        texts=texts,
        labels=labels,
        holdout_texts=texts[:5],
        params=parse_params(kind, {**TINY, **extra}),
        preprocessor=Preprocessor(),
        progress=lambda fraction, message: calls.append((fraction, message)),
        random_state=0,
    )
    return output, calls


@pytest.fixture(scope="module")
def binary_fit() -> tuple[FitOutput, list[tuple[float, str]]]:
    texts, labels = synthetic(["clean", "toxic"], 200)
    return fit("keras_cnn", texts, [int(y == "toxic") for y in labels])


@pytest.fixture(scope="module")
def bundle(binary_fit, tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("bundle") / "model.zip"
    return path, save_bundle(binary_fit[0].model, path, manifest={"kind": "keras_cnn"})


def test_progress_reports_each_epoch(binary_fit) -> None:
    _, calls = binary_fit
    epoch_messages = [m for _, m in calls if m.startswith("epoch 1/1: loss")]
    assert epoch_messages, calls
    assert "val_auc" in epoch_messages[-1]
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] >= 0.0 and fractions[-1] <= 1.0


def test_history_has_train_and_validation_curves(binary_fit) -> None:
    history = binary_fit[0].history
    for key in ("loss", "accuracy", "auc", "val_loss", "val_accuracy", "val_auc"):
        assert len(history[key]) == 1 and isinstance(history[key][0], float), key


def test_bundle_round_trip_gives_same_probabilities(binary_fit, bundle) -> None:
    texts, _ = synthetic(["clean", "toxic"], 40, seed=1)
    before = binary_fit[0].model.predict_proba(texts)
    loaded = load_bundle(bundle[0], expected_sha256=bundle[1])
    assert loaded.flavor == "keras" and loaded.classes == [0, 1]
    np.testing.assert_allclose(loaded.predict_proba(texts), before, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(before.sum(axis=1), 1.0, rtol=1e-5)


def test_bundle_holds_no_pickle_and_loads_without_unpickling(bundle, monkeypatch) -> None:
    names = zipfile.ZipFile(bundle[0]).namelist()
    assert "payload/model.keras" in names and "payload/keras.json" in names
    assert not [n for n in names if n.endswith((".pkl", ".pickle", ".joblib"))]
    keras_file = zipfile.ZipFile(io.BytesIO(zipfile.ZipFile(bundle[0]).read("payload/model.keras")))
    weights: list[str] = []
    h5py.File(io.BytesIO(keras_file.read("model.weights.h5"))).visit(weights.append)
    assert weights and not [w for w in weights if "optimizer" in w]  # serving needs no Adam state

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("loading a Keras bundle must not unpickle")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    assert load_bundle(bundle[0], expected_sha256=bundle[1]).predict(["you idiot"]).labels


def test_batches_and_single_texts_agree_and_single_is_fast(binary_fit) -> None:
    model = binary_fit[0].model
    texts, _ = synthetic(["clean", "toxic"], 1100, seed=2)  # more than one prediction batch
    together = model.predict_proba(texts)
    assert together.shape == (1100, 2)
    np.testing.assert_allclose(model.predict_proba(texts[:3]), together[:3], atol=1e-6)
    assert model.predict_proba([]).shape == (0, 2)
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        model.predict(["thanks for the source"])
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.05  # milliseconds, not model.predict()'s ~60 ms


def test_multiclass_bilstm() -> None:
    texts, labels = synthetic(["clean", "food", "toxic"], 240)
    output, _ = fit("keras_bilstm", texts, [{"clean": 0, "food": 1, "toxic": 2}[y] for y in labels])
    proba = output.model.predict_proba(["bread and soup", "you idiot"])
    assert output.model.classes == [0, 1, 2] and proba.shape == (2, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_string_labels_through_train_model(tmp_path: Path) -> None:
    texts, labels = synthetic(["clean", "food", "toxic"], 240, seed=3)
    csv = tmp_path / "data.csv"
    pd.DataFrame({"comment_text": texts, "topic": labels}).to_csv(csv, index=False)
    messages: list[str] = []
    spec = TrainSpec(
        dataset_path=str(csv),
        kind="keras_cnn",
        params={**TINY, "epochs": 2, "learning_rate": 0.01},
        preprocessing={"drop_duplicates": False},
        text_column="comment_text",
        label_column="topic",
        test_size=0.25,
        random_state=0,
        artifact_path=str(tmp_path / "model.zip"),
    )
    result = train_model(spec, lambda fraction, message: messages.append(message))
    assert result.classes == ["clean", "food", "toxic"]
    assert result.metrics["accuracy"] > 0.8  # the synthetic classes are easy
    assert len(result.history["val_loss"]) >= 1 and any(m.startswith("epoch 2/2") for m in messages)
    # the seconds before the first epoch say what they are spent on
    assert messages.index(next(m for m in messages if "starting TensorFlow" in m)) < next(
        i for i, m in enumerate(messages) if m.startswith("building the vocabulary")
    )
    loaded = load_bundle(Path(spec.artifact_path), expected_sha256=result.artifact_sha256)
    assert loaded.predict(["cheese and rice and apple"]).labels == ["food"]
