#!/usr/bin/env python
"""Walk the whole backend flow on the real Jigsaw sample, against a real server.

upload → fit logreg (progress shown) → load → predict → predict_csv on every row →
predict_scores for two models → remove_all (defaults stay) → restart → all still listed.

    .venv/bin/python scripts/walkthrough.py [--csv PATH] [--root DIR]

The server runs with its own registry and folders under --root (a temp dir by default),
so the walkthrough never touches your data.
"""

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from testkit.data import shared_data_dir
from testkit.servers import BackendServer


def step(message: str) -> None:
    print(f"\n== {message}", flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {message}")
    print(f"   ok: {message}", flush=True)


def watch(client: httpx.Client, task_id: str) -> dict:
    last = None
    while True:
        task = client.get(f"/api/v1/tasks/{task_id}").json()
        seen = (task["status"], task["progress"], task["message"])
        if seen != last:
            print(f"   {task['status']:<9} {task['progress']:>5.0%}  {task['message']}", flush=True)
            last = seen
        if task["status"] in ("succeeded", "failed", "cancelled"):
            return task
        time.sleep(0.2)


def run(csv_path: Path, root: Path) -> None:
    server = BackendServer(root=root)
    step(f"starting the backend on {server.base_url} (registry and files under {root})")
    started = time.perf_counter()
    server.start()
    print(f"   ready in {time.perf_counter() - started:.1f}s")
    client = httpx.Client(base_url=server.base_url, timeout=600)

    step(f"uploading {csv_path.name}")
    with csv_path.open("rb") as fh:
        response = client.post("/api/v1/datasets", files={"file": (csv_path.name, fh, "text/csv")})
    check(response.status_code in (200, 201), f"upload answered {response.status_code}")
    dataset = response.json()
    print(
        f"   {dataset['rows']:,} rows, {len(dataset['columns'])} columns, "
        f"{dataset['duplicate_rows']} duplicate rows"
    )

    step("fitting logreg in the background")
    response = client.post(
        "/api/v1/models/fit",
        json={
            "name": "walkthrough-logreg",
            "kind": "logreg",
            "dataset_id": dataset["id"],
            "description": "word TF-IDF + logistic regression on the Jigsaw sample",
        },
    )
    check(response.status_code == 202, "fit accepted with 202")
    accepted = response.json()
    task = watch(client, accepted["task_id"])
    check(task["status"] == "succeeded", f"task {task['status']} {task['error'] or ''}")
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    metrics = model["metrics"]
    print(
        f"   v{model['version']}: accuracy {metrics['accuracy']:.3f}, f1 {metrics['f1']:.3f}, "
        f"ROC AUC {metrics['roc_auc']:.3f}, trained in {model['train_seconds']:.1f}s"
    )

    step("load and predict")
    check(
        client.post("/api/v1/models/load", json={"model_id": model["id"]}).json()["loaded"],
        "model loaded",
    )
    texts = ["Thanks for fixing the citation!", "you are a pathetic idiot\nget lost"]
    predictions = client.post(
        "/api/v1/models/predict", json={"model_id": model["id"], "texts": texts}
    ).json()
    for text, p in zip(texts, predictions["predictions"], strict=True):
        print(f"   {p['label']} ({p['confidence']:.2f})  {text!r}")
    check([p["label"] for p in predictions["predictions"]] == [0, 1], "labels as expected")

    step(f"predict_csv on all {dataset['rows']:,} rows")
    out = root / "predictions.csv"
    started = time.perf_counter()
    with (
        csv_path.open("rb") as fh,
        client.stream(
            "POST",
            "/api/v1/models/predict_csv",
            data={"model_id": model["id"]},
            files={"file": (csv_path.name, fh, "text/csv")},
        ) as response,
    ):
        check(response.status_code == 200, f"predict_csv answered {response.status_code}")
        with out.open("wb") as sink:
            for chunk in response.iter_bytes():
                sink.write(chunk)
    with out.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    check(len(rows) == dataset["rows"], f"{len(rows):,} result rows")
    check(
        reader.fieldnames[-6:] == ["Result", "Confidence", "P(0)", "P(1)", "Note", "Prediction id"],
        "Result, Confidence, one probability per class, Note and Prediction id columns",
    )
    print(f"   {time.perf_counter() - started:.1f}s")

    step("predict_scores for two models")
    default = next(
        m
        for m in client.get("/api/v1/models/").json()
        if m["is_default"] and m["kind"] == "naive_bayes"
    )
    scores = client.post(
        "/api/v1/models/predict_scores",
        json={"model_ids": [model["id"], default["id"]], "dataset_id": dataset["id"]},
    ).json()
    for result in scores["results"]:
        print(
            f"   {result['model_id'][:8]}: ROC AUC {result['roc_auc']:.3f} "
            f"({len(result['fpr'])} curve points)"
        )
    check(
        len(scores["results"]) == 2 and len(scores["labels"]) == dataset["rows"],
        "scores for both models on every row",
    )

    step("remove_all")
    removed = client.delete("/api/v1/models/remove_all").json()["removed"]
    left = client.get("/api/v1/models/").json()
    check(model["id"] in removed, f"removed {len(removed)} model(s)")
    check(all(m["is_default"] for m in left) and len(left) >= 2, "the default models stay")

    step("restart")
    tasks_before = {t["id"]: t["status"] for t in client.get("/api/v1/tasks/").json()}
    server.restart()
    client = httpx.Client(base_url=server.base_url, timeout=600)
    check(
        {m["id"] for m in client.get("/api/v1/models/").json()} == {m["id"] for m in left},
        "the same models are listed",
    )
    check(
        dataset["id"] in {d["id"] for d in client.get("/api/v1/datasets").json()},
        "the dataset is listed",
    )
    check(
        {t["id"]: t["status"] for t in client.get("/api/v1/tasks/").json()} == tasks_before,
        "the tasks are listed with their statuses",
    )
    check(
        all(m["loaded"] for m in client.get("/api/v1/models/").json()),
        "the default models are loaded again",
    )
    server.stop()
    print("\nwalkthrough passed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=shared_data_dir() / "toxic_sample_20k.csv")
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args()
    if not args.csv.is_file():
        raise SystemExit(f"{args.csv} not found: pass --csv or set SHARED_DATA_DIR")
    if args.root:
        run(args.csv, args.root)
    else:
        with tempfile.TemporaryDirectory(prefix="walkthrough-") as tmp:
            run(args.csv, Path(tmp))


if __name__ == "__main__":
    main()
