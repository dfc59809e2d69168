"""Batch CSV: a ~100 MB CSV (the 20k sample repeated) through POST /models/predict_csv.

Measures the wall time from the first byte uploaded to the last byte of the answer, and
the growth of the server's resident memory (its process and children, sampled every
50 ms) over its size before the request. Baseline, in the same run on the same file and
fitted pipeline: pandas reading the file in chunks of PREDICT_CHUNK_ROWS (5,000) rows and
predict_proba scoring each chunk, in this process (its peak memory growth from VmHWM).

    .venv/bin/python bench/bench_batch_csv.py
    .venv/bin/python bench/bench_batch_csv.py --megabytes 20

Prints a markdown table and writes bench/results/batch_csv.json. Targets: at most 1.5x
the raw chunked time; peak memory growth at most 1 GB.
"""

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from common import (
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
from loadgen import RssSampler

from app.ml.bundle import TrainedModel
from testkit.bigcsv import repeat_csv

CHUNK_ROWS = 5000
MB = 1_000_000


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
    args = parser.parse_args()
    data = data_path()
    with tempfile.TemporaryDirectory() as tmp, backend() as server, api_client(server) as client:
        big = repeat_csv(data, Path(tmp) / "big.csv", int(args.megabytes * MB))
        size_mb = big.stat().st_size / MB
        model_id = trained_and_loaded(client, data)
        model = bundle_of(server, client, model_id)
        raw = raw_chunked(model, big)
        api = through_api(client, server.process.pid, model_id, big)
        load = machine()["load_avg_1_5_15"]
    ratio = api["seconds"] / raw["seconds"]
    headers = ["what", "rows", "seconds", "× raw", "rows/s", "peak memory growth (MB)"]
    raw_row = ["raw: pandas chunks + predict_proba", raw["rows"], raw["seconds"], "1.00×"]
    api_row = ["textclf predict_csv (upload → last byte)", raw["rows"], api["seconds"]]
    rows = [
        [*raw_row, raw["rows"] / raw["seconds"], raw["rss_growth_mb"]],
        [*api_row, f"{ratio:.2f}×", raw["rows"] / api["seconds"], api["rss_growth_mb"]],
    ]
    print(f"\n{table(headers, rows)}\n")
    print(f"time {ratio:.2f}× raw (target ≤ 1.5×): {'met' if ratio <= 1.5 else 'MISSED'}")
    growth = api["rss_growth_mb"]
    verdict = "met" if growth <= 1000 else "MISSED"
    print(f"memory growth {growth:.0f} MB (target ≤ 1000 MB): {verdict}")
    first = api["first_byte_s"]
    print(f"file {size_mb:.0f} MB, first answer byte after {first:.1f} s, load {load}")
    path = write_results("batch_csv", {"file_mb": size_mb, "raw": raw, "api": api})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
