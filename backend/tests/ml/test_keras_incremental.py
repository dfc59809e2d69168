"""A keras_cnn model continued on new rows of the 20k toxic sample: its vocabulary stays
the parent's, and the held-out AUC rises over the parent trained on fewer rows."""

from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from app.ml.artifacts import load_bundle
from app.ml.incremental import continue_training
from app.ml.training import TrainSpec, train_model
from testkit.data import toxic_sample

pytestmark = [pytest.mark.keras, pytest.mark.shared_data]

PARAMS = {
    "epochs": 3,
    "batch_size": 64,
    "max_tokens": 5000,
    "sequence_length": 64,
    "embedding_dim": 16,
    "filters": 16,
    "kernel_size": 3,
    "validation_split": 0.0,
}


def _spec(tmp_path: Path, name: str, frame: pd.DataFrame, **extra: object) -> TrainSpec:
    data = tmp_path / f"{name}.csv"
    frame.to_csv(data, index=False)
    values: dict[str, object] = {
        "dataset_path": str(data),
        "kind": "keras_cnn",
        "params": PARAMS,
        "preprocessing": {},
        "text_column": "comment_text",
        "label_column": "toxic",
        "test_size": 0.1,
        "random_state": 7,
        "artifact_path": str(tmp_path / f"{name}.zip"),
        **extra,
    }
    return TrainSpec(**values)  # type: ignore[arg-type]


def _vocabulary(model: object) -> list[str]:
    import keras

    layer = next(
        x
        for x in model.model.layers
        if isinstance(x, keras.layers.TextVectorization)  # type: ignore[attr-defined]
    )
    return list(layer.get_vocabulary())


def test_keras_cnn_continued_on_more_rows_beats_its_parent(tmp_path: Path) -> None:
    source = toxic_sample()
    if source is None:
        pytest.skip("../shared/data/toxic_sample_20k.csv is absent")
    frame = pd.read_csv(source, usecols=["comment_text", "toxic"]).sample(frac=1.0, random_state=1)
    held_out, first, more = frame[:2000], frame[2000:3000], frame[3000:9000]
    parent = _spec(tmp_path, "parent", first)
    parent_sha = train_model(parent, lambda f, m: None).artifact_sha256
    child = _spec(
        tmp_path,
        "child",
        more,
        parent_artifact_path=parent.artifact_path,
        parent_sha256=parent_sha,
        epochs=2,
    )
    result = continue_training(child, lambda f, m: None)
    assert len(result.history["loss"]) == 2  # type: ignore[index]
    old = load_bundle(Path(parent.artifact_path), expected_sha256=parent_sha)
    new = load_bundle(Path(child.artifact_path), expected_sha256=result.artifact_sha256)
    assert _vocabulary(new) == _vocabulary(old)
    texts, truth = held_out["comment_text"].tolist(), held_out["toxic"].tolist()
    aucs = {
        name: roc_auc_score(truth, model.predict_proba(texts)[:, 1])
        for name, model in (("parent", old), ("child", new))
    }
    print(aucs)
    assert aucs["child"] > aucs["parent"] + 0.02, aucs
