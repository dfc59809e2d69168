"""Scale-out on loopback (`make cluster`'s topology, testkit/cluster.py): what a second Dask
worker does for queued fits, and what a second API replica does for /predict through
nginx.

(a) 8 fits of the 20k sample (logreg, default params) queued at once through nginx, wall
    time from the first POST to the last `succeeded`, with 1 and then 2 Dask workers
    (`--nworkers 1 --nthreads 1` each: one fit at a time per worker).
(b) /predict (one text per request) through nginx at c=32 from wrk, with nginx's upstream
    over 1 and then 2 replicas (`nginx -s reload` between them), best of `--runs`.

One topology serves both: 2 replicas over a fresh PostgreSQL database, a Dask scheduler,
the second worker started between the two fit runs. On a 2-core machine everything
(replicas, workers, nginx, PostgreSQL, wrk) shares the same 2 cores: see
docs/performance.md for what that can and cannot show.

    .venv/bin/python bench/bench_cluster.py
    .venv/bin/python bench/bench_cluster.py --fits 8 --requests 4000 --runs 2

Prints markdown tables and writes bench/results/cluster.json. Target of the issue: 8 fits
at least 1.7x faster with 2 workers than with 1.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from common import PREDICT_PATH, machine, sample_texts, table, upload_dataset, write_results
from loadgen import (
    run_wrk,
    tree_cpu_seconds,
    wait_for_idle,
    wait_for_quiet,
    write_bodies,
    wrk_available,
)

from testkit.cluster import Cluster
from testkit.data import toxic_sample
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.nginx import nginx_binary

TARGET = 1.7  # 8 fits with 2 workers at least this much faster than with 1
CONCURRENCY = 32
POLL_S = 1.0  # how often the queued fits' tasks are read (wall time resolution)


def queued_fits(client: httpx.Client, dataset_id: str, count: int) -> dict[str, Any]:
    """`count` fits queued at once; wall seconds until the last one succeeded."""
    started = time.perf_counter()
    task_ids = []
    for i in range(count):
        body = {"name": f"bench-fit-{i}", "kind": "logreg", "dataset_id": dataset_id}
        response = client.post("/api/v1/models/fit", json=body)
        response.raise_for_status()
        task_ids.append(response.json()["task_id"])
    finished: dict[str, dict[str, Any]] = {}
    while len(finished) < count:
        # one listing a POLL_S, not a request per task: the polling's own CPU (nginx, a
        # replica, PostgreSQL) comes out of the same 2 cores as the fits it measures
        time.sleep(POLL_S)
        listing = client.get("/api/v1/tasks/", params={"limit": 1000}).json()
        for task in listing:
            if task["id"] in task_ids and task["status"] in ("succeeded", "failed", "cancelled"):
                finished[task["id"]] = task
    wall = time.perf_counter() - started
    tasks = [finished[t] for t in task_ids]
    failed = [t for t in tasks if t["status"] != "succeeded"]
    if failed:
        raise RuntimeError(f"{len(failed)} fits did not succeed: {failed[0]}")
    workers = sorted({str(t["worker"]) for t in tasks})
    return {
        "fits": count,
        "wall_s": round(wall, 2),
        "fits_per_minute": round(60 * count / wall, 2),
        "workers_used": workers,
        "model_ids": [t["model_id"] for t in tasks],
        "load_avg": round(os.getloadavg()[0], 2),
    }


def predict_run(
    cluster: Cluster, replicas: list[str], bodies: Path, requests: int, runs: int
) -> dict[str, Any]:
    """/predict through nginx at c=32 with nginx sending to `replicas`: the best run."""
    cluster.set_upstream(replicas)
    url = f"{cluster.url}{PREDICT_PATH}"
    run_wrk(url, bodies, concurrency=CONCURRENCY, requests=500)  # warm-up
    results = []
    for _ in range(runs):
        wait_for_quiet(2.5)
        pids = [cluster.processes[name].pid for name in replicas]
        cpu_before = sum(tree_cpu_seconds(pid) for pid in pids)
        result = run_wrk(url, bodies, concurrency=CONCURRENCY, requests=requests)
        cpu = sum(tree_cpu_seconds(pid) for pid in pids) - cpu_before
        result["replicas_cpu_cores"] = round(cpu / result["seconds"], 2)
        result["load_avg"] = round(os.getloadavg()[0], 2)
        results.append(result)
    best = dict(max(results, key=lambda r: r["throughput"]))
    best["replicas"] = replicas
    best["runs"] = results
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fits", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4000, help="/predict per run")
    parser.add_argument("--runs", type=int, default=2, help="/predict runs per setting")
    args = parser.parse_args()
    data = toxic_sample()
    if data is None:
        print("toxic_sample_20k.csv not found (set SHARED_DATA_DIR): skipping this benchmark")
        return
    reason = postgres_unavailable_reason() or (None if nginx_binary() else "nginx is not installed")
    if reason:
        print(f"{reason}: skipping this benchmark")
        return
    print(machine())
    with fresh_postgres_database() as url, tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        cluster = Cluster.isolated(Path(tmp), url, replicas=2, workers=1)
        try:
            cluster.start()
        except Exception:
            print(cluster.outputs(), file=sys.stderr)
            raise
        try:
            results = measure(cluster, data, args)
        finally:
            cluster.stop()
    print_report(results)
    print(f"wrote {write_results('cluster', results)}")


def measure(cluster: Cluster, data: Path, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with cluster.client(timeout=600) as client:
        dataset_id = upload_dataset(client, data)
        for workers in (1, 2):
            if workers == 2:
                cluster.workers = 2
                cluster.start_worker("worker-2")
                cluster.wait_for_workers()
                wait_for_idle(cluster.processes["worker-2"].pid)
            wait_for_quiet(2.5)
            results[f"fits_{workers}_workers"] = queued_fits(client, dataset_id, args.fits)
            print(f"{args.fits} fits, {workers} worker(s): {results[f'fits_{workers}_workers']}")
        model_id = results["fits_2_workers"]["model_ids"][0]
        client.post("/api/v1/models/load", json={"model_id": model_id}).raise_for_status()
        time.sleep(3)  # the other replica loads it too (converges within 2 s)
        if not wrk_available():
            print("wrk is not installed: /predict through nginx not measured")
            return results
        with tempfile.TemporaryDirectory() as tmp:
            texts = sample_texts(data, 2000)
            bodies = write_bodies(
                Path(tmp) / "bodies.txt", [{"model_id": model_id, "texts": [t]} for t in texts]
            )
            for count in (1, 2):
                replicas = cluster.replica_names[:count]
                results[f"predict_{count}_replicas"] = predict_run(
                    cluster, replicas, bodies, args.requests, args.runs
                )
                print(f"/predict c={CONCURRENCY}, {count} replica(s): done")
    return results


def print_report(results: dict[str, Any]) -> None:
    one, two = results["fits_1_workers"], results["fits_2_workers"]
    rows = [
        [f"{r['fits']} fits, {n} Dask worker(s)", r["wall_s"], r["fits_per_minute"], r["load_avg"]]
        for n, r in ((1, one), (2, two))
    ]
    print(f"\n{table(['queued fits (20k rows, logreg)', 'wall s', 'fits/min', 'load'], rows)}\n")
    speedup = one["wall_s"] / two["wall_s"]
    verdict = "met" if speedup >= TARGET else "MISSED"
    print(f"2 workers: {speedup:.2f}× the speed of 1 (target ≥ {TARGET}×): {verdict}")
    if "predict_1_replicas" not in results:
        return
    headers = ["/predict via nginx, c=32", "req/s", "p50 ms", "p99 ms", "errors", "replicas CPU"]
    keys = ("throughput", "p50_ms", "p99_ms", "errors", "replicas_cpu_cores")
    rows = [
        [f"{n} replica(s)", *(results[f"predict_{n}_replicas"][k] for k in keys)] for n in (1, 2)
    ]
    print(f"\n{table(headers, rows)}\n")
    p1, p2 = results["predict_1_replicas"], results["predict_2_replicas"]
    print(f"2 replicas: {p2['throughput'] / p1['throughput']:.2f}× the throughput of 1")
    print(machine())


if __name__ == "__main__":
    main()
