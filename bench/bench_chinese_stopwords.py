"""The Chinese stop-word list on Chinese reviews: a jieba logreg trained through the
product's own training code (`app.ml.training.train_model`, as a worker runs it) on
../shared/data/zh_reviews_8k.csv, with and without `stop_words: ["chinese"]` (negations
kept, and dropped), ROC AUC on the fit's own held-out test split (20 %). The separate
holdout folder is not read: nothing here is to choose a default by it.

    .venv/bin/python bench/bench_chinese_stopwords.py [seed ...]

The fit's split seed is 42 (the API's default request); more seeds give the spread of the
difference. Prints a markdown table and writes bench/results/chinese_stopwords.json.
"""

import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_languages import logreg_spec
from common import table, write_results

from app.ml.training import train_model
from testkit.data import zh_reviews

SETTINGS: dict[str, dict[str, Any]] = {
    "jieba, no stop words": {"tokenizer": "jieba"},
    "jieba, chinese list (negations kept)": {"tokenizer": "jieba", "stop_words": ["chinese"]},
    "jieba, chinese list (negations dropped)": {
        "tokenizer": "jieba",
        "stop_words": ["chinese"],
        "keep_negations": False,
    },
    "default (auto: character 1-3-grams)": {},
}


def roc_auc(data: Path, preprocessing: dict[str, Any], seed: int, folder: Path) -> float:
    spec = logreg_spec(data, preprocessing, seed, folder / f"model-{seed}.zip")
    return float(train_model(spec, lambda fraction, message: None).metrics["roc_auc"])


def main() -> None:
    data = zh_reviews()
    if data is None:
        sys.exit("../shared/data/zh_reviews_8k.csv is not here (SHARED_DATA_DIR)")
    seeds = [int(s) for s in sys.argv[1:]] or [42]
    scores: dict[str, list[float]] = {name: [] for name in SETTINGS}
    with tempfile.TemporaryDirectory(prefix="bench-zh-stop-") as tmp:
        for name, preprocessing in SETTINGS.items():
            for seed in seeds:
                scores[name].append(roc_auc(data, preprocessing, seed, Path(tmp)))
    base = scores["jieba, no stop words"]
    rows = []
    for name, values in scores.items():
        diffs = [v - b for v, b in zip(values, base, strict=True)]
        spread = f" (min {min(diffs):+.4f}, max {max(diffs):+.4f})" if len(diffs) > 1 else ""
        shown = " ".join(f"{v:.4f}" for v in values)
        mean, diff = statistics.mean(values), statistics.mean(diffs)
        rows.append([name, shown, f"{mean:.4f}", f"{diff:+.4f}{spread}"])
    print(table(["setting", f"ROC AUC, seeds {seeds}", "mean", "vs no stop words"], rows))
    path = write_results("chinese_stopwords", {"seeds": seeds, "roc_auc": scores})
    print(f"\n{path}")


if __name__ == "__main__":
    main()
