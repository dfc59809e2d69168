"""Ctrl-C in the terminal that runs `make run`: the terminal sends SIGINT to every process
of its foreground group, the server and its children alike (the prediction process, the
training workers). The server shuts down as on SIGTERM, and quietly: exit code 0, no
traceback from any child, and a fit that was running ends as the shutdown ends it (the
server's words), not as a KeyboardInterrupt in its worker."""

import os
import signal
from pathlib import Path

import httpx

from testkit.api import fit, upload_csv, wait_running
from testkit.samples import SLOW_PARAMS, slow_csv
from testkit.servers import BackendServer, serving

INTERRUPTED = "the server stopped while this task was running; start the fit again"


def test_ctrl_c_stops_the_server_and_its_children_quietly(tmp_path: Path) -> None:
    # a session of its own, as a terminal's foreground group: SIGINT reaches all of it
    server = BackendServer(root=tmp_path, env={"TRAINING_WORKERS": "1"}, launcher=["setsid"])
    with serving(server), httpx.Client(base_url=server.base_url, timeout=60) as client:
        default = next(m for m in client.get("/api/v1/models").json() if m["is_default"])
        body = {"model_id": default["id"], "texts": ["thanks for the edit"]}
        assert client.post("/api/v1/models/predict", json=body).status_code == 200
        dataset = upload_csv(client, slow_csv(3000), "slow.csv").json()
        task_id = fit(client, dataset["id"], name="running", params=SLOW_PARAMS)["task_id"]
        wait_running(client, task_id)
        assert server.process is not None
        os.killpg(server.process.pid, signal.SIGINT)
        assert server.process.wait(timeout=60) == 0
    output = server.output()
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-3000:]
    with serving(server), httpx.Client(base_url=server.base_url, timeout=60) as client:
        task = client.get(f"/api/v1/tasks/{task_id}").json()
    assert (task["status"], task["error"]) == ("failed", INTERRUPTED), task
