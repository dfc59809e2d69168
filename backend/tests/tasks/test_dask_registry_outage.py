"""A fit on a Dask worker while the registry's PostgreSQL is gone for a while (a relay
between it and both the backend and the workers, cut mid-fit): the fit runs on, and
succeeds once the database answers, instead of failing on the first status poll."""

import time
from collections.abc import Iterator

import httpx
import pytest

from testkit.api import fit, upload_csv, wait_running, wait_task
from testkit.dask import DaskCluster, serving_on_dask
from testkit.relay import Relay, postgres_behind_relay
from testkit.samples import SLOW_PARAMS, slow_csv

pytestmark = pytest.mark.dask

OUTAGE_S = 3.0  # six status polls of the fit's follower (POLL_S 0.5)


@pytest.fixture(scope="module")
def behind_relay(
    cluster: DaskCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, Relay]]:
    with (
        postgres_behind_relay() as (url, relay),
        serving_on_dask(tmp_path_factory.mktemp("outage"), cluster.address, url) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        yield client, relay
        relay.restore()


def test_a_fit_on_dask_outlasts_a_registry_outage(
    behind_relay: tuple[httpx.Client, Relay],
) -> None:
    client, relay = behind_relay
    dataset = upload_csv(client, slow_csv(rows=8000), "slow.csv").json()
    accepted = fit(client, dataset["id"], name="outage-on-dask", params=SLOW_PARAMS)
    wait_running(client, accepted["task_id"])  # its follower polls the registry now

    relay.cut()
    time.sleep(OUTAGE_S)
    relay.restore()

    task = wait_task(client, accepted["task_id"], timeout=300)
    assert task["status"] == "succeeded", task
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "ready", model
