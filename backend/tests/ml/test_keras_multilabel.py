"""Keras kinds with several label columns: one sigmoid output per label, saved and loaded."""

from pathlib import Path

import pytest

from app.ml.artifacts import load_bundle
from app.ml.training import TrainSpec, train_model
from testkit.multilabel_samples import MULTILABEL_COLUMNS, multilabel_csv

pytestmark = pytest.mark.keras

TINY = {"epochs": 4, "batch_size": 32, "max_tokens": 500, "sequence_length": 16}


def test_keras_cnn_multilabel_round_trip(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes(multilabel_csv(400))
    spec = TrainSpec(
        dataset_path=str(data),
        kind="keras_cnn",
        params={**TINY, "learning_rate": 0.01, "embedding_dim": 16, "filters": 16},
        preprocessing={},
        text_column="comment_text",
        label_column=MULTILABEL_COLUMNS[0],
        label_columns=MULTILABEL_COLUMNS,
        test_size=0.25,
        random_state=0,
        artifact_path=str(tmp_path / "model.zip"),
    )
    result = train_model(spec, lambda fraction, message: None)
    assert result.classes == MULTILABEL_COLUMNS
    assert [c["label"] for c in result.metrics["per_class"]] == MULTILABEL_COLUMNS
    assert result.metrics["roc_auc"] > 0.8  # the labels' words are easy to learn
    model = load_bundle(Path(spec.artifact_path), expected_sha256=result.artifact_sha256)
    assert model.multilabel
    proba = model.predict_proba(["you moron", "thanks for the edit"])
    assert proba.shape == (2, 3)  # one sigmoid per label, not a softmax
    assert proba[0, 0] > proba[1, 0]
