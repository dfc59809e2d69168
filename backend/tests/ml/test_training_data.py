"""The rows a fit reads and its split (app/ml/training_data.py)."""

from pathlib import Path

import pandas as pd
import pytest

from app.ml.preprocessing import Preprocessor
from app.ml.training import train_model
from app.ml.training_data import (
    TrainingError,
    check_splittable,
    cleaning_report,
    read_training_frame,
    read_training_frames,
    row_origins,
    split_dataset,
)
from testkit.training import train_spec


def test_label_messages_stay_short_whatever_the_labels() -> None:
    long_label = "x" * 100_000
    with pytest.raises(TrainingError) as caught:
        check_splittable([long_label] * 10, 0.2)
    assert len(str(caught.value)) < 200 and "only one class ('xxx" in str(caught.value)
    rare = [f"{i}-{long_label}" for i in range(900)] + ["common"] * 10
    with pytest.raises(TrainingError) as caught:
        check_splittable(rare, 0.2)
    message = str(caught.value)
    assert len(message) < 600 and "and 895 more" in message and "fewer than 2 rows" in message


def _with_split(tmp_path: Path, roles: list[str]) -> Path:
    rows = ["text,label,split"] + [
        f"text number {i} {'bad' if i % 2 else 'good'},{i % 2},{role}"
        for i, role in enumerate(roles)
    ]
    path = tmp_path / "split.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_split_column_gives_the_held_out_rows(tmp_path: Path) -> None:
    roles = ["train"] * 12 + [" Test "] * 3 + ["train"] * 4 + ["test"]
    path = _with_split(tmp_path, roles)
    frame = read_training_frame(path, "text", "label", "split")
    split = split_dataset(
        frame,
        text_column="text",
        label_column="label",
        preprocessor=Preprocessor(),
        test_size=0.5,  # not used: the column decides
        random_state=1,
        split_column="split",
    )
    assert split.test.tolist() == [12, 13, 14, 19]
    assert len(split.train) == 16
    artifact = tmp_path / "m.zip"
    spec = train_spec(
        path, artifact, text_column="text", label_column="label", random_state=42,
        split_column="split",
    )  # fmt: skip
    assert train_model(spec, lambda *_: None).metrics["n_test"] == 4


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["train"] * 10 + ["valid"], "only 'train' and 'test'"),
        (["train"] * 10, "both train and test rows"),
    ],
)
def test_a_bad_split_column_is_a_clear_error(
    tmp_path: Path, roles: list[str], message: str
) -> None:
    frame = read_training_frame(_with_split(tmp_path, roles), "text", "label", "split")
    with pytest.raises(TrainingError, match=message):
        split_dataset(
            frame,
            text_column="text",
            label_column="label",
            preprocessor=Preprocessor(),
            test_size=0.2,
            random_state=1,
            split_column="split",
        )


def test_rows_read_from_several_files_say_where_each_is(tmp_path: Path) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("text,label\nkeep one,0\nno label,\nshared,1\nkeep two,0\n", encoding="utf-8")
    second.write_text("text,label\nshared,1\nnew one,1\nnew two,0\n", encoding="utf-8")

    frame = read_training_frames([str(first), str(second)], "text", "label")

    # "shared" is read once, from the first file; the unlabelled row is not read at all
    assert frame["text"].tolist() == ["keep one", "shared", "keep two", "new one", "new two"]
    origins = row_origins(frame)
    assert origins is not None
    assert [tuple(o) for o in origins] == [(0, 0), (0, 2), (0, 3), (1, 1), (1, 2)]
    # kept through pandas' copies of the frame, and a concat of two of them works
    assert row_origins(pd.concat([frame.head(2), frame.tail(2)])) is not None
    assert read_training_frames([str(first)], "text", "label").index.tolist() == [0, 2, 3]
    # what a fit's report says of them: "shared" is a duplicate, not a row without a label
    split = split_dataset(
        frame,
        text_column="text",
        label_column="label",
        preprocessor=Preprocessor(),
        test_size=0.4,
        random_state=1,
    )
    report = cleaning_report(split, frame)
    assert report["rows_read"] == 7
    assert (report["unlabelled_dropped"], report["duplicates_dropped"]) == (1, 1)
    assert report["rows_left"] == 5
