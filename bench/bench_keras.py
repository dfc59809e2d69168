"""Keras kinds with their default params on the toxic-comments sample, through the real
training path (`train_model`) and the real loading path (`load_bundle`).

Prints a markdown table (held-out ROC AUC, train seconds, batch throughput, single-text
latency) and writes bench/results/keras.json.

    .venv/bin/python bench/bench_keras.py            # both kinds
    .venv/bin/python bench/bench_keras.py keras_cnn  # one kind
    SHARED_DATA_DIR=/path/to/data .venv/bin/python bench/bench_keras.py
"""

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "backend")]

from sklearn.model_selection import train_test_split  # noqa: E402

from app.ml.artifacts import load_bundle  # noqa: E402
from app.ml.bundle import TrainedModel  # noqa: E402
from app.ml.preprocessing import Preprocessor  # noqa: E402
from app.ml.training import TrainSpec, train_model  # noqa: E402
from app.ml.training_data import read_training_frame  # noqa: E402

KINDS = ("keras_cnn", "keras_bilstm")
DATASET = "toxic_sample_20k.csv"
TEXT, LABEL = "comment_text", "toxic"
TEST_SIZE, RANDOM_STATE = 0.2, 42
LATENCY_CALLS = 50
RESULTS = REPO / "bench" / "results" / "keras.json"


def data_path() -> Path:
    return Path(os.environ.get("SHARED_DATA_DIR", REPO.parent / "shared" / "data")) / DATASET


def held_out_texts(path: Path) -> list[str]:
    """The same held-out split `train_model` makes (same cleaning, same seed)."""
    df = Preprocessor().preprocess_dataset(read_training_frame(path, TEXT, LABEL), TEXT)
    labels = df[LABEL].tolist()
    _, x_test = train_test_split(
        df[TEXT].tolist(), test_size=TEST_SIZE, random_state=RANDOM_STATE, stratify=labels
    )
    return x_test


def log_progress(fraction: float, message: str) -> None:
    if (message.startswith("epoch") and "batch" not in message) or fraction in (0.0, 1.0):
        print(f"  {fraction:5.1%} {message}", file=sys.stderr, flush=True)


def train(kind: str, path: Path, workdir: Path) -> tuple[Any, Path]:
    spec = TrainSpec(
        dataset_path=str(path),
        kind=kind,
        params={},
        preprocessing={},
        text_column=TEXT,
        label_column=LABEL,
        test_size=TEST_SIZE,
        random_state=RANDOM_STATE,
        artifact_path=str(workdir / f"{kind}.zip"),
    )
    return train_model(spec, log_progress), Path(spec.artifact_path)


def serving_figures(model: TrainedModel, texts: list[str]) -> dict[str, float]:
    started = time.perf_counter()
    model.predict_proba(texts)
    batch_s = time.perf_counter() - started
    model.predict([texts[0]])  # warm
    timings = []
    for i in range(LATENCY_CALLS):
        started = time.perf_counter()
        model.predict([texts[i % len(texts)]])
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "throughput_texts_per_s": round(len(texts) / batch_s, 1),
        "single_text_ms_median": round(statistics.median(timings), 3),
        "single_text_ms_p95": round(sorted(timings)[int(0.95 * len(timings)) - 1], 3),
    }


def bench_kind(kind: str, path: Path, test_texts: list[str], workdir: Path) -> dict[str, Any]:
    print(f"training {kind} …", file=sys.stderr, flush=True)
    result, bundle = train(kind, path, workdir)
    model = load_bundle(bundle, expected_sha256=result.artifact_sha256)
    history = result.history or {}
    return {
        "kind": kind,
        "roc_auc": round(result.metrics["roc_auc"], 4),
        "f1": round(result.metrics["f1"], 4),
        "train_seconds": result.train_seconds,
        "epochs_run": len(history.get("loss", [])),
        "val_auc_per_epoch": [round(v, 4) for v in history.get("val_auc", [])],
        "n_test": len(test_texts),
        "bundle_bytes": bundle.stat().st_size,
        **serving_figures(model, test_texts),
    }


def environment() -> dict[str, Any]:
    import keras
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "gpus": [d.name for d in tf.config.list_logical_devices("GPU")],
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| kind | ROC AUC (held-out) | train s | epochs | throughput texts/s | 1 text ms median |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['kind']} | {r['roc_auc']:.4f} | {r['train_seconds']:.1f} | {r['epochs_run']} "
        f"| {r['throughput_texts_per_s']:,.0f} | {r['single_text_ms_median']:.2f} |"
        for r in rows
    ]
    return "\n".join(lines)


def main(kinds: list[str]) -> int:
    path = data_path()
    if not path.is_file():
        print(f"{path} not found; set SHARED_DATA_DIR. Nothing to benchmark.")
        return 0
    load_at_start = round(os.getloadavg()[0], 2)
    test_texts = held_out_texts(path)
    with tempfile.TemporaryDirectory(prefix="bench-keras-") as tmp:
        rows = [bench_kind(kind, path, test_texts, Path(tmp)) for kind in kinds]
    env = {**environment(), "load_average_1m_at_start": load_at_start}
    print(table(rows))
    print(f"\n{env}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {"dataset": str(path), "environment": env, "results": rows}
    RESULTS.write_text(json.dumps(report, indent=2))
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(KINDS)))
