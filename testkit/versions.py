"""Versions of one model name, trained for a test through the real API."""

import uuid

import httpx

from testkit.api import fit, upload_csv, wait_task
from testkit.samples import labelled_csv


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def trained_versions(client: httpx.Client, name: str, count: int, seed: int = 31) -> list[str]:
    """`count` ready versions of `name` (1, 2, ...), their model ids in version order."""
    dataset = upload_csv(client, labelled_csv(120, seed=seed)).json()
    accepted = [
        fit(client, dataset["id"], name=name, params={"min_df": 1}, random_state=i)
        for i in range(count)
    ]
    for one in accepted:
        task = wait_task(client, one["task_id"])
        assert task["status"] == "succeeded", task
    ids = [one["model_id"] for one in accepted]
    versions = [client.get(f"/api/v1/models/{i}").json()["version"] for i in ids]
    assert versions == list(range(1, count + 1)), versions
    return ids
