"""Incremental training in ml/: the `sgd` kind continues on new rows with partial_fit, a
continued model is scored like a fit, new classes and kinds that cannot continue are
refused, and on the 20k toxic sample more rows raise held-out AUC over the parent."""

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from app.ml import seen_texts
from app.ml.artifacts import load_bundle
from app.ml.incremental import continue_training
from app.ml.training import TrainSpec, train_model
from app.ml.training_data import TrainingError, split_dataset
from testkit.data import toxic_sample
from testkit.samples import labelled_csv, multiclass_csv


def _spec(tmp_path: Path, name: str, content: bytes, **overrides: object) -> TrainSpec:
    data = tmp_path / f"{name}.csv"
    data.write_bytes(content)
    values: dict[str, object] = {
        "dataset_path": str(data),
        "kind": "sgd",
        "params": {},
        "preprocessing": {},
        "text_column": "comment_text",
        "label_column": "toxic",
        "test_size": 0.2,
        "random_state": 42,
        "artifact_path": str(tmp_path / f"{name}.zip"),
    }
    values.update(overrides)
    return TrainSpec(**values)  # type: ignore[arg-type]


def _child(
    tmp_path: Path, content: bytes, parent: TrainSpec, sha: str, **overrides: object
) -> TrainSpec:
    """The spec continuing `parent` (whose bundle's sha256 is `sha`) on `content`."""
    return _spec(
        tmp_path,
        "child",
        content,
        parent_artifact_path=parent.artifact_path,
        parent_sha256=sha,
        **overrides,
    )


def _parent(tmp_path: Path, content: bytes, **overrides: object) -> tuple[TrainSpec, str]:
    spec = _spec(tmp_path, "parent", content, **overrides)
    return spec, train_model(spec, lambda f, m: None).artifact_sha256


def test_sgd_fit_then_continue(tmp_path: Path) -> None:
    parent, sha = _parent(tmp_path, labelled_csv(200, seed=1))
    seen: list[str] = []
    child = _child(
        tmp_path,
        labelled_csv(200, seed=2),
        parent,
        sha,
        epochs=4,
    )
    result = continue_training(child, lambda f, m: seen.append(m))
    assert result.classes == [0, 1]
    assert result.metrics["roc_auc"] > 0.9 and result.metrics["n_train"] == 160
    assert sum("pass" in m for m in seen) == 4  # one partial_fit per epoch
    # its threshold is chosen on its held-out rows (as a fit's), and the figures that
    # depend on it are cross-fitted there
    assert result.thresholds is not None
    cut = result.thresholds["thresholds"][0]
    assert result.metrics["decision_thresholds"] == {"1": cut["threshold"]}
    assert result.metrics["threshold_figures"] == "cross_fitted"
    with zipfile.ZipFile(child.artifact_path) as bundle:  # an imported copy decides so too
        assert json.loads(bundle.read("manifest.json"))["thresholds"] == result.thresholds
    model = load_bundle(Path(child.artifact_path), expected_sha256=result.artifact_sha256)
    assert model.predict(["you are a stupid idiot"]).labels == [1]
    parent_model = load_bundle(Path(parent.artifact_path), expected_sha256=sha)
    assert (
        parent_model.pipeline.named_steps["clf"].coef_.tolist()  # type: ignore[attr-defined]
        != model.pipeline.named_steps["clf"].coef_.tolist()  # type: ignore[attr-defined]
    )


def test_new_classes_are_refused(tmp_path: Path) -> None:
    parent, sha = _parent(tmp_path, multiclass_csv(), text_column="text", label_column="topic")
    frame = pd.read_csv(parent.dataset_path)
    frame.loc[frame.index[:20], "topic"] = "music"
    child = _child(
        tmp_path,
        frame.to_csv(index=False).encode(),
        parent,
        sha,
        text_column="text",
        label_column="topic",
    )
    with pytest.raises(TrainingError, match="music"):
        continue_training(child, lambda f, m: None)


def test_a_kind_that_cannot_continue(tmp_path: Path) -> None:
    parent, sha = _parent(tmp_path, labelled_csv(200), kind="logreg", params={"min_df": 1})
    child = _child(tmp_path, labelled_csv(200, seed=3), parent, sha, kind="logreg")
    with pytest.raises(TrainingError, match="retrain"):
        continue_training(child, lambda f, m: None)


def test_a_changed_parent_file_is_refused(tmp_path: Path) -> None:
    parent, _ = _parent(tmp_path, labelled_csv(200))
    child = _child(tmp_path, labelled_csv(200, seed=3), parent, "0" * 64)
    with pytest.raises(TrainingError, match="changed since"):
        continue_training(child, lambda f, m: None)


@pytest.mark.shared_data
def test_more_rows_raise_held_out_auc_on_the_toxic_sample(tmp_path: Path) -> None:
    source = toxic_sample()
    if source is None:
        pytest.skip("../shared/data/toxic_sample_20k.csv is absent")
    frame = pd.read_csv(source, usecols=["comment_text", "toxic"]).sample(frac=1.0, random_state=0)
    held_out, first, more = frame[:3000], frame[3000:4000], frame[4000:10000]
    parent, sha = _parent(tmp_path, first.to_csv(index=False).encode())
    child = _child(
        tmp_path,
        more.to_csv(index=False).encode(),
        parent,
        sha,
        epochs=5,
    )
    result = continue_training(child, lambda f, m: None)
    texts, truth = held_out["comment_text"].tolist(), held_out["toxic"].tolist()
    aucs = {}
    for name, path, digest in (
        ("parent", parent.artifact_path, sha),
        ("child", child.artifact_path, result.artifact_sha256),
    ):
        model = load_bundle(Path(path), expected_sha256=digest)
        aucs[name] = roc_auc_score(truth, model.predict_proba(texts)[:, 1])
    print(aucs)
    assert aucs["child"] > aucs["parent"] + 0.02, aucs


def _training_texts(spec: TrainSpec, sha: str) -> set[str]:
    """The cleaned texts a fit trained on, its split made again."""
    model = load_bundle(Path(spec.artifact_path), expected_sha256=sha)
    split = split_dataset(
        pd.read_csv(spec.dataset_path, dtype=str, keep_default_na=False),
        text_column=spec.text_column,
        label_column=spec.label_column,
        preprocessor=model.preprocessor,
        test_size=spec.test_size,
        random_state=spec.random_state,
    )
    return set(split.texts(split.train))


def test_rows_the_parent_learnt_are_not_held_out(tmp_path: Path) -> None:
    # new data that repeats the parent's data (an export holding last month's rows too):
    # the parent's training rows cannot test the continued model
    parent, sha = _parent(tmp_path, labelled_csv(200, seed=1))
    learnt = _training_texts(parent, sha)
    both = pd.concat(
        [
            pd.read_csv(io.BytesIO(labelled_csv(200, seed=1))),
            pd.read_csv(io.BytesIO(labelled_csv(200, seed=2))),
        ]
    )
    child = _child(
        tmp_path,
        both.to_csv(index=False).encode(),
        parent,
        sha,
        random_state=7,  # another split than the parent's: its training rows fall both ways
    )
    result = continue_training(child, lambda f, m: None)
    moved = result.preprocessing_report["held_out_seen_by_parent"]
    assert moved > 10
    assert result.metrics["n_train"] == 320 + moved
    model = load_bundle(Path(child.artifact_path), expected_sha256=result.artifact_sha256)
    assert model.trained_texts is not None
    # it learnt its parent's rows and its own training rows, and none of its held-out rows
    split = seen_texts.unseen_held_out(
        split_dataset(
            both.astype(str),
            text_column="comment_text",
            label_column="toxic",
            preprocessor=model.preprocessor,
            test_size=0.2,
            random_state=7,
        ),
        model.trained_texts,
    )[0]
    held_out = split.texts(split.test)
    assert len(held_out) == 80 - moved and not learnt & set(held_out)
    assert seen_texts.seen_mask(model.trained_texts, sorted(learnt)).all()
    assert not seen_texts.seen_mask(model.trained_texts, held_out).any()


def test_new_rows_the_parent_learnt_all_are_refused(tmp_path: Path) -> None:
    parent, sha = _parent(tmp_path, labelled_csv(200, seed=1))
    learnt = pd.DataFrame({"comment_text": sorted(_training_texts(parent, sha))}).merge(
        pd.read_csv(parent.dataset_path), on="comment_text"
    )
    child = _child(
        tmp_path,
        learnt.to_csv(index=False).encode(),
        parent,
        sha,
    )
    with pytest.raises(TrainingError, match=r"texts the parent model trained on.*retrain"):
        continue_training(child, lambda f, m: None)
