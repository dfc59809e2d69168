"""The replica sync's query: what every API replica (the one-process default included)
asks the registry every REPLICA_SYNC_INTERVAL_MS, `Registry.loaded_model_versions`.

A fresh registry (SQLite, and PostgreSQL when one answers at TEST_POSTGRES_URL) gets
`--models` ready models of which `--loaded` are marked loaded; the query then runs
`--calls` times (after 20 not counted), timed by the wall clock and by this process's
CPU time, which is what the replica pays.

    .venv/bin/python bench/bench_replica_sync.py
    .venv/bin/python bench/bench_replica_sync.py --models 2000 --loaded 200

Prints a markdown table and writes bench/results/replica_sync.json.
"""

import argparse
import tempfile
import time
from typing import Any

from common import table, write_results

from app.registry.sql import SqlRegistry
from shared.schemas import ModelStatus
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.records import model_record

INTERVAL_S = 0.5


def measure(url: str, models: int, loaded: int, calls: int) -> dict[str, float]:
    registry = SqlRegistry(url)
    for i in range(models):
        registry.add_model_version(
            model_record(f"m{i}", status=ModelStatus.READY, loaded=i < loaded)
        )
    for _ in range(20):
        registry.loaded_model_versions()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        assert len(registry.loaded_model_versions()) == loaded
    wall_ms = (time.perf_counter() - wall) / calls * 1000
    cpu_ms = (time.process_time() - cpu) / calls * 1000
    registry.close()
    return {"wall_ms": wall_ms, "cpu_ms": cpu_ms, "cpu_share": cpu_ms / 1000 / INTERVAL_S}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--loaded", type=int, default=20)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    results: dict[str, Any] = {"models": args.models, "loaded": args.loaded, "calls": args.calls}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = measure(
            f"sqlite:///{folder}/r.db", args.models, args.loaded, args.calls
        )
    if postgres_unavailable_reason() is None:
        with fresh_postgres_database() as url:
            results["postgres"] = measure(url, args.models, args.loaded, args.calls)
    rows = [
        [name, r["cpu_ms"], r["wall_ms"], f"{r['cpu_share']:.2%}"]
        for name, r in results.items()
        if isinstance(r, dict)
    ]
    print(table(["registry", "CPU ms per call", "wall ms per call", "CPU share at 500 ms"], rows))
    print(f"results: {write_results('replica_sync', results)}")


if __name__ == "__main__":
    main()
