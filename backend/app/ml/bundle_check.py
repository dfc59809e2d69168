"""A bundle from elsewhere (an import) checked before anything in it runs: it is read as a
zip, its two JSON files are validated, and every entry is read in full against its CRC-32;
its payload (a pickle, a saved network) is only looked for and read as bytes, never opened
here. The import then loads it with `load_bundle` (the same checks as every load, and the
payload's classes against the manifest's) before it keeps it."""

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from app.ml.artifacts import (
    DAMAGED_ZIP_ERRORS,
    FORMAT_VERSION,
    MANIFEST,
    PAYLOAD,
    PREPROCESSING,
    TRAINED_TEXTS,
    ArtifactError,
)
from shared.schemas import ModelKind, PreprocessingConfig
from shared.schemas.params import parse_params
from shared.schemas.preprocessing import stored_config

MAX_JSON_BYTES = 16 * 1024 * 1024
# the files each flavour's loader opens
_PAYLOAD_FILES = {
    "sklearn": ({"pipeline.pkl", "pipeline.joblib"}, "pickled pipeline (pipeline.pkl)"),
    "keras": ({"keras.json"}, "keras.json"),
}


@dataclass(frozen=True)
class BundleInfo:
    manifest: dict[str, Any]
    kind: ModelKind
    params: dict[str, Any]
    preprocessing: PreprocessingConfig
    classes: list[Any]
    label_columns: list[str] | None = None  # a multi-label model's


def inspect_bundle(path: Path) -> BundleInfo:
    """The bundle's manifest and preprocessing, validated; ArtifactError says what is wrong."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = _checked_names(zf)
            manifest = _json(zf, MANIFEST, names)
            preprocessing = stored_config(_json(zf, PREPROCESSING, names))
    except zipfile.BadZipFile as exc:
        raise ArtifactError(f"the file is not a model bundle (not a zip file: {exc})") from exc
    except ValidationError as exc:
        raise ArtifactError(f"{PREPROCESSING} is not valid: {exc.errors()[0]['msg']}") from exc
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{MANIFEST} is not an object")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"unknown bundle format {manifest.get('format_version')!r} (this server reads "
            f"{FORMAT_VERSION})"
        )
    try:
        kind = ModelKind(str(manifest.get("kind")))
    except ValueError as exc:
        raise ArtifactError(f"unknown model kind {manifest.get('kind')!r}") from exc
    flavor = manifest.get("flavor")
    expected_flavor = "keras" if kind.is_keras else "sklearn"
    if flavor != expected_flavor:
        raise ArtifactError(f"a {kind} model must be of flavour {expected_flavor}, not {flavor!r}")
    files, what = _PAYLOAD_FILES[expected_flavor]
    if not any(f"{PAYLOAD}/{name}" in names for name in files):
        raise ArtifactError(f"the bundle has no {what} under {PAYLOAD}/")
    classes = manifest.get("classes")
    if (
        not isinstance(classes, list)
        or len(classes) < 2
        or not all(isinstance(c, str | int) and not isinstance(c, bool) for c in classes)
        or len({str(c) for c in classes}) != len(classes)
    ):
        raise ArtifactError("the manifest's classes must be two or more distinct labels")
    try:
        params = parse_params(kind, manifest.get("params") or {}).to_public()
    except ValidationError as exc:
        raise ArtifactError(f"the manifest's params are not valid: {exc.errors()[0]}") from exc
    for column in ("text_column", "label_column"):
        if not isinstance(manifest.get(column), str) or not manifest[column]:
            raise ArtifactError(f"the manifest has no {column}")
    _check_entries(path)
    _check_trained_texts(path, names)
    return BundleInfo(manifest, kind, params, preprocessing, classes, _label_columns(manifest))


def _label_columns(manifest: dict[str, Any]) -> list[str] | None:
    """A multi-label model's label columns (its classes are their names); None otherwise."""
    multilabel = manifest.get("multilabel", False)
    if not isinstance(multilabel, bool):
        raise ArtifactError("the manifest's multilabel must be true or false")
    if not multilabel:
        return None
    columns = manifest.get("label_columns")
    if (
        not isinstance(columns, list)
        or len(columns) < 2
        or [str(c) for c in columns] != [str(c) for c in manifest["classes"]]
    ):
        raise ArtifactError("a multi-label manifest's label_columns must be its classes")
    return [str(c) for c in columns]


def _check_trained_texts(path: Path, names: set[str]) -> None:
    """The digests of the texts the model learnt, when the bundle keeps them: whole 8-byte
    numbers (what a continuation and predict_scores read)."""
    if TRAINED_TEXTS not in names:
        return
    with zipfile.ZipFile(path) as zf:
        size = zf.getinfo(TRAINED_TEXTS).file_size
    if size % 8:
        raise ArtifactError(f"its {TRAINED_TEXTS} is damaged: {size} bytes is not 8-byte digests")


def _check_entries(path: Path) -> None:
    """Every entry reads in full and matches its CRC-32 (what zipfile's testzip checks, and
    also compressed data that does not decompress, which testzip raises rather than
    reports). Only bytes are read: nothing is unpickled."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                try:
                    with zf.open(info) as entry:
                        while entry.read(1 << 20):
                            pass
                except DAMAGED_ZIP_ERRORS as exc:
                    raise ArtifactError(
                        f"the bundle is damaged: its entry {info.filename} does not read ({exc})"
                    ) from exc
    except zipfile.BadZipFile as exc:
        raise ArtifactError(f"the bundle is damaged ({exc})") from exc


def _checked_names(zf: zipfile.ZipFile) -> set[str]:
    names = set()
    for info in zf.infolist():
        member = PurePosixPath(info.filename)
        if member.is_absolute() or ".." in member.parts or "\\" in info.filename:
            raise ArtifactError(f"bundle entry {info.filename!r} points outside the bundle")
        names.add(info.filename)
    return names


def _json(zf: zipfile.ZipFile, name: str, names: set[str]) -> Any:
    if name not in names:
        raise ArtifactError(f"the bundle has no {name}")
    if zf.getinfo(name).file_size > MAX_JSON_BYTES:
        raise ArtifactError(f"{name} is too large")
    try:
        return json.loads(zf.read(name))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{name} is not valid JSON: {exc}") from exc
