"""Quality of the default params, through the product's own training code
(`app.ml.training.train_model`: read, preprocess, split, fit, evaluate, save).

- binary: each scikit-learn kind with its default params on the 20k sample's `toxic`,
  ROC AUC on the fit's held-out split (20 %, seed 42);
- multilabel: the same with all six toxicity labels, mean column-wise ROC AUC on the
  held-out split (iterative stratification);
- defaults: the shipped default models (`services/defaults.py`: their kinds and default
  params) trained on demo_data_sample.csv, scored on every row of the 20k sample, which
  they never saw.

Fit time is the whole train_model call (this machine, one process); size is the bundle's.
The held-out rows of ../shared/data/holdout/ are never read here.

    .venv/bin/python bench/bench_quality.py                 # all three parts
    .venv/bin/python bench/bench_quality.py --part binary --kinds logreg

Prints markdown tables and writes bench/results/quality.json.
"""

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from common import LABEL, REPO, TEXT, data_path, table, write_results
from sklearn.metrics import roc_auc_score

from app.ml.artifacts import load_bundle
from app.ml.training import TrainResult, TrainSpec, train_model
from app.services.defaults import DEFAULT_MODELS
from shared.schemas.params import default_params

TOXIC_LABELS = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
SKLEARN_KINDS = ["logreg", "linear_svc", "naive_bayes"]


PARAMS: dict[str, Any] = {}  # --params: the same overrides for every fit (default: none)


def fit(
    data: Path, kind: str, workdir: Path, label_columns: list[str] | None = None
) -> tuple[TrainResult, Path]:
    artifact = workdir / f"{kind}-{len(label_columns or [])}.zip"
    spec = TrainSpec(
        dataset_path=str(data),
        kind=kind,
        params={k: v for k, v in PARAMS.items() if k in default_params(kind)},
        preprocessing={},
        text_column=TEXT,
        label_column=(label_columns or [LABEL])[0],
        test_size=0.2,
        random_state=42,
        artifact_path=str(artifact),
        label_columns=label_columns,
    )
    return train_model(spec, lambda fraction, message: None), artifact


def row(kind: str, result: TrainResult, artifact: Path) -> list[Any]:
    return [
        kind,
        f"{result.metrics['roc_auc']:.4f}",
        result.train_seconds,
        round(artifact.stat().st_size / 1e6, 1),
    ]


def binary(data: Path, kinds: list[str], workdir: Path) -> list[list[Any]]:
    return [row(kind, *fit(data, kind, workdir)) for kind in kinds]


def multilabel(data: Path, kinds: list[str], workdir: Path) -> list[list[Any]]:
    rows = []
    for kind in kinds:
        result, artifact = fit(data, kind, workdir, TOXIC_LABELS)
        per_label = {c["label"]: f"{c['roc_auc']:.3f}" for c in result.metrics["per_class"]}
        rows.append([*row(kind, result, artifact), per_label])
    return rows


def defaults(data: Path, workdir: Path) -> list[list[Any]]:
    """The default models as start-up trains them, scored on the real comments."""
    demo = REPO / "demo_data_sample.csv"
    frame = pd.read_csv(data, usecols=[TEXT, LABEL], dtype={TEXT: str}, keep_default_na=False)
    rows = []
    for name, kind, _ in DEFAULT_MODELS:
        result, artifact = fit(demo, kind.value, workdir)
        model = load_bundle(artifact, expected_sha256=result.artifact_sha256)
        proba = model.predict_proba(frame[TEXT].tolist())
        positive = model.classes.index(1)
        auc = roc_auc_score(frame[LABEL].to_numpy(), np.asarray(proba)[:, positive])
        rows.append([name, f"{result.metrics['roc_auc']:.4f}", f"{auc:.4f}", result.train_seconds])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["binary", "multilabel", "defaults"], action="append")
    parser.add_argument("--kinds", nargs="+", default=SKLEARN_KINDS)
    parser.add_argument(
        "--params", type=json.loads, default={}, help="e.g. '{\"char_ngram_range\": null}'"
    )
    parser.add_argument("--out", default="quality", help="name of the results file")
    args = parser.parse_args()
    PARAMS.update(args.params)
    parts = args.part or ["binary", "multilabel", "defaults"]
    data = data_path()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if "binary" in parts:
            out["binary"] = binary(data, args.kinds, workdir)
            print("\n## `toxic`, default params, held-out split of the 20k sample\n")
            print(table(["kind", "ROC AUC", "fit s", "bundle MB"], out["binary"]))
        if "multilabel" in parts:
            out["multilabel"] = multilabel(data, args.kinds, workdir)
            print("\n## Six labels, default params: mean column-wise ROC AUC (held-out)\n")
            print(
                table(
                    ["kind", "mean ROC AUC", "fit s", "bundle MB", "per label"], out["multilabel"]
                )
            )
        if "defaults" in parts:
            out["defaults"] = defaults(data, workdir)
            print("\n## Default models (trained on demo_data_sample.csv), on the 20k sample\n")
            print(table(["model", "demo held-out AUC", "20k AUC", "fit s"], out["defaults"]))
    out["params"] = PARAMS
    print(f"\nwritten to {write_results(args.out, out)}")


if __name__ == "__main__":
    main()
