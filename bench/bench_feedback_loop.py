"""Is the loop worth it? Issue 17's experiment through the real API on the 20k toxic sample.

For each seed: the sample (deduplicated by text) is shuffled; a logreg with default
params is fitted on 1,000 rows and predicts 8,000 others through predict_csv (each
prediction logged). One arm labels the 500 hardest of them (GET hard_examples, labels
taken from the file), the other 500 random ones; each sends its labels as feedback (CSV)
and retrains from feedback; the new version is scored on 3,000 further rows
(predict_scores). Same seed, same sizes in both arms.

    SHARED_DATA_DIR=../shared/data .venv/bin/python bench/bench_feedback_loop.py
    .venv/bin/python bench/bench_feedback_loop.py --seeds 0 1 2 --strategy margin

Prints a markdown table (held-out ROC AUC of the parent and of each arm's new version)
and writes bench/results/feedback_loop.json.
"""

import argparse

import pandas as pd
from common import api_client, backend, data_path, table, write_results

from testkit.feedback_loop import LABEL, TEXT, run_seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--strategy", default="least_confidence", choices=["least_confidence", "margin", "entropy"]
    )
    args = parser.parse_args()
    frame = pd.read_csv(data_path(), usecols=[TEXT, LABEL]).drop_duplicates(TEXT)
    results = []
    with backend() as server, api_client(server) as client:
        for seed in args.seeds:
            results.append(run_seed(client, frame, seed, args.strategy))
            print(results[-1], flush=True)
    rows = [
        [
            r["seed"],
            f"{r['parent']:.4f}",
            f"{r['hardest']:.4f} ({r['hardest_positive_share']:.0%} toxic)",
            f"{r['random']:.4f} ({r['random_positive_share']:.0%} toxic)",
            f"{r['hardest'] - r['random']:+.4f}",
        ]
        for r in results
    ]
    headers = ["seed", "parent AUC", f"500 hardest ({args.strategy})", "500 random", "gain"]
    print(table(headers, rows))
    write_results("feedback_loop", {"strategy": args.strategy, "results": results})


if __name__ == "__main__":
    main()
