from pathlib import Path

import numpy as np
import pytest

from app.ml.artifacts import load_bundle
from app.ml.multilabel import iterative_split
from app.ml.training import TrainSpec, train_model
from app.ml.training_data import TrainingError
from testkit.multilabel_samples import MULTILABEL_COLUMNS, multilabel_csv


def spec(tmp_path: Path, content: bytes, **overrides: object) -> TrainSpec:
    data = tmp_path / "data.csv"
    data.write_bytes(content)
    values = {
        "dataset_path": str(data),
        "kind": "logreg",
        "params": {"min_df": 1},
        "preprocessing": {},
        "text_column": "comment_text",
        "label_column": MULTILABEL_COLUMNS[0],
        "label_columns": MULTILABEL_COLUMNS,
        "test_size": 0.25,
        "random_state": 42,
        "artifact_path": str(tmp_path / "m.zip"),
    }
    values.update(overrides)
    return TrainSpec(**values)  # type: ignore[arg-type]


def test_iterative_split_keeps_each_labels_share_on_both_sides() -> None:
    rng = np.random.default_rng(0)
    # rare labels: 1 %, 3 %, 10 %, 40 % of 1,000 rows
    y = (rng.random((1000, 4)) < [0.01, 0.03, 0.10, 0.40]).astype(int)
    train, test = iterative_split(y, 0.2, random_state=1)
    assert sorted([*train, *test]) == list(range(1000))  # a partition
    assert abs(len(test) - 200) <= 1
    for label in range(4):
        total, in_test = y[:, label].sum(), y[test, label].sum()
        assert abs(in_test - 0.2 * total) <= 1, (label, total, in_test)
    again = iterative_split(y, 0.2, random_state=1)
    assert np.array_equal(again[1], test)  # the seed decides


def test_iterative_split_beats_a_random_split_on_rare_labels() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random((500, 6)) < 0.02).astype(int)
    _, test = iterative_split(y, 0.2, random_state=0)
    errors = np.abs(y[test].sum(axis=0) - 0.2 * y.sum(axis=0))
    assert errors.max() <= 1


@pytest.mark.parametrize("kind", ["logreg", "linear_svc", "naive_bayes"])
def test_multilabel_fit_gives_each_label_its_probability(tmp_path: Path, kind: str) -> None:
    result = train_model(spec(tmp_path, multilabel_csv(), kind=kind), lambda f, m: None)
    assert result.classes == MULTILABEL_COLUMNS
    per_label = {c["label"]: c for c in result.metrics["per_class"]}
    assert set(per_label) == set(MULTILABEL_COLUMNS)
    aucs = [c["roc_auc"] for c in per_label.values()]
    assert all(a > 0.9 for a in aucs)
    assert result.metrics["roc_auc"] == pytest.approx(np.mean(aucs))
    assert per_label["threat"]["fpr"] and per_label["threat"]["support"] > 0
    model = load_bundle(tmp_path / "m.zip", expected_sha256=result.artifact_sha256)
    assert model.multilabel
    out = model.predict(["you idiot, i will hurt you", "thanks for the edit"])
    assert out.label_sets is not None
    assert len(out.probabilities[0]) == 3  # one per label, not summing to 1
    insult, threat = out.probabilities[0][0], out.probabilities[0][1]
    assert insult > out.probabilities[1][0] and threat > out.probabilities[1][1]
    if kind != "naive_bayes":  # its probabilities are not calibrated: ranks only
        assert set(out.label_sets[0]) >= {"insult", "threat"} and out.label_sets[1] == []
        assert out.labels[0].startswith("insult, threat") and out.labels[1] == ""


def test_a_label_column_that_is_not_0_or_1_is_refused(tmp_path: Path) -> None:
    content = multilabel_csv().replace(b",0\r\n", b",2\r\n", 1)
    with pytest.raises(TrainingError, match="0 or 1"):
        train_model(spec(tmp_path, content), lambda f, m: None)


def test_a_label_that_never_applies_is_refused(tmp_path: Path) -> None:
    lines = multilabel_csv().decode().splitlines()
    rows = [lines[0]] + [",".join([*line.split(",")[:-1], "0"]) for line in lines[1:]]
    with pytest.raises(TrainingError, match="fewer than 2 rows"):
        train_model(spec(tmp_path, "\n".join(rows).encode()), lambda f, m: None)
