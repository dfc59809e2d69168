"""The bundle manifest records Python's and the libraries' versions; a bundle written with
another major version of a library it uses loads with a warning that names both."""

import json
import logging
import platform
import zipfile
from pathlib import Path

import pytest
import sklearn

from app.ml.artifacts import load_bundle, sha256_file
from app.ml.library_versions import major_mismatches
from app.ml.training import train_model
from testkit.samples import labelled_csv
from testkit.training import train_spec


def _bundle(tmp_path: Path) -> Path:
    data = tmp_path / "data.csv"
    data.write_bytes(labelled_csv(120))
    spec = train_spec(data, tmp_path / "m.zip", kind="sgd")
    train_model(spec, lambda f, m: None)
    return Path(spec.artifact_path)


def _manifest(path: Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("manifest.json"))


def test_manifest_records_python_and_library_versions(tmp_path: Path) -> None:
    versions = _manifest(_bundle(tmp_path))["versions"]
    assert versions["python"] == platform.python_version()
    assert versions["scikit-learn"] == sklearn.__version__


def test_another_major_version_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # caplog's handler on the logger itself: a test before this one may have configured the
    # product's logging, which stops "app" records from propagating to the root logger
    logger = logging.getLogger("app.ml.library_versions")
    logger.addHandler(caplog.handler)
    try:
        _check_the_warning(tmp_path, caplog)
    finally:
        logger.removeHandler(caplog.handler)


def _check_the_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _bundle(tmp_path)
    with caplog.at_level(logging.WARNING, logger="app.ml.library_versions"):
        load_bundle(path, expected_sha256=sha256_file(path))
    assert not _ours(caplog)  # the same versions: nothing to say
    manifest = _manifest(path)
    manifest["versions"]["scikit-learn"] = "0.24.2"
    rewritten = tmp_path / "old.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(rewritten, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "manifest.json":
                data = json.dumps(manifest).encode()
            dst.writestr(item.filename, data)
    with caplog.at_level(logging.WARNING, logger="app.ml.library_versions"):
        model = load_bundle(rewritten, expected_sha256=sha256_file(rewritten))
    assert model.predict(["you are a stupid idiot"]).labels == [1]
    assert any(
        "scikit-learn 0.24.2" in r.getMessage() and sklearn.__version__ in r.getMessage()
        for r in _ours(caplog)
    ), caplog.records


def _ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The version warnings only (other loggers may speak during a load in a full run)."""
    return [r for r in caplog.records if r.name == "app.ml.library_versions"]


def test_major_mismatches_ignores_libraries_not_installed() -> None:
    assert major_mismatches({"no-such-library": "1.0"}) == []
    assert major_mismatches({"python": "2.7.18"}) == [
        ("python", "2.7.18", platform.python_version())
    ]
