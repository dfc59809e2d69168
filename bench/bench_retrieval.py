"""Retrieval: every retriever kind side by side on qa_sample (2,380 questions, 480 contexts).

For each kind, through a real backend (`python -m app`, embedded Qdrant Edge): the fit's
wall time, the quality test (top-1, top-5, MRR@10 and its wall time, POST to finished
task), and find_context latency for one question per request (sequential, keep-alive,
measured by the client). In the same run, the raw in-process search: the same retriever
fitted in this process into a shard of its own (a shard belongs to one process), timed
around `LoadedRetriever.search` for one question.

    .venv/bin/python bench/bench_retrieval.py
    .venv/bin/python bench/bench_retrieval.py --requests 300

Prints a markdown table and writes bench/results/retrieval.json. Targets (the default
kind): top-1 >= 0.90, top-5 >= 0.98; find_context p50 <= 5 ms, p99 <= 20 ms; the quality
test on all questions <= 10 s.
"""

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import api_client, backend, load_avg, table, upload_dataset, write_results

from app.ml.retrieval.fitting import RetrieverSpec, fit_retriever
from app.ml.retrieval.index import LoadedRetriever
from app.ml.retrieval.qa_data import QaColumnNames, question_pairs, read_qa_frame
from app.ml.retrieval.quality import latency_stats
from shared.schemas.retrieval import RetrieverParams, default_retrieval_preprocessing
from testkit.api import wait_task
from testkit.data import qa_sample

KINDS: list[tuple[str, str, dict[str, Any]]] = [
    ("tfidf word 1-2", "tfidf", {"analyzer": "word"}),
    ("tfidf char_wb 3-5", "tfidf", {"analyzer": "char_wb"}),
    ("tfidf both (default)", "tfidf", {"analyzer": "both"}),
    ("bm25s", "bm25", {}),
]
COLUMNS = QaColumnNames("context", "question", "answer")


def through_api(
    client: Any, dataset_id: str, kind: str, params: dict[str, Any], questions: list[str]
) -> dict[str, Any]:
    started = time.perf_counter()
    body = {"name": f"bench-{kind}", "dataset_id": dataset_id, "kind": kind, "params": params}
    accepted = client.post("/api/v1/retrievers/fit", json=body)
    accepted.raise_for_status()
    task = wait_task(client, accepted.json()["task_id"], timeout=600, interval=0.05)
    assert task["status"] == "succeeded", task
    fit_s = time.perf_counter() - started
    rid = accepted.json()["retriever_id"]
    client.post(f"/api/v1/retrievers/{rid}/load").raise_for_status()
    started = time.perf_counter()
    accepted = client.post(
        f"/api/v1/retrievers/{rid}/quality_test", json={"dataset_id": dataset_id}
    )
    accepted.raise_for_status()
    task = wait_task(client, accepted.json()["task_id"], timeout=600, interval=0.02)
    quality_s = time.perf_counter() - started
    quality = client.get(f"/api/v1/retrievers/{rid}/quality").json()
    url = f"/api/v1/retrievers/{rid}/find_context"
    for question in questions[:20]:  # warm-up
        client.post(url, json={"question": question, "top_k": 5}).raise_for_status()
    latencies = []
    for question in questions:
        t = time.perf_counter()
        client.post(url, json={"question": question, "top_k": 5}).raise_for_status()
        latencies.append((time.perf_counter() - t) * 1000)
    client.delete(f"/api/v1/retrievers/{rid}").raise_for_status()
    return {
        "fit_s": fit_s,
        "quality_s": quality_s,
        "quality": quality,
        "api": latency_stats(latencies),
    }


def raw(path: Path, kind: str, params: dict[str, Any], questions: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        spec = RetrieverSpec(
            str(path),
            kind,
            RetrieverParams(**params).model_dump(),
            default_retrieval_preprocessing().model_dump(),
            COLUMNS,
            folder,
        )
        fit_retriever(spec, lambda _f, _m: None)
        retriever = LoadedRetriever(Path(folder), qdrant_url=None, api_key=None)
        for question in questions[:20]:
            retriever.search([question], 5)
        latencies = []
        for question in questions:
            t = time.perf_counter()
            retriever.search([question], 5)
            latencies.append((time.perf_counter() - t) * 1000)
        retriever.close()
    return latency_stats(latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300, help="find_context calls per kind")
    args = parser.parse_args()
    path = qa_sample()
    if path is None:
        print("qa_sample.csv not found (set SHARED_DATA_DIR): skipping this benchmark")
        sys.exit(0)
    pairs = question_pairs(read_qa_frame(path, COLUMNS), COLUMNS)
    questions = random.Random(7).choices(pairs["question"].tolist(), k=args.requests)
    results: dict[str, Any] = {}
    with backend() as server, api_client(server) as client:
        dataset_id = upload_dataset(client, path)
        for label, kind, params in KINDS:
            results[label] = through_api(client, dataset_id, kind, params, questions)
            results[label]["raw"] = raw(path, kind, params, questions)
            print(f"{label}: done", file=sys.stderr)
    rows = [
        [
            label,
            r["quality"]["top1"],
            r["quality"]["top5"],
            r["quality"]["mrr10"],
            r["fit_s"],
            r["quality_s"],
            r["api"]["p50_ms"],
            r["api"]["p99_ms"],
            r["raw"]["p50_ms"],
            r["raw"]["p99_ms"],
        ]
        for label, r in results.items()
    ]
    print(
        table(
            [
                "kind",
                "top-1",
                "top-5",
                "MRR@10",
                "fit s",
                "quality_test s",
                "API p50 ms",
                "API p99 ms",
                "raw p50 ms",
                "raw p99 ms",
            ],
            rows,
        )
    )
    for r in results.values():
        r["quality"].pop("failed", None)
    print(f"load average (1 min) at the end: {load_avg()}")
    print(write_results("retrieval", {"requests": args.requests, "kinds": results}))


if __name__ == "__main__":
    main()
