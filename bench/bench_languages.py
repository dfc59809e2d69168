"""Chinese reviews with default settings: logreg trained through the product's own training
code (`app.ml.training.train_model`, as a worker runs it) on ../shared/data/zh_reviews_8k.csv,
ROC AUC on its held-out test split (20 %) and on the separate held-out file
holdout/zh_reviews_holdout.csv (3,000 reviews, scored through the saved bundle).

Three settings: the default (`tokenizer: auto`, which detects Chinese), the word pattern
(`tokenizer: regex`, what every fit did before) and jieba words.

    .venv/bin/python bench/bench_languages.py

Prints a markdown table and writes bench/results/languages.json. Target: the default
reaches ROC AUC >= 0.92 on the held-out file.
"""

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from common import table, write_results
from sklearn.metrics import roc_auc_score

from app.ml.artifacts import load_bundle
from app.ml.training import TrainSpec, train_model
from testkit.data import zh_reviews, zh_reviews_holdout

TARGET = 0.92
SETTINGS: dict[str, dict[str, Any]] = {
    "default (auto)": {},
    "regex (before)": {"tokenizer": "regex"},
    "jieba words": {"tokenizer": "jieba"},
}


def run(data: Path, holdout: pd.DataFrame, preprocessing: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        artifact = Path(tmp) / "model.zip"
        spec = TrainSpec(
            dataset_path=str(data),
            kind="logreg",
            params={},
            preprocessing=preprocessing,
            text_column="text",
            label_column="label",
            test_size=0.2,
            random_state=42,
            artifact_path=str(artifact),
        )
        started = time.perf_counter()
        result = train_model(spec, lambda fraction, message: None)
        seconds = time.perf_counter() - started
        model = load_bundle(artifact, expected_sha256=result.artifact_sha256)
        positive = model.classes.index("positive")
        proba = model.predict_proba(holdout["text"].tolist())[:, positive]
    return {
        "split_auc": result.metrics["roc_auc"],
        "holdout_auc": float(roc_auc_score(holdout["label"] == "positive", proba)),
        "train_seconds": round(seconds, 2),
        "language": result.preprocessing_report["language"],
        "params": result.params,
    }


def main() -> None:
    data, holdout_path = zh_reviews(), zh_reviews_holdout()
    if data is None or holdout_path is None:
        print("zh_reviews_8k.csv or its holdout not found (set SHARED_DATA_DIR): skipping")
        sys.exit(0)
    holdout = pd.read_csv(holdout_path)
    results = {name: run(data, holdout, cfg) for name, cfg in SETTINGS.items()}
    rows = [
        [
            name,
            round(r["split_auc"], 4),
            round(r["holdout_auc"], 4),
            r["params"]["analyzer"],
            (r["language"] or {}).get("reason", "-"),
            r["train_seconds"],
        ]
        for name, r in results.items()
    ]
    headers = ["setting", "AUC test split", "AUC holdout file", "analyzer", "auto chose", "s"]
    print(table(headers, rows))
    default = results["default (auto)"]["holdout_auc"]
    print(f"\ndefault settings: holdout ROC AUC {default:.4f} (target >= {TARGET})")
    write_results("languages", {"target": TARGET, "results": results})


if __name__ == "__main__":
    main()
