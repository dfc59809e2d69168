"""Keras kinds (`keras_cnn`, `keras_bilstm`): training, progress, and the served model.

This module and `keras_networks` are the only ones that import TensorFlow; `app.ml.kinds`
imports them when a Keras kind is trained or loaded, never before.
"""

import contextlib
import json
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from sklearn.model_selection import train_test_split

from app.ml.artifacts import ArtifactError
from app.ml.bundle import TokenTerms, TrainedModel
from app.ml.keras_networks import (
    KerasParams,
    build_network,
    build_vectorizer,
    end_to_end,
    vectorize,
)
from app.ml.labels import Label, sorted_classes
from app.ml.multilabel import MultiLabels
from app.ml.preprocessing import Preprocessor
from app.ml.progress import FitOutput, ProgressFn

MODEL_FILE = "model.keras"
META_FILE = "keras.json"
PAYLOAD_FORMAT = 1
# Texts per model call at prediction time: large inputs are split, small ones go whole.
PREDICT_BATCH = 512
# Share of the progress range spent before the first epoch (vocabulary, vectorising).
PREPARE_SHARE = 0.05
# Seconds between per-batch progress reports.
BATCH_REPORT_INTERVAL_S = 1.0
EPOCH_SUMMARY_KEYS = ("loss", "accuracy", "auc", "val_loss", "val_accuracy", "val_auc")


def _grow_gpu_memory() -> None:
    """Take GPU memory as needed rather than all of it: the server shares the card."""
    for gpu in tf.config.list_physical_devices("GPU"):
        # RuntimeError: the GPU was initialised before; its setting stays as it was.
        with contextlib.suppress(RuntimeError):
            tf.config.experimental.set_memory_growth(gpu, True)


_grow_gpu_memory()


def device_name() -> str:
    return "GPU" if tf.config.list_logical_devices("GPU") else "CPU"


class ProgressCallback(keras.callbacks.Callback):
    """Reports `epoch k/N` with the epoch's metrics, and the batch within an epoch at most
    once every BATCH_REPORT_INTERVAL_S."""

    def __init__(self, progress: ProgressFn, epochs: int, start: float) -> None:
        super().__init__()
        self.report, self.epochs, self.start = progress, epochs, start
        self._epoch = 0
        self._last_report = time.monotonic()

    def _fraction(self, epochs_done: float) -> float:
        return self.start + (1.0 - self.start) * epochs_done / self.epochs

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        now = time.monotonic()
        steps = self.params.get("steps") or 0
        if now - self._last_report < BATCH_REPORT_INTERVAL_S or not steps:
            return
        self._last_report = now
        loss = f", loss {float(logs['loss']):.4f}" if logs and "loss" in logs else ""
        self.report(
            self._fraction(self._epoch + (batch + 1) / steps),
            f"epoch {self._epoch + 1}/{self.epochs}: batch {batch + 1}/{steps}{loss}",
        )

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._last_report = time.monotonic()
        logs = logs or {}
        shown = ", ".join(f"{k} {float(logs[k]):.4f}" for k in EPOCH_SUMMARY_KEYS if k in logs)
        self.report(self._fraction(epoch + 1), f"epoch {epoch + 1}/{self.epochs}: {shown}")


def _targets(indices: np.ndarray, n_classes: int) -> np.ndarray:
    if indices.ndim == 2:  # multi-label: already one 0/1 column per label
        return indices.astype(np.float32)
    if n_classes == 2:
        return indices.astype(np.float32)
    return np.eye(n_classes, dtype=np.float32)[indices]


def _validation_split(
    texts: list[str], indices: np.ndarray, fraction: float, random_state: int
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Stratified when every class can be, else random; no validation set when too small.
    Multi-label targets (a matrix) are split at random."""
    if int(len(texts) * fraction) < 1:
        return texts, [], indices, indices[:0]
    if indices.ndim == 2:
        return train_test_split(texts, indices, test_size=fraction, random_state=random_state)
    try:
        return train_test_split(
            texts, indices, test_size=fraction, random_state=random_state, stratify=indices
        )
    except ValueError:  # a class too rare to appear on both sides
        return train_test_split(texts, indices, test_size=fraction, random_state=random_state)


def _callbacks(
    params: KerasParams, progress: ProgressFn, validate: bool
) -> list[keras.callbacks.Callback]:
    callbacks: list[keras.callbacks.Callback] = [
        ProgressCallback(progress, params.epochs, PREPARE_SHARE)
    ]
    if validate:  # without a validation set there is nothing honest to stop on
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_auc", mode="max", patience=params.patience, restore_best_weights=True
            )
        )
    return callbacks


def _summary(history: dict[str, list[float]], epochs: int) -> str:
    ran = len(history.get("loss", []))
    if not history.get("val_auc"):
        return f"trained {ran}/{epochs} epochs"
    best = int(np.argmax(history["val_auc"]))
    stopped = "stopped early, " if ran < epochs else ""
    return (
        f"trained {ran}/{epochs} epochs ({stopped}kept epoch {best + 1}: "
        f"val_auc {history['val_auc'][best]:.4f})"
    )


def fit_keras(
    *,
    texts: list[str],
    labels: list[Label] | MultiLabels,
    holdout_texts: list[str],
    params: KerasParams,
    preprocessor: Preprocessor,
    progress: ProgressFn,
    random_state: int,
) -> FitOutput:
    # Pool workers train many models in one process: drop Keras' global state between them.
    keras.backend.clear_session()
    keras.utils.set_random_seed(random_state)
    multilabel = isinstance(labels, MultiLabels)
    classes: list[Label]
    if isinstance(labels, MultiLabels):
        classes = list(labels.names)
        indices = labels.matrix.astype(np.float32)  # the targets themselves
    else:
        classes = sorted_classes(labels)
        position = {str(c): i for i, c in enumerate(classes)}
        indices = np.asarray([position[str(y)] for y in labels])
    fit_texts, val_texts, fit_idx, val_idx = _validation_split(
        texts, indices, params.validation_split, random_state
    )

    progress(0.0, f"building the vocabulary from {len(fit_texts):,} texts")
    vectorizer = build_vectorizer(params, fit_texts)
    vocab_size = vectorizer.vocabulary_size()
    progress(PREPARE_SHARE / 2, f"vocabulary of {vocab_size:,} tokens; vectorising texts")
    x_fit = vectorize(vectorizer, fit_texts)
    validation = None
    if val_texts:
        validation = (vectorize(vectorizer, val_texts), _targets(val_idx, len(classes)))

    network = build_network(params, vocab_size, len(classes), multilabel)
    progress(PREPARE_SHARE, f"training on {len(fit_texts):,} texts ({device_name()})")
    fitted = network.fit(
        x_fit,
        _targets(fit_idx, len(classes)),
        batch_size=params.batch_size,
        epochs=params.epochs,
        validation_data=validation,
        shuffle=True,
        callbacks=_callbacks(params, progress, validation is not None),
        verbose=0,
    )
    history = {k: [float(v) for v in values] for k, values in fitted.history.items()}
    progress(1.0, _summary(history, params.epochs))
    model = KerasTrainedModel(
        preprocessor=preprocessor,
        classes=classes,
        model=end_to_end(vectorizer, network),
        multilabel=multilabel,
    )
    return FitOutput(model=model, holdout_proba=model._proba(holdout_texts), history=history)


class KerasTrainedModel(TrainedModel):
    """An end-to-end Keras model (strings in, probabilities out) behind a compiled call."""

    flavor = "keras"

    def __init__(
        self,
        *,
        preprocessor: Preprocessor,
        classes: Sequence[Label],
        model: keras.Model,
        multilabel: bool = False,
    ) -> None:
        super().__init__(preprocessor=preprocessor, classes=classes, multilabel=multilabel)
        self.model = model
        # One trace for any batch size; model.predict() costs ~60 ms a call, this ~1 ms.
        self._serve = tf.function(
            lambda texts: self.model(texts, training=False),
            input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string)],
        )

    def _proba(self, cleaned_texts: list[str]) -> np.ndarray:
        if not cleaned_texts:
            return np.zeros((0, len(self.classes)))
        outputs = [
            self._serve(tf.constant(cleaned_texts[i : i + PREDICT_BATCH], dtype=tf.string))
            for i in range(0, len(cleaned_texts), PREDICT_BATCH)
        ]
        proba = np.concatenate([o.numpy() for o in outputs]).astype(np.float64)
        if proba.shape[1] == 1:  # sigmoid output: the positive (second) class
            proba = np.hstack([1.0 - proba, proba])
        return proba

    def known_token_share(self, cleaned_texts: list[str]) -> list[float | None]:
        """Token ids from the model's own tokenizer: 0 pads, 1 is out of vocabulary."""
        if not cleaned_texts:
            return []
        tokenizer = next(
            layer
            for layer in self.model.layers
            if isinstance(layer, keras.layers.TextVectorization)
        )
        ids = tokenizer(tf.constant(cleaned_texts)).numpy()
        tokens = (ids > 0).sum(axis=1)
        known = (ids > 1).sum(axis=1)
        return [round(float(k) / t, 4) if t else None for k, t in zip(known, tokens, strict=True)]

    def token_terms(self) -> TokenTerms:
        """Unknown words are one out-of-vocabulary token the network has a weight for."""
        return TokenTerms(
            "words", "the answer rests on the network's token for unknown words and is unreliable"
        )

    def warm_up(self) -> None:
        """Trace the serving function now, so the first real request is not the slow one."""
        self._proba([""])

    def save_payload(self, directory: Path) -> None:
        with warnings.catch_warnings():
            # Keras' saver calls np.array() on TF variables, whose __array__ predates numpy 2's
            # `copy` keyword; harmless, and not ours to fix.
            warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)
            self.model.save(directory / MODEL_FILE)
        meta = {"format": PAYLOAD_FORMAT, "model_file": MODEL_FILE, "outputs": self._n_outputs()}
        (directory / META_FILE).write_text(json.dumps(meta, indent=2))

    @classmethod
    def load_payload(
        cls,
        directory: Path,
        *,
        preprocessor: Preprocessor,
        classes: list[Label],
        multilabel: bool = False,
    ) -> "KerasTrainedModel":
        meta = json.loads((directory / META_FILE).read_text())
        if meta.get("format") != PAYLOAD_FORMAT:
            raise ArtifactError(f"unknown Keras payload format {meta.get('format')!r}")
        # safe_mode (the default) refuses Lambda layers and other arbitrary code.
        model = keras.models.load_model(directory / MODEL_FILE, compile=False, safe_mode=True)
        loaded = cls(preprocessor=preprocessor, classes=classes, model=model, multilabel=multilabel)
        expected = 1 if len(classes) == 2 and not multilabel else len(classes)
        if loaded._n_outputs() != expected:
            raise ArtifactError(
                f"the model has {loaded._n_outputs()} outputs for {len(classes)} classes"
            )
        loaded.warm_up()
        return loaded

    def _n_outputs(self) -> int:
        return int(self.model.outputs[0].shape[-1])

    def versions(self) -> dict[str, str]:
        return {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__}
