"""Batch CSV: a ~100 MB CSV (the 20k sample repeated) through POST /models/predict_csv.

Measures the wall time from the first byte uploaded to the last byte of the answer, and
the growth of the server's resident memory (its process and children, sampled every
50 ms) over its size before the request. Baseline, in the same run on the same file and
fitted pipeline: pandas reading the file in chunks of PREDICT_CHUNK_ROWS (5,000) rows and
predict_proba scoring each chunk, in this process (its peak memory growth from VmHWM).

    .venv/bin/python bench/bench_batch_csv.py
    .venv/bin/python bench/bench_batch_csv.py --megabytes 20
    .venv/bin/python bench/bench_batch_csv.py --dask-workers 2

With --dask-workers N it also starts a Dask scheduler and N single-threaded workers on
loopback (testkit.dask), restarts the same backend with TASK_EXECUTOR=dask (same registry,
same model) and sends the same file again: its chunks are scored on the workers (the
replica still reads, decides and writes the CSV). The memory figure is the replica's; the
workers' is apart.

Prints a markdown table and writes bench/results/batch_csv.json (batch_csv_dask.json with
--dask-workers). Targets: at most 1.5x the raw chunked time; peak memory growth at most
1 GB.
"""

import argparse
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pandas as pd
from common import (
    RESULTS_DIR,
    TEXT,
    api_client,
    backend,
    bundle_of,
    data_path,
    machine,
    table,
    trained_and_loaded,
    write_results,
)
from loadgen import RssSampler, wait_for_idle

from app.ml.bundle import TrainedModel
from testkit.bigcsv import repeat_csv
from testkit.dask import dask_cluster

CHUNK_ROWS = 5000
MB = 1_000_000
# On a shared VM under load, a scheduler at nice 19 can go a minute without the CPU; with
# Dask's 30 s TCP timeout the replica's connection was then cut and the stream failed.
DASK_PATIENCE = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__TCP": "600s"}


def raw_chunked(model: TrainedModel, path: Path) -> dict[str, Any]:
    """Read and score the file chunk by chunk, as a script would; peak memory from VmHWM."""
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    baseline = _status_kb("VmRSS")
    started = time.perf_counter()
    rows = 0
    reader = pd.read_csv(
        path, dtype=str, keep_default_na=False, encoding="utf-8-sig", chunksize=CHUNK_ROWS
    )
    with reader:
        for chunk in reader:
            texts = [text.lower() for text in chunk[TEXT].tolist()]
            model.pipeline.predict_proba(texts)  # type: ignore[attr-defined]
            rows += len(chunk)
    seconds = time.perf_counter() - started
    growth_mb = (_status_kb("VmHWM") - baseline) / 1000
    return {"seconds": seconds, "rows": rows, "rss_growth_mb": growth_mb}


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def through_api(client: Any, pid: int, model_id: str, path: Path) -> dict[str, Any]:
    with RssSampler(pid) as rss, path.open("rb") as upload:
        started = time.perf_counter()
        received = lines = 0
        with client.stream(
            "POST",
            "/api/v1/models/predict_csv",
            data={"model_id": model_id},
            files={"file": (path.name, upload, "text/csv")},
        ) as response:
            response.raise_for_status()
            first_byte = time.perf_counter() - started
            for chunk in response.iter_bytes():
                received += len(chunk)
                lines += chunk.count(b"\n")
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "first_byte_s": first_byte,
        "answer_mb": received / MB,
        "answer_lines": lines,
        "rss_baseline_mb": rss.baseline / MB,
        "rss_growth_mb": rss.growth / MB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=100, help="size of the CSV (MB)")
    parser.add_argument(
        "--dask-workers",
        type=int,
        default=0,
        help="also score the file on this many Dask workers (0: local only)",
    )
    args = parser.parse_args()
    data = data_path()
    dask: dict[str, Any] | None = None
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        server = stack.enter_context(backend())
        client = stack.enter_context(api_client(server))
        big = repeat_csv(data, Path(tmp) / "big.csv", int(args.megabytes * MB))
        size_mb = big.stat().st_size / MB
        model_id = trained_and_loaded(client, data)
        model = bundle_of(server, client, model_id)
        raw = raw_chunked(model, big)
        api = through_api(client, server.process.pid, model_id, big)
        if args.dask_workers:
            logs = RESULTS_DIR / "dask-logs"  # the scheduler's and workers' output, kept
            cluster = stack.enter_context(dask_cluster(logs, args.dask_workers, env=DASK_PATIENCE))
            server.env.update(
                TASK_EXECUTOR="dask", DASK_SCHEDULER_ADDRESS=cluster.address, **DASK_PATIENCE
            )
            server.restart()  # same registry and model, now loaded again
            wait_for_idle(server.process.pid)  # its children import their libraries first
            dask = through_api(client, server.process.pid, model_id, big)
        load = machine()["load_avg_1_5_15"]
    ratio = api["seconds"] / raw["seconds"]
    headers = ["what", "rows", "seconds", "× raw", "rows/s", "peak memory growth (MB)"]
    raw_row = ["raw: pandas chunks + predict_proba", raw["rows"], raw["seconds"], "1.00×"]
    api_row = ["textclf predict_csv (upload → last byte)", raw["rows"], api["seconds"]]
    rows = [
        [*raw_row, raw["rows"] / raw["seconds"], raw["rss_growth_mb"]],
        [*api_row, f"{ratio:.2f}×", raw["rows"] / api["seconds"], api["rss_growth_mb"]],
    ]
    if dask is not None:
        what = f"textclf predict_csv, {args.dask_workers} Dask workers (replica's memory)"
        dask_ratio = f"{dask['seconds'] / raw['seconds']:.2f}×"
        rate = raw["rows"] / dask["seconds"]
        rows.append([what, raw["rows"], dask["seconds"], dask_ratio, rate, dask["rss_growth_mb"]])
    print(f"\n{table(headers, rows)}\n")
    print(f"time {ratio:.2f}× raw (target ≤ 1.5×): {'met' if ratio <= 1.5 else 'MISSED'}")
    growth = api["rss_growth_mb"]
    verdict = "met" if growth <= 1000 else "MISSED"
    print(f"memory growth {growth:.0f} MB (target ≤ 1000 MB): {verdict}")
    first = api["first_byte_s"]
    print(f"file {size_mb:.0f} MB, first answer byte after {first:.1f} s, load {load}")
    if dask is not None:
        speedup = api["seconds"] / dask["seconds"]
        print(f"{args.dask_workers} Dask workers: {speedup:.2f}× the local predict_csv")
    name = "batch_csv_dask" if dask is not None else "batch_csv"
    results = {"file_mb": size_mb, "raw": raw, "api": api, "dask_workers": args.dask_workers}
    path = write_results(name, {**results, "dask": dask})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
