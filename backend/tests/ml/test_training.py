from pathlib import Path

import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from app.ml.artifacts import load_bundle
from app.ml.labels import normalise_labels
from app.ml.preprocessing import Preprocessor
from app.ml.sklearn_models import build_pipeline, word_vectorizer
from app.ml.training import TrainSpec, train_model
from app.ml.training_data import TrainingError, read_training_frame
from shared.schemas import LogregParams
from testkit.samples import labelled_csv, multiclass_csv
from testkit.training import train_spec


def spec(tmp_path: Path, content: bytes, **overrides: object) -> TrainSpec:
    data = tmp_path / "data.csv"
    data.write_bytes(content)
    return train_spec(
        data, tmp_path / "m.zip", **{"params": {"min_df": 1}, "random_state": 42, **overrides}
    )


@pytest.mark.parametrize("kind", ["logreg", "linear_svc", "naive_bayes"])
def test_train_each_kind_reports_progress_and_saves(tmp_path: Path, kind: str) -> None:
    seen: list[tuple[float, str]] = []
    result = train_model(
        spec(tmp_path, labelled_csv(200), kind=kind), lambda f, m: seen.append((f, m))
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    messages = " ".join(m for _, m in seen)
    for stage in ("loading", "preprocessing", "vectorising", "fitting", "evaluating", "saving"):
        assert stage in messages
    assert "TensorFlow" not in messages  # scikit-learn kinds never start it
    assert result.metrics["roc_auc"] > 0.9 and result.metrics["n_test"] == 40
    model = load_bundle(tmp_path / "m.zip", expected_sha256=result.artifact_sha256)
    assert model.predict(["you stupid idiot"]).labels == [1]


def test_same_seed_same_model(tmp_path: Path) -> None:
    first = train_model(spec(tmp_path, labelled_csv(200), kind="linear_svc"), lambda f, m: None)
    second = train_model(spec(tmp_path, labelled_csv(200), kind="linear_svc"), lambda f, m: None)
    assert first.metrics["roc_curve"] == second.metrics["roc_curve"]


def test_the_model_and_metrics_are_scikit_learns_own_fit(tmp_path: Path) -> None:
    """The bundle holds what a plain Pipeline.fit on the same cleaned, split rows gives,
    and the metrics score the held-out rows with it."""
    result = train_model(spec(tmp_path, labelled_csv(600, seed=3)), lambda f, m: None)
    model = load_bundle(tmp_path / "m.zip", expected_sha256=result.artifact_sha256)

    frame = read_training_frame(tmp_path / "data.csv", "comment_text", "toxic")
    frame = Preprocessor().preprocess_dataset(frame, "comment_text")
    texts, labels = frame["comment_text"].tolist(), frame["toxic"].tolist()
    x_train, x_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.2, random_state=42, stratify=labels
    )
    expected = build_pipeline(LogregParams(min_df=1), 42).fit(x_train, y_train)

    pipeline = model.pipeline  # type: ignore[attr-defined]
    assert word_vectorizer(pipeline).vocabulary_ == word_vectorizer(expected).vocabulary_
    assert (pipeline.predict_proba(x_test) == expected.predict_proba(x_test)).all()
    assert result.metrics["n_train"] == len(x_train) and result.metrics["n_test"] == len(x_test)
    scores = expected.predict_proba(x_test)[:, 1]
    assert result.metrics["roc_auc"] == pytest.approx(roc_auc_score(y_test, scores))


def test_string_multiclass(tmp_path: Path) -> None:
    result = train_model(
        spec(tmp_path, multiclass_csv(), text_column="text", label_column="topic"),
        lambda f, m: None,
    )
    assert result.classes == ["food", "sport", "tech"] and result.metrics["positive_label"] is None


def test_mixed_label_types_become_strings(tmp_path: Path) -> None:
    content = labelled_csv(100, labels=("ok", "1"))
    result = train_model(spec(tmp_path, content), lambda f, m: None)
    assert result.classes == ["1", "ok"]


def test_integer_labels_beyond_int64_are_strings(tmp_path: Path) -> None:
    big = b"100000000000000000001"
    content = b"comment_text,toxic\n" + b"".join(
        b"text %d %s,%s\n" % (i, b"bad" if i % 2 else b"good", big if i % 2 else b"7")
        for i in range(60)
    )
    result = train_model(spec(tmp_path, content), lambda f, m: None)
    assert result.classes == ["100000000000000000001", "7"]  # mixed: compared as strings
    assert normalise_labels([10**20, "5", 2**63 - 1]) == ["100000000000000000000", 5, 2**63 - 1]


@pytest.mark.parametrize(
    ("content", "overrides", "message"),
    [
        (b"comment_text,toxic\n" + b"a b,1\n" * 50, {}, "only one class"),
        (b"comment_text,toxic\na,1\nb,0\nc,0\n", {}, "fewer than 2 rows"),
        (labelled_csv(50), {"text_column": "nope"}, "cannot read columns"),
        # the user's min_df and the training texts, not sklearn's words about max_df
        (labelled_csv(50), {"params": {"min_df": 1000}}, r"min_df 1,000 is more than the 40 "),
        # rows cleaning dropped are said: the file had two classes
        (
            b"comment_text,toxic\n" + b"".join(b"!!! ...,%d\n" % (i % 2) for i in range(120)),
            {},
            r"after cleaning, 119 of 120 texts .* dropped .* 1 row is left: .* only one class",
        ),
        (
            multiclass_csv(),
            {"text_column": "text", "label_column": "topic", "params": {"solver": "liblinear"}},
            "solver 'liblinear' handles two classes only and the labels have 3",
        ),
        (b"comment_text,toxic\n,1\n ,0\n,1\n,0\n", {}, "no texts are left"),
    ],
)
def test_training_errors_say_why(
    tmp_path: Path, content: bytes, overrides: dict, message: str
) -> None:
    with pytest.raises(TrainingError, match=message):
        train_model(spec(tmp_path, content, **overrides), lambda f, m: None)
    assert not (tmp_path / "m.zip").exists()
