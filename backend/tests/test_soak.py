"""A bounded soak (about 60 s, loopback only): concurrent predicts, uploads, fits and
cancels against one server. No 5xx, no lost task, no leaked processes or file
descriptors, memory back near its baseline. Prints its figures."""

import gc
import random
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from testkit.api import upload_csv
from testkit.samples import SLOW_PARAMS, labelled_csv, slow_csv
from testkit.servers import BackendServer

DURATION_S = 60
PREDICT_THREADS = 6
FINISHED = {"succeeded", "failed", "cancelled"}


def _proc(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {
        "rss_mb": rss_kb // 1024,
        "fds": len(list(Path(f"/proc/{pid}/fd").iterdir())),
        "children": len(children),
    }


class Soak:
    def __init__(self, base_url: str, model_id: str, slow_dataset: str) -> None:
        self.base_url = base_url
        self.model_id = model_id
        self.slow_dataset = slow_dataset
        self.deadline = time.monotonic() + DURATION_S
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.task_ids: list[str] = []
        self.lock = threading.Lock()

    def record(self, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.errors.append(f"{response.request.url} {response.text[:200]}")

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def predicts(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            while self.running():
                texts = [f"text {rng.random()} you idiot" for _ in range(rng.randint(1, 20))]
                self.record(
                    client.post(
                        "/api/v1/models/predict", json={"model_id": self.model_id, "texts": texts}
                    )
                )

    def uploads(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            seed = 1000
            while self.running():
                seed += 1
                response = upload_csv(client, labelled_csv(60, seed=seed))
                self.record(response)
                if response.status_code == 201 and seed % 2:
                    self.record(client.delete(f"/api/v1/datasets/{response.json()['id']}"))
                self.record(upload_csv(client, b"\x89PNG\x00\x00"))  # a bad one too
                time.sleep(0.3)

    def fits(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            dataset = upload_csv(client, labelled_csv(200, seed=5)).json()["id"]
            while self.running():
                response = client.post(
                    "/api/v1/models/fit",
                    json={
                        "name": "soak",
                        "kind": "logreg",
                        "dataset_id": dataset,
                        "params": {"min_df": 1},
                    },
                )
                self.record(response)
                if response.status_code == 202:
                    with self.lock:
                        self.task_ids.append(response.json()["task_id"])
                time.sleep(1.5)

    def cancels(self) -> None:
        rng = random.Random(7)
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            while self.running():
                response = client.post(
                    "/api/v1/models/fit",
                    json={
                        "name": "soak-cancel",
                        "kind": "linear_svc",
                        "dataset_id": self.slow_dataset,
                        "params": SLOW_PARAMS,
                    },
                )
                self.record(response)
                if response.status_code != 202:
                    continue
                task_id = response.json()["task_id"]
                with self.lock:
                    self.task_ids.append(task_id)
                time.sleep(rng.uniform(0.2, 4))
                cancel = client.post(f"/api/v1/tasks/{task_id}/cancel")
                if cancel.status_code != 409:  # 409: it finished first, which is fine
                    self.record(cancel)


@pytest.mark.soak
def test_soak(tmp_path: Path) -> None:
    server = BackendServer(root=tmp_path / "soak").start()
    assert server.process is not None
    pid = server.process.pid
    client = httpx.Client(base_url=server.base_url, timeout=60)
    model_id = next(
        m["id"]
        for m in client.get("/api/v1/models/", params={"limit": 1000}).json()
        if m["is_default"]
    )
    slow = upload_csv(client, slow_csv(rows=4000), "slow.csv").json()["id"]
    for _ in range(200):  # warm up before the baseline
        client.post("/api/v1/models/predict", json={"model_id": model_id, "texts": ["warm up"]})
    time.sleep(1)
    baseline = _proc(pid)

    soak = Soak(server.base_url, model_id, slow)
    workers = [threading.Thread(target=soak.predicts, args=(i,)) for i in range(PREDICT_THREADS)]
    workers += [threading.Thread(target=f) for f in (soak.uploads, soak.fits, soak.cancels)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=DURATION_S + 120)
    elapsed = time.monotonic() - started

    deadline = time.monotonic() + 120
    tasks = {}
    while time.monotonic() < deadline:
        tasks = {t["id"]: t["status"] for t in client.get("/api/v1/tasks/").json()}
        if all(tasks.get(t) in FINISHED for t in soak.task_ids):
            break
        time.sleep(0.5)
    gc.collect()
    time.sleep(3)
    after = _proc(pid)
    requests = sum(soak.statuses.values())
    print(
        f"\nsoak: {requests:,} requests in {elapsed:.0f}s ({requests / elapsed:.0f}/s), "
        f"statuses {dict(sorted(soak.statuses.items()))}, tasks {len(soak.task_ids)} "
        f"{dict(Counter(tasks.get(t) for t in soak.task_ids))}"
    )
    print(f"soak: baseline {baseline}, after {after}")
    dataset = upload_csv(client, labelled_csv(80, seed=99)).json()["id"]
    last = client.post(
        "/api/v1/models/fit",
        json={
            "name": "after-soak",
            "kind": "logreg",
            "dataset_id": dataset,
            "params": {"min_df": 1},
        },
    )
    while (task := client.get(f"/api/v1/tasks/{last.json()['task_id']}").json())[
        "status"
    ] not in FINISHED:
        time.sleep(0.2)
    server.stop()

    assert task["status"] == "succeeded", "the pool still trains after the soak"
    assert not soak.errors, soak.errors[:5]
    assert soak.task_ids and all(tasks.get(t) in FINISHED for t in soak.task_ids), "lost task"
    assert after["children"] <= baseline["children"], "leaked processes"
    assert after["fds"] <= baseline["fds"] + 10, "leaked file descriptors"
    assert after["rss_mb"] <= baseline["rss_mb"] * 1.5 + 100, "memory did not come back"
