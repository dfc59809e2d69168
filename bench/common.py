"""Shared pieces of the serving benchmarks: the data, a real backend, results and tables.

The backend is started the way the README deploys it (`python -m app`, uvicorn) by
`testkit.servers.BackendServer`, in a temp folder of its own. Load comes from `wrk`
(`loadgen.py`).
"""

import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "backend")]

import httpx  # noqa: E402
import joblib  # noqa: E402
import pandas as pd  # noqa: E402
from loadgen import wait_for_idle  # noqa: E402

from app.ml.artifacts import load_bundle, sha256_file  # noqa: E402
from app.ml.bundle import TrainedModel  # noqa: E402
from testkit.api import upload_csv, wait_task  # noqa: E402
from testkit.servers import BackendServer, wait_for  # noqa: E402

DATASET = "toxic_sample_20k.csv"
TEXT, LABEL = "comment_text", "toxic"
RESULTS_DIR = REPO / "bench" / "results"
PREDICT_PATH = "/api/v1/models/predict"


def data_path() -> Path:
    """The sample CSV; without it the benchmark exits 0 with a message."""
    root = Path(os.environ.get("SHARED_DATA_DIR", REPO.parent / "shared" / "data"))
    path = root / DATASET
    if not path.is_file():
        print(f"{path} not found (set SHARED_DATA_DIR): skipping this benchmark")
        sys.exit(0)
    return path


def sample_texts(path: Path, n: int, seed: int = 7) -> list[str]:
    texts = pd.read_csv(path, usecols=[TEXT], dtype=str, keep_default_na=False)[TEXT].tolist()
    random.Random(seed).shuffle(texts)
    return texts[:n]


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def load_avg() -> float:
    return round(os.getloadavg()[0], 2)


# --- the backend -------------------------------------------------------------------------


@contextmanager
def backend(env: dict[str, str] | None = None) -> Iterator[BackendServer]:
    """A real backend in a temp folder, without default models (nothing else trains)."""
    root = Path(tempfile.mkdtemp(prefix="textclf-bench-"))
    server = BackendServer(root=root, env={"DEFAULT_MODELS": "false", **(env or {})})
    try:
        server.start()
        wait_for_idle(server.process.pid)  # the training workers import their libraries
        yield server
    except Exception:
        print(server.output()[-3000:], file=sys.stderr)
        raise
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def api_client(server: BackendServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=600)


def upload_dataset(client: httpx.Client, path: Path) -> str:
    response = upload_csv(client, path, path.name)
    response.raise_for_status()
    return response.json()["id"]


def fit_logreg(client: httpx.Client, dataset_id: str) -> tuple[str, dict[str, Any], float]:
    """Fit logreg (default params) through the API: model id, finished task, wall seconds."""
    started = time.perf_counter()
    response = client.post(
        "/api/v1/models/fit",
        json={"name": "bench-logreg", "kind": "logreg", "dataset_id": dataset_id},
    )
    response.raise_for_status()
    accepted = response.json()
    task = wait_task(client, accepted["task_id"], timeout=600, interval=0.05)
    wall = time.perf_counter() - started
    if task["status"] != "succeeded":
        raise RuntimeError(f"training failed: {task}")
    return accepted["model_id"], task, wall


def trained_and_loaded(client: httpx.Client, data: Path) -> str:
    model_id, _, _ = fit_logreg(client, upload_dataset(client, data))
    client.post("/api/v1/models/load", json={"model_id": model_id}).raise_for_status()
    return model_id


def bundle_of(server: BackendServer, client: httpx.Client, model_id: str) -> TrainedModel:
    """The same bundle the server serves, loaded into this process for the raw baselines."""
    sha = client.get(f"/api/v1/models/{model_id}").json()["artifact_sha256"]
    for path in server.models_dir.glob("*.zip"):
        if sha256_file(path) == sha:
            return load_bundle(path, expected_sha256=sha)
    raise FileNotFoundError(f"no bundle of model {model_id} in {server.models_dir}")


# --- output ------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "n/a"


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2, default=str))
    return path


@contextmanager
def external_server(
    command: list[str], *, port: int, ready_path: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """Another server (a baseline) in its own process, until the context ends."""
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            wait_for(f"http://127.0.0.1:{port}{ready_path}", 300, process)
            yield process
        except Exception:
            print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def extract_pipeline(model: TrainedModel, directory: Path) -> Path:
    """The fitted scikit-learn pipeline alone, as a joblib file (what a user would serve)."""
    path = directory / "pipeline.joblib"
    joblib.dump(model.pipeline, path)  # type: ignore[attr-defined]
    return path
