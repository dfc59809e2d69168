import json
import pickle
import zipfile
import zlib
from pathlib import Path

import joblib
import numpy as np
import pytest

from app.ml import seen_texts
from app.ml.artifacts import (
    ArtifactError,
    copy_with_manifest,
    load_bundle,
    read_trained_texts,
    remove_artifact,
    save_bundle,
    sha256_file,
)
from app.ml.multilabel import MultiLabels
from app.ml.preprocessing import Preprocessor
from app.ml.sklearn_models import SklearnTrainedModel, fit_sklearn, word_vectorizer
from shared.schemas import LogregParams, PreprocessingConfig

TEXTS = ["you idiot", "thanks a lot", "stupid moron", "great edit", "idiot moron", "nice work"]
LABELS = [1, 0, 1, 0, 1, 0]


def trained() -> SklearnTrainedModel:
    preprocessor = Preprocessor(PreprocessingConfig(strip_punctuation=True))
    output = fit_sklearn(
        texts=TEXTS,
        labels=LABELS,
        holdout_texts=TEXTS[:2],
        params=LogregParams(min_df=1),
        preprocessor=preprocessor,
        progress=lambda f, m: None,
        random_state=0,
    )
    return output.model  # type: ignore[return-value]


def test_round_trip_keeps_predictions_and_preprocessing(tmp_path: Path) -> None:
    model = trained()
    path = tmp_path / "m.zip"
    sha = save_bundle(model, path, manifest={"kind": "logreg"})
    assert sha == sha256_file(path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    loaded = load_bundle(path, expected_sha256=sha)
    texts = ["You IDIOT!!!", "thanks"]
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.classes == [0, 1]
    assert loaded.preprocessor.config.strip_punctuation is True
    with zipfile.ZipFile(path) as zf:
        assert {"manifest.json", "preprocessing.json", "payload/pipeline.pkl"} <= set(zf.namelist())


def test_a_pruned_vocabulary_round_trips_with_int_indices(tmp_path: Path) -> None:
    """min_df prunes terms, after which scikit-learn keeps numpy int indices: the bundle
    stores them as ints, and the loaded pipeline has the same terms and predictions."""
    texts = [f"{a} {b}" for a in ("idiot", "moron", "thanks", "nice") for b in TEXTS] * 2
    labels = [int(t.split()[0] in ("idiot", "moron")) for t in texts]
    output = fit_sklearn(
        texts=texts,
        labels=labels,
        holdout_texts=texts[:3],
        params=LogregParams(min_df=3),
        preprocessor=Preprocessor(),
        progress=lambda f, m: None,
        random_state=0,
    )
    fitted = word_vectorizer(output.model.pipeline).vocabulary_  # type: ignore[attr-defined]
    assert all(isinstance(i, np.integer) for i in fitted.values())  # what the hook is for
    sha = save_bundle(output.model, tmp_path / "m.zip", manifest={"kind": "logreg"})
    loaded = load_bundle(tmp_path / "m.zip", expected_sha256=sha)
    vocabulary = word_vectorizer(loaded.pipeline).vocabulary_  # type: ignore[attr-defined]
    assert vocabulary == fitted and all(type(i) is int for i in vocabulary.values())
    assert (loaded.predict_proba(texts) == output.model.predict_proba(texts)).all()


def test_changed_bytes_are_refused_before_unpickling(tmp_path: Path) -> None:
    model = trained()
    path = tmp_path / "m.zip"
    sha = save_bundle(model, path, manifest={})
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (marker.touch, ())

    with zipfile.ZipFile(path, "w") as zf:  # a foreign file under the same name
        zf.writestr("manifest.json", '{"format_version": 1, "flavor": "sklearn", "classes": []}')
        zf.writestr("preprocessing.json", "{}")
        zf.writestr("payload/pipeline.pkl", pickle.dumps(Evil()))
    with pytest.raises(ArtifactError, match="changed since it was saved"):
        load_bundle(path, expected_sha256=sha)
    assert not marker.exists()


def test_bundles_written_with_joblib_still_load(tmp_path: Path) -> None:
    model = trained()
    path = tmp_path / "m.zip"
    save_bundle(model, path, manifest={})
    old = tmp_path / "old.zip"  # the same bundle as the first releases wrote it
    with zipfile.ZipFile(path) as new, zipfile.ZipFile(old, "w") as zf:
        for name in new.namelist():
            if name != "payload/pipeline.pkl":
                zf.writestr(name, new.read(name))
        with zf.open("payload/pipeline.joblib", "w") as payload:
            joblib.dump(model.pipeline, payload)
    loaded = load_bundle(old, expected_sha256=sha256_file(old))
    texts = ["You IDIOT!!!", "thanks"]
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts))


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="missing"):
        load_bundle(tmp_path / "nope.zip", expected_sha256="0" * 64)
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ArtifactError, match="not a valid bundle"):
        load_bundle(junk, expected_sha256=sha256_file(junk))


def test_remove_artifact_takes_staging_leftovers_and_derived_files(tmp_path: Path) -> None:
    path = tmp_path / "abc.zip"
    path.write_bytes(b"x")
    (tmp_path / ".abc.tmp123").mkdir()
    (tmp_path / "abc.zip.drift.json").write_text("{}")  # its drift reference
    (tmp_path / "abcd.zip.drift.json").write_text("{}")  # another bundle's
    remove_artifact(path)
    assert [p.name for p in tmp_path.iterdir()] == ["abcd.zip.drift.json"]


def test_a_copy_with_another_manifest_keeps_the_payload_and_loads(tmp_path: Path) -> None:
    model = trained()
    source = tmp_path / "m.zip"
    sha = save_bundle(model, source, manifest={"kind": "logreg", "version": 1})
    target = tmp_path / "copy.zip"
    copied = copy_with_manifest(
        source, target, expected_sha256=sha, changes={"version": 2, "thresholds": {"x": 1}}
    )
    assert copied == sha256_file(target) != sha
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target) as new:
        assert old.namelist() == new.namelist()
        for name in old.namelist():
            if name != "manifest.json":
                assert old.read(name) == new.read(name), name
        manifest = json.loads(new.read("manifest.json"))
    assert manifest["version"] == 2 and manifest["thresholds"] == {"x": 1}
    assert manifest["kind"] == "logreg" and manifest["classes"] == [0, 1]
    texts = ["You IDIOT!!!", "thanks"]
    loaded = load_bundle(target, expected_sha256=copied)
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts))


def test_a_changed_source_is_not_copied(tmp_path: Path) -> None:
    source = tmp_path / "m.zip"
    sha = save_bundle(trained(), source, manifest={})
    source.write_bytes(source.read_bytes() + b"x")
    with pytest.raises(ArtifactError, match="changed since it was saved"):
        copy_with_manifest(source, tmp_path / "c.zip", expected_sha256=sha, changes={})
    assert not (tmp_path / "c.zip").exists()
    with pytest.raises(ArtifactError, match="missing"):
        copy_with_manifest(tmp_path / "no.zip", tmp_path / "c.zip", expected_sha256=sha, changes={})


def _rewritten(
    path: Path, target: Path, *, payload: bytes | None = None, **manifest: object
) -> str:
    """`path`'s bundle written to `target` with another payload or manifest entries; its sha256."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "payload/pipeline.pkl" and payload is not None:
                data = payload
            if name == "manifest.json":
                data = json.dumps({**json.loads(data), **manifest}).encode()
            dst.writestr(name, data)
    return sha256_file(target)


def test_a_damaged_entry_is_an_artifact_error_naming_it(tmp_path: Path) -> None:
    """A zip whose bytes match the sha256 given but whose entry does not read (its CRC-32,
    or its compressed data): an ArtifactError, not zipfile's or zlib's own error."""
    path = tmp_path / "m.zip"
    save_bundle(trained(), path, manifest={})
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("payload/pipeline.pkl")
    content = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    seen = set()
    for at in range(start, start + info.compress_size):
        damaged = content.copy()
        damaged[at] ^= 0xFF
        path.write_bytes(damaged)
        try:  # a few changed bytes inflate to the same data: those load
            load_bundle(path, expected_sha256=sha256_file(path), what="the bundle")
        except ArtifactError as exc:
            assert str(exc).startswith("the bundle is not a valid bundle: its entry payload/")
            assert "pipeline.pkl is damaged" in str(exc)
            seen.add(type(exc.__cause__.__cause__))  # type: ignore[union-attr]
        if {zipfile.BadZipFile, zlib.error} <= seen:
            break
    assert {zipfile.BadZipFile, zlib.error} <= seen  # a wrong CRC-32, data that does not inflate


@pytest.mark.parametrize(
    ("payload", "manifest", "message"),
    [
        (b"garbage", {}, "its payload fails with UnpicklingError"),
        (pickle.dumps(42), {}, "a pickled int"),
        (None, {"classes": [0, 1, 2]}, r"classes \[0, 1, 2\] are not the model's \(\[0, 1\]\)"),
        (None, {"classes": ["false", "true"]}, r"classes \['false', 'true'\] are not the model's"),
        (None, {"multilabel": True}, "2 label columns, but the model has 3 outputs"),
    ],
    ids=["not-a-pickle", "not-a-classifier", "three-classes-of-two", "other-labels", "multilabel"],
)
def test_a_payload_that_does_not_load_as_the_manifest_says_is_an_artifact_error(
    tmp_path: Path, payload: bytes | None, manifest: dict, message: str
) -> None:
    """Read as bytes, the bundle is fine; what it holds does not load, or is not the model
    its manifest describes: an ArtifactError that says which, never the unpickler's error
    or a model that predicts with the wrong classes."""
    path = tmp_path / "m.zip"
    if manifest.get("multilabel"):  # three label columns, two in the manifest
        matrix = np.array([[i % 2, (i + 1) % 2, i % 3 == 0] for i in range(6)], dtype=int)
        model = fit_sklearn(
            texts=TEXTS,
            labels=MultiLabels(["a", "b", "c"], matrix),
            holdout_texts=TEXTS[:2],
            params=LogregParams(min_df=1),
            preprocessor=Preprocessor(),
            progress=lambda f, m: None,
            random_state=0,
        ).model
        save_bundle(model, path, manifest={})
        manifest = {"classes": ["a", "b"]}
    else:
        save_bundle(trained(), path, manifest={})
    sha = _rewritten(path, tmp_path / "bad.zip", payload=payload, **manifest)
    with pytest.raises(ArtifactError, match=message):
        load_bundle(tmp_path / "bad.zip", expected_sha256=sha)


def test_the_texts_a_model_learnt_round_trip_as_digests(tmp_path: Path) -> None:
    model = trained()
    path = tmp_path / "m.zip"
    assert (
        load_bundle(path, expected_sha256=save_bundle(model, path, manifest={})).trained_texts
        is None
    )
    assert read_trained_texts(path) is None  # a bundle saved before they were kept
    model.trained_texts = seen_texts.digests(TEXTS)
    sha = save_bundle(model, path, manifest={})
    loaded = load_bundle(path, expected_sha256=sha).trained_texts
    assert loaded is not None and np.array_equal(loaded, model.trained_texts)
    assert np.array_equal(read_trained_texts(path), loaded)  # type: ignore[arg-type]
    assert seen_texts.seen_mask(loaded, ["great edit", "great edits"]).tolist() == [True, False]


def test_damaged_digests_are_an_artifact_error(tmp_path: Path) -> None:
    model = trained()
    model.trained_texts = seen_texts.digests(TEXTS)
    path = tmp_path / "m.zip"
    save_bundle(model, path, manifest={})
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, b"\x01\x02\x03" if name.endswith(".u64") else src.read(name))
    with pytest.raises(ArtifactError, match=r"trained_texts\.u64 is damaged"):
        load_bundle(damaged, expected_sha256=sha256_file(damaged))
    with pytest.raises(ArtifactError, match=r"trained_texts\.u64 cannot be read"):
        read_trained_texts(damaged)
