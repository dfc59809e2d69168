"""Online predict: POST /api/v1/models/predict with one text per request.

The word TF-IDF + logistic regression model (kind logreg, default params) is trained
through the API on the 20k toxic-comments sample, loaded, then `wrk` sends a fixed number
of requests at concurrency 1, 8 and 32. Measured in the same run, on the same fitted
pipeline and the same texts:

- raw predict_proba on one text per call, in a loop: the cost a naive server pays per
  request (throughput = 1 / mean call time);
- raw predict_proba on all the texts in one call: the library's own limit;
- a hand-written FastAPI endpoint around predict_proba (`naive_server.py`), same load.

    .venv/bin/python bench/bench_online.py                 # 4000 requests a level, best of 3
    .venv/bin/python bench/bench_online.py --requests 10000 --repeat 5
    .venv/bin/python bench/bench_online.py --no-naive --env PREDICT_MAX_BATCH=16
    .venv/bin/python bench/bench_online.py --no-naive --log-both-ways --levels 32

With --log-both-ways the same server (same registry, same loaded model) is measured with
the prediction log on, then restarted with PREDICTION_LOG=false and measured again; the
table gains a row per level for each, and the cost of the log (target: at most 10 % of the
throughput at concurrency 32).

Prints a markdown table and writes bench/results/online.json. Targets (2 cores): at
concurrency 32 at least 2.5x the raw one-text loop and p99 <= 25 ms; at concurrency 1
p50 <= 2 ms.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    PREDICT_PATH,
    api_client,
    backend,
    bundle_of,
    data_path,
    external_server,
    extract_pipeline,
    machine,
    ratio,
    sample_texts,
    table,
    trained_and_loaded,
    wait_for_idle,
    write_results,
)
from loadgen import best_of, load_run, run_wrk, write_bodies, wrk_available

from app.ml.bundle import TrainedModel
from testkit.servers import BackendServer, free_port

N_TEXTS = 2000
LEVELS = (1, 8, 32)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def raw_baselines(model: TrainedModel, texts: list[str]) -> dict[str, Any]:
    pipeline = model.pipeline  # type: ignore[attr-defined]
    cleaned = model.preprocessor.preprocess_texts(texts)
    for text in cleaned[:100]:  # warm up
        pipeline.predict_proba([text])
    calls = []
    for text in cleaned:
        started = time.perf_counter()
        pipeline.predict_proba([text])
        calls.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    pipeline.predict_proba(cleaned)
    batch_s = time.perf_counter() - started
    return {
        "loop": {
            "throughput": round(len(calls) / (sum(calls) / 1000), 1),
            "p50_ms": percentile(calls, 50),
            "p95_ms": percentile(calls, 95),
            "p99_ms": percentile(calls, 99),
        },
        "batch": {"throughput": round(len(cleaned) / batch_s, 1), "texts": len(cleaned)},
    }


def same_answers(client: Any, model_id: str, model: TrainedModel, texts: list[str]) -> bool:
    body = {"model_id": model_id, "texts": texts}
    answers = client.post(PREDICT_PATH, json=body).json()["predictions"]
    own = model.predict(texts)
    # every class's probability, not the label: the server decides the label with the
    # model's fitted decision threshold, the raw model by the most probable class
    got = [[c["probability"] for c in a["probabilities"]] for a in answers]
    return len(got) == len(own.probabilities) and all(
        abs(x - y) <= 1e-9
        for mine, theirs in zip(got, own.probabilities, strict=True)
        for x, y in zip(mine, theirs, strict=True)
    )


def levels(pid: int, url: str, bodies: Path, args: argparse.Namespace) -> list[dict]:
    run_wrk(url, bodies, concurrency=8, requests=500)  # warm up
    return [
        best_of(
            args.repeat,
            lambda c=c: load_run(pid, url, bodies, concurrency=c, requests=args.requests),
            args.quiet_load,
        )
        for c in args.levels
    ]


def naive_levels(model: TrainedModel, bodies: Path, args: argparse.Namespace) -> list[dict]:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = extract_pipeline(model, Path(tmp))
        command = [sys.executable, "-m", "uvicorn", "naive_server:app", "--port", str(port)]
        command += ["--app-dir", str(Path(__file__).parent)]
        with external_server(
            command, port=port, ready_path="/docs", env={"PIPELINE": str(pipeline)}
        ) as process:
            return levels(process.pid, f"http://127.0.0.1:{port}/predict", bodies, args)


def logging_off_levels(server: BackendServer, bodies: Path, args: argparse.Namespace) -> list[dict]:
    """The same server restarted with the prediction log off (the model stays loaded)."""
    server.env["PREDICTION_LOG"] = "false"
    server.restart()
    assert server.process is not None
    wait_for_idle(server.process.pid)
    return levels(server.process.pid, server.base_url + PREDICT_PATH, bodies, args)


def log_costs(on: list[dict], off: list[dict]) -> list[str]:
    lines = []
    for with_log, without in zip(on, off, strict=True):
        c = with_log["concurrency"]
        cost = 1 - with_log["throughput"] / without["throughput"]
        line = f"c={c} prediction log on {with_log['throughput']:,.0f} req/s, off "
        line += f"{without['throughput']:,.0f} req/s: it costs {cost:.1%}"
        if c == 32:
            line += f" (target ≤ 10 %): {_met(cost <= 0.10)}"
        lines.append(line)
    return lines


def report(raw: dict, ours: list[dict], naive: list[dict], unlogged: list[dict]) -> str:
    loop = raw["loop"]["throughput"]
    headers = ["what", "concurrency", "req/s", "× raw loop", "p50 ms", "p95 ms", "p99 ms"]
    headers += ["server CPU (cores)", "wrk CPU (cores)", "load avg"]
    batch = raw["batch"]["throughput"]
    rows: list[list[Any]] = [
        ["raw predict_proba, 1 text per call", 1, loop, "1.00×"]
        + [raw["loop"][k] for k in ("p50_ms", "p95_ms", "p99_ms")]
        + ["", "", ""],
        ["raw predict_proba, all texts in 1 call (texts/s)", "", batch, ratio(batch, loop)]
        + [""] * 6,
    ]
    named = [("textclf /predict", ours), ("hand-written FastAPI", naive)]
    if unlogged:
        named[0] = ("textclf /predict, prediction log on", ours)
        named.insert(1, ("textclf /predict, prediction log off", unlogged))
    for name, results in named:
        for r in results:
            rows.append(
                [name, r["concurrency"], r["throughput"], ratio(r["throughput"], loop)]
                + [r[k] for k in ("p50_ms", "p95_ms", "p99_ms", "server_cpu_cores")]
                + [r["wrk_cpu_cores"], r["load_avg"]]
            )
    return table(headers, rows)


def targets(raw: dict, ours: list[dict]) -> list[str]:
    by_c = {r["concurrency"]: r for r in ours}
    lines = []
    if 32 in by_c:
        x = by_c[32]["throughput"] / raw["loop"]["throughput"]
        lines.append(f"c=32 throughput {x:.2f}× the raw loop (target ≥ 2.5×): {_met(x >= 2.5)}")
        p99 = by_c[32]["p99_ms"]
        lines.append(f"c=32 p99 {p99:.1f} ms (target ≤ 25 ms): {_met(p99 <= 25)}")
    if 1 in by_c:
        p50 = by_c[1]["p50_ms"]
        lines.append(f"c=1 p50 {p50:.2f} ms (target ≤ 2 ms): {_met(p50 <= 2)}")
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="requests per level")
    parser.add_argument("--repeat", type=int, default=3, help="runs per level; the best counts")
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")], default=LEVELS)
    parser.add_argument("--quiet-load", type=float, default=1.5, help="wait for a lower load")
    parser.add_argument("--no-naive", action="store_true", help="skip the FastAPI baseline")
    parser.add_argument(
        "--log-both-ways",
        action="store_true",
        help="measure with the prediction log on, then off (the same server, restarted)",
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a server setting"
    )
    args = parser.parse_args()
    env = dict(pair.split("=", 1) for pair in args.env)
    data = data_path()
    if not wrk_available():
        print("wrk is not installed (apt-get install wrk): skipping this benchmark")
        return
    texts = sample_texts(data, N_TEXTS)
    with tempfile.TemporaryDirectory() as tmp, backend(env) as server, api_client(server) as client:
        model_id = trained_and_loaded(client, data)
        model = bundle_of(server, client, model_id)
        if not same_answers(client, model_id, model, texts[:200]):
            raise SystemExit("the API's answers differ from the raw model's")
        raw = raw_baselines(model, texts)
        bodies = write_bodies(
            Path(tmp) / "bodies.txt", [{"model_id": model_id, "texts": [t]} for t in texts]
        )
        ours = levels(server.process.pid, server.base_url + PREDICT_PATH, bodies, args)
        unlogged = logging_off_levels(server, bodies, args) if args.log_both_ways else []
        naive = [] if args.no_naive else naive_levels(model, bodies, args)
    print(f"\n{report(raw, ours, naive, unlogged)}\n")
    print("\n".join(targets(raw, ours) + (log_costs(ours, unlogged) if unlogged else [])))
    info = machine()
    print(f"\n{info['date']}, {info['cores']} cores ({info['cpu']}), {args.requests} requests")
    results: dict[str, Any] = {"args": vars(args), "raw": raw, "textclf": ours, "naive": naive}
    if unlogged:
        results["textclf_log_off"] = unlogged
    path = write_results("online", results)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
