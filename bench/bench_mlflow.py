"""textclf /predict vs `mlflow models serve`, on the same fitted pipeline, the same load.

The logreg model (default params) is trained through the API on the 20k sample; its
scikit-learn pipeline is saved with `mlflow.sklearn.save_model(...,
pyfunc_predict_fn="predict_proba", serialization_format="cloudpickle")` (MLflow 3's
default, skops, took over 5 minutes to save this TF-IDF vocabulary and as long to load
it) and served by `mlflow models serve --env-manager
local` (uvicorn, `--workers 1` by default; `--mlflow-workers 1,2` adds a 2-worker run).
MLflow lives in its own virtualenv, bench/.mlflow-venv (git-ignored), installed on the
first run with the same scikit-learn, NumPy and SciPy versions as ours; if it cannot be
installed the benchmark says so and exits 0. One text per request, `wrk` at concurrency
1, 8 and 32; MLflow gets the texts lower-cased, as our Preprocessor does, so both answer
with the same probabilities (checked before the load).

    .venv/bin/python bench/bench_mlflow.py
    .venv/bin/python bench/bench_mlflow.py --mlflow-workers 1,2 --requests 3000

Prints a markdown table and writes bench/results/mlflow.json. Target: ahead of MLflow on
throughput at concurrency 8 and 32.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import numpy
import scipy
import sklearn
from common import (
    PREDICT_PATH,
    REPO,
    api_client,
    backend,
    bundle_of,
    data_path,
    external_server,
    extract_pipeline,
    machine,
    sample_texts,
    table,
    trained_and_loaded,
    write_results,
)
from loadgen import best_of, load_run, run_wrk, write_bodies, wrk_available

from testkit.servers import free_port

VENV = REPO / "bench" / ".mlflow-venv"
LEVELS = (1, 8, 32)
SAVE_MODEL = (
    "import sys, joblib, mlflow.sklearn\n"
    "mlflow.sklearn.save_model(joblib.load(sys.argv[1]), sys.argv[2],"
    " pyfunc_predict_fn='predict_proba', serialization_format='cloudpickle')\n"
)


def mlflow_venv() -> Path | None:
    """bench/.mlflow-venv with MLflow and our scikit-learn stack; None if it cannot be."""
    python = VENV / "bin" / "python"
    pins = [f"scikit-learn=={sklearn.__version__}", f"numpy=={numpy.__version__}"]
    pins.append(f"scipy=={scipy.__version__}")
    check = [str(python), "-c", "import mlflow, sklearn; print(sklearn.__version__)"]
    if python.exists() and _run(check).stdout.strip() == sklearn.__version__:
        return python
    print(f"installing MLflow into {VENV} ...", file=sys.stderr)
    uv = [sys.executable, "-m", "uv"]
    steps = [[*uv, "venv", "-q", "--python", sys.executable, str(VENV)]]
    steps.append([*uv, "pip", "install", "-q", "--python", str(python), "mlflow", *pins])
    if _run([*uv, "--version"]).returncode != 0:  # no uv: the standard library's venv + pip
        steps = [[sys.executable, "-m", "venv", str(VENV)]]
        steps.append([str(python), "-m", "pip", "install", "-q", "mlflow", *pins])
    for step in steps:
        result = _run(step)
        if result.returncode != 0:
            print(result.stderr[-2000:], file=sys.stderr)
            return None
    return python if _run(check).returncode == 0 else None


def _run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=False)


def same_probabilities(port: int, texts: list[str], confidences: list[float]) -> bool:
    body = {"inputs": [t.lower() for t in texts]}
    answer = httpx.post(f"http://127.0.0.1:{port}/invocations", json=body, timeout=60).json()
    return all(
        abs(max(row) - c) < 1e-6 for row, c in zip(answer["predictions"], confidences, strict=True)
    )


def levels(pid: int, url: str, bodies: Path, args: argparse.Namespace) -> list[dict]:
    run_wrk(url, bodies, concurrency=8, requests=300)  # warm up
    return [
        best_of(
            args.repeat,
            lambda c=c: load_run(pid, url, bodies, concurrency=c, requests=args.requests),
            args.quiet_load,
        )
        for c in LEVELS
    ]


def serve_mlflow(
    python: Path, model_dir: Path, workers: int, bodies: Path, check: Any, args: Any
) -> list[dict]:
    port = free_port()
    command = [str(python.parent / "mlflow"), "models", "serve", "-m", str(model_dir)]
    command += ["--env-manager", "local", "-h", "127.0.0.1", "-p", str(port), "-w", str(workers)]
    env = {"PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with external_server(command, port=port, ready_path="/ping", env=env) as process:
        if not check(port):
            raise SystemExit("MLflow's probabilities differ from textclf's")
        return levels(process.pid, f"http://127.0.0.1:{port}/invocations", bodies, args)


def report(ours: list[dict], mlflow: dict[int, list[dict]]) -> str:
    headers = ["concurrency", "textclf req/s", "p50 ms", "p99 ms", "RSS MB"]
    for workers in mlflow:
        name = f"MLflow ({workers} worker{'s' if workers > 1 else ''})"
        headers += [f"{name} req/s", "p50 ms", "p99 ms", "RSS MB", "textclf ÷ it"]
    rows = []
    keys = ("throughput", "p50_ms", "p99_ms", "server_rss_mb")
    for i, r in enumerate(ours):
        row: list[Any] = [r["concurrency"], *(r[k] for k in keys)]
        for results in mlflow.values():
            m = results[i]
            row += [*(m[k] for k in keys), f"{r['throughput'] / m['throughput']:.2f}×"]
        rows.append(row)
    return table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per level")
    parser.add_argument("--repeat", type=int, default=2, help="runs per level; the best counts")
    parser.add_argument("--mlflow-workers", default="1", help="MLflow worker counts, e.g. 1,2")
    parser.add_argument("--quiet-load", type=float, default=1.5, help="wait for a lower load")
    args = parser.parse_args()
    data = data_path()
    if not wrk_available():
        print("wrk is not installed (apt-get install wrk): skipping this benchmark")
        return
    python = mlflow_venv()
    if python is None:
        print("MLflow could not be installed into bench/.mlflow-venv: skipping this benchmark")
        return
    texts = sample_texts(data, 2000)
    mlflow: dict[int, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp, backend() as server, api_client(server) as client:
        model_id = trained_and_loaded(client, data)
        model = bundle_of(server, client, model_id)
        model_dir = Path(tmp) / "mlflow-model"
        pipeline = extract_pipeline(model, Path(tmp))
        saved = _run([str(python), "-c", SAVE_MODEL, str(pipeline), str(model_dir)])
        if saved.returncode != 0:
            raise SystemExit(f"mlflow.sklearn.save_model failed: {saved.stderr[-2000:]}")
        ours_bodies = write_bodies(
            Path(tmp) / "ours.txt", [{"model_id": model_id, "texts": [t]} for t in texts]
        )
        theirs = write_bodies(Path(tmp) / "mlflow.txt", [{"inputs": [t.lower()]} for t in texts])
        confidences = model.predict(texts[:50]).confidences

        def check(port: int) -> bool:
            return same_probabilities(port, texts[:50], confidences)

        ours = levels(server.process.pid, server.base_url + PREDICT_PATH, ours_bodies, args)
        for workers in (int(w) for w in args.mlflow_workers.split(",")):
            mlflow[workers] = serve_mlflow(python, model_dir, workers, theirs, check, args)
    print(f"\n{report(ours, mlflow)}\n")
    first = mlflow[min(mlflow)]
    for r, m in zip(ours, first, strict=True):
        if r["concurrency"] in (8, 32):
            ahead = r["throughput"] > m["throughput"]
            print(f"c={r['concurrency']}: ahead of MLflow: {'met' if ahead else 'MISSED'}")
    print(machine())
    path = write_results("mlflow", {"args": vars(args), "textclf": ours, "mlflow": mlflow})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
