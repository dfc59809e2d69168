"""Memory of the whole process tree at idle, and the time of the first fit after start-up.

A real backend (`python -m app`) with the default models, in a temp folder. It is started
twice: the first start trains the default models, the second finds them and only loads
them (what every later start of a deployment does). The tree's memory (the server and all
its descendants: training workers, the prediction process) is read from /proc:
RSS, summed as the issue states its target, and PSS, which counts a page shared by several
processes once (closer to what the machine actually spends).

    .venv/bin/python bench/bench_memory.py
    .venv/bin/python bench/bench_memory.py --settle 70   # also idle after the first start

Measured at idle: after the second start (default models loaded), and, with --settle N,
N seconds after the first start's default models were ready. Then the first fit after the
second start (logistic regression on the demo data, POST /models/fit to `succeeded`,
polled every 50 ms) and a second one. Prints tables, writes bench/results/memory.json.
Target: RSS sum at idle at most 0.8 GB; the first fit at most 1 s slower than before.
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from common import api_client, table, upload_dataset, write_results
from loadgen import tree_pids, wait_for_idle

from testkit.api import wait_task
from testkit.data import DEMO_CSV
from testkit.servers import BackendServer


def _kib(path: Path, field: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def tree_memory(pid: int) -> list[dict[str, Any]]:
    """One row per live process of the tree: pid, command, RSS and PSS in MB."""
    rows = []
    for p in tree_pids(pid):
        proc = Path(f"/proc/{p}")
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            rss = _kib(proc / "status", "VmRSS")
            pss = _kib(proc / "smaps_rollup", "Pss")
        except OSError:
            continue  # it ended while we looked
        rows.append({"pid": p, "cmd": cmd[:70], "rss_mb": rss / 1024, "pss_mb": pss / 1024})
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "processes": len(rows),
        "rss_mb": round(sum(r["rss_mb"] for r in rows), 1),
        "pss_mb": round(sum(r["pss_mb"] for r in rows), 1),
        "tree": rows,
    }


def fit_seconds(client: Any, dataset_id: str, name: str) -> float:
    started = time.perf_counter()
    response = client.post(
        "/api/v1/models/fit", json={"name": name, "kind": "logreg", "dataset_id": dataset_id}
    )
    response.raise_for_status()
    task = wait_task(client, response.json()["task_id"], timeout=600, interval=0.05)
    if task["status"] != "succeeded":
        raise RuntimeError(f"the fit failed: {task}")
    return time.perf_counter() - started


def idle_tree(server: BackendServer, extra_wait: float) -> dict[str, Any]:
    assert server.process is not None
    wait_for_idle(server.process.pid)
    time.sleep(extra_wait)
    return summary(tree_memory(server.process.pid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--settle", type=float, default=0.0, help="seconds idle after start 1")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="textclf-bench-memory-"))
    server = BackendServer(root=root)
    results: dict[str, Any] = {}
    try:
        server.start()  # trains and loads the default models
        if args.settle:
            results["first_start"] = idle_tree(server, args.settle)
        server.restart()  # finds the default models and loads them
        results["restart"] = idle_tree(server, 3.0)
        with api_client(server) as client:
            dataset_id = upload_dataset(client, DEMO_CSV)
            results["first_fit_s"] = round(fit_seconds(client, dataset_id, "bench-first"), 3)
            results["second_fit_s"] = round(fit_seconds(client, dataset_id, "bench-second"), 3)
    except Exception:
        print(server.output()[-3000:])
        raise
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)

    for name, found in results.items():
        if isinstance(found, dict):
            print(f"\n### idle tree: {name} ({found['processes']} processes)\n")
            rows = [[r["pid"], r["cmd"], r["rss_mb"], r["pss_mb"]] for r in found["tree"]]
            rows.append(["", "total", found["rss_mb"], found["pss_mb"]])
            print(table(["pid", "command", "RSS MB", "PSS MB"], rows))
    print(
        "\n"
        + table(
            ["first fit (s)", "second fit (s)"],
            [[results["first_fit_s"], results["second_fit_s"]]],
        )
    )
    path = write_results("memory", results)
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
