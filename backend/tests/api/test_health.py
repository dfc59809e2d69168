import time

import httpx
import pytest

from testkit.api import assert_problem


def test_healthz_and_readyz(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    for path in ("/healthz", "/readyz"):  # probes that use HEAD: the status, no body
        head = client.head(path)
        assert head.status_code == 200 and head.content == b"", (path, head.status_code)


def test_metrics_are_prometheus_text(client: httpx.Client) -> None:
    client.get("/api/v1/models/")
    text = client.get("/metrics").text
    assert "textclf_http_requests_total" in text
    assert 'textclf_tasks{status="succeeded"}' in text
    assert "textclf_loaded_models 2.0" in text or "textclf_loaded_models" in text


def _task_counts(client: httpx.Client) -> tuple[dict[str, float], dict[str, float]]:
    tasks = client.get("/api/v1/tasks/").json()
    text = client.get("/metrics").text
    reported = {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("textclf_tasks{")
    }
    expected = {s: 0.0 for s in ("queued", "running", "succeeded", "failed", "cancelled")}
    for task in tasks:
        expected[task["status"]] += 1
    return reported, expected


def test_metrics_count_tasks_by_status(client: httpx.Client) -> None:
    for _ in range(5):  # a task of an earlier test may end between the two requests
        reported, expected = _task_counts(client)
        if reported == expected:
            break
        time.sleep(1)
    assert reported == expected


def test_unknown_route_is_problem_json(client: httpx.Client) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "no such route")


def test_a_method_the_route_does_not_take_names_every_one_it_does(client: httpx.Client) -> None:
    # GET and POST /api/v1/datasets are two routes; Starlette's Allow named the first only
    answer = client.put("/api/v1/datasets")
    assert_problem(answer, 405, "PUT is not allowed on /api/v1/datasets", "GET", "POST")
    assert answer.headers["allow"] == "GET, POST"
    model = client.patch("/api/v1/models/abc")
    assert_problem(model, 405)
    assert model.headers["allow"] == "GET, DELETE"


def test_validation_errors_are_problem_json_with_fields(client: httpx.Client) -> None:
    body = assert_problem(client.post("/api/v1/models/predict", json={"texts": []}), 422)
    locs = [tuple(e["loc"]) for e in body["errors"]]
    assert ("model_id",) in locs and ("texts",) in locs


@pytest.mark.parametrize(
    "path", ["/api/v1/models/predict", "/api/v1/models/fit", "/api/v1/models/load"]
)
def test_malformed_json_is_problem_json(client: httpx.Client, path: str) -> None:
    """Every route says the body is not JSON and where the parse stopped, on the whole
    body (never a character position as if it were a field)."""
    headers = {"content-type": "application/json"}
    for content, line in ((b"{not json", "line 1 "), (b'{\n "name":', "line 2 ")):
        problem = assert_problem(client.post(path, content=content, headers=headers), 422)
        assert problem["title"] == "Invalid request", problem
        assert problem["detail"].startswith("body: Invalid JSON: "), problem
        assert line in problem["detail"], problem
        assert [(e["loc"], e["type"]) for e in problem["errors"]] == [([], "json_invalid")]


def test_path_like_ids_are_rejected(client: httpx.Client) -> None:
    assert client.get("/api/v1/models/..%2F..%2Fetc").status_code in (404, 422)
    assert_problem(client.get("/api/v1/models/..secret"), 422)
    assert_problem(client.get("/api/v1/datasets/%2Fetc%2Fpasswd"), 404)
    assert_problem(client.get("/api/v1/datasets/a.b"), 422)
    assert_problem(client.delete("/api/v1/models/remove/~root"), 422)
