"""How optimistic a threshold's held-out figures are on the rows it was chosen on, and how
near the cross-fitted ones come to new rows, through the product's own training code
(`app.ml.training.train_model`).

A multi-label logreg (default params, max-F1 thresholds) is fitted on N rows of the 20k
sample (a fixed random draw; the fit holds out 20 % of them, iterative stratification).
Per label: F1 on the held-out rows at the threshold chosen on them (in sample: the
threshold's own figures in `thresholds`), the cross-fitted F1 the model reports in its
metrics, and F1 at the stored threshold on N other rows of the file that the fit never saw.
The held-out rows of ../shared/data/holdout/ are never read here.

    .venv/bin/python bench/bench_threshold_figures.py            # N = 4,000
    .venv/bin/python bench/bench_threshold_figures.py --rows 2000 --seeds 3

Prints a markdown table and writes bench/results/threshold_figures.json.
"""

import argparse
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from common import TEXT, data_path, table, write_results
from sklearn.metrics import f1_score

from app.ml.artifacts import load_bundle
from app.ml.training import TrainSpec, train_model

TOXIC_LABELS = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]


def one_draw(frame: pd.DataFrame, rows: int, seed: int, workdir: Path) -> dict[str, Any]:
    """Fit on `rows` drawn with `seed`; score `rows` others at the stored thresholds."""
    order = np.random.default_rng(seed).permutation(len(frame))
    fitted, unseen = frame.iloc[order[:rows]], frame.iloc[order[rows : 2 * rows]]
    data = workdir / f"fit-{seed}.csv"
    fitted.to_csv(data, index=False)
    spec = TrainSpec(
        dataset_path=str(data),
        kind="logreg",
        params={},
        preprocessing={},
        text_column=TEXT,
        label_column=TOXIC_LABELS[0],
        test_size=0.2,
        random_state=42,
        artifact_path=str(workdir / f"model-{seed}.zip"),
        label_columns=TOXIC_LABELS,
    )
    result = train_model(spec, lambda fraction, message: None)
    assert result.thresholds is not None
    chosen = {str(t["label"]): t for t in result.thresholds["thresholds"]}
    cross_fitted = {str(c["label"]): c["f1"] for c in result.metrics["per_class"]}
    model = load_bundle(Path(spec.artifact_path), expected_sha256=result.artifact_sha256)
    proba = model.predict_proba(unseen[TEXT].tolist())
    labels = {}
    for i, label in enumerate(TOXIC_LABELS):
        truth = unseen[label].astype(int).to_numpy()
        predicted = (proba[:, i] >= chosen[label]["threshold"]).astype(int)
        labels[label] = {
            "threshold": chosen[label]["threshold"],
            "held_out_positives": chosen[label]["tp"] + chosen[label]["fn"],
            "in_sample_f1": chosen[label]["f1"],
            "cross_fitted_f1": cross_fitted[label],
            "unseen_f1": float(f1_score(truth, predicted, zero_division=0)),
            "unseen_positives": int(truth.sum()),
        }
    return {
        "seed": seed,
        "n_test": result.metrics["n_test"],
        "threshold_figures": result.metrics["threshold_figures"],
        "note": result.metrics["threshold_figures_note"],
        "labels": labels,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=4000, help="rows fitted on, and unseen")
    parser.add_argument("--seeds", type=int, default=1, help="draws (seeds 0, 1, ...)")
    args = parser.parse_args()
    frame = pd.read_csv(data_path(), usecols=[TEXT, *TOXIC_LABELS]).dropna(subset=[TEXT])
    draws = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            draws.append(one_draw(frame, args.rows, seed, Path(tmp)))
    rows = []
    for label in TOXIC_LABELS:
        figures = [d["labels"][label] for d in draws]

        def mean(key: str, of: list[dict[str, Any]] = figures) -> float:
            return float(np.mean([f[key] for f in of]))

        rows.append(
            [
                label,
                f"{mean('held_out_positives'):.0f}",
                f"{mean('in_sample_f1'):.3f}",
                f"{mean('cross_fitted_f1'):.3f}",
                f"{mean('unseen_f1'):.3f}",
            ]
        )
    print(
        f"multi-label logreg fitted on {args.rows:,} rows (20 % held out), "
        f"{args.seeds} draw(s); F1 per label, mean over draws\n"
    )
    headers = ["label", "held-out positives", "in sample", "cross-fitted", "unseen rows"]
    print(table(headers, rows))
    for draw in draws:
        print(f"seed {draw['seed']}: {draw['threshold_figures']}; {draw['note'] or ''}")
    path = write_results("threshold_figures", {"rows": args.rows, "draws": draws})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
