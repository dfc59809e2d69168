"""An import's checks before anything in the bundle is opened: every entry is read against
its CRC-32, and a damaged one is named."""

import zipfile
from pathlib import Path

from app.ml.artifacts import ArtifactError, save_bundle
from app.ml.bundle_check import inspect_bundle
from app.ml.preprocessing import Preprocessor
from app.ml.sklearn_models import fit_sklearn
from shared.schemas import LogregParams

TEXTS = ["you idiot", "thanks a lot", "stupid moron", "great edit", "idiot moron", "nice work"]
MANIFEST = {"kind": "logreg", "params": {"min_df": 1}, "text_column": "t", "label_column": "l"}


def _bundle(path: Path) -> Path:
    output = fit_sklearn(
        texts=TEXTS,
        labels=[1, 0, 1, 0, 1, 0],
        holdout_texts=TEXTS[:2],
        params=LogregParams(min_df=1),
        preprocessor=Preprocessor(),
        progress=lambda f, m: None,
        random_state=0,
    )
    save_bundle(output.model, path, manifest=MANIFEST)
    return path


def test_a_sound_bundle_passes(tmp_path: Path) -> None:
    info = inspect_bundle(_bundle(tmp_path / "m.zip"))
    assert info.classes == [0, 1] and info.kind == "logreg"


def test_a_damaged_entry_is_refused_and_named(tmp_path: Path) -> None:
    """Each byte of the pickle's compressed data changed in turn: a wrong CRC-32 or data
    that does not inflate is refused (the few changes that inflate to the same bytes pass,
    as they load the same)."""
    path = _bundle(tmp_path / "m.zip")
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("payload/pipeline.pkl")
    content = path.read_bytes()
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    refused = 0
    for at in range(start, start + info.compress_size):
        damaged = bytearray(content)
        damaged[at] ^= 0xFF
        path.write_bytes(damaged)
        try:
            inspect_bundle(path)
        except ArtifactError as exc:
            assert "damaged: its entry payload/pipeline.pkl does not read" in str(exc)
            refused += 1
    assert refused > info.compress_size // 2
