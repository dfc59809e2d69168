"""Versions of one model name, trained for a test through the real API."""

import uuid
from dataclasses import dataclass

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


@dataclass(frozen=True)
class GrownOnBoth:
    """A version fitted on dataset `first`, and its retrain on it and `added` (`data: both`):
    each dataset's id, each version's model and task ids."""

    first: str
    added: str
    fitted: dict[str, str]  # {"model_id", "task_id"}
    retrained: dict[str, str]


def grown_on_both(client: httpx.Client, name: str, seed: int) -> GrownOnBoth:
    """Datasets `{name}-first` and `{name}-added` (60 rows each, of their own bytes) and
    the name's two versions, both trained."""
    first, added = (
        upload_csv(client, labelled_csv(60, seed=seed + i), f"{name}-{part}.csv").json()["id"]
        for i, part in enumerate(("first", "added"))
    )
    fitted = fit(client, first, name=name, kind="naive_bayes")
    assert wait_task(client, fitted["task_id"])["status"] == "succeeded"
    both = {"data": "both", "dataset_id": added}
    response = client.post(f"/api/v1/models/{fitted['model_id']}/retrain", json=both)
    assert response.status_code == 202, response.text
    retrained = response.json()
    assert wait_task(client, retrained["task_id"])["status"] == "succeeded"
    return GrownOnBoth(first, added, fitted, retrained)


def finished_version(client: httpx.Client, response: httpx.Response) -> dict:
    """The version a retrain or continuation `response` (202) queued, once its task has
    succeeded."""
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert response.headers["location"] == f"/api/v1/tasks/{accepted['task_id']}"
    task = wait_task(client, accepted["task_id"])
    assert task["status"] == "succeeded", task
    return client.get(f"/api/v1/models/{accepted['model_id']}").json()
