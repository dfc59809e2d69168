"""Moving an alias under load, on SQLite and PostgreSQL: 8 clients predict by
`name@production` for 20 s while the alias moves 20 times between two versions. Not one
request fails, and every answer names one of the two versions."""

import threading
import time
from collections import Counter
from urllib.parse import quote

import httpx
import pytest

from testkit.servers import BackendServer
from testkit.versions import trained_versions, unique_name

API = "/api/v1"
CLIENTS = 8
MOVES = 20
DURATION_S = 20.0


class Load:
    """Clients predicting by alias until told to stop; what they got back."""

    def __init__(self, base_url: str, ref: str) -> None:
        self.base_url = base_url
        self.ref = ref
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answered_by: Counter[tuple[str, int]] = Counter()
        self.failures: list[str] = []

    def run(self) -> None:
        body = {"model_id": self.ref, "texts": ["nice photo, thanks"]}
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            while not self.stop.is_set():
                try:
                    response = client.post(f"{API}/models/predict", json=body)
                except httpx.HTTPError as exc:
                    with self.lock:
                        self.failures.append(repr(exc))
                    continue
                with self.lock:
                    if response.status_code != 200:
                        self.failures.append(f"{response.status_code} {response.text[:200]}")
                    else:
                        answer = response.json()
                        self.answered_by[(answer["model_id"], answer["version"])] += 1


@pytest.mark.soak
def test_alias_moves_under_load_without_a_failed_request(
    client: httpx.Client, server: BackendServer
) -> None:
    name = unique_name("switched")
    v1, v2 = trained_versions(client, name, 2, seed=41)
    alias_url = f"{API}/aliases/{quote(name)}/production"
    assert client.put(alias_url, json={"version": 1, "reason": "start"}).status_code == 200
    load = Load(server.base_url, f"{name}@production")
    threads = [threading.Thread(target=load.run) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    try:
        for move in range(MOVES):
            # spread the moves over the run; the first loads version 2 while requests flow
            time.sleep(max(0.0, started + (move + 0.5) * DURATION_S / MOVES - time.monotonic()))
            version = 2 if move % 2 == 0 else 1
            response = client.put(alias_url, json={"version": version, "reason": f"move {move}"})
            assert response.status_code == 200, response.text
            assert response.json()["version"] == version
        time.sleep(max(0.0, started + DURATION_S - time.monotonic()))
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
    elapsed = time.monotonic() - started
    total = sum(load.answered_by.values())
    print(f"\n{total} predictions by alias in {elapsed:.1f} s, {MOVES} moves: {load.answered_by}")
    assert load.failures == [], load.failures[:5]
    assert set(load.answered_by) == {(v1, 1), (v2, 2)}, load.answered_by
    assert total > CLIENTS * MOVES  # the clients did predict throughout
    history = client.get(f"{alias_url}/history").json()
    assert len(history) == MOVES + 1
    assert client.get(alias_url).json()["version"] == 1  # 20 moves: back where it started
