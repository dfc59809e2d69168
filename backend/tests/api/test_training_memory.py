"""The training memory limit, on a real server: a fit whose processes grow past
TRAINING_MEMORY_LIMIT_MB fails with a clear message, leaves no file, and the pool goes on
with the next fit."""

import random
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.api import fit, upload_csv, wait_task
from testkit.samples import labelled_csv
from testkit.servers import BackendServer

# An idle scikit-learn worker holds about 150-200 MB (pandas and scikit-learn imported):
# this leaves a fit some 300 MB, plenty for a small one.
LIMIT_MB = 500
# Character 1-8-grams of random letters, every n-gram kept: a vocabulary of millions of
# terms, gigabytes if nothing stopped it.
HUNGRY_PARAMS = {"analyzer": "char", "ngram_range": [1, 8], "min_df": 1, "max_features": None}


def random_letters_csv(rows: int = 4_000, length: int = 400, seed: int = 5) -> bytes:
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    lines = ["comment_text,toxic"]
    lines += ["".join(rng.choices(alphabet, k=length)) + f",{i % 2}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    server = BackendServer(
        root=Path(tmp_path_factory.mktemp("memory-limit")),
        env={
            "DEFAULT_MODELS": "false",
            "TRAINING_MEMORY_LIMIT_MB": str(LIMIT_MB),
            "TRAINING_WORKERS": "1",  # the next fit must run in the replaced worker
        },
    )
    yield server.start()
    server.stop()


def _files_of(server: BackendServer, model_id: str) -> list[str]:
    return [p.name for p in server.models_dir.glob(f"*{model_id}*")]


def _no_files_left(server: BackendServer, model_id: str, timeout: float = 15) -> list[str]:
    """The task's end is recorded first; its files go once its worker has died."""
    deadline = time.monotonic() + timeout
    while (files := _files_of(server, model_id)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return files


def test_a_fit_over_the_memory_limit_fails_clearly_and_the_pool_goes_on(
    limited_server: BackendServer,
) -> None:
    client = httpx.Client(base_url=limited_server.base_url, timeout=60)
    hungry = upload_csv(client, random_letters_csv(), "letters.csv").json()
    started = time.monotonic()
    accepted = fit(client, hungry["id"], name="hungry", params=HUNGRY_PARAMS)
    task = wait_task(client, accepted["task_id"], timeout=120)
    assert time.monotonic() - started < 60
    assert task["status"] == "failed", task
    error = task["error"]
    assert f"more than {LIMIT_MB} MB" in error and "TRAINING_MEMORY_LIMIT_MB" in error, error
    assert "max_features" in error
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "failed" and model["error"] == error
    assert _no_files_left(limited_server, accepted["model_id"]) == []

    # the pool replaced the worker: the next fit (in the one worker there is) succeeds
    small = upload_csv(client, labelled_csv(200, seed=11), "small.csv").json()
    after = fit(client, small["id"], name="after-the-limit")
    assert wait_task(client, after["task_id"])["status"] == "succeeded"
    assert _files_of(limited_server, after["model_id"]) == [f"{after['model_id']}.zip"]
    log = (limited_server.logs_dir / "backend" / "backend.log").read_text()
    assert "TRAINING_MEMORY_LIMIT_MB" in log
