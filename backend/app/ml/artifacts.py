"""Bundles on disk: one zip per model, written atomically, checked by sha256 before loading.

Layout inside the zip: `manifest.json` (format, flavour, kind, classes, params, library
versions), `preprocessing.json` (the Preprocessor's config), `payload/` (the flavour's
files) and `trained_texts.u64` (the digests of the texts it learnt from, app.ml.seen_texts;
absent in bundles saved before). Nothing is unpickled unless the file's sha256 matches the
one the registry holds.
"""

import glob
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from app.ml import chinese, seen_texts
from app.ml.bundle import TrainedModel
from app.ml.library_versions import runtime_versions, warn_on_major_mismatch
from app.ml.preprocessing import Preprocessor
from shared.schemas.preprocessing import stored_config

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PREPROCESSING = "preprocessing.json"
PAYLOAD = "payload"
TRAINED_TEXTS = "trained_texts.u64"


class ArtifactError(Exception):
    """A bundle is missing, changed since it was written, damaged, or not one of ours."""


# What zipfile raises for a damaged zip or member: a broken header or a wrong CRC-32
# (BadZipFile), compressed data that does not decompress (zlib.error, EOFError), a
# compression method it does not read or an encrypted member (RuntimeError, of which
# NotImplementedError is one).
DAMAGED_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError)


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def save_bundle(model: TrainedModel, path: Path, *, manifest: dict[str, Any]) -> str:
    """Write the bundle to `path` atomically (temp file, fsync, rename); return its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.stem}.") as staging:
        staging_dir = Path(staging)
        payload = staging_dir / PAYLOAD
        payload.mkdir()
        model.save_payload(payload)
        full_manifest = {
            **manifest,
            "format_version": FORMAT_VERSION,
            "flavor": model.flavor,
            "classes": model.classes,
            "multilabel": model.multilabel,
            "versions": {**runtime_versions(), **model.versions()},
        }
        (staging_dir / MANIFEST).write_text(json.dumps(full_manifest, indent=2, default=str))
        (staging_dir / PREPROCESSING).write_text(model.preprocessor.config.model_dump_json())
        if model.trained_texts is not None:
            (staging_dir / TRAINED_TEXTS).write_bytes(seen_texts.to_bytes(model.trained_texts))
        tmp_zip = staging_dir / "bundle.zip"
        # level 1: a third of level 6's time for a TF-IDF pipeline, and 5 % larger
        with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for file in sorted(staging_dir.rglob("*")):
                if file.is_file() and file != tmp_zip:
                    zf.write(file, file.relative_to(staging_dir).as_posix())
        with tmp_zip.open("rb") as fh:
            os.fsync(fh.fileno())
        digest = sha256_file(tmp_zip)
        os.replace(tmp_zip, path)
    _fsync_dir(path.parent)
    return digest


def load_bundle(path: Path, *, expected_sha256: str, what: str | None = None) -> TrainedModel:
    """Load a bundle after checking its bytes are the ones the registry recorded. Whatever
    keeps it from loading (a damaged zip, a payload that does not unpickle or rebuild,
    classes that are not the payload's) is an ArtifactError whose message begins with
    `what` (by default "model file <name>")."""
    from app.ml.kinds import flavor_class  # late: Keras flavours import TensorFlow

    what = what or f"model file {path.name}"
    if not path.is_file():
        raise ArtifactError(f"{what} is missing")
    try:
        actual = sha256_file(path)
    except OSError as exc:
        raise ArtifactError(f"{what} cannot be read: {exc.strerror or exc}") from exc
    if actual != expected_sha256:
        raise ArtifactError(
            f"{what} has changed since it was saved "
            f"(sha256 {actual[:12]}…, expected {expected_sha256[:12]}…); refusing to load it"
        )
    with tempfile.TemporaryDirectory(prefix="bundle-") as tmp:
        root = Path(tmp)
        try:
            with zipfile.ZipFile(path) as zf:
                _safe_extract(zf, root)
            manifest = json.loads((root / MANIFEST).read_text())
            config = stored_config(json.loads((root / PREPROCESSING).read_text()))
        except (ArtifactError, *DAMAGED_ZIP_ERRORS, KeyError, FileNotFoundError, ValueError) as exc:
            raise ArtifactError(f"{what} is not a valid bundle: {exc}") from exc
        if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
            raise ArtifactError(f"{what} has an unknown format version")
        warn_on_major_mismatch(manifest.get("versions") or {}, path.name)
        try:
            cls = flavor_class(manifest["flavor"])
            classes = list(manifest["classes"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(
                f"{what} is not a valid bundle: its manifest has no known flavour and classes "
                f"({_reason(exc)})"
            ) from exc
        if config.tokenizer == "jieba":
            chinese.use_cache_dir(path.parent / chinese.CACHE_DIR_NAME)
        try:
            model = cls.load_payload(
                root / PAYLOAD,
                preprocessor=Preprocessor(config),
                classes=classes,
                multilabel=bool(manifest.get("multilabel", False)),
            )
            model.trained_texts = _trained_texts(root / TRAINED_TEXTS)
            return model
        except ArtifactError as exc:
            raise ArtifactError(f"{what} does not load: {exc}") from exc
        except MemoryError:
            raise
        except Exception as exc:  # a payload that does not unpickle or rebuild, whatever why
            raise ArtifactError(
                f"{what} does not load: its payload fails with {_reason(exc)}"
            ) from exc


def _trained_texts(path: Path) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        return seen_texts.from_bytes(path.read_bytes())
    except ValueError as exc:
        raise ArtifactError(f"its {TRAINED_TEXTS} is damaged: {exc}") from exc


def read_trained_texts(path: Path) -> np.ndarray | None:
    """The digests of the texts the bundle at `path` learnt from, read without loading the
    model (plain numbers: nothing is unpickled); None when it keeps none."""
    try:
        with zipfile.ZipFile(path) as zf:
            if TRAINED_TEXTS not in zf.namelist():
                return None
            return seen_texts.from_bytes(zf.read(TRAINED_TEXTS))
    except (*DAMAGED_ZIP_ERRORS, OSError, ValueError) as exc:
        raise ArtifactError(
            f"model file {path.name}: {TRAINED_TEXTS} cannot be read ({exc})"
        ) from exc


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def copy_with_manifest(
    source: Path, target: Path, *, expected_sha256: str, changes: dict[str, Any]
) -> str:
    """Write a copy of the bundle `source` to `target` (atomically, like `save_bundle`) with
    `changes` merged into its manifest and every other entry byte for byte; return the
    copy's sha256. The source is checked against `expected_sha256` first, and nothing in
    it is unpickled: its payload is copied as bytes."""
    if not source.is_file():
        raise ArtifactError(f"model file {source.name} is missing")
    actual = sha256_file(source)
    if actual != expected_sha256:
        raise ArtifactError(
            f"model file {source.name} has changed since it was saved "
            f"(sha256 {actual[:12]}…, expected {expected_sha256[:12]}…); it is not copied"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.stem}.") as staging:
        tmp_zip = Path(staging) / "bundle.zip"
        try:
            with (
                zipfile.ZipFile(source) as src,
                zipfile.ZipFile(
                    tmp_zip, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
                ) as dst,
            ):
                manifest = json.loads(src.read(MANIFEST))
                if manifest.get("format_version") != FORMAT_VERSION:
                    raise ArtifactError(f"model file {source.name} has an unknown format version")
                for info in src.infolist():
                    if info.filename == MANIFEST:
                        text = json.dumps({**manifest, **changes}, indent=2, default=str)
                        dst.writestr(info.filename, text)
                    else:
                        dst.writestr(info, src.read(info))
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise ArtifactError(f"model file {source.name} is not a valid bundle: {exc}") from exc
        with tmp_zip.open("rb") as fh:
            os.fsync(fh.fileno())
        digest = sha256_file(tmp_zip)
        os.replace(tmp_zip, target)
    _fsync_dir(target.parent)
    return digest


def remove_artifact(path: Path) -> None:
    """Delete a bundle, the files derived from it (`<bundle>.<suffix>`, e.g. its drift
    reference) and any staging leftovers of the same name."""
    path.unlink(missing_ok=True)
    for derived in path.parent.glob(f"{glob.escape(path.name)}.*"):
        derived.unlink(missing_ok=True)
    for leftover in path.parent.glob(f".{path.stem}.*"):
        shutil.rmtree(leftover, ignore_errors=True)


def bundle_of_derived(name: str) -> str | None:
    """The bundle's file name a derived file (`<id>.zip.<suffix>`) belongs to; None for a
    file that is not derived from a bundle."""
    stem, dot_zip, suffix = name.partition(".zip.")
    return f"{stem}.zip" if dot_zip and suffix and not name.startswith(".") else None


def _safe_extract(zf: zipfile.ZipFile, root: Path) -> None:
    for member in zf.namelist():
        target = (root / member).resolve()
        if not target.is_relative_to(root.resolve()):
            raise ArtifactError(f"bundle entry {member!r} points outside the bundle")
    for info in zf.infolist():
        try:
            zf.extract(info, root)
        except DAMAGED_ZIP_ERRORS as exc:
            raise ArtifactError(f"its entry {info.filename} is damaged ({exc})") from exc


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
