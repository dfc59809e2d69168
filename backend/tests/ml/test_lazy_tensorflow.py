"""TensorFlow is heavy (seconds to import, hundreds of MB): only Keras work may pull it in."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
LIGHT_MODULES = (
    "app.ml.training",
    "app.ml.kinds",
    "app.ml.sklearn_models",
    "app.ml.artifacts",
    "app.ml.metrics",
)


def imports_tensorflow(modules: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "assert not loaded, loaded[:5]\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "backend")])}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


def test_ml_modules_do_not_import_tensorflow() -> None:
    done = imports_tensorflow(LIGHT_MODULES)
    assert done.returncode == 0, done.stderr[-2000:]


def test_app_main_does_not_import_tensorflow() -> None:
    if importlib.util.find_spec("app.main") is None:
        pytest.skip("app.main does not exist yet")
    done = imports_tensorflow(("app.main",))
    assert done.returncode == 0, done.stderr[-2000:]
