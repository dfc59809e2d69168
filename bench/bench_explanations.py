"""Explanation time per text: `app.ml.explanations.explain` on 1,000-character comments,
for each scikit-learn kind with its default params trained on the 20k sample, and for a
word + char_wb FeatureUnion with logistic regression. The first call per model (which
reads the coefficients and feature names once) is timed apart.

    .venv/bin/python bench/bench_explanations.py [--texts 200] [--rows N]

CPU time (this process's) is given beside wall time: on a shared, busy machine the wall
time is mostly waiting for a core. "predict alone" is one predict_proba of the same text,
for scale. Prints a markdown table and the load average, and writes
bench/results/explanations.json. Target: median at most 5 ms per 1,000-character text on
the linear kinds.
"""

import argparse
import os
import statistics
import time

import numpy as np
import pandas as pd
from common import LABEL, TEXT, data_path, write_results
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from app.ml.explanations import explain
from app.ml.preprocessing import Preprocessor
from app.ml.sklearn_models import SklearnTrainedModel, build_pipeline
from shared.schemas import LinearSvcParams, LogregParams, NaiveBayesParams

TEXT_CHARS = 1000


def union_pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    min_df=2,
                    sublinear_tf=True,
                    max_features=200_000,
                ),
            ),
        ]
    )
    return Pipeline([("features", features), ("clf", LogisticRegression(C=4.0, max_iter=1000))])


def long_texts(frame: pd.DataFrame, count: int) -> list[str]:
    """Comments joined until each is 1,000 characters."""
    texts, current = [], ""
    for comment in frame[TEXT].astype(str):
        current = f"{current} {comment}".strip()
        if len(current) >= TEXT_CHARS:
            texts.append(current[:TEXT_CHARS])
            current = ""
            if len(texts) == count:
                break
    return texts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--rows", type=int, default=None, help="train on the first N rows")
    args = parser.parse_args()
    frame = pd.read_csv(data_path(), usecols=[TEXT, LABEL]).dropna()
    if args.rows:
        frame = frame.head(args.rows)
    preprocessor = Preprocessor()
    cleaned = preprocessor.preprocess_texts(frame[TEXT].tolist())
    labels = frame[LABEL].astype(int).to_numpy()
    texts = long_texts(frame.sample(frac=1.0, random_state=1), args.texts)
    pipelines = {
        "logreg": build_pipeline(LogregParams(), 42),
        "linear_svc": build_pipeline(LinearSvcParams(), 42),
        "naive_bayes": build_pipeline(NaiveBayesParams(), 42),
        "logreg word+char_wb union": union_pipeline(),
    }
    rows = []
    for name, pipeline in pipelines.items():
        pipeline.fit(cleaned, labels)
        model = SklearnTrainedModel(preprocessor=preprocessor, classes=[0, 1], pipeline=pipeline)
        started = time.perf_counter()
        explain(model, texts[0], 1)
        first_ms = (time.perf_counter() - started) * 1000
        times, cpu, plain = [], [], []
        for text in texts:
            started, started_cpu = time.perf_counter(), time.process_time()
            explain(model, text, 1)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            started = time.perf_counter()
            model.predict_proba([text])
            plain.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "model": name,
                "first_call_ms": round(first_ms, 1),
                "median_ms": round(statistics.median(times), 2),
                "p95_ms": round(float(np.percentile(times, 95)), 2),
                "median_cpu_ms": round(statistics.median(cpu), 2),
                "predict_median_ms": round(statistics.median(plain), 2),
                "texts": len(times),
            }
        )
    print(
        "| model | first call ms | median ms | p95 ms | median CPU ms | "
        f"predict alone, median ms | texts of {TEXT_CHARS} chars |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['model']} | {row['first_call_ms']} | {row['median_ms']} | "
            f"{row['p95_ms']} | {row['median_cpu_ms']} | {row['predict_median_ms']} | "
            f"{row['texts']} |"
        )
    load = [round(x, 2) for x in os.getloadavg()]
    print(f"load average at the end (1, 5, 15 min): {load}")
    write_results("explanations", {"rows": rows, "text_chars": TEXT_CHARS, "load": load})


if __name__ == "__main__":
    main()
